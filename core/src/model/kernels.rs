//! The network's CPU arithmetic that inference (the allocation-free fast path, [`super::fast`])
//! and training (the hand-written forward/backward operations, cargo feature `train`) share:
//! each kernel writes into caller buffers and is `#[inline(always)]`, so it compiles into
//! every SIMD variant of its caller ([`crate::dsp::simd`]).
//!
//! - [`pad_planes`]: zero border of one row/column around `[planes, rows, cols]`.
//! - [`add_vec_mat`]: `y += x · W` (row-major `W`), the inner loop of the LSTM input
//!   projection, the LSTM recurrence and every linear layer.
//! - [`sigmoid`], [`lstm_activate`], [`lstm_cell`]: one LSTM step given its gate
//!   pre-activations (gate order i, f, o, g as in [`super::bilstm`]).
//!
//! What is deliberately *not* shared, and why (both paths are checked against burn's composed
//! network in tests, to 1e-5 for inference and 1e-4/1e-5 for the training operations):
//! - the 3×3 convolution's summation order: training adds tap by tap, the fast path sums the
//!   nine taps of a row before adding. Either order changes the other path's bits: the
//!   shipped default model is rebuilt byte for byte from the training order, and `moodtap
//!   analyze` outputs from the fast one.
//! - `exp` inside `tanh` and `sigmoid`: training uses the standard library's (its backward
//!   pass stores activations of those functions, and the default model is rebuilt byte for
//!   byte); inference passes [`fast_tanh`] / [`fast_sigmoid`] on [`fast_exp`], a polynomial
//!   that vectorises. [`lstm_activate`] and [`lstm_cell`] take the functions as parameters.
//! - the BatchNorm: training normalises with batch statistics, inference folds the running
//!   statistics into the convolution's weights once at load.

/// Logistic function `1 / (1 + e^{−x})` in f32.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// `e^x` in plain f32 arithmetic that vectorises (no libm call, no table): Cody–Waite
/// reduction `x = n·ln 2 + r`, |r| ≤ ln 2 / 2, with `n` rounded by the 1.5·2²³ trick, the
/// degree-6 minimax polynomial of Cephes' `expf` for `e^r`, and `2^n` put into the exponent
/// bits. Relative error ≲ 2 ulp against the standard library (test below). The input is
/// clamped to [−87.3, 88.3] so `2^n` stays a normal float: below the range the result is
/// ≈ 1e-38 instead of a subnormal or 0, above it ≈ 2e38 instead of ∞ — no caller depends on
/// either (they feed `1/(1 + e)` forms or a softmax whose largest term is e⁰). No FMA is
/// used, so every SIMD level computes the same bits. Not for NaN (inference inputs are
/// sanitised and weights finite).
#[inline(always)]
pub fn fast_exp(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23: adding it rounds to an integer (ties to even)
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.3, 88.3);
    let t = x * std::f32::consts::LOG2_E + ROUND;
    let n = t - ROUND;
    // t's low mantissa bits hold n (|n| ≤ 128 ≪ 2^22).
    let ni = (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let r = x - n * LN2_HI - n * LN2_LO;
    let z = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r + 1.666_666_5e-1)
        * r
        + 0.5; // Cephes: 5.0000001e-1, which is 0.5 in f32
    let e_r = p * z + r + 1.0;
    e_r * f32::from_bits(((ni + 127) as u32) << 23)
}

/// [`sigmoid`] on [`fast_exp`] (inference; training keeps the standard library's `expf`).
#[inline(always)]
pub fn fast_sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + fast_exp(-x))
}

/// `tanh(x) = 1 − 2 / (e^{2x} + 1)` on [`fast_exp`] instead of glibc's `tanhf` (which goes
/// through `expm1f` and was 15 % of an inference). Absolute error ≲ 3e-7 near 0 from the
/// cancellation, exact ±1 limits (e^{2x} ≈ 2e38 gives 1, ≈ 1e-38 gives −1).
#[inline(always)]
pub fn fast_tanh(x: f32) -> f32 {
    1.0 - 2.0 / (fast_exp(2.0 * x) + 1.0)
}

/// The standard library's `tanh`, as a function value for [`lstm_activate`] / [`lstm_cell`]
/// (the training kernels' choice; unused in an inference-only build).
#[cfg_attr(not(feature = "train"), allow(dead_code))]
#[inline(always)]
pub fn std_tanh(x: f32) -> f32 {
    x.tanh()
}

/// Copies `input` (`[planes, rows, cols]`) into `padded` (`[planes, rows + 2, cols + 2]`)
/// with a zero border of one row and one column (3×3 convolution, padding 1).
#[inline(always)]
pub fn pad_planes(input: &[f32], planes: usize, rows: usize, cols: usize, padded: &mut [f32]) {
    let (plane, padded_plane) = (rows * cols, (rows + 2) * (cols + 2));
    let padded = &mut padded[..planes * padded_plane];
    padded.fill(0.0);
    for (src, dst) in input[..planes * plane].chunks_exact(plane).zip(padded.chunks_exact_mut(padded_plane)) {
        for r in 0..rows {
            let start = (r + 1) * (cols + 2) + 1;
            dst[start..start + cols].copy_from_slice(&src[r * cols..(r + 1) * cols]);
        }
    }
}

/// `y[j] += Σᵢ x[i] · w[i · y.len() + j]`, accumulating row by row of `w` (in the order of
/// `x`), so every caller rounds the same way.
#[inline(always)]
pub fn add_vec_mat(y: &mut [f32], x: &[f32], w: &[f32]) {
    let d_out = y.len();
    for (i, xv) in x.iter().enumerate() {
        for (y, w) in y.iter_mut().zip(&w[i * d_out..(i + 1) * d_out]) {
            *y += xv * w;
        }
    }
}

/// Turns one step's `4H` gate pre-activations into activations in place: `sigmoid` for the
/// input, forget and output gates, `tanh` for the candidate.
#[inline(always)]
pub fn lstm_activate(gates: &mut [f32], sigmoid: impl Fn(f32) -> f32, tanh: impl Fn(f32) -> f32) {
    let h = gates.len() / 4;
    gates[..3 * h].iter_mut().for_each(|v| *v = sigmoid(*v));
    gates[3 * h..].iter_mut().for_each(|v| *v = tanh(*v));
}

/// One LSTM cell update from activated gates (`[i | f | o | g]`, `4H`), in place on the cell
/// state: `c` holds the previous state on entry (zeros at the first step) and
/// `c = f·c + i·g` on exit; `h = o·tanh(c)`.
#[inline(always)]
pub fn lstm_cell(gates: &[f32], c: &mut [f32], h: &mut [f32], tanh: impl Fn(f32) -> f32) {
    let n = c.len();
    for k in 0..n {
        let ck = gates[n + k] * c[k] + gates[k] * gates[3 * n + k];
        c[k] = ck;
        h[k] = gates[2 * n + k] * tanh(ck);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within 2 ulp of `f32::exp` over the whole clamped range (every 1/64), and the
    /// clamped ends stay finite and normal.
    #[test]
    fn fast_exp_is_within_two_ulp() {
        for i in -87 * 64..=88 * 64 {
            let x = i as f32 / 64.0;
            let (got, want) = (fast_exp(x), x.exp());
            let ulp = (got.to_bits() as i64 - want.to_bits() as i64).abs();
            assert!(ulp <= 2, "exp({x}) = {got} vs {want}: {ulp} ulp");
        }
        assert!(fast_exp(-1000.0) > 0.0 && fast_exp(-1000.0) < 1e-37);
        assert!(fast_exp(1000.0).is_finite() && fast_exp(1000.0) > 1e38);
        assert_eq!(fast_exp(0.0), 1.0);
        for x in [-5.0f32, -0.3, 0.0, 0.7, 9.0] {
            assert!((fast_sigmoid(x) - sigmoid(x)).abs() < 1e-7, "{x}");
        }
    }

    #[test]
    fn fast_tanh_is_close_to_tanh_with_exact_limits() {
        for i in -2000..=2000 {
            let x = i as f32 * 0.01;
            assert!((fast_tanh(x) - x.tanh()).abs() < 3e-7, "{x}");
        }
        assert_eq!(fast_tanh(100.0), 1.0);
        assert_eq!(fast_tanh(-100.0), -1.0);
    }

    #[test]
    fn pad_and_vec_mat_by_hand() {
        let mut padded = vec![7.0; 2 * 4 * 4];
        pad_planes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 2, 2, 2, &mut padded);
        assert_eq!(&padded[..16], &[0., 0., 0., 0., 0., 1., 2., 0., 0., 3., 4., 0., 0., 0., 0., 0.]);
        assert_eq!(padded[16 + 5], 5.0);
        let mut y = [1.0, 2.0];
        add_vec_mat(&mut y, &[1.0, 10.0], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(y, [1.0 + 1.0 + 30.0, 2.0 + 2.0 + 40.0]);
    }

    #[test]
    fn lstm_step_by_hand() {
        // H = 1: i = f = o = sigmoid(0) = 0.5, g = tanh(0) = 0.
        let mut gates = [0.0, 0.0, 0.0, 0.0];
        lstm_activate(&mut gates, sigmoid, std_tanh);
        assert_eq!(gates, [0.5, 0.5, 0.5, 0.0]);
        let (mut c, mut h) = ([2.0], [0.0]);
        lstm_cell(&gates, &mut c, &mut h, std_tanh);
        assert_eq!(c, [1.0]);
        assert_eq!(h, [0.5 * 1f32.tanh()]);
    }
}
