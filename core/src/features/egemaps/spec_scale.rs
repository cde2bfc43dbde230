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

use crate::dsp::simd::{self, SimdLevel};

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
    /// `g` in the order of the backward sweep: `g_rev[s] = g[n − 2 − s]`.
    g_rev: Vec<f64>,
    /// `smileMath_csplint_init` cache plus the auditory weight, per target point.
    targets: Vec<Target>,
    /// How the forward (`n − 2` steps) and backward (`n − 1` steps) sweeps
    /// split into chains; `None`: too short to split.
    forward: Option<Chains>,
    backward: Option<Chains>,
    // Per-frame workspace.
    y: Vec<f64>,
    smoothed: Vec<f64>,
    /// `6·ut_i` of the forward sweep, by step.
    rhs: Vec<f64>,
    /// Forward sweep output by step (`u[s + 1]`), then reversed for the backward sweep.
    u_fwd: Vec<f64>,
    u_rev: Vec<f64>,
    /// Second derivatives in the order of the backward sweep: `y2_rev[k] = y2[n − 1 − k]`.
    y2_rev: Vec<f64>,
    flags: Vec<u64>,
    /// Chain outputs, [`LANES`] blocks of the longer sweep's chain length.
    lanes_out: Vec<f64>,
    simd: SimdLevel,
}

/// One target point of the octave axis: its source interval
/// `[j, j + 1]` (openSMILE's `klo`, `khi`), `jr = n − 2 − j` (the same
/// interval in the backward sweep's order), the spline weights of
/// `smileMath_csplint` (`a`, `b = 1 − a`, `c = (a³ − a)·h²/6`,
/// `d = (b³ − b)·h²/6`) and the auditory weight `w` (1 without weighting).
#[derive(Debug, Clone, Copy)]
struct Target {
    j: u32,
    jr: u32,
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    w: f64,
}

/// Independent chains each spline sweep is split into.
const LANES: usize = 4;

/// Steps a chain runs from an arbitrary start before its values are used.
///
/// Both sweeps contract: an error in `u_{i−1}` reaches `u_i` multiplied by
/// `p_i·σ_i`, an error in `y2_{j+1}` reaches `y2_j` multiplied by `g_j`, and
/// on the octave axis of any FFT size `|p_i·σ_i| ≤ 0.35`, `|g_j| ≤ 0.27`
/// (both tend to 2 − √3 ≈ 0.268, the value of a uniform grid). After 64
/// steps a wrong start is damped by 0.35⁶⁴ < 1e-29, far below the f64
/// rounding of anything a spectrum (which spans far less than 1e13) can put
/// into the chain, so a chain started from zero 64 steps early joins the
/// serial sweep within rounding. Checked in the tests against the serial
/// sweep; the raw LLDs of all golden audio are unchanged by it.
const WARMUP: usize = 64;

/// A first-order recurrence of `n` steps split into [`LANES`] chains of
/// `len` steps that run interleaved, because one serial chain is bound by
/// its per-step latency (three dependent operations), not by its
/// instructions. Chain 0 starts at step 0 from the true initial value and
/// owns steps `0..own[1]`; chain `b > 0` starts at `start[b]` from zero and
/// owns `own[b]..own[b + 1]`, at least [`WARMUP`] steps after its start.
#[derive(Debug, Clone, Copy)]
struct Chains {
    len: usize,
    start: [usize; LANES],
    own: [usize; LANES + 1],
}

impl Chains {
    /// The split of `n` steps, `None` if the chains would not be shorter
    /// than the warm-up plus a little.
    fn new(n: usize) -> Option<Self> {
        // LANES·len − (LANES − 1)·WARMUP ≥ n.
        let len = (n + (LANES - 1) * WARMUP).div_ceil(LANES);
        if len < WARMUP + 16 || len >= n {
            return None;
        }
        let mut start = [0; LANES];
        let mut own = [0; LANES + 1];
        for b in 1..LANES {
            own[b] = b * (len - WARMUP) + WARMUP;
            start[b] = own[b] - WARMUP;
        }
        // The last chain ends at n exactly (its warm-up grows by < LANES).
        start[LANES - 1] = n - len;
        own[LANES] = n;
        Some(Self { len, start, own })
    }
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
        let n_octaves = (max_f / min_f).ln() / 2f64.ln();
        let points_per_octave = n_target as f64 / n_octaves;
        let atan_s = points_per_octave * log2(65.0 / 50.0) - 1.0;
        let mut targets = Vec::with_capacity(n_target);
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
            let w = if config.auditory_weighting {
                0.5 + (3.0 * ((i + 1) as f64 - atan_s) / points_per_octave).atan() / std::f64::consts::PI
            } else {
                1.0
            };
            targets.push(Target {
                j: kl as u32,
                jr: (n_mag - 2 - kl) as u32,
                a,
                b,
                c: (a * a * a - a) * range2,
                d: (b * b * b - b) * range2,
                w,
            });
        }
        let g_rev = (0..n_mag - 1).map(|s| spline_g[n_mag - 2 - s]).collect();
        let (forward, backward) = (Chains::new(n_mag - 2), Chains::new(n_mag - 1));
        let lanes_len = backward.map_or(0, |c| c.len);

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
            g_rev,
            targets,
            forward,
            backward,
            y: vec![0.0; n_mag],
            smoothed: vec![0.0; n_mag],
            rhs: vec![0.0; n_mag],
            u_fwd: vec![0.0; n_mag],
            u_rev: vec![0.0; n_mag],
            y2_rev: vec![0.0; n_mag],
            flags: vec![0; n_mag + 4],
            lanes_out: vec![0.0; LANES * lanes_len.max(forward.map_or(0, |c| c.len))],
            simd: SimdLevel::detect(),
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
        let n = self.n_mag;
        prepare(
            self.simd,
            &mag[..n],
            self.config,
            &mut self.y,
            &mut self.smoothed,
            &mut self.flags,
            (&self.diff1, &self.diff2),
            &mut self.rhs,
        );
        if self.config.spec_smooth {
            std::mem::swap(&mut self.y, &mut self.smoothed);
        }
        self.spline();
        self.interpolate(out);
    }

    /// `smileMath_cspline` with natural boundary conditions (`y1p = ynp =
    /// 1e30`): the second derivatives of the spline through `y`, into
    /// `y2_rev`.
    ///
    /// openSMILE's tridiagonal solve is two serial recurrences with the
    /// operations kept here: forward `u_i = p_i·(6·ut_i − σ_i·u_{i−1})`
    /// (`u_0 = 0`) and backward `y2_j = g_j·y2_{j+1} + u_j` (`y2_{n−1}` from
    /// `qn = un = 0`). The pivots `p`, `g` depend only on the axis and come
    /// from `new`, the `6·ut_i` from [`prepare`]; each sweep runs as
    /// interleaved [`Chains`]. The backward sweep runs in step order
    /// `s = n − 2 − j`, so it reads the forward output reversed.
    fn spline(&mut self) {
        let n = self.n_mag;
        // Forward: step s gives u[s + 1] from p[s + 1], σ[s + 1], rhs[s].
        let (p, sigma) = (&self.spline_p[1..n - 1], &self.sigma[1..n - 1]);
        let u_fwd = &mut self.u_fwd[..n - 2];
        run_chains(self.forward, 0.0, (p, sigma, &self.rhs[..n - 2]), &mut self.lanes_out, u_fwd, |p, sigma, r, u| {
            p * (r - sigma * u)
        });
        // u_rev[s] = u[n − 2 − s]; u[0] = 0.
        let u_rev = &mut self.u_rev[..n - 1];
        for (d, &v) in u_rev[..n - 2].iter_mut().rev().zip(u_fwd.iter()) {
            *d = v;
        }
        u_rev[n - 2] = 0.0;
        let (qn, un) = (0.0, 0.0);
        let last = (un - qn * self.u_fwd[n - 3]) / (qn * self.spline_g[n - 2] + 1.0);
        // Backward: step s gives y2[n − 2 − s] = y2_rev[s + 1].
        let (first, rest) = self.y2_rev.split_at_mut(1);
        first[0] = last;
        let g_rev = &self.g_rev[..n - 1];
        run_chains(
            self.backward,
            last,
            (g_rev, &self.u_rev[..n - 1], g_rev),
            &mut self.lanes_out,
            &mut rest[..n - 1],
            |g, u, _, y2| g * y2 + u,
        );
    }

    /// `smileMath_csplint` at every target point from the spline of
    /// [`spline`](Self::spline), rounded to f32 (the level's `FLOAT_DMEM`),
    /// then the auditory weighting (in f64, of positive values; others
    /// become 0).
    fn interpolate(&self, out: &mut [f32]) {
        let n = self.n_mag;
        let (y, y2_rev) = (&self.y[..n], &self.y2_rev[..n]);
        let points = out.iter_mut().zip(&self.targets);
        if self.config.auditory_weighting {
            for (o, t) in points {
                let v = csplint(t, y, y2_rev);
                // Both sides computed first: a select, not a branch (the
                // spline overshoots below 0 irregularly).
                let weighted = (v as f64 * t.w) as f32;
                *o = if v > 0.0 { weighted } else { 0.0 };
            }
        } else {
            for (o, t) in points {
                *o = csplint(t, y, y2_rev);
            }
        }
    }

    /// Octave position (log2 Hz) of source bin `i` (bin 0 extrapolated).
    pub fn source_octave(&self, i: usize) -> f64 {
        self.f_t[i]
    }
}

/// `smileMath_csplint` at target `t`: `a·y_j + b·y_{j+1} + c·y2_j +
/// d·y2_{j+1}` in that order, rounded to f32. `y2_rev[k] = y2[n − 1 − k]`.
#[inline(always)]
fn csplint(t: &Target, y: &[f64], y2_rev: &[f64]) -> f32 {
    // The indices are below n − 1 by construction; the min lets the
    // compiler drop the bounds checks.
    let last = y.len().saturating_sub(2);
    let (j, jr) = ((t.j as usize).min(last), (t.jr as usize).min(last));
    (t.a * y[j] + t.b * y[j + 1] + t.c * y2_rev[jr + 1] + t.d * y2_rev[jr]) as f32
}

/// Runs `x_{s+1} = step(i0[s], i1[s], i2[s], x_s)` for `s = 0..out.len()`
/// from `x_0 = init`, writing `x_{s+1}` to `out[s]`: serially, or as the
/// interleaved [`Chains`] `chains` (`lanes`: workspace of `LANES·len`).
fn run_chains(
    chains: Option<Chains>,
    init: f64,
    (i0, i1, i2): (&[f64], &[f64], &[f64]),
    lanes: &mut [f64],
    out: &mut [f64],
    step: impl Fn(f64, f64, f64, f64) -> f64,
) {
    let n = out.len();
    let Some(Chains { len, start, own }) = chains else {
        let mut x = init;
        for (((o, &a), &b), &c) in out.iter_mut().zip(&i0[..n]).zip(&i1[..n]).zip(&i2[..n]) {
            x = step(a, b, c, x);
            *o = x;
        }
        return;
    };
    let i0: [&[f64]; LANES] = std::array::from_fn(|b| &i0[start[b]..start[b] + len]);
    let i1: [&[f64]; LANES] = std::array::from_fn(|b| &i1[start[b]..start[b] + len]);
    let i2: [&[f64]; LANES] = std::array::from_fn(|b| &i2[start[b]..start[b] + len]);
    let (l0, rest) = lanes.split_at_mut(len);
    let (l1, rest) = rest.split_at_mut(len);
    let (l2, rest) = rest.split_at_mut(len);
    let lane_out = [l0, l1, l2, &mut rest[..len]];
    let mut x = [init, 0.0, 0.0, 0.0];
    for t in 0..len {
        for b in 0..LANES {
            x[b] = step(i0[b][t], i1[b][t], i2[b][t], x[b]);
            lane_out[b][t] = x[b];
        }
    }
    for b in 0..LANES {
        out[own[b]..own[b + 1]].copy_from_slice(&lane_out[b][own[b] - start[b]..own[b + 1] - start[b]]);
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn prepare_body(
    mag: &[f32],
    config: SpecScaleConfig,
    y: &mut [f64],
    smoothed: &mut [f64],
    flags: &mut [u64],
    (diff1, diff2): (&[f64], &[f64]),
    rhs: &mut [f64],
) {
    let n = mag.len();
    let y = &mut y[..n];
    for (y, &m) in y.iter_mut().zip(mag) {
        *y = m as f64;
    }
    if config.spec_enhance {
        enhance_peaks(y, flags);
    }
    let y: &[f64] = if config.spec_smooth {
        smooth_121(y, &mut smoothed[..n]);
        &smoothed[..n]
    } else {
        y
    };
    // 6·ut_i for i = 1..n−1, stored at i − 1.
    let diffs = diff1[1..n - 1].iter().zip(&diff2[1..n - 1]);
    let (l, m, r) = (&y[..n - 2], &y[1..n - 1], &y[2..]);
    for ((((o, &l), &m), &r), (&d1, &d2)) in rhs[..n - 2].iter_mut().zip(l).zip(m).zip(r).zip(diffs) {
        let ut = (r - m) / d1 - (m - l) / d2;
        *o = 6.0 * ut;
    }
}

simd::dispatch! {
    /// The element-wise part of `cSpecScale::processVector` before the
    /// spline: `mag` to f64 into `y`, `smileDsp_specEnhanceSHS` (in place)
    /// and `smileDsp_specSmoothSHS` (into `smoothed`) as configured, and the
    /// spline's `6·ut_i` (two divisions each) into `rhs`. Element-wise and
    /// exact per element, so every instruction set gives the same bits.
    fn prepare = prepare_body(
        mag: &[f32],
        config: SpecScaleConfig,
        y: &mut [f64],
        smoothed: &mut [f64],
        flags: &mut [u64],
        diffs: (&[f64], &[f64]),
        rhs: &mut [f64]
    ) -> ()
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
/// spectrum's maxima are irregular; mispredicted branches made this step
/// half of the octave scaling's time): `flags[i + 2]` is an all-ones mask
/// where `a[i]` is a maximum, so a bin keeps its bits under the OR of the
/// five masks around it. `flags`: workspace of `a.len() + 4`.
#[inline(always)]
fn enhance_peaks(a: &mut [f64], flags: &mut [u64]) {
    let n = a.len();
    if n < 2 {
        return;
    }
    let mask = |c: bool| 0u64.wrapping_sub(u64::from(c));
    // Two zero masks of padding at each end.
    let flags = &mut flags[..n + 4];
    flags[..2].fill(0);
    flags[n + 2..].fill(0);
    flags[2] = mask(a[0] > a[1]);
    let (left, mid, right) = (&a[..n - 2], &a[1..n - 1], &a[2..]);
    for (((f, &l), &m), &r) in flags[3..n + 1].iter_mut().zip(left).zip(mid).zip(right) {
        *f = mask(m > l) & mask(m >= r);
    }
    flags[n + 1] = mask(a[n - 1] > a[n - 2]);
    let flags = &flags[..];
    let Some(first) = flags.iter().position(|&f| f != 0) else {
        return;
    };
    let last = flags.iter().rposition(|&f| f != 0).unwrap_or(first);
    if first == last {
        // One maximum: posmax[1] is 0 in openSMILE (calloc'ed, never written).
        a[3.min(n)..].fill(0.0);
        return;
    }
    // Bin j (flag j + 2) keeps its value iff a maximum lies in [j − 2, j + 2],
    // i.e. among flags[j..j + 5]; otherwise it becomes +0.0.
    let (first, last) = (first - 2, last - 2);
    let f = &flags[first..last + 5];
    let near = f.iter().zip(&f[1..]).zip(&f[2..]).zip(&f[3..]).zip(&f[4..]);
    for (v, ((((&f0, &f1), &f2), &f3), &f4)) in a[first..=last].iter_mut().zip(near) {
        *v = f64::from_bits(v.to_bits() & (f0 | f1 | f2 | f3 | f4));
    }
}

/// `smileDsp_specSmoothSHS`: `(a[i−1] + 2a[i] + a[i+1]) / 4` with
/// `a[−1] = 0`; the last bin is left unchanged. openSMILE works in place
/// with a carried copy of the old `a[i−1]`, which is the same as reading
/// the unchanged input; out of place the loop vectorises. `out`: same length.
#[inline(always)]
fn smooth_121(a: &[f64], out: &mut [f64]) {
    let n = a.len();
    if n < 2 {
        out[..n].copy_from_slice(a);
        return;
    }
    out[0] = (0.0 + 2.0 * a[0] + a[1]) / 4.0;
    let (left, mid, right) = (&a[..n - 2], &a[1..n - 1], &a[2..]);
    for (((o, &l), &m), &r) in out[1..n - 1].iter_mut().zip(left).zip(mid).zip(right) {
        *o = (l + 2.0 * m + r) / 4.0;
    }
    out[n - 1] = a[n - 1];
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
        let a = vec![4.0, 8.0, 0.0, 4.0];
        let mut out = vec![0.0; 4];
        smooth_121(&a, &mut out);
        assert_eq!(out, vec![4.0, 5.0, 3.0, 4.0]);
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

    #[test]
    fn chains_cover_every_step_after_their_warmup() {
        for n in 1..3000 {
            let Some(Chains { len, start, own }) = Chains::new(n) else {
                continue;
            };
            assert_eq!((own[0], own[LANES], start[0]), (0, n, 0), "n {n}");
            for b in 0..LANES {
                assert!(own[b] < own[b + 1], "n {n}: chain {b} owns nothing");
                assert!(start[b] + len >= own[b + 1] && start[b] + len <= n, "n {n}: chain {b}");
                assert!(b == 0 || own[b] - start[b] >= WARMUP, "n {n}: chain {b} used too early");
            }
        }
        assert!(Chains::new(1023).is_some() && Chains::new(255).is_some());
    }

    /// openSMILE's smileMath_cspline as one serial sweep, from the spline
    /// input `y` (after enhancement and smoothing).
    fn spline_reference(s: &SpecScale) -> Vec<f64> {
        let n = s.n_mag;
        let (x, y) = (&s.f_t, &s.y);
        let mut u = vec![0.0; n];
        let mut y2 = vec![0.0; n];
        for i in 1..n - 1 {
            let sig = (x[i] - x[i - 1]) / (x[i + 1] - x[i - 1]);
            let p = sig * y2[i - 1] + 2.0;
            y2[i] = (sig - 1.0) / p;
            u[i] = (y[i + 1] - y[i]) / (x[i + 1] - x[i]) - (y[i] - y[i - 1]) / (x[i] - x[i - 1]);
            u[i] = (6.0 * u[i] / (x[i + 1] - x[i - 1]) - sig * u[i - 1]) / p;
        }
        y2[n - 1] = 0.0;
        for k in (0..n - 1).rev() {
            y2[k] = y2[k] * y2[k + 1] + u[k];
        }
        y2
    }

    #[test]
    fn chained_sweeps_equal_the_serial_spline() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for (sr, n_fft) in [(22_050u32, 2048usize), (8_000, 512), (48_000, 4096)] {
            let bin_hz = opensmile_bin_hz(sr, (0.06 * sr as f64) as usize, n_fft);
            let n = n_fft / 2 + 1;
            let mut s = SpecScale::new(SpecScaleConfig::EGEMAPS, n, bin_hz);
            assert!(s.forward.is_some() && s.backward.is_some(), "the sweeps are split at n = {n}");
            let mut out = vec![0.0f32; n];
            for trial in 0..20 {
                // Peaky spectra over 6 decades, with the enhancement's zero runs.
                let mag: Vec<f32> =
                    (0..n).map(|_| 10f32.powf(rng.random_range(-3.0..3.0)) * rng.random_range(0.0..1.0f32)).collect();
                s.process(&mag, &mut out);
                let want = spline_reference(&s);
                let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (j, &w) in want.iter().enumerate() {
                    let g = s.y2_rev[n - 1 - j];
                    // The reference divides where openSMILE (and we) multiply
                    // by a cached reciprocal pivot: a few ulp of the largest value.
                    assert!((g - w).abs() <= 1e-14 * scale, "sr {sr} trial {trial} j {j}: {g} vs {w}");
                }
            }
        }
    }

    #[test]
    fn every_instruction_set_prepares_the_same_bits() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        let s = SpecScale::new(SpecScaleConfig::EGEMAPS, 1025, 22_050.0 / 2048.0);
        let mag: Vec<f32> = (0..1025).map(|_| rng.random_range(0.0..1.0f32).powi(3) * 100.0).collect();
        let run = |level: SimdLevel| {
            let (mut y, mut sm, mut fl, mut rhs) = (vec![0.0; 1025], vec![0.0; 1025], vec![0; 1029], vec![0.0; 1025]);
            prepare(level, &mag, s.config, &mut y, &mut sm, &mut fl, (&s.diff1, &s.diff2), &mut rhs);
            (y, sm, rhs)
        };
        let want = run(SimdLevel::Portable);
        for level in SimdLevel::available() {
            let got = run(level);
            let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same(&got.0, &want.0) && same(&got.1, &want.1) && same(&got.2, &want.2), "{level:?}");
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
