//! `pitch`: dominant fundamental frequency of the mix, in Hz, following
//! MIRToolbox's `mirpitch` (default 'Autocor' method: generalised,
//! enhanced autocorrelation; range 'Min' 75 Hz … 'Max' 2400 Hz).
//!
//! Per 10 ms frame, from the shared 60 ms Gaussian spectrum (`spec60`,
//! 2048-point FFT at 22 050 Hz; the 60 ms frame holds 4.5 periods at 75 Hz):
//! 1. generalised autocorrelation `r = IFFT(|X|^k)` with `k = COMPRESS = 0.5`
//!    (`mirpitch`'s 'Compress' default; Tolonen & Karjalainen 2000), taken over
//!    the bins below `sr/4` (5.5 kHz), i.e. a 1024-point inverse FFT with lag
//!    resolution 2 samples (an inverse transform, not a second STFT);
//! 2. normalised by `r[0]` and divided by the same transform of the window
//!    (Boersma 1993's correction of the window's lag taper);
//! 3. enhanced (`mirautocor 'Enhanced' 2:10`, see [`super::autocor::enhance`]);
//! 4. the highest local maximum between the lags of 2400 Hz and 75 Hz, refined
//!    by a parabola, gives f0; the frame counts as pitched when the
//!    normalised (un-enhanced) autocorrelation there reaches `VOICING`.
//!
//! Simplifications against `mirpitch`: no two-channel filterbank split at
//! 1 kHz; f0 on every fourth frame only (`DECIMATION`, a 40 ms hop). Step value: mean f0 (Hz) over the pitched frames of the step
//! window; 0 when no frame in it is pitched (silence, noise).

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner};

use super::autocor::{enhance, parabolic_offset};
use super::ring::{weighted_mean, Ring, Weighted};

/// Magnitude exponent of the generalised autocorrelation (`mirpitch` 'Compress').
pub const COMPRESS: f32 = 0.5;
/// Lowest f0 reported, Hz (`mirpitch` 'Min').
pub const MIN_F0_HZ: f64 = 75.0;
/// Highest f0 reported, Hz (`mirpitch` 'Max').
pub const MAX_F0_HZ: f64 = 2400.0;
/// Normalised autocorrelation a frame needs at its best lag to count as pitched.
/// Chosen so white noise stays unpitched and a 220 Hz tone in 20 dB of noise is pitched.
pub const VOICING: f32 = 0.4;
/// f0 is estimated on every `DECIMATION`-th frame (a 40 ms hop; the 60 ms
/// frames still overlap): the step value is a mean over 1 s, which 25
/// estimates pin down, and the per-frame autocorrelation with its
/// enhancement is the most expensive part of the MIR set.
pub const DECIMATION: u64 = 4;
/// Largest stretch factor of the enhancement (`mirpitch` 'Enhanced' 2:10).
const ENHANCE_MAX: usize = 10;

/// `m^COMPRESS`; a square root for the default exponent (several times
/// cheaper than `powf`, and this runs on 513 bins per frame).
#[inline]
fn compress(m: f32) -> f32 {
    if COMPRESS == 0.5 {
        m.sqrt()
    } else {
        m.powf(COMPRESS)
    }
}

/// Per-frame f0 tracker with its per-frame history.
pub(crate) struct Pitch {
    sample_rate_hz: f64,
    /// Lag (samples) of one step of the decimated autocorrelation.
    lag_samples: f64,
    plan: Arc<dyn ComplexToReal<f32>>,
    spec: Vec<Complex32>,
    acf: Vec<f32>,
    scratch: Vec<Complex32>,
    /// Normalised generalised autocorrelation of the window, lags 0..=lag_max+1.
    win_acf: Vec<f32>,
    norm: Vec<f32>,
    enh: Vec<f32>,
    lag_min: usize,
    lag_max: usize,
    history: Ring<Weighted>,
}

impl std::fmt::Debug for Pitch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pitch").field("lag_min", &self.lag_min).field("lag_max", &self.lag_max).finish()
    }
}

impl Pitch {
    /// A tracker for `spec60` spectra of `n_fft60` points whose window
    /// magnitude spectrum (same padding) is `window_mag`; keeps `history`
    /// frames.
    pub(crate) fn new(sample_rate_hz: u32, n_fft60: usize, window_mag: &[f32], history: usize) -> Self {
        let n_ifft = (n_fft60 / 2).max(4);
        let n_bins = n_ifft / 2 + 1;
        let plan = RealFftPlanner::<f32>::new().plan_fft_inverse(n_ifft);
        let lag_samples = n_fft60 as f64 / n_ifft as f64;
        let sr = sample_rate_hz as f64;
        let lag_min = ((sr / MAX_F0_HZ / lag_samples).floor() as usize).max(2);
        let lag_max = ((sr / MIN_F0_HZ / lag_samples).ceil() as usize).min(n_ifft / 2 - 2).max(lag_min + 1);
        let mut me = Self {
            sample_rate_hz: sr,
            lag_samples,
            spec: plan.make_input_vec(),
            acf: plan.make_output_vec(),
            scratch: plan.make_scratch_vec(),
            plan,
            win_acf: vec![1.0; lag_max + 2],
            norm: vec![0.0; lag_max + 2],
            enh: vec![0.0; lag_max + 2],
            lag_min,
            lag_max,
            history: Ring::new(history),
        };
        debug_assert_eq!(me.spec.len(), n_bins);
        if me.generalised_acf(window_mag) {
            let r0 = me.acf[0];
            for (w, &a) in me.win_acf.iter_mut().zip(&me.acf) {
                // Floor keeps the division bounded where the window's taper is deep.
                *w = (a / r0).max(0.05);
            }
        }
        me
    }

    /// `acf ← IFFT(|mag|^COMPRESS)` over the low half of the bins; false when
    /// the spectrum carries no energy.
    fn generalised_acf(&mut self, mag: &[f32]) -> bool {
        let n = self.spec.len();
        if mag.len() < n {
            return false;
        }
        for (s, &m) in self.spec.iter_mut().zip(&mag[..n]) {
            let v = if m.is_finite() && m > 0.0 { compress(m) } else { 0.0 };
            *s = Complex32::new(v, 0.0);
        }
        if self.plan.process_with_scratch(&mut self.spec, &mut self.acf, &mut self.scratch).is_err() {
            return false;
        }
        self.acf[0] > 0.0 && self.acf[0].is_finite()
    }

    /// f0 of one frame in Hz, or `None` when unpitched.
    pub(crate) fn frame_f0(&mut self, mag60: &[f32]) -> Option<f32> {
        if !self.generalised_acf(mag60) {
            return None;
        }
        let r0 = self.acf[0];
        for ((n, &a), &w) in self.norm.iter_mut().zip(&self.acf).zip(&self.win_acf) {
            *n = a / r0 / w;
        }
        self.enh.copy_from_slice(&self.norm);
        enhance(&mut self.enh, ENHANCE_MAX);
        let mut best = None::<(usize, f32)>;
        for tau in self.lag_min..=self.lag_max {
            let v = self.enh[tau];
            if v > self.enh[tau - 1] && v >= self.enh[tau + 1] && best.is_none_or(|(_, b)| v > b) {
                best = Some((tau, v));
            }
        }
        let (tau, _) = best?;
        // NaN fails the comparison and counts as unpitched.
        let voiced = self.norm[tau] >= VOICING;
        if !voiced {
            return None;
        }
        let lag = (tau as f32 + parabolic_offset(&self.enh, tau)) as f64 * self.lag_samples;
        let f0 = (self.sample_rate_hz / lag) as f32;
        (f0.is_finite() && (MIN_F0_HZ as f32 * 0.9..=MAX_F0_HZ as f32 * 1.1).contains(&f0)).then_some(f0)
    }

    /// Processes frame `index` (`None`: no 60 ms spectrum or a silent
    /// frame). Only every `DECIMATION`-th frame is analysed; the others are
    /// recorded as undefined.
    pub(crate) fn push(&mut self, index: u64, mag60: Option<&[f32]>) {
        let mag60 = mag60.filter(|_| index % DECIMATION == 0);
        let v = match mag60.and_then(|m| self.frame_f0(m)) {
            Some(f0) => Weighted::some(f0),
            None => Weighted::NONE,
        };
        self.history.push(v);
    }

    /// Mean f0 (Hz) over the pitched frames among the last `n`; 0 if none.
    pub(crate) fn summary(&self, n: usize) -> f32 {
        weighted_mean(&self.history, n)
    }

    pub(crate) fn clear(&mut self) {
        self.history.clear();
    }
}
