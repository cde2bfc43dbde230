//! Octave-scale resampling of the 60 ms magnitude spectrum, the input of the
//! sub-harmonic-summation pitch detector.
//!
//! Reproduces openSMILE 3.0's `cSpecScale` (`src/dsp/specScale.cpp`) as
//! configured in `[gemapsv01b_scale]` of `GeMAPSv01b_core.lld.conf.inc`:
//! `scale = octave`, `sourceScale = lin`, `interpMethod = spline`,
//! `minF = 25`, `maxF = -1`, `nPointsTarget = 0`, `specSmooth = 1`,
//! `specEnhance = 1`, `auditoryWeighting = 1`. Helpers follow
//! `src/smileutil/smileUtil.c` (`smileDsp_specEnhanceSHS`,
//! `smileDsp_specSmoothSHS`) and `src/smileutil/smileUtilSpline.c`
//! (`smileMath_cspline_init`, `smileMath_cspline`, `smileMath_csplint_init`,
//! `smileMath_csplint`). Arithmetic is in `f64` as there; the output is
//! rounded to `f32` (openSMILE's `FLOAT_DMEM`) before the auditory weighting,
//! as there.
//!
//! Frame geometry: input `n_fft/2 + 1` unnormalised magnitudes `|X[k]|`
//! (bin `k` at `k·Δf` Hz); output the same number of points, equally spaced
//! in log2(Hz) from `log2(minF)` to `log2((n_fft/2)·Δf)`.

/// Settings of `[gemapsv01b_scale]` that this implementation supports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpecScaleConfig {
    /// Lowest frequency of the target axis in Hz (`minF = 25`).
    pub min_f_hz: f64,
    /// Peak enhancement before smoothing (`specEnhance = 1`).
    pub spec_enhance: bool,
    /// [1 2 1]/4 smoothing before rescaling (`specSmooth = 1`).
    pub spec_smooth: bool,
    /// Post-scale auditory weighting (`auditoryWeighting = 1`).
    pub auditory_weighting: bool,
}

impl SpecScaleConfig {
    /// `[gemapsv01b_scale]` of `GeMAPSv01b_core.lld.conf.inc`.
    pub const EGEMAPS: Self = Self { min_f_hz: 25.0, spec_enhance: true, spec_smooth: true, auditory_weighting: true };
}

/// Axis description openSMILE passes downstream in the level's meta data
/// (`cVectorMeta::fData[0..6]`, stored there as `f32`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OctaveAxis {
    /// Source frequency of the first target point in Hz (`fData[0]`).
    pub min_f_hz: f64,
    /// Source frequency of the last target point in Hz (`fData[1]`).
    pub max_f_hz: f64,
    /// Octaves spanned (`fData[2]`).
    pub n_octaves: f64,
    /// Target points per octave (`fData[3]`).
    pub points_per_octave: f64,
    /// log2 of `min_f_hz` (`fData[4]`).
    pub min_octave: f64,
    /// log2 of `max_f_hz` (`fData[5]`).
    pub max_octave: f64,
}

/// `cSpecScale` for the eGeMAPS octave spectrum. `new` allocates, `process` never does.
#[derive(Debug, Clone)]
pub struct SpecScale {
    config: SpecScaleConfig,
    n_mag: usize,
    n_target: usize,
    axis: OctaveAxis,
    /// Source bin positions on the octave axis (`f_t`), bin 0 extrapolated.
    f_t: Vec<f64>,
    /// `smileMath_cspline_init` cache: sigma, diff1, diff2 per source point.
    sigma: Vec<f64>,
    diff1: Vec<f64>,
    diff2: Vec<f64>,
    /// Forward elimination of the spline's tridiagonal system, which depends
    /// only on the source axis: `p_i = 1/(σ_i·g_{i−1} + 2)` and the
    /// eliminated sub-diagonal `g_i = (σ_i − 1)·p_i` (openSMILE's `y2[i]`
    /// before back-substitution), computed once with openSMILE's operations.
    spline_p: Vec<f64>,
    spline_g: Vec<f64>,
    /// `smileMath_csplint_init` cache: (a, c, d) per target point.
    coeffs: Vec<[f64; 3]>,
    /// Target points by source interval (openSMILE's `klo`, ascending with
    /// the target index): those in interval `k` are
    /// `first_target[k]..first_target[k + 1]`.
    first_target: Vec<usize>,
    /// Auditory weight per target point.
    audw: Vec<f64>,
    // Per-frame workspace.
    y: Vec<f64>,
    y2: Vec<f64>,
    u: Vec<f64>,
    is_max: Vec<u8>,
}

impl SpecScale {
    /// `n_mag` magnitude bins (`n_fft/2 + 1`, at least 3) spaced `bin_hz`
    /// apart. `bin_hz` must be openSMILE's `1 / (float) frameSizeSec` of the
    /// FFT level, see [`opensmile_bin_hz`].
    pub fn new(config: SpecScaleConfig, n_mag: usize, bin_hz: f64) -> Self {
        assert!(n_mag >= 3, "the octave spectrum needs at least 3 magnitude bins");
        let n_target = n_mag; // nPointsTarget = 0: same as the input.
        let min_f = config.min_f_hz.max(1.0);
        // maxF = -1 → the highest source frequency (dataProcessorCustomFinalise).
        let max_f = bin_hz * (n_mag - 1) as f64;
        let log2 = |x: f64| if x > 0.0 { x.ln() / 2f64.ln() } else { 0.0 };
        let fmin_t = log2(min_f);
        let fmax_t = log2(max_f);
        let delta_t = (fmax_t - fmin_t) / (n_target - 1) as f64;

        let mut f_t = vec![0.0; n_mag];
        for (i, f) in f_t.iter_mut().enumerate().skip(1) {
            *f = log2(i as f64 * bin_hz);
        }
        f_t[0] = 2.0 * f_t[1] - f_t[2];

        let mut sigma = vec![0.0; n_mag];
        let mut diff1 = vec![0.0; n_mag];
        let mut diff2 = vec![0.0; n_mag];
        for i in 1..n_mag - 1 {
            sigma[i] = (f_t[i] - f_t[i - 1]) / (f_t[i + 1] - f_t[i - 1]);
            diff1[i] = (f_t[i + 1] - f_t[i]) * (f_t[i + 1] - f_t[i - 1]);
            diff2[i] = (f_t[i] - f_t[i - 1]) * (f_t[i + 1] - f_t[i - 1]);
        }
        // The data-independent half of smileMath_cspline's forward sweep
        // (natural boundary: g_0 = 0).
        let mut spline_p = vec![0.0; n_mag];
        let mut spline_g = vec![0.0; n_mag];
        for i in 1..n_mag - 1 {
            let p = 1.0 / (sigma[i] * spline_g[i - 1] + 2.0);
            spline_p[i] = p;
            spline_g[i] = (sigma[i] - 1.0) * p;
        }

        // smileMath_csplint_init. openSMILE refuses targets outside the source
        // range (and then crashes on the first frame); we clamp them to the
        // last interval instead, which never triggers at 8–48 kHz.
        let mut k_lower = vec![0usize; n_target];
        let mut coeffs = vec![[0.0; 3]; n_target];
        let mut kupper = 1usize;
        for i in 0..n_target {
            let x = fmin_t + i as f64 * delta_t;
            while kupper < n_mag && f_t[kupper] < x {
                kupper += 1;
            }
            let ku = kupper.min(n_mag - 1);
            let kl = ku - 1;
            let range = f_t[ku] - f_t[kl];
            let a = (f_t[ku] - x) / range;
            let b = 1.0 - a;
            let range2 = range * range / 6.0;
            k_lower[i] = kl;
            coeffs[i] = [a, (a * a * a - a) * range2, (b * b * b - b) * range2];
        }

        let mut first_target = vec![n_target; n_mag];
        for (k, first) in first_target.iter_mut().enumerate() {
            *first = k_lower.partition_point(|&kl| kl < k);
        }

        let n_octaves = (max_f / min_f).ln() / 2f64.ln();
        let points_per_octave = n_target as f64 / n_octaves;
        let audw = if config.auditory_weighting {
            let atan_s = points_per_octave * log2(65.0 / 50.0) - 1.0;
            (0..n_target)
                .map(|i| 0.5 + (3.0 * ((i + 1) as f64 - atan_s) / points_per_octave).atan() / std::f64::consts::PI)
                .collect()
        } else {
            Vec::new()
        };

        Self {
            config,
            n_mag,
            n_target,
            axis: OctaveAxis {
                min_f_hz: min_f,
                max_f_hz: max_f,
                n_octaves,
                points_per_octave,
                min_octave: fmin_t,
                max_octave: fmax_t,
            },
            f_t,
            sigma,
            diff1,
            diff2,
            spline_p,
            spline_g,
            coeffs,
            first_target,
            audw,
            y: vec![0.0; n_mag],
            y2: vec![0.0; n_mag],
            u: vec![0.0; n_mag],
            is_max: vec![0; n_mag + 4],
        }
    }

    /// Number of magnitude bins expected by [`process`](Self::process).
    pub fn n_mag(&self) -> usize {
        self.n_mag
    }

    /// Number of octave-scale points written by [`process`](Self::process).
    pub fn n_points(&self) -> usize {
        self.n_target
    }

    /// The target axis (openSMILE's level meta data).
    pub fn axis(&self) -> &OctaveAxis {
        &self.axis
    }

    /// Rescales one magnitude spectrum (`n_mag` bins) to the octave axis
    /// (`n_points` values, linear magnitude, ≥ 0). Inputs must be finite.
    pub fn process(&mut self, mag: &[f32], out: &mut [f32]) {
        debug_assert_eq!(mag.len(), self.n_mag);
        debug_assert_eq!(out.len(), self.n_target);
        for (y, &m) in self.y.iter_mut().zip(mag) {
            *y = m as f64;
        }
        if self.config.spec_enhance {
            enhance_peaks(&mut self.y, &mut self.is_max);
        }
        if self.config.spec_smooth {
            smooth_121(&mut self.y);
        }
        self.spline_and_interpolate(out);
    }

    /// `smileMath_cspline` (natural boundary conditions, `y1p = ynp = 1e30`)
    /// followed by `smileMath_csplint` at every target point, the result
    /// rounded to f32 (the level's `FLOAT_DMEM`), then the auditory weighting
    /// (in f64, of positive values; others become 0).
    ///
    /// The same operations as openSMILE's, scheduled for a CPU: the spline's
    /// tridiagonal solve is two serial first-order recurrences (forward
    /// `u_i = p_i·(6·ut_i − σ_i·u_{i−1})`, backward `y2_j = g_j·y2_{j+1} + u_j`)
    /// whose per-step latency, not instruction count, bounds this function.
    /// The pivots `p`, `g` depend only on the axis and come from `new`; the
    /// divided differences `ut_i` are computed inside the forward loop and
    /// the interpolation of the target points in source interval `j` inside
    /// the backward loop, as soon as `y2_j` is known, so that independent
    /// work fills the latency of the recurrences.
    fn spline_and_interpolate(&mut self, out: &mut [f32]) {
        let n = self.n_mag;
        let (y, y2, u) = (&self.y[..n], &mut self.y2[..n], &mut self.u[..n]);
        let inner = 1..n - 1;
        u[0] = 0.0;
        let mut prev = 0.0;
        let coefs = self.spline_p[inner.clone()].iter().zip(&self.sigma[inner.clone()]);
        let diffs = self.diff1[inner.clone()].iter().zip(&self.diff2[inner.clone()]);
        for (((u, w), (&p, &sigma)), (&d1, &d2)) in u[inner].iter_mut().zip(y.windows(3)).zip(coefs).zip(diffs) {
            let ut = (w[2] - w[1]) / d1 - (w[1] - w[0]) / d2;
            prev = p * (6.0 * ut - sigma * prev);
            *u = prev;
        }
        let (qn, un) = (0.0, 0.0);
        let mut next = (un - qn * u[n - 2]) / (qn * self.spline_g[n - 2] + 1.0);
        y2[n - 1] = next;
        // Target points above interval j are done.
        let mut done_from = self.n_target;
        let weighted = self.config.auditory_weighting;
        for j in (0..n - 1).rev() {
            next = self.spline_g[j] * next + u[j];
            y2[j] = next;
            let first = self.first_target[j];
            let (yj, y2j) = (&y[j..j + 2], &y2[j..j + 2]);
            let interpolate = |[a, c, d]: [f64; 3]| {
                let b = 1.0 - a;
                (a * yj[0] + b * yj[1] + c * y2j[0] + d * y2j[1]) as f32
            };
            let points = out[first..done_from].iter_mut().zip(&self.coeffs[first..done_from]);
            if weighted {
                for ((o, &abc), &w) in points.zip(&self.audw[first..done_from]) {
                    let v = interpolate(abc);
                    // Both sides computed first: a select, not a branch (the
                    // spline overshoots below 0 irregularly).
                    let weighted = (v as f64 * w) as f32;
                    *o = if v > 0.0 { weighted } else { 0.0 };
                }
            } else {
                for (o, &abc) in points {
                    *o = interpolate(abc);
                }
            }
            done_from = first;
        }
    }

    /// Octave position (log2 Hz) of source bin `i` (bin 0 extrapolated).
    pub fn source_octave(&self, i: usize) -> f64 {
        self.f_t[i]
    }
}

/// Bin spacing in Hz exactly as `cSpecScale` derives it: the FFT level's
/// `frameSizeSec` (frame samples · T scaled by `n_fft / frame_len` in
/// `cTransformFFT::configureWriter`), rounded to `f32` in
/// `cSpecScale::setupNewNames`, inverted in `f64`.
pub fn opensmile_bin_hz(sample_rate_hz: u32, frame_len: usize, n_fft: usize) -> f64 {
    let t = 1.0 / sample_rate_hz as f64;
    let frame_size_sec = frame_len as f64 * t;
    let fft_size_sec =
        if frame_len == n_fft { frame_size_sec } else { frame_size_sec * (n_fft as f64 / frame_len as f64) };
    1.0 / (fft_size_sec as f32) as f64
}

/// `smileDsp_specEnhanceSHS`: zero every bin more than two bins away from a
/// local maximum, between consecutive maxima. Quirk kept: with exactly one
/// maximum openSMILE reads the (zeroed) second slot of its peak list, so all
/// bins from index 3 upwards are cleared.
///
/// openSMILE lists the maxima, then clears `[p + 3, q − 3]` between each
/// consecutive pair `p < q`. With two or more maxima that clears exactly the
/// bins between the first and the last maximum that have no maximum within
/// two bins, which is computed here without data-dependent branches (a
/// spectrum's maxima are irregular, and mispredicted branches made this step
/// half of the octave scaling's time). `is_max`: workspace of `a.len() + 4`.
fn enhance_peaks(a: &mut [f64], is_max: &mut [u8]) {
    let n = a.len();
    if n < 2 {
        return;
    }
    // is_max[i + 2] flags a[i]; two zeros of padding at each end.
    let flags = &mut is_max[..n + 4];
    flags[..2].fill(0);
    flags[n + 2..].fill(0);
    flags[2] = u8::from(a[0] > a[1]);
    for (f, w) in flags[3..n + 1].iter_mut().zip(a.windows(3)) {
        *f = u8::from(w[1] > w[0]) & u8::from(w[1] >= w[2]);
    }
    flags[n + 1] = u8::from(a[n - 1] > a[n - 2]);
    let flags = &flags[..];
    let n_max: usize = flags.iter().map(|&f| f as usize).sum();
    match n_max {
        0 => {}
        // posmax[1] is 0 in openSMILE (calloc'ed, never written).
        1 => a[3.min(n)..].fill(0.0),
        _ => {
            let first = flags.iter().position(|&f| f != 0).unwrap_or(2) - 2;
            let last = flags.iter().rposition(|&f| f != 0).unwrap_or(2) - 2;
            // Bin j keeps its value iff a maximum lies in [j − 2, j + 2],
            // i.e. among flags[j..j + 5]; otherwise it becomes +0.0 (a bit
            // mask, so the loop has no branch and vectorises).
            for (v, w) in a[first..=last].iter_mut().zip(flags[first..last + 5].windows(5)) {
                let near = w[0] | w[1] | w[2] | w[3] | w[4];
                let keep = u64::from(near != 0).wrapping_neg();
                *v = f64::from_bits(v.to_bits() & keep);
            }
        }
    }
}

/// `smileDsp_specSmoothSHS`: in-place `(a[i−1] + 2a[i] + a[i+1]) / 4` with
/// `a[−1] = 0`; the last bin is left unchanged.
fn smooth_121(a: &mut [f64]) {
    let mut aim1 = 0.0;
    for i in 0..a.len().saturating_sub(1) {
        let ai = a[i];
        a[i] = (aim1 + 2.0 * ai + a[i + 1]) / 4.0;
        aim1 = ai;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_spacing_matches_opensmile_rounding() {
        let hz = opensmile_bin_hz(22_050, 1323, 2048);
        // 22050/2048 = 10.7666…; the f32 rounding of 2048/22050 moves it by < 1e-6 relative.
        assert!((hz - 22_050.0 / 2048.0).abs() < 1e-5 * hz, "{hz}");
    }

    #[test]
    fn axis_spans_min_f_to_nyquist() {
        let s = SpecScale::new(SpecScaleConfig::EGEMAPS, 1025, 22_050.0 / 2048.0);
        let ax = s.axis();
        assert!((ax.min_octave - 25f64.log2()).abs() < 1e-12);
        assert!((ax.max_f_hz - 11_025.0).abs() < 1e-9);
        assert!((ax.n_octaves - (11_025.0f64 / 25.0).log2()).abs() < 1e-12);
        // Bin 0 sits one octave below bin 1 (openSMILE's heuristic for DC).
        assert!((s.source_octave(0) - (s.source_octave(1) - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn single_peak_quirk_clears_from_bin_three() {
        let mut a = vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 9.0, 5.0, 4.0, 3.0];
        let mut ws = vec![0; a.len() + 4];
        enhance_peaks(&mut a, &mut ws);
        assert_eq!(a, vec![0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn two_peaks_clear_the_valley_only() {
        let mut a = vec![0.0, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 6.0, 0.0];
        let mut ws = vec![0; a.len() + 4];
        enhance_peaks(&mut a, &mut ws);
        // Peaks at 1 and 8: bins 4..=5 are cleared.
        assert_eq!(a, vec![0.0, 5.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 6.0, 0.0]);
    }

    #[test]
    fn smoothing_is_121() {
        let mut a = vec![4.0, 8.0, 0.0, 4.0];
        smooth_121(&mut a);
        assert_eq!(a, vec![4.0, 5.0, 3.0, 4.0]);
    }

    #[test]
    fn spline_reproduces_a_line_inside_the_range() {
        // A spectrum linear in the octave position is interpolated exactly
        // (natural cubic spline of a line), before the auditory weighting.
        let cfg =
            SpecScaleConfig { min_f_hz: 25.0, spec_enhance: false, spec_smooth: false, auditory_weighting: false };
        let bin_hz = 22_050.0 / 2048.0;
        let mut s = SpecScale::new(cfg, 1025, bin_hz);
        let mag: Vec<f32> = (0..1025).map(|i| s.source_octave(i) as f32).collect();
        let mut out = vec![0.0; 1025];
        s.process(&mag, &mut out);
        let ax = *s.axis();
        let step = (ax.max_octave - ax.min_octave) / 1024.0;
        for (i, &o) in out.iter().enumerate() {
            let x = ax.min_octave + i as f64 * step;
            // f32 inputs: 1e-5 absolute on values ~5–14.
            assert!((o as f64 - x).abs() < 1e-4, "{i}: {o} vs {x}");
        }
    }

    /// openSMILE's smileDsp_specEnhanceSHS in its own shape (peak list, then
    /// clearing between consecutive peaks), the reference for `enhance_peaks`.
    fn enhance_peaks_reference(a: &mut [f64], posmax: &mut [usize]) {
        let n = a.len();
        if n < 2 {
            return;
        }
        let mut nmax = 0usize;
        if a[0] > a[1] {
            posmax[nmax] = 0;
            nmax += 1;
        }
        for i in 1..n - 1 {
            if a[i] > a[i - 1] && a[i] >= a[i + 1] {
                posmax[nmax] = i;
                nmax += 1;
            }
        }
        if a[n - 1] > a[n - 2] {
            posmax[nmax] = n - 1;
            nmax += 1;
        }
        if nmax == 1 {
            // posmax[1] is 0 in openSMILE (calloc'ed, never written).
            a[3.min(n)..].iter_mut().for_each(|v| *v = 0.0);
        } else {
            for i in 1..nmax {
                let (lo, hi) = (posmax[i - 1] + 3, posmax[i] as isize - 3);
                if hi >= lo as isize {
                    a[lo..=hi as usize].iter_mut().for_each(|v| *v = 0.0);
                }
            }
        }
    }

    #[test]
    fn branch_free_enhancement_equals_opensmiles_peak_list() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(23);
        let mut cases: Vec<Vec<f64>> = vec![
            vec![1.0, 2.0],
            vec![2.0, 1.0],
            vec![1.0, 1.0, 1.0],
            vec![3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0],
            vec![0.0; 9],
            (0..20).map(|i| i as f64).collect(),
        ];
        for n in [3usize, 4, 6, 9, 40, 1025] {
            for _ in 0..200 {
                // Quantised values so that plateaus (equal neighbours) occur.
                let levels = rng.random_range(2..6);
                cases.push((0..n).map(|_| rng.random_range(0..levels) as f64).collect());
                cases.push((0..n).map(|_| rng.random_range(0.0..1.0f64).powi(4)).collect());
            }
        }
        for case in cases {
            let (mut got, mut want) = (case.clone(), case.clone());
            enhance_peaks(&mut got, &mut vec![0; case.len() + 4]);
            enhance_peaks_reference(&mut want, &mut vec![0; case.len() / 2 + 2]);
            assert_eq!(got, want, "input {case:?}");
        }
    }
}
