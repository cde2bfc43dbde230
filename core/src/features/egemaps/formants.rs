//! Formant frequencies and bandwidths by LPC root solving, at parity with
//! openSMILE 3.0's eGeMAPS v02 chain (`GeMAPSv01b_core.lld.conf.inc`):
//!
//! 1. `[gemapsv01b_resampLpc:cSpecResample]` (`src/dsp/specResample.cpp`,
//!    `smileDsp_initIrdft` / `smileDsp_irdft` in `src/smileutil/smileUtil.c`):
//!    the complex spectrum of the 20 ms Hamming frame (`fftcH25`) is turned
//!    back into a time signal at `targetFs = 11000` Hz by a slow inverse DFT
//!    that keeps only the bins below the new Nyquist frequency.
//! 2. `[gemapsv01b_lpc:cLpc]` (`src/lld/lpc.cpp`, `smileDsp_autoCorr`,
//!    `smileDsp_calcLpcAcf`): `p = 11` autocorrelation LPC (Levinson–Durbin).
//! 3. `[gemapsv01b_formantLpc:cFormantLpc]` (`src/lld/formantLpc.cpp`,
//!    `smileDsp_lpcrootsToFormants`): roots of the LPC polynomial, reflected
//!    into the unit circle; each root with non-negative imaginary part and a
//!    frequency in `[minF, maxF] = [50, 5450]` Hz is a formant, with bandwidth
//!    `−ln|z|·fs/π`; at most `nFormants = 5`, sorted by frequency, missing
//!    ones are 0 (no median filter, no octave correction).
//!
//! Frame alignment: [`FormantTracker::process`] for frame `k` reads the
//! spectrum of samples `[k·hop, k·hop + frame25)` (the leading 20 ms of the
//! 60 ms frame `k`); its output is openSMILE's `gemapsv01b_formants` row `k`
//! (time `k·hop / fs`).
//!
//! Quirks reproduced on purpose, because they shape openSMILE's numbers:
//! - The resampler's time axis starts at the first sample of the *zero-padded*
//!   FFT buffer, so the 220 resampled samples cover the `(n_fft − frame)/2`
//!   leading zeros and only the first ≈ 92 % of the frame; DC gets twice the
//!   weight of the other bins (`out = (X₀ + Σ Re(X_k·e^{iθ})) / (n_fft/2)`).
//! - The root-solved polynomial is `z^p − a₁z^{p−1} − … − a_p` with `a` the
//!   Durbin error-filter coefficients (`lpc[i] = −src[…]` in
//!   `cFormantLpc::processVector`), i.e. the predictor polynomial with the
//!   opposite sign to the textbook `A(z) = 1 + Σ a_i z^{−i}`. Checked
//!   against openSMILE's own `gemapsv01b_lpc` and `gemapsv01b_formants`
//!   levels: this, not `A(z)`, reproduces its formants.
//!
//! Numerical conditioning: the resampler keeps only complex bins below
//! `min(n_out, n_fft)/2` (110 bins = 4.7 kHz at 22 050 Hz) although the new
//! Nyquist frequency is 5.5 kHz, so the 11-pole LPC models an empty band and
//! its normal equations are ill-conditioned: f32 rounding in the FFT (≈ 1e-7
//! relative) moves LPC coefficients by up to 0.1 on some frames. Fed with
//! openSMILE's own FFT bins this module reproduces its formants to print
//! precision; fed with ours (realfft), ≈ 99 % of frames agree to ≈ 0.01 % and
//! ≈ 1 % flip a near-degenerate root pair (formant indices shift). The input
//! scale also enters the rounding: openSMILE reads 16-bit PCM as `i / 32767`.
//! Silent frames (`r[0] = 0`) give no formants, as in openSMILE.
//!
//! Sign convention: our front end ([`crate::dsp::spectrum::Spectrum`]) gives
//! realfft's `X[k] = Σ x·e^{−2πikn/N}`; openSMILE's Ooura `rdft` stores
//! `a[2k] = Re X[k]`, `a[2k+1] = −Im X[k]` and packs the Nyquist bin into
//! `a[1]`. The resampler below is written against realfft's bins, so its sine
//! term carries the sign flip.
//!
//! Roots are found with the Aberth–Ehrlich iteration in f64 instead of
//! openSMILE's companion-matrix QR (`src/smileutil/zerosolve.cpp`). With at
//! most five complex-conjugate pairs for `p = 11` and `nFormants = 5`, every
//! admissible root is a formant, so the root order (the only thing in which
//! the two solvers differ beyond rounding) cannot change the output.

use realfft::num_complex::{Complex32, Complex64};

use crate::dsp::simd::{self, SimdLevel};

use super::config::FRAME25_S;

/// Resampling target of `[gemapsv01b_resampLpc]`: `targetFs = 11000` (Hz).
pub const LPC_TARGET_FS_HZ: f64 = 11_000.0;
/// Predictor order of `[gemapsv01b_lpc]`: `p = 11`.
pub const LPC_ORDER: usize = 11;
/// `[gemapsv01b_formantLpc]`: `nFormants = 5`.
pub const N_FORMANTS: usize = 5;
/// `[gemapsv01b_formantLpc]`: `minF = 50.0` (Hz).
pub const MIN_FORMANT_HZ: f64 = 50.0;
/// `[gemapsv01b_formantLpc]`: `maxF = 5450.0` (Hz).
pub const MAX_FORMANT_HZ: f64 = 5450.0;

/// Formants of one frame, openSMILE level `gemapsv01b_formants`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Formants {
    /// `formantFreqLpc[1..5]` in Hz, ascending; 0 where fewer formants were found.
    pub freq_hz: [f32; N_FORMANTS],
    /// `formantBandwidthLpc[1..5]` in Hz, matching `freq_hz`; 0 where absent.
    pub bandwidth_hz: [f32; N_FORMANTS],
    /// Number of valid formants (the leading non-zero entries).
    pub count: usize,
}

/// Invalid formant-tracker configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormantError {
    /// The sample rate must be positive.
    #[error("sample rate must be positive")]
    ZeroSampleRate,
    /// `n_fft` must be a power of two ≥ the frame length ≥ 2.
    #[error("invalid FFT geometry: frame of {frame_len} samples in an FFT of {n_fft}")]
    InvalidFft {
        /// Frame length in samples.
        frame_len: usize,
        /// FFT length.
        n_fft: usize,
    },
}

/// Formant tracker for the 20 ms Hamming frame: resampler, LPC and root
/// solver with all buffers allocated in [`FormantTracker::new`].
#[derive(Debug, Clone)]
pub struct FormantTracker {
    n_fft: usize,
    /// Complex bins 1…n_pairs enter the inverse DFT (`kMax/2 − 1` in openSMILE).
    n_pairs: usize,
    /// Whether the Nyquist bin enters (only when upsampling to ≥ n_fft samples).
    use_nyquist: bool,
    /// `cos(2π·k·i/nI)` for k = 1…n_pairs, i < n_out, one row of `n_out`
    /// values per `k` (f32 as openSMILE stores it).
    cos: Vec<f32>,
    /// `sin(2π·k·i/nI)`, same layout.
    sin: Vec<f32>,
    /// `cos(2π·(n_fft/2)·i/nI)` for the Nyquist term.
    nyquist_cos: Vec<f32>,
    /// Divisor of the inverse DFT: `n_fft / 2` (integer division, as openSMILE).
    scale: f32,
    /// Widest vectors of the running CPU, for [`irdft_rows`].
    simd: SimdLevel,
    /// Per-frame coefficients `(Re X_k, Im′X_k)` of bins 1…n_pairs.
    coefs: Vec<[f32; 2]>,
    /// The resampled frame at 11 kHz (220 samples for a 20 ms frame).
    resampled: Vec<f32>,
    /// Workspace of [`lpc_acf`]: the resampled frame reversed, then
    /// `LPC_ORDER` zeros.
    reversed: Vec<f32>,
    /// LPC coefficients of the last frame (openSMILE `gemapsv01b_lpc`).
    lpc: [f32; LPC_ORDER],
    /// LPC sample period: `1 / targetFs`. openSMILE sets the output level's
    /// base period from the configured `targetFs`, before it rounds the
    /// ratio to a whole number of output samples.
    lpc_period_s: f64,
}

impl FormantTracker {
    /// A tracker for frames of `frame_len` samples (the 20 ms frame,
    /// [`super::config::Framing::frame25`]) zero-padded to `n_fft` at
    /// `sample_rate_hz`.
    pub fn new(sample_rate_hz: u32, frame_len: usize, n_fft: usize) -> Result<Self, FormantError> {
        if sample_rate_hz == 0 {
            return Err(FormantError::ZeroSampleRate);
        }
        if frame_len < 2 || n_fft < frame_len || !n_fft.is_power_of_two() {
            return Err(FormantError::InvalidFft { frame_len, n_fft });
        }
        let sr = sample_rate_hz as f64;
        let ratio = LPC_TARGET_FS_HZ / sr;
        // cSpecResample::setupNewNames: the output length is rounded to whole
        // samples of the *unpadded* frame (`lastFrameSizeSec / frameSizeSec`),
        // the ratio adjusted to match, and `nd` is the padded length at that
        // ratio. cTransformFFT scales frameSizeSec by n_fft / frame_len.
        let (n_out, nd) = if n_fft != frame_len {
            let fs_sec = FRAME25_S * (n_fft as f64 / frame_len as f64);
            let rel = FRAME25_S / fs_sec;
            let n_out0 = (n_fft as f64 * ratio * rel).round();
            let new_ratio = n_out0 / (n_fft as f64 * rel);
            (n_out0, n_fft as f64 * new_ratio)
        } else {
            let n_out0 = (n_fft as f64 * ratio).round();
            (n_out0, n_out0)
        };
        let n_out = (n_out.max(1.0)) as usize;
        // smileDsp_initIrdft with antialias = 1.
        let mut k_max = n_fft.min(n_out);
        if k_max & 1 == 1 {
            k_max -= 1;
        }
        let n_pairs = (k_max / 2).saturating_sub(1);
        let use_nyquist = n_out >= n_fft;
        let two_pi = 2.0 * std::f64::consts::PI;
        let mut cos = vec![0.0f32; n_out * n_pairs];
        let mut sin = vec![0.0f32; n_out * n_pairs];
        let mut nyquist_cos = vec![0.0f32; n_out];
        for i in 0..n_out {
            if use_nyquist {
                nyquist_cos[i] = (two_pi * ((n_fft / 2) * i) as f64 / nd).cos() as f32;
            }
            for k in 1..=n_pairs {
                let kn = two_pi * (k * i) as f64 / nd;
                cos[(k - 1) * n_out + i] = kn.cos() as f32;
                sin[(k - 1) * n_out + i] = kn.sin() as f32;
            }
        }
        Ok(Self {
            n_fft,
            n_pairs,
            use_nyquist,
            cos,
            sin,
            nyquist_cos,
            scale: (n_fft / 2) as f32,
            simd: SimdLevel::detect(),
            coefs: vec![[0.0; 2]; n_pairs],
            resampled: vec![0.0; n_out],
            reversed: vec![0.0; n_out + LPC_ORDER],
            lpc: [0.0; LPC_ORDER],
            lpc_period_s: 1.0 / LPC_TARGET_FS_HZ,
        })
    }

    /// Samples per resampled frame (220 for a 20 ms frame).
    pub fn resampled_len(&self) -> usize {
        self.resampled.len()
    }

    /// The resampled frame of the last `process` call (openSMILE `gemapsv01b_outpR`).
    pub fn resampled(&self) -> &[f32] {
        &self.resampled
    }

    /// LPC coefficients `a₁…a_p` of the last `process` call, error-filter
    /// convention `A(z) = 1 + Σ a_i z^{−i}` (openSMILE `gemapsv01b_lpc`,
    /// `lpcCoeff[0..10]`); zero for silent or non-finite frames.
    pub fn lpc_coefficients(&self) -> &[f32; LPC_ORDER] {
        &self.lpc
    }

    /// Formants of one frame from its complex spectrum `bins` (realfft
    /// convention, `n_fft/2 + 1` bins of the Hamming-windowed, symmetrically
    /// zero-padded 20 ms frame, unnormalised). Writes all of `out`.
    ///
    /// Non-finite bins, silence and a wrong number of bins give zero formants
    /// (`count = 0`). On silence openSMILE does the same (all LPC roots are
    /// 0 Hz); on NaN/Inf its QR solver fails and it reuses the previous
    /// frame's roots, which we do not reproduce.
    pub fn process(&mut self, bins: &[Complex32], out: &mut Formants) {
        *out = Formants::default();
        self.lpc = [0.0; LPC_ORDER];
        debug_assert_eq!(bins.len(), self.n_fft / 2 + 1);
        if bins.len() != self.n_fft / 2 + 1 {
            return;
        }
        let used = &bins[..=self.n_pairs.max(if self.use_nyquist { self.n_fft / 2 } else { 0 })];
        if used.iter().any(|b| !b.re.is_finite() || !b.im.is_finite()) {
            return;
        }
        self.resample(bins);
        let mut lpc = [0.0f32; LPC_ORDER];
        if !lpc_acf(&self.resampled, &mut self.reversed, &mut lpc) {
            return;
        }
        self.lpc = lpc;
        // cFormantLpc: lpc[i] = −src[p−1−i], lpc[p] = 1, coefficients of z^i.
        let mut poly = [0.0f64; LPC_ORDER + 1];
        for (i, c) in poly.iter_mut().take(LPC_ORDER).enumerate() {
            *c = -(lpc[LPC_ORDER - 1 - i] as f64);
        }
        poly[LPC_ORDER] = 1.0;
        let mut roots = [Complex64::new(0.0, 0.0); LPC_ORDER];
        polynomial_roots(&poly, &mut roots);
        roots_to_formants(&roots, self.lpc_period_s, out);
    }

    /// `smileDsp_irdft`: the slow inverse DFT at the target rate, in f32.
    ///
    /// openSMILE computes each output sample `i` as one running f32 sum
    /// `X₀ (+ X_{N/2}·cos) + Σ_k (Re X_k·cos_ki + Im′X_k·sin_ki)` in
    /// increasing `k`, then divides by `n_fft/2`. This loop swaps the loop
    /// nest: all `n_out` sums advance together, one `k` at a time, so every
    /// sum sees the same operations in the same order (bit-identical
    /// results) while the inner loop over `i` is a plain vectorisable
    /// multiply-add over contiguous table rows.
    fn resample(&mut self, bins: &[Complex32]) {
        let out = &mut self.resampled[..];
        out.fill(bins[0].re);
        if self.use_nyquist {
            let re = bins[self.n_fft / 2].re;
            for (o, &c) in out.iter_mut().zip(&self.nyquist_cos) {
                *o += re * c;
            }
        }
        for (c, b) in self.coefs.iter_mut().zip(&bins[1..=self.n_pairs]) {
            // Ooura's imaginary part is −Im of realfft's.
            *c = [b.re, -b.im];
        }
        irdft_rows(self.simd, out, &self.coefs, &self.cos, &self.sin);
        let scale = self.scale;
        out.iter_mut().for_each(|y| *y /= scale);
    }
}

#[inline(always)]
fn irdft_rows_body(out: &mut [f32], coefs: &[[f32; 2]], cos: &[f32], sin: &[f32]) {
    let n = out.len();
    if n == 0 {
        return;
    }
    for (&[re, im], (cos, sin)) in coefs.iter().zip(cos.chunks_exact(n).zip(sin.chunks_exact(n))) {
        for ((o, &c), &s) in out.iter_mut().zip(cos).zip(sin) {
            *o += re * c;
            *o += im * s;
        }
    }
}

simd::dispatch! {
    /// The bins' terms of the resampler, one bin (table row) at a time:
    /// `out[i] = (out[i] + re_k·cos[k][i]) + im_k·sin[k][i]` for each
    /// `coefs[k] = [re_k, im_k]` in increasing `k`, with `cos`, `sin` holding
    /// one row of `out.len()` values per bin. Two separately rounded f32
    /// multiply-adds per term in openSMILE's order (no FMA), element-wise,
    /// so every instruction set gives the same bits.
    fn irdft_rows = irdft_rows_body(out: &mut [f32], coefs: &[[f32; 2]], cos: &[f32], sin: &[f32]) -> ()
}

/// Autocorrelation LPC of order `lpc.len()` (`smileDsp_autoCorr` +
/// `smileDsp_calcLpcAcf`), in f32 with openSMILE's summation order. Returns
/// false when the frame is silent (`r[0] = 0`; coefficients are zero then)
/// or the result is not finite. `reversed`: workspace of `x.len() +
/// LPC_ORDER` samples.
fn lpc_acf(x: &[f32], reversed: &mut [f32], lpc: &mut [f32; LPC_ORDER]) -> bool {
    let p = LPC_ORDER;
    let r = autocorrelation(x, reversed);
    lpc.iter_mut().for_each(|a| *a = 0.0);
    if r[0] == 0.0 {
        return false;
    }
    let a = lpc;
    let mut e = r[0];
    for m in 1..=p {
        let mut sum = r[m];
        for i in 1..m {
            sum += a[i - 1] * r[m - i];
        }
        let k = (-1.0 / e) * sum;
        a[m - 1] = k;
        for i in 1..=m / 2 {
            let x = a[i - 1];
            a[i - 1] += k * a[m - i - 1];
            if i < m / 2 || m & 1 == 1 {
                a[m - i - 1] += k * x;
            }
        }
        e *= 1.0 - k * k;
        if e == 0.0 {
            a[m..].iter_mut().for_each(|c| *c = 0.0);
            break;
        }
    }
    a.iter().all(|c| c.is_finite())
}

/// `smileDsp_autoCorr`: `r[lag] = Σ_{i ≥ lag} x[i]·x[i−lag]`, lag = 0…p, each
/// summed in f32 in increasing `i` as openSMILE does.
///
/// openSMILE runs one lag at a time; here all p + 1 sums advance together,
/// one `i` at a time (same order per sum, so the same bits, and the lag
/// loop vectorises): `x[i−lag]` for lag = 0…p is a contiguous window of
/// the reversed frame, and lags beyond `i` read its zero padding, adding
/// exact zeros that leave a finite sum unchanged. `reversed`: workspace of
/// `x.len() + p` samples.
fn autocorrelation(x: &[f32], reversed: &mut [f32]) -> [f32; LPC_ORDER + 1] {
    let p = LPC_ORDER;
    let n = x.len();
    let reversed = &mut reversed[..n + p];
    for (d, &v) in reversed[..n].iter_mut().zip(x.iter().rev()) {
        *d = v;
    }
    reversed[n..].fill(0.0);
    let mut r = [0.0f32; LPC_ORDER + 1];
    for (i, &xi) in x.iter().enumerate() {
        let w = &reversed[n - 1 - i..n + p - i];
        for (r, &v) in r.iter_mut().zip(w) {
            *r += xi * v;
        }
    }
    r
}

/// `smileMath_complexIntoUnitCircle` + `smileDsp_lpcrootsToFormants` + the
/// ascending sort of `cFormantLpc::processVector`.
fn roots_to_formants(roots: &[Complex64], period_s: f64, out: &mut Formants) {
    let sp_pi = period_s * std::f64::consts::PI;
    let sp_pi2 = 2.0 * sp_pi;
    let mut f_high = MAX_FORMANT_HZ;
    if f_high < MIN_FORMANT_HZ || f_high > 1.0 / period_s {
        f_high = 0.5 / period_s - MIN_FORMANT_HZ;
    }
    let mut freq = [0.0f64; N_FORMANTS];
    let mut bw = [0.0f64; N_FORMANTS];
    let mut n = 0;
    for &root in roots {
        if n >= N_FORMANTS {
            break;
        }
        if !root.re.is_finite() || !root.im.is_finite() {
            continue;
        }
        let z = if root.norm() > 1.0 { Complex64::new(1.0, 0.0) / root.conj() } else { root };
        // Only roots with non-negative imaginary part (one per conjugate pair).
        if z.im < 0.0 {
            continue;
        }
        let f = z.im.atan2(z.re).abs() / sp_pi2;
        if f >= MIN_FORMANT_HZ && f <= f_high {
            let norm = z.norm();
            bw[n] = if norm > 0.0 { -norm.ln() / sp_pi } else { 0.0 };
            freq[n] = f;
            n += 1;
        }
    }
    // Ascending by frequency, bandwidths follow (openSMILE's exchange sort).
    for i in 0..n {
        for j in i + 1..n {
            if freq[j] < freq[i] {
                freq.swap(i, j);
                bw.swap(i, j);
            }
        }
    }
    for i in 0..n {
        out.freq_hz[i] = freq[i] as f32;
        out.bandwidth_hz[i] = bw[i] as f32;
    }
    out.count = n;
}

/// Iteration cap of [`polynomial_roots`]; 4–13 iterations are typical.
const MAX_ABERTH_ITERATIONS: usize = 500;

/// All roots of `Σ c[i]·z^i` (`c[last] ≠ 0`) by the Aberth–Ehrlich
/// simultaneous iteration in f64, written to `roots[..degree]`. Exactly-zero
/// low-order coefficients give exact zero roots (silence gives `z^p`).
/// Allocation-free; the degree is at most [`LPC_ORDER`].
fn polynomial_roots(c: &[f64; LPC_ORDER + 1], roots: &mut [Complex64; LPC_ORDER]) {
    let zero = Complex64::new(0.0, 0.0);
    roots.iter_mut().for_each(|r| *r = zero);
    // Deflate exact zero roots.
    let lo = c.iter().position(|&v| v != 0.0).unwrap_or(LPC_ORDER);
    let deg = LPC_ORDER - lo;
    if deg == 0 {
        return;
    }
    let q = &c[lo..];
    let lead = q[deg];
    if deg == 1 {
        roots[0] = Complex64::new(-q[0] / lead, 0.0);
        return;
    }
    // Initial guesses on a circle of the geometric-mean root radius, rotated
    // off the real axis so conjugate pairs separate.
    let radius = (q[0] / lead).abs().powf(1.0 / deg as f64).clamp(1e-3, 1e3);
    let z = &mut roots[..deg];
    for (k, zk) in z.iter_mut().enumerate() {
        let ang = 2.0 * std::f64::consts::PI * k as f64 / deg as f64 + 0.4;
        *zk = Complex64::from_polar(radius, ang);
    }
    // Horner evaluation of p and p′ at x, and of Σ|q_i|·|x|^i, the scale of
    // the rounding error of that evaluation.
    let abs_q: [f64; LPC_ORDER + 1] = std::array::from_fn(|i| q.get(i).map_or(0.0, |v| v.abs()));
    let eval = |x: Complex64| {
        let ax = x.norm_sqr().sqrt();
        let mut p = Complex64::new(q[deg], 0.0);
        let mut dp = zero;
        let mut scale = abs_q[deg];
        for i in (0..deg).rev() {
            dp = dp * x + p;
            p = p * x + q[i];
            scale = scale * ax + abs_q[i];
        }
        (p, dp, scale)
    };
    // A root is final once its Aberth step is below 1e-15 of its size (as
    // accurate as f64 gets) or once |p(z)| is at the rounding level of its
    // evaluation, where further steps only wander (this ends the iteration
    // on near-multiple roots, which otherwise converge slowly or never).
    // Final roots keep their place in the sums of the others.
    let noise = 2.0 * deg as f64 * f64::EPSILON;
    let mut done = [false; LPC_ORDER];
    for _ in 0..MAX_ABERTH_ITERATIONS {
        let mut active = false;
        for k in 0..deg {
            if done[k] {
                continue;
            }
            let (p, dp, scale) = eval(z[k]);
            if p == zero || p.norm_sqr() <= (noise * scale) * (noise * scale) {
                done[k] = true;
                continue;
            }
            let ratio = p / dp;
            // Σ_{j≠k} 1/(z_k − z_j), with num-complex's division written out
            // for the real numerator 1 (same operations, no library calls).
            let mut s = zero;
            for j in 0..deg {
                if j != k {
                    let d = z[k] - z[j];
                    let n = d.norm_sqr();
                    if n != 0.0 {
                        s += Complex64::new(d.re / n, -d.im / n);
                    }
                }
            }
            let denom = Complex64::new(1.0, 0.0) - ratio * s;
            let w = if denom != zero && ratio.re.is_finite() && ratio.im.is_finite() {
                ratio / denom
            } else {
                // Stationary point: nudge off it.
                Complex64::new(1e-6 * (1.0 + z[k].norm_sqr().sqrt()), 1e-6)
            };
            if !w.re.is_finite() || !w.im.is_finite() {
                active = true;
                continue;
            }
            z[k] -= w;
            let tol = 1e-15 * (1.0 + z[k].norm_sqr().sqrt());
            if w.norm_sqr() < tol * tol {
                done[k] = true;
            } else {
                active = true;
            }
        }
        if !active {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::spectrum::Spectrum;
    use crate::dsp::window;
    use crate::features::egemaps::config::Framing;

    fn tracker(sr: u32) -> (FormantTracker, Spectrum) {
        let fr = Framing::at(sr);
        let spec = Spectrum::new(window::hamming(fr.frame25));
        (FormantTracker::new(sr, fr.frame25, spec.n_fft()).unwrap(), spec)
    }

    #[test]
    fn resampled_length_is_20ms_at_11khz() {
        for sr in [8_000, 11_025, 16_000, 22_050, 44_100, 48_000] {
            let (t, _) = tracker(sr);
            assert_eq!(t.resampled_len(), 220, "sr {sr}");
        }
    }

    #[test]
    fn resampler_is_opensmiles_irdft_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(19);
        for sr in [8_000u32, 22_050, 48_000] {
            let (mut t, spec) = tracker(sr);
            let n_bins = spec.n_fft() / 2 + 1;
            let bins: Vec<Complex32> =
                (0..n_bins).map(|_| Complex32::new(rng.random_range(-5.0..5.0), rng.random_range(-5.0..5.0))).collect();
            t.resample(&bins);
            let (n_out, np) = (t.resampled_len(), t.n_pairs);
            for i in 0..n_out {
                // smileDsp_irdft: one running sum per output sample.
                let mut acc = bins[0].re;
                if t.use_nyquist {
                    acc += bins[t.n_fft / 2].re * t.nyquist_cos[i];
                }
                // The reference: openSMILE's loop, indexed as it is.
                #[allow(clippy::needless_range_loop)]
                for k in 1..=np {
                    acc += bins[k].re * t.cos[(k - 1) * n_out + i];
                    acc += -bins[k].im * t.sin[(k - 1) * n_out + i];
                }
                assert_eq!((acc / t.scale).to_bits(), t.resampled()[i].to_bits(), "sr {sr}, sample {i}");
            }
            // Every instruction set gives the same bits.
            let coefs: Vec<[f32; 2]> = bins[1..=np].iter().map(|b| [b.re, -b.im]).collect();
            let start: Vec<f32> = (0..n_out).map(|_| rng.random_range(-1.0..1.0)).collect();
            let mut want = start.clone();
            irdft_rows_body(&mut want, &coefs, &t.cos, &t.sin);
            for level in SimdLevel::available() {
                let mut got = start.clone();
                irdft_rows(level, &mut got, &coefs, &t.cos, &t.sin);
                assert!(got.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits()), "{level:?}");
            }
        }
    }

    #[test]
    fn autocorrelation_is_opensmiles_sum_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        for n in [1usize, 5, 11, 12, 13, 220] {
            let x: Vec<f32> =
                (0..n).map(|_| rng.random_range(-1.0f32..1.0) * 10f32.powi(rng.random_range(-4..2))).collect();
            let mut ws = vec![0.0; n + LPC_ORDER];
            let r = autocorrelation(&x, &mut ws);
            for lag in 0..=LPC_ORDER {
                // smileDsp_autoCorr, one lag at a time.
                let mut want = 0.0f32;
                for i in lag..n {
                    want += x[i] * x[i - lag];
                }
                assert_eq!(r[lag].to_bits(), want.to_bits(), "n {n}, lag {lag}");
            }
        }
    }

    #[test]
    fn roots_of_known_polynomial() {
        // (z − 0.5)(z + 0.25)(z² − 2·0.9cos(1)z + 0.81) · z^7, degree 11.
        let r1 = Complex64::new(0.5, 0.0);
        let r2 = Complex64::new(-0.25, 0.0);
        let r3 = Complex64::from_polar(0.9, 1.0);
        let want = [r1, r2, r3, r3.conj()];
        let mut poly = [Complex64::new(0.0, 0.0); 12];
        poly[0] = Complex64::new(1.0, 0.0);
        for (deg, r) in want.into_iter().enumerate() {
            // multiply by (z − r)
            for i in (0..=deg + 1).rev() {
                let lower = if i > 0 { poly[i - 1] } else { Complex64::new(0.0, 0.0) };
                poly[i] = lower - r * poly[i];
            }
        }
        let mut c = [0.0f64; 12];
        for i in 0..=4 {
            c[i + 7] = poly[i].re;
        }
        let mut roots = [Complex64::new(0.0, 0.0); 11];
        polynomial_roots(&c, &mut roots);
        for w in want {
            assert!(roots.iter().any(|r| (r - w).norm() < 1e-10), "{w} not in {roots:?}");
        }
        assert_eq!(roots.iter().filter(|r| r.norm() == 0.0).count(), 7);
    }

    /// `synth_resonators` of `tests/golden/components/make_voice.py`: a
    /// 150 Hz impulse train through two-pole resonators at 700 Hz (80 Hz
    /// bandwidth) and 1800 Hz (120 Hz), × 0.015, quantised to 16 bits and
    /// read back as openSMILE does (÷ 32767); returns the 20 ms frame 30.
    fn resonator_frame() -> Vec<f32> {
        let sr = 22_050.0f64;
        let mut y1 = [0.0f64; 2];
        let mut y2 = [0.0f64; 2];
        let res = |f: f64, bw: f64, y: &mut [f64; 2], u: f64| {
            let r = (-std::f64::consts::PI * bw / sr).exp();
            let th = 2.0 * std::f64::consts::PI * f / sr;
            let o = u + 2.0 * r * th.cos() * y[0] - r * r * y[1];
            y[1] = y[0];
            y[0] = o;
            o
        };
        let x: Vec<f32> = (0..30 * 221 + 441)
            .map(|n| {
                let e = if n % 147 == 0 { 1.0 } else { 0.0 };
                let a = res(700.0, 80.0, &mut y1, e);
                let v = 0.015 * res(1800.0, 120.0, &mut y2, a);
                (v.clamp(-1.0, 1.0) * 32767.0).round() as i16 as f32 / 32767.0
            })
            .collect();
        x[30 * 221..].to_vec()
    }

    #[test]
    fn resonators_match_opensmile_and_textbook_sign_finds_them() {
        let (mut t, mut spec) = tracker(22_050);
        spec.process(&resonator_frame());
        let mut f = Formants::default();
        t.process(spec.bins(), &mut f);
        // openSMILE 3.0.2, level gemapsv01b_formants, frame 30 of
        // tests/golden/components/voice_synth_resonators.csv. 2 %: the LPC of
        // the band-limited resampled frame is ill-conditioned, so f32 FFT
        // rounding (which differs between SIMD code paths) moves the roots by
        // up to ≈ 1 % on this signal.
        let want = [436.9477f32, 1355.468, 2044.288, 2811.989, 4251.34];
        assert_eq!(f.count, 5, "{f:?}");
        for (g, w) in f.freq_hz.iter().zip(want) {
            assert!((g - w).abs() < 0.02 * w, "{f:?}");
        }
        // The same LPC with the textbook polynomial z^p·A(z) recovers the
        // true resonances: the chain up to the LPC is right, and openSMILE's
        // formant values come from its sign convention alone.
        let mut lpc = [0.0f32; LPC_ORDER];
        let mut ws = vec![0.0; t.resampled_len() + LPC_ORDER];
        assert!(lpc_acf(t.resampled(), &mut ws, &mut lpc));
        let mut poly = [0.0f64; LPC_ORDER + 1];
        for i in 0..LPC_ORDER {
            poly[i] = lpc[LPC_ORDER - 1 - i] as f64;
        }
        poly[LPC_ORDER] = 1.0;
        let mut roots = [Complex64::new(0.0, 0.0); LPC_ORDER];
        polynomial_roots(&poly, &mut roots);
        let mut g = Formants::default();
        roots_to_formants(&roots, 1.0 / LPC_TARGET_FS_HZ, &mut g);
        // 5 %: the 20 ms frame (truncated by the resampler) blurs the peaks.
        assert!(g.freq_hz.iter().any(|&v| (v - 700.0).abs() < 35.0), "{g:?}");
        assert!(g.freq_hz.iter().any(|&v| (v - 1800.0).abs() < 90.0), "{g:?}");
    }

    #[test]
    fn silence_nan_and_inf_give_zero_formants() {
        let (mut t, mut spec) = tracker(22_050);
        let mut f = Formants { count: 3, ..Default::default() };
        spec.process(&vec![0.0; 441]);
        t.process(spec.bins(), &mut f);
        assert_eq!(f, Formants::default());
        let mut bins = spec.bins().to_vec();
        bins[3].re = f32::NAN;
        t.process(&bins, &mut f);
        assert_eq!(f, Formants::default());
        bins[3].re = f32::INFINITY;
        t.process(&bins, &mut f);
        assert_eq!(f, Formants::default());
    }

    #[test]
    fn noise_and_extreme_rates_give_finite_sorted_formants() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for sr in [8_000u32, 16_000, 22_050, 44_100, 48_000] {
            let (mut t, mut spec) = tracker(sr);
            let n = spec.frame_len();
            for _ in 0..20 {
                let x: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
                spec.process(&x);
                let mut f = Formants::default();
                t.process(spec.bins(), &mut f);
                assert!(f.count <= N_FORMANTS);
                for i in 0..N_FORMANTS {
                    assert!(f.freq_hz[i].is_finite() && f.bandwidth_hz[i].is_finite());
                    if i < f.count {
                        assert!((50.0..=5450.0).contains(&f.freq_hz[i]), "{f:?}");
                        assert!(f.bandwidth_hz[i] >= 0.0);
                    } else {
                        assert_eq!((f.freq_hz[i], f.bandwidth_hz[i]), (0.0, 0.0));
                    }
                }
            }
        }
    }

    #[test]
    fn invalid_geometry_is_an_error() {
        assert_eq!(FormantTracker::new(0, 441, 512).unwrap_err(), FormantError::ZeroSampleRate);
        assert!(FormantTracker::new(22_050, 441, 500).is_err());
        assert!(FormantTracker::new(22_050, 600, 512).is_err());
    }
}
