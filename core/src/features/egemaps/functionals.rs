//! The 88 eGeMAPS v02 functionals over a sequence of [`SmoothedLlds`] rows,
//! at parity with openSMILE 3.0.2 (`egemaps/v02/eGeMAPSv02_core.func.conf.inc`
//! and `gemaps/v01b/GeMAPSv01b_core.func.conf.inc`, joined by `funcconcat`
//! in `eGeMAPSv02.conf`).
//!
//! Every `cFunctionals` instance reads its own level, so the groups run over
//! different rows of a file (offline, `n25`/`n60` short/long frames, see
//! [`super::smoothing`]):
//!
//! | outputs | openSMILE instance | rows | values |
//! |---|---|---|---|
//! | 0–9 F0 | `gemapsv01b_functionalsF0` | voice rows | non-zero only (`nonZeroFuncts = 1`) |
//! | 10–19 loudness | `gemapsv01b_functionalsLoudness` | spectral rows | all |
//! | 20–29 flux, MFCC 1–4 | `egemapsv02_functionalsMVR` | spectral rows | all |
//! | 30–75 voiced sets | `egemapsv02_functionalsMVRVoiced` | voice rows | non-zero only |
//! | 76–80 unvoiced spectral | `egemapsv02_functionalsMeanUV` | voice rows | non-zero only |
//! | 81 loudness peaks/s | `gemapsv01b_temporalLoudness` | spectral rows | all |
//! | 82–86 segments | `gemapsv01b_temporalF0`, `…F0p` | voice rows | all (zeros = unvoiced) |
//! | 87 Leq | `egemapsv02_leqLin` + `egemapsv02_leq` | spectral rows | all, unsmoothed `energy_sq` |
//!
//! "Spectral rows" are rows with `energy_sq` (offline: `0..n25`, openSMILE's
//! functionals never see the padded row `n25`), "voice rows" rows whose
//! voice part is `in_functionals` (offline: `0..P`, see
//! [`super::smoothing::LldSmoother`]). In a stream every row is both.
//!
//! Each functional follows its openSMILE component (files under
//! `src/functionals/`, see the submodules) including `f32`/`f64` precision.
//! When a contour has no values (no voiced frame, or no rows at all)
//! openSMILE's `cFunctionals` writes 0 for all its functionals; the same is
//! done here. (openSMILE writes no `func` row at all when an input has no
//! 60 ms frame, i.e. is shorter than 1323 samples; here the groups without
//! rows are 0 and Leq of an empty input is −120 dB, the `dBp` floor.)

mod moments;
mod peaks;
mod percentiles;
mod segments;

pub use moments::{stddev_norm, summary, Summary};
pub use peaks::{peaks2, Extremum, PeakStats};
pub use percentiles::interp_percentile;
pub use segments::{segments, SegmentClass, SegmentStats, MAX_SEGMENTS};

use super::lld::SmoothedLlds;

/// Number of functionals.
pub const N_FUNCTIONALS: usize = 88;

/// `Percentiles.percentile[0..2] = 0.20, 0.50, 0.80`.
const PERCENTILES: [f64; 3] = [0.20, 0.50, 0.80];

/// `egemapsv02_leq` (`cVectorOperation`, `operation = dBp`, default
/// `logfloor = 1e-12`; `src/other/vectorOperation.cpp`).
fn db_power(x: f32) -> f32 {
    const LOG_FLOOR: f32 = 0.000_000_000_001;
    let factor = (10.0 / std::f64::consts::LN_10) as f32;
    if x > LOG_FLOOR {
        factor * x.ln()
    } else {
        factor * LOG_FLOOR.ln()
    }
}

/// Errors of [`EgemapsFunctionals::compute`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FunctionalsError {
    /// More rows than the capacity given to [`EgemapsFunctionals::new`].
    #[error("{frames} rows exceed the functionals' capacity of {max_frames}")]
    TooManyFrames {
        /// Rows passed.
        frames: usize,
        /// Capacity.
        max_frames: usize,
    },
    /// The frame period is not a positive finite number of seconds.
    #[error("frame period {0} s is not positive and finite")]
    InvalidPeriod(f64),
}

/// Which column of a row a contour reads, and whether zeros are dropped.
#[derive(Clone, Copy)]
enum Column {
    F0,
    Loudness,
    Spectral(usize),
    /// `SmoothedVoice::lld[i]`
    VoiceLld(usize),
    FormantVoiced(usize),
    SpectralVoiced(usize),
    SpectralUnvoiced(usize),
    Energy,
}

impl Column {
    /// The value of this column in row `r`, if the openSMILE level it
    /// belongs to has the row as functionals input (module doc).
    fn get(self, r: &SmoothedLlds) -> Option<f32> {
        let voice = || r.voice.as_ref().filter(|v| v.in_functionals);
        let spectral = || r.energy_sq.map(|_| &r.spectral);
        match self {
            Column::F0 => voice().map(|v| v.f0_semitones),
            Column::Loudness => spectral().map(|s| s[0]),
            Column::Spectral(i) => spectral().map(|s| s[i]),
            Column::VoiceLld(i) => voice().map(|v| v.lld[i]),
            Column::FormantVoiced(i) => voice().map(|v| v.formants_voiced[i]),
            Column::SpectralVoiced(i) => voice().map(|v| v.spectral_voiced[i]),
            Column::SpectralUnvoiced(i) => voice().map(|v| v.spectral_unvoiced[i]),
            Column::Energy => r.energy_sq,
        }
    }
}

/// The 14 contours of `egemapsv02_lldSetNoF0AndLoudnessNz_smo` (outputs 30–57):
/// jitter, shimmer, HNR, H1-H2, H1-A3, then per formant the voiced-gated
/// frequency and bandwidth and the amplitude.
const VOICED_SET: [Column; 14] = [
    Column::VoiceLld(1),
    Column::VoiceLld(2),
    Column::VoiceLld(3),
    Column::VoiceLld(4),
    Column::VoiceLld(5),
    Column::FormantVoiced(0),
    Column::FormantVoiced(1),
    Column::VoiceLld(8),
    Column::FormantVoiced(2),
    Column::FormantVoiced(3),
    Column::VoiceLld(11),
    Column::FormantVoiced(4),
    Column::FormantVoiced(5),
    Column::VoiceLld(14),
];

/// Computes the 88 functionals. `new` allocates scratch for `max_frames`
/// rows; `compute` never allocates.
#[derive(Debug, Clone)]
pub struct EgemapsFunctionals {
    max_frames: usize,
    values: Vec<f32>,
    sorted: Vec<f32>,
    extrema: Vec<Extremum>,
    seg_lens: Vec<u32>,
}

impl EgemapsFunctionals {
    /// Scratch for up to `max_frames` rows (e.g. the row count of a file, or
    /// of a 1 s window plus margin).
    pub fn new(max_frames: usize) -> Self {
        Self {
            max_frames,
            values: Vec::with_capacity(max_frames),
            sorted: Vec::with_capacity(max_frames),
            extrema: Vec::with_capacity(max_frames),
            seg_lens: Vec::with_capacity(MAX_SEGMENTS),
        }
    }

    /// Row capacity.
    pub fn max_frames(&self) -> usize {
        self.max_frames
    }

    /// Functionals over `rows` (consecutive [`SmoothedLlds`], e.g. all rows of
    /// a file from [`super::smoothing::LldSmoother`]); `frame_period_s` is the
    /// period of the LLD levels in seconds: openSMILE uses the configured
    /// `frameStep = 0.010` ([`super::config::HOP_S`]), not the rounded hop
    /// of 221 samples (which only shows in the `lld` time stamps).
    /// `out` follows [`super::names::FUNCTIONAL_NAMES`].
    pub fn compute(
        &mut self,
        rows: &[SmoothedLlds],
        frame_period_s: f64,
        out: &mut [f32; N_FUNCTIONALS],
    ) -> Result<(), FunctionalsError> {
        self.compute_split(rows, &[], frame_period_s, out)
    }

    /// As [`EgemapsFunctionals::compute`] over `first` followed by `second`
    /// (the two halves of a ring buffer).
    pub fn compute_split(
        &mut self,
        first: &[SmoothedLlds],
        second: &[SmoothedLlds],
        frame_period_s: f64,
        out: &mut [f32; N_FUNCTIONALS],
    ) -> Result<(), FunctionalsError> {
        let frames = first.len() + second.len();
        if frames > self.max_frames {
            return Err(FunctionalsError::TooManyFrames { frames, max_frames: self.max_frames });
        }
        if !(frame_period_s.is_finite() && frame_period_s > 0.0) {
            return Err(FunctionalsError::InvalidPeriod(frame_period_s));
        }
        let t = frame_period_s as f32;
        let rows = (first, second);
        out.fill(0.0);

        // 0–9 F0 (non-zero), 10–19 loudness
        self.gather(rows, Column::F0, true);
        self.contour_block(t, &mut out[0..10]);
        self.gather(rows, Column::Loudness, false);
        self.contour_block(t, &mut out[10..20]);

        // 20–29 spectral flux, MFCC 1–4 over all rows
        for (k, col) in (5..10).enumerate() {
            self.gather(rows, Column::Spectral(col), false);
            self.mean_stddev_norm(&mut out[20 + 2 * k..22 + 2 * k]);
        }
        // 30–57 voice set, 58–75 voiced spectral set (non-zero)
        for (k, col) in VOICED_SET.iter().enumerate() {
            self.gather(rows, *col, true);
            self.mean_stddev_norm(&mut out[30 + 2 * k..32 + 2 * k]);
        }
        for k in 0..9 {
            self.gather(rows, Column::SpectralVoiced(k), true);
            self.mean_stddev_norm(&mut out[58 + 2 * k..60 + 2 * k]);
        }
        // 76–80 unvoiced spectral means (non-zero)
        for k in 0..5 {
            self.gather(rows, Column::SpectralUnvoiced(k), true);
            out[76 + k] = summary(&self.values).map_or(0.0, |s| s.mean);
        }
        // 81 loudness peaks per second
        self.gather(rows, Column::Loudness, false);
        if let Some(s) = summary(&self.values) {
            let p = peaks2(&self.values, s.min, s.max, t, &mut self.extrema);
            out[81] = p.n_peaks as f32 / (self.values.len() as f32 * t);
        }
        // 82–86 voiced / unvoiced segments of the F0 contour (zeros kept)
        self.gather(rows, Column::F0, false);
        let v = segments(&self.values, SegmentClass::NonZero, t, &mut self.seg_lens);
        out[82] = v.per_second;
        out[83] = v.mean_len_s;
        out[84] = v.stddev_len_s;
        let u = segments(&self.values, SegmentClass::Zero, t, &mut self.seg_lens);
        out[85] = u.mean_len_s;
        out[86] = u.stddev_len_s;
        // 87 equivalent sound level
        self.gather(rows, Column::Energy, false);
        out[87] = db_power(summary(&self.values).map_or(0.0, |s| s.mean));
        Ok(())
    }

    /// Copies one contour into `self.values` (capacity checked by the caller).
    fn gather(&mut self, (a, b): (&[SmoothedLlds], &[SmoothedLlds]), col: Column, non_zero: bool) {
        self.values.clear();
        for r in a.iter().chain(b) {
            if let Some(v) = col.get(r) {
                if !non_zero || v != 0.0 {
                    self.values.push(v);
                }
            }
        }
    }

    /// `Moments` (amean, stddevNorm) of `self.values` into `out[0..2]`.
    fn mean_stddev_norm(&self, out: &mut [f32]) {
        if let Some(s) = summary(&self.values) {
            out[0] = s.mean;
            out[1] = stddev_norm(&self.values, s.mean);
        }
    }

    /// `Moments ; Percentiles ; Peaks2` of `self.values` into `out[0..10]`:
    /// amean, stddevNorm, percentile 20/50/80, pctlrange0-2, mean/stddev of
    /// rising and falling slopes.
    fn contour_block(&mut self, t: f32, out: &mut [f32]) {
        let Some(s) = summary(&self.values) else { return };
        out[0] = s.mean;
        out[1] = stddev_norm(&self.values, s.mean);
        self.sorted.clear();
        self.sorted.extend_from_slice(&self.values);
        self.sorted.sort_unstable_by(f32::total_cmp);
        for (k, p) in PERCENTILES.iter().enumerate() {
            out[2 + k] = interp_percentile(&self.sorted, *p);
        }
        out[5] = (out[4] - out[2]).abs();
        let p = peaks2(&self.values, s.min, s.max, t, &mut self.extrema);
        out[6] = p.mean_rising_slope;
        out[7] = p.stddev_rising_slope;
        out[8] = p.mean_falling_slope;
        out[9] = p.stddev_falling_slope;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::egemaps::lld::SmoothedVoice;

    const T: f64 = crate::features::egemaps::config::HOP_S;

    fn row(loud: f32, f0: f32, energy: Option<f32>, voice: bool) -> SmoothedLlds {
        let mut spectral = [0.0; 10];
        spectral[0] = loud;
        spectral[5] = 0.1;
        spectral[6] = 20.0;
        SmoothedLlds {
            spectral,
            energy_sq: energy,
            voice: voice.then(|| SmoothedVoice {
                lld: {
                    let mut l = [0.0; 15];
                    l[0] = f0;
                    l
                },
                f0_semitones: f0,
                in_functionals: true,
                ..Default::default()
            }),
        }
    }

    fn compute(rows: &[SmoothedLlds]) -> [f32; 88] {
        let mut f = EgemapsFunctionals::new(rows.len());
        let mut out = [f32::NAN; 88];
        f.compute(rows, T, &mut out).unwrap();
        out
    }

    #[test]
    fn no_voiced_frames_gives_zero_voice_functionals() {
        let rows: Vec<SmoothedLlds> =
            (0..100).map(|i| row(0.5 + (i % 7) as f32 * 0.01, 0.0, Some(0.01), true)).collect();
        let out = compute(&rows);
        assert!(out.iter().all(|v| v.is_finite()));
        assert!(out[0..10].iter().all(|&v| v == 0.0));
        assert!(out[30..76].iter().all(|&v| v == 0.0));
        assert_eq!(out[82], 0.0);
        // the whole contour is one unvoiced segment of N−1 frames
        assert!((out[85] - 99.0 * T as f32).abs() < 1e-6);
        assert!((out[87] - (-20.0)).abs() < 1e-4);
        assert!(out[10] > 0.5);
    }

    #[test]
    fn empty_and_single_row_are_defined() {
        let out = compute(&[]);
        assert!(out[..87].iter().all(|&v| v == 0.0));
        assert!((out[87] + 120.0).abs() < 1e-3);
        let out = compute(&[row(1.0, 30.0, Some(1.0), true)]);
        assert!(out.iter().all(|v| v.is_finite()));
        assert_eq!(out[0], 30.0);
        assert_eq!(out[1], 0.0);
        assert_eq!(out[3], 30.0);
        assert_eq!(out[10], 1.0);
        assert_eq!(out[87], 0.0);
    }

    #[test]
    fn all_zero_rows() {
        let rows = vec![row(0.0, 0.0, Some(0.0), true); 50];
        let out = compute(&rows);
        assert!(out.iter().all(|v| v.is_finite()));
        assert!(out[..20].iter().all(|&v| v == 0.0));
        assert!(out[30..85].iter().all(|&v| v == 0.0));
        assert!((out[87] + 120.0).abs() < 1e-3);
    }

    #[test]
    fn constant_contours_have_zero_stddev_norm() {
        let rows = vec![row(2.0, 40.0, Some(1.0), true); 30];
        let out = compute(&rows);
        assert_eq!((out[0], out[1]), (40.0, 0.0));
        assert_eq!((out[10], out[11]), (2.0, 0.0));
        assert_eq!(out[5], 0.0);
        assert_eq!(out[81], 0.0);
        // one voiced segment over all frames
        assert!((out[82] - 1.0 / (30.0 * T as f32)).abs() < 1e-3);
        assert!((out[83] - 29.0 * T as f32).abs() < 1e-6);
    }

    #[test]
    fn capacity_and_period_are_checked() {
        let rows = vec![row(1.0, 0.0, None, false); 3];
        let mut f = EgemapsFunctionals::new(2);
        let mut out = [0.0; 88];
        assert_eq!(f.compute(&rows, T, &mut out), Err(FunctionalsError::TooManyFrames { frames: 3, max_frames: 2 }));
        assert!(matches!(f.compute(&rows[..1], 0.0, &mut out), Err(FunctionalsError::InvalidPeriod(_))));
        assert!(f.compute(&rows[..1], f64::NAN, &mut out).is_err());
    }

    #[test]
    fn compute_stays_within_preallocated_scratch() {
        let rows: Vec<SmoothedLlds> = (0..500)
            .map(|i| {
                row((i as f32 * 0.7).sin() + 2.0, if i % 7 < 4 { 30.0 + (i % 3) as f32 } else { 0.0 }, Some(0.1), true)
            })
            .collect();
        let mut f = EgemapsFunctionals::new(500);
        let caps = (f.values.capacity(), f.sorted.capacity(), f.extrema.capacity(), f.seg_lens.capacity());
        let mut out = [0.0; 88];
        f.compute(&rows, T, &mut out).unwrap();
        assert_eq!(caps, (f.values.capacity(), f.sorted.capacity(), f.extrema.capacity(), f.seg_lens.capacity()));
    }

    #[test]
    fn split_equals_contiguous() {
        let rows: Vec<SmoothedLlds> = (0..200)
            .map(|i| {
                row(
                    (i as f32 * 0.37).sin() + 1.5,
                    if i % 9 < 6 { 30.0 + (i as f32 * 0.1).cos() } else { 0.0 },
                    Some(0.5),
                    i < 196,
                )
            })
            .collect();
        let mut f = EgemapsFunctionals::new(200);
        let (mut a, mut b) = ([0.0; 88], [0.0; 88]);
        f.compute(&rows, T, &mut a).unwrap();
        f.compute_split(&rows[..77], &rows[77..], T, &mut b).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn very_long_input_stays_finite() {
        // 2 hours of rows: accumulation in f64 keeps the mean exact enough
        let n = 720_000;
        let rows: Vec<SmoothedLlds> = (0..n)
            .map(|i| {
                row(1.0 + 0.5 * ((i % 100) as f32 / 100.0), if i % 50 < 30 { 35.0 } else { 0.0 }, Some(0.25), true)
            })
            .collect();
        let out = compute(&rows);
        assert!(out.iter().all(|v| v.is_finite()));
        assert!((out[10] - 1.2475).abs() < 1e-4, "{}", out[10]);
        assert_eq!(out[0], 35.0);
        // more than 1000 voiced segments: openSMILE counts only the first 1000
        assert!((out[82] - 1000.0 / (n as f32 * T as f32)).abs() < 1e-4);
        assert!((out[87] - db_power(0.25)).abs() < 1e-5);
    }
}
