//! All eGeMAPS v02 LLDs of the 20 ms frame in one per-frame call: loudness,
//! alpha ratio, Hammarberg index, the two spectral slopes, spectral flux,
//! MFCC 1–4 and the mean-square energy used for the equivalent sound level.
//!
//! Inputs per frame (both from [`crate::dsp`]): the raw, unwindowed 20 ms
//! frame (`gemapsv01b_frame25`: 441 samples at 22 050 Hz) and its
//! Hamming-windowed, symmetrically zero-padded magnitude spectrum
//! (`gemapsv01b_fftmagH25`: `n_fft/2 + 1` unnormalised `|X[k]|`). Outputs are
//! openSMILE's LLDs *before* the 3-frame smoothing (`sma3`).
//!
//! Invalid input rule: a frame whose raw samples or magnitudes contain NaN or
//! ±Inf, or whose slices have the wrong length, is processed as digital
//! silence (all-zero frame and spectrum; it also becomes the previous frame
//! of the flux). Any output that still overflows on huge finite input is
//! saturated to ±`f32::MAX`. Every output is therefore finite.

use crate::features::egemaps::config::Framing;
use crate::features::egemaps::energy::Energy;
use crate::features::egemaps::loudness::Loudness;
use crate::features::egemaps::melspec::{Melspec, MelspecConfig, MelspecError};
use crate::features::egemaps::mfcc::{Mfcc, MfccConfig};
use crate::features::egemaps::spectral_bins::{FftAxis, PowerSpectrum};
use crate::features::egemaps::spectral_flux::SpectralFlux;
use crate::features::egemaps::spectral_shape::SpectralShape;

/// Number of MFCCs in eGeMAPS v02 (`firstMfcc = 1`, `lastMfcc = 4`).
pub const N_MFCC: usize = 4;

/// The 20 ms-frame LLDs of one frame (unsmoothed). Names follow
/// `egemapsv02_lldSetSelectorE` plus the energy of `egemapsv02_energyRMS`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SpectralFrame {
    /// `Loudness` (`gemapsv01b_loudness`), openSMILE's auditory loudness units.
    pub loudness: f32,
    /// `alphaRatio`, dB.
    pub alpha_ratio_db: f32,
    /// `hammarbergIndex`, dB.
    pub hammarberg_db: f32,
    /// `slope0-500`, dB/Hz.
    pub slope_0_500: f32,
    /// `slope500-1500`, dB/Hz.
    pub slope_500_1500: f32,
    /// `spectralFlux`, magnitude units.
    pub flux: f32,
    /// `mfcc1` … `mfcc4`.
    pub mfcc: [f32; N_MFCC],
    /// `pcm_SQUAREDenergy` of the raw frame (mean square, full scale = 1).
    pub energy_sq: f32,
}

/// Errors constructing [`SpectralLlds`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpectralLldsError {
    /// The sample rate is zero.
    #[error("sample rate must be positive")]
    ZeroSampleRate,
    /// `n_fft` is not a power of two at least as long as the 20 ms frame.
    #[error("n_fft = {n_fft} must be a power of two ≥ the 20 ms frame ({frame_len} samples)")]
    BadFftLength { n_fft: usize, frame_len: usize },
    /// The mel filterbank could not be built.
    #[error(transparent)]
    Melspec(#[from] MelspecError),
}

/// The eGeMAPS v02 energy/spectral LLD extractor for one stream.
/// `new` allocates everything; `process` never allocates.
#[derive(Debug, Clone)]
pub struct SpectralLlds {
    frame_len: usize,
    n_bins: usize,
    energy: Energy,
    mel_loudness: Melspec,
    mel_mfcc: Melspec,
    /// The MFCC mel spectrum is the loudness one scaled (same filters, see
    /// [`Melspec::same_filters`]): filter once, scale a copy.
    shared_mel: bool,
    loudness: Loudness,
    mfcc: Mfcc,
    shape: SpectralShape,
    flux: SpectralFlux,
    power: PowerSpectrum,
    mel_buf: Vec<f32>,
    zero_frame: Vec<f32>,
    zero_mag: Vec<f32>,
}

impl SpectralLlds {
    /// An extractor for audio at `sample_rate_hz` whose 20 ms frames (length
    /// from [`Framing::at`]) are zero-padded to `n_fft` points.
    pub fn new(sample_rate_hz: u32, n_fft: usize) -> Result<Self, SpectralLldsError> {
        if sample_rate_hz == 0 {
            return Err(SpectralLldsError::ZeroSampleRate);
        }
        let frame_len = Framing::at(sample_rate_hz).frame25;
        if !n_fft.is_power_of_two() || n_fft < frame_len || n_fft < 2 {
            return Err(SpectralLldsError::BadFftLength { n_fft, frame_len });
        }
        let axis = FftAxis::frame25(frame_len, n_fft);
        let mel_loudness = Melspec::new(MelspecConfig::GEMAPS_LOUDNESS, &axis)?;
        let mel_mfcc = Melspec::new(MelspecConfig::EGEMAPS_MFCC, &axis)?;
        let loudness = Loudness::new(mel_loudness.centre_hz());
        let mfcc = Mfcc::new(MfccConfig::EGEMAPS_V02, mel_mfcc.n_bands());
        let n_bins = axis.n_bins();
        let shape = SpectralShape::new(&axis);
        Ok(Self {
            shared_mel: mel_loudness.is_unscaled() && mel_loudness.same_filters(&mel_mfcc),
            power: PowerSpectrum::with_log_bins(n_bins, shape.log_bins_read()),
            shape,
            frame_len,
            n_bins,
            energy: Energy::new(false),
            mel_buf: vec![0.0; mel_loudness.n_bands().max(mel_mfcc.n_bands())],
            mel_loudness,
            mel_mfcc,
            loudness,
            mfcc,
            flux: SpectralFlux::new(&axis),
            zero_frame: vec![0.0; frame_len],
            zero_mag: vec![0.0; n_bins],
        })
    }

    /// Expected length of `raw_frame25` in samples.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// Expected length of `mag25`, `n_fft/2 + 1`.
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Computes all LLDs of one frame into `out`. `raw_frame25`: the
    /// unwindowed frame ([`Self::frame_len`] samples); `mag25`: its Hamming
    /// magnitude spectrum ([`Self::n_bins`] bins). See the module docs for
    /// the invalid-input rule.
    pub fn process(&mut self, raw_frame25: &[f32], mag25: &[f32], out: &mut SpectralFrame) {
        let valid = raw_frame25.len() == self.frame_len
            && mag25.len() == self.n_bins
            && raw_frame25.iter().chain(mag25).all(|x| x.is_finite());
        let (raw, mag) = if valid { (raw_frame25, mag25) } else { (&self.zero_frame[..], &self.zero_mag[..]) };

        out.energy_sq = self.energy.process(raw).squared;

        let nb = self.mel_loudness.n_bands();
        self.mel_loudness.process(mag, &mut self.mel_buf[..nb]);
        out.loudness = self.loudness.process(&self.mel_buf[..nb]);

        let nb = self.mel_mfcc.n_bands();
        if self.shared_mel {
            self.mel_mfcc.scale_sums(&mut self.mel_buf[..nb]);
        } else {
            self.mel_mfcc.process(mag, &mut self.mel_buf[..nb]);
        }
        self.mfcc.process(&self.mel_buf[..nb], &mut out.mfcc);

        self.power.update(mag);
        let shape = self.shape.process(&self.power);
        out.alpha_ratio_db = shape.alpha_ratio_db;
        out.hammarberg_db = shape.hammarberg_db;
        out.slope_0_500 = shape.slope_0_500;
        out.slope_500_1500 = shape.slope_500_1500;

        out.flux = self.flux.process(mag);

        for x in [
            &mut out.loudness,
            &mut out.alpha_ratio_db,
            &mut out.hammarberg_db,
            &mut out.slope_0_500,
            &mut out.slope_500_1500,
            &mut out.flux,
            &mut out.energy_sq,
        ]
        .into_iter()
        .chain(out.mfcc.iter_mut())
        {
            *x = saturate(*x);
        }
    }

    /// Forgets the previous frame (spectral flux restarts at 0).
    pub fn reset(&mut self) {
        self.flux.reset();
    }
}

/// NaN → 0, ±Inf → ±`f32::MAX`, finite values unchanged.
fn saturate(x: f32) -> f32 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(f32::MIN, f32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::spectrum::Spectrum;
    use crate::dsp::window;

    struct Rig {
        spectrum: Spectrum,
        llds: SpectralLlds,
    }

    impl Rig {
        fn new(sr: u32) -> Self {
            let n = Framing::at(sr).frame25;
            let spectrum = Spectrum::new(window::hamming(n));
            let llds = SpectralLlds::new(sr, spectrum.n_fft()).unwrap();
            Self { spectrum, llds }
        }

        fn frame(&mut self, x: &[f32]) -> SpectralFrame {
            self.spectrum.process(x);
            let mut out = SpectralFrame::default();
            self.llds.process(x, self.spectrum.magnitudes(), &mut out);
            out
        }
    }

    fn all_finite(f: &SpectralFrame) -> bool {
        [f.loudness, f.alpha_ratio_db, f.hammarberg_db, f.slope_0_500, f.slope_500_1500, f.flux, f.energy_sq]
            .iter()
            .chain(&f.mfcc)
            .all(|x| x.is_finite())
    }

    fn sine(freq: f64, amp: f64, n: usize, sr: u32) -> Vec<f32> {
        (0..n).map(|i| (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / sr as f64).sin()) as f32).collect()
    }

    #[test]
    fn silence_matches_opensmile_floors() {
        let mut rig = Rig::new(22_050);
        let f = rig.frame(&[0.0; 441]);
        // openSMILE 3.0.2 on the digital silence inside speech_en (frames 13–16).
        assert!((f.loudness - 0.001_033_965_7).abs() < 1e-8, "{}", f.loudness);
        assert_eq!((f.alpha_ratio_db, f.hammarberg_db, f.flux, f.energy_sq), (0.0, 0.0, 0.0, 0.0));
        assert_eq!(f.mfcc, [0.0; 4]);
        assert!((f.slope_0_500 - 0.132_697_39).abs() < 1e-6);
        assert!((f.slope_500_1500 - 0.022_185_652).abs() < 1e-6);
    }

    #[test]
    fn dc_frame() {
        let mut rig = Rig::new(22_050);
        let f = rig.frame(&[0.5; 441]);
        assert!(all_finite(&f));
        assert!((f.energy_sq - 0.25).abs() < 1e-6);
        // All energy sits in the lowest bins: strongly negative alpha ratio,
        // strongly positive Hammarberg index.
        assert!(f.alpha_ratio_db < -40.0 && f.hammarberg_db > 40.0, "{f:?}");
    }

    #[test]
    fn full_scale_clipping() {
        let mut rig = Rig::new(22_050);
        let x: Vec<f32> = sine(220.0, 10.0, 441, 22_050).iter().map(|v| v.clamp(-1.0, 1.0)).collect();
        let f = rig.frame(&x);
        assert!(all_finite(&f));
        assert!(f.energy_sq > 0.9 && f.energy_sq <= 1.0);
        assert!(f.loudness > 1.0);
    }

    #[test]
    fn non_finite_input_is_silence() {
        let mut rig = Rig::new(22_050);
        let silent = rig.frame(&[0.0; 441]);
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut rig = Rig::new(22_050);
            let mut x = sine(440.0, 0.5, 441, 22_050);
            x[100] = bad;
            let f = rig.frame(&x);
            assert!(all_finite(&f));
            assert_eq!(f, silent);
        }
        // Wrong slice lengths are treated the same way.
        let mut out = SpectralFrame::default();
        rig.llds.process(&[0.1; 10], &[1.0; 3], &mut out);
        assert_eq!(out, silent);
        // Huge finite samples overflow intermediate powers; outputs stay finite.
        let mut rig = Rig::new(22_050);
        let f = rig.frame(&[1e30; 441]);
        assert!(all_finite(&f));
    }

    #[test]
    fn sine_sanity_for_alpha_and_hammarberg() {
        let mut rig = Rig::new(22_050);
        let low = rig.frame(&sine(300.0, 0.3, 441, 22_050));
        assert!(low.alpha_ratio_db < -30.0 && low.hammarberg_db > 30.0, "{low:?}");
        let mut rig = Rig::new(22_050);
        let high = rig.frame(&sine(3000.0, 0.3, 441, 22_050));
        assert!(high.alpha_ratio_db > 30.0 && high.hammarberg_db < -30.0, "{high:?}");
        assert!((low.energy_sq - 0.045).abs() < 2e-3);
    }

    #[test]
    fn flux_restarts_after_reset() {
        let mut rig = Rig::new(22_050);
        let a = sine(300.0, 0.3, 441, 22_050);
        let b = sine(600.0, 0.3, 441, 22_050);
        assert_eq!(rig.frame(&a).flux, 0.0);
        assert!(rig.frame(&b).flux > 0.1);
        rig.llds.reset();
        assert_eq!(rig.frame(&b).flux, 0.0);
    }

    #[test]
    fn every_analysis_rate_from_8_to_48_khz_works() {
        for sr in [8_000, 11_025, 16_000, 22_050, 32_000, 44_100, 48_000] {
            let mut rig = Rig::new(sr);
            let n = rig.llds.frame_len();
            for x in [vec![0.0; n], sine(1000.0, 0.3, n, sr), vec![1.0; n]] {
                let f = rig.frame(&x);
                assert!(all_finite(&f), "{sr}: {f:?}");
            }
        }
    }

    #[test]
    fn bad_configuration_is_an_error() {
        assert_eq!(SpectralLlds::new(0, 512).unwrap_err(), SpectralLldsError::ZeroSampleRate);
        assert!(matches!(SpectralLlds::new(22_050, 500), Err(SpectralLldsError::BadFftLength { .. })));
        assert!(matches!(SpectralLlds::new(22_050, 256), Err(SpectralLldsError::BadFftLength { .. })));
    }
}
