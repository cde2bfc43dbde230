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
//! - `tanh`: training uses the standard library's (its backward pass stores activations of
//!   that function); inference passes [`fast_tanh`] (one `expf`, ~15 % of an inference
//!   saved). [`lstm_activate`] and [`lstm_cell`] take the function as a parameter.
//! - the BatchNorm: training normalises with batch statistics, inference folds the running
//!   statistics into the convolution's weights once at load.

/// Logistic function `1 / (1 + e^{−x})` in f32.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// `tanh(x) = 1 − 2 / (e^{2x} + 1)`: one `expf` instead of glibc's `tanhf` (which goes
/// through `expm1f` and was 15 % of an inference). Absolute error ≲ 1e-7 near 0 from the
/// cancellation, exact ±1 limits (e^{2x} overflowing to ∞ gives 1, underflowing gives −1).
#[inline(always)]
pub fn fast_tanh(x: f32) -> f32 {
    1.0 - 2.0 / ((2.0 * x).exp() + 1.0)
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

/// Turns one step's `4H` gate pre-activations into activations in place: sigmoid for the
/// input, forget and output gates, `tanh` for the candidate.
#[inline(always)]
pub fn lstm_activate(gates: &mut [f32], tanh: impl Fn(f32) -> f32) {
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
        lstm_activate(&mut gates, std_tanh);
        assert_eq!(gates, [0.5, 0.5, 0.5, 0.0]);
        let (mut c, mut h) = ([2.0], [0.0]);
        lstm_cell(&gates, &mut c, &mut h, std_tanh);
        assert_eq!(c, [1.0]);
        assert_eq!(h, [0.5 * 1f32.tanh()]);
    }
}
