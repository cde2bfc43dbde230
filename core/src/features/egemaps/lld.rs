//! Per-frame LLD records at the seams of the eGeMAPS v02 graph: [`RawLlds`]
//! (what the LLD extractors produce, before smoothing) and [`SmoothedLlds`]
//! (one row after the `cContourSmoother`s, what the `lld` level and the
//! functionals read).
//!
//! # Frame alignment (openSMILE 3.0.2, `egemaps/v02/eGeMAPSv02.conf`)
//!
//! Both framings start frame `i` at sample `i·hop` (`frameCenterSpecial = left`,
//! 221-sample hop at 22 050 Hz) and emit only complete frames, so an input of
//! `L` samples has `n25 = ⌊(L − 441)/221⌋ + 1` short (20 ms) frames and
//! `n60 = ⌊(L − 1323)/221⌋ + 1` long (60 ms) frames, `n60 ≤ n25 − 3`.
//! [`RawLlds`] number `i` joins short frame `i` ([`SpectralLlds`]) with long
//! frame `i` ([`VoiceLlds`], `None` for `n60 ≤ i < n25`). Formant frequencies
//! and bandwidths come from short frame `i` (`gemapsv01b_formants` reads
//! `gemapsv01b_fftcH25`) but every consumer joins them with F0
//! (`egemapsv02_lldsetF`, `gemapsv01b_formantVoiced`), so only their first
//! `n60` frames are used and they live in [`VoiceLlds`].

/// Number of smoothed values of the spectral/energy set (`egemapsv02_lldsetE`).
pub const N_SPECTRAL: usize = 10;
/// Number of smoothed values of the F0/voice set (`egemapsv02_lldsetF`).
pub const N_VOICE: usize = 15;
/// Number of LLD columns of the `lld` level.
pub const N_LLD: usize = N_SPECTRAL + N_VOICE;
/// Formant frequency/bandwidth values gated by voicing (`gemapsv01b_formantsNz`).
pub const N_FORMANTS_VOICED: usize = 6;
/// Spectral values gated to voiced frames (`egemapsv02_logSpectralVoiced`).
pub const N_SPECTRAL_VOICED: usize = 9;
/// Spectral values gated to unvoiced frames (`egemapsv02_logSpectralUnvoiced`).
pub const N_SPECTRAL_UNVOICED: usize = 5;

/// LLDs of one 20 ms Hamming frame (`gemapsv01b_frame25` and everything
/// reading `gemapsv01b_fftmagH25`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SpectralLlds {
    /// Loudness in sones (`gemapsv01b_loudness`, `loudness`).
    pub loudness_sones: f32,
    /// Alpha ratio in dB (`gemapsv01b_logSpectral`, `pcm_fftMag_alphaRatioDB`).
    pub alpha_ratio_db: f32,
    /// Hammarberg index in dB (`pcm_fftMag_hammarbergIndexDB`).
    pub hammarberg_index_db: f32,
    /// Log-spectral slope 0–500 Hz (`pcm_fftMag_logSpectralSlopeOfBand0-500`).
    pub slope_0_500: f32,
    /// Log-spectral slope 500–1500 Hz (`pcm_fftMag_logSpectralSlopeOfBand500-1500`).
    pub slope_500_1500: f32,
    /// Spectral flux (`egemapsv02_logSpectral_flux`, `pcm_fftMag_spectralFlux`).
    pub spectral_flux: f32,
    /// MFCC 1–4 (`egemapsv02_mfcc`, `mfcc[1..4]`).
    pub mfcc: [f32; 4],
    /// Mean squared sample value of the frame (`egemapsv02_energyRMS`,
    /// `pcm_SQUAREDenergy`), input of the equivalent sound level. Not smoothed.
    pub energy_sq: f32,
}

impl SpectralLlds {
    /// The 10 values of `egemapsv02_lldsetE` in `lld` column order
    /// (Loudness, alphaRatio, hammarbergIndex, slope0-500, slope500-1500,
    /// spectralFlux, mfcc1..4).
    pub fn set_e(&self) -> [f32; N_SPECTRAL] {
        let m = self.mfcc;
        [
            self.loudness_sones,
            self.alpha_ratio_db,
            self.hammarberg_index_db,
            self.slope_0_500,
            self.slope_500_1500,
            self.spectral_flux,
            m[0],
            m[1],
            m[2],
            m[3],
        ]
    }
}

/// LLDs of one 60 ms Gaussian frame (F0 and voice quality) plus the formants
/// of the 20 ms frame with the same index (see the module doc).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VoiceLlds {
    /// F0 in semitones above 27.5 Hz, 0 = unvoiced (`gemapsv01b_logPitch`,
    /// `F0finalLog`, already zeroed by the energy gate `gemapsv01b_volmerge`).
    pub f0_semitones: f32,
    /// Local jitter (`gemapsv01b_jitterShimmer`, `jitterLocal`).
    pub jitter_local: f32,
    /// Local shimmer in dB (`shimmerLocalDB`).
    pub shimmer_local_db: f32,
    /// Harmonics-to-noise ratio from the ACF, dB (`gemapsv01b_harmonics`,
    /// `HarmonicsToNoiseRatioACFLogdB`).
    pub hnr_db: f32,
    /// H1−H2 in dB (`HarmonicDifferenceLogRelH1-H2`).
    pub h1_h2_db: f32,
    /// H1−A3 in dB (`HarmonicDifferenceLogRelH1-A3`).
    pub h1_a3_db: f32,
    /// F1..F3 centre frequency in Hz (`gemapsv01b_formants`, `formantFreqLpc[1..3]`).
    pub formant_freq_hz: [f32; 3],
    /// F1..F3 bandwidth in Hz (`formantBandwidthLpc[1..3]`).
    pub formant_bandwidth_hz: [f32; 3],
    /// F1..F3 amplitude relative to F0, dB (`gemapsv01b_harmonics`,
    /// `FormantAmplitudeByMaxHarmonicLogRelF0[1..3]`).
    pub formant_amplitude_db: [f32; 3],
    /// `true` when the pitch tracker released this frame only at end of
    /// input (openSMILE's `cPitchSmootherViterbi` emits its last frames from
    /// `flushTrellis()` once the input has ended). Only the first such frame
    /// matters, and only for whole-file parity: it decides which tail rows
    /// openSMILE's functionals see and where its `lld` level has end-padding
    /// artifacts (see [`crate::features::egemaps::smoothing`]). Leave `false`
    /// when streaming.
    pub flushed: bool,
}

impl VoiceLlds {
    /// The 15 values of `egemapsv02_lldsetF` in `lld` column order (F0,
    /// jitter, shimmer, HNR, H1-H2, H1-A3, then per formant frequency,
    /// bandwidth, amplitude).
    pub fn set_f(&self) -> [f32; N_VOICE] {
        let (f, b, a) = (self.formant_freq_hz, self.formant_bandwidth_hz, self.formant_amplitude_db);
        [
            self.f0_semitones,
            self.jitter_local,
            self.shimmer_local_db,
            self.hnr_db,
            self.h1_h2_db,
            self.h1_a3_db,
            f[0],
            b[0],
            a[0],
            f[1],
            b[1],
            a[1],
            f[2],
            b[2],
            a[2],
        ]
    }
}

/// One raw LLD frame: short frame `i` and, while the input still has one,
/// long frame `i`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RawLlds {
    /// LLDs of the 20 ms frame.
    pub spectral: SpectralLlds,
    /// LLDs of the 60 ms frame with the same index; `None` once the 60 ms
    /// framing has run out of complete frames (the last 3–4 short frames of
    /// an input). Once `None`, later frames' voice parts are ignored.
    pub voice: Option<VoiceLlds>,
}

/// The F0-synchronous part of one smoothed row (rows `0..=n60`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SmoothedVoice {
    /// `egemapsv02_lldsetF_smo`: the 15 `*_sma3nz` columns of the `lld` level
    /// (formants not gated by voicing, as openSMILE prints them), including
    /// openSMILE's end-of-input artifacts on rows `P − 1` and `P`.
    pub lld: [f32; N_VOICE],
    /// `gemapsv01b_lld_single_logF0_smo`: smoothed F0 as the F0 functionals
    /// read it (equal to `lld[0]` except on the artifact rows).
    pub f0_semitones: f32,
    /// `gemapsv01b_formantsNz` smoothed: F1 frequency, F1 bandwidth, F2
    /// frequency, F2 bandwidth, F3 frequency, F3 bandwidth, zeroed in
    /// unvoiced frames before smoothing (input of the formant functionals;
    /// same artifacts as `lld`).
    pub formants_voiced: [f32; N_FORMANTS_VOICED],
    /// `egemapsv02_lldSetSpectralNz_smo`: alphaRatioV, hammarbergIndexV,
    /// slopeV0-500, slopeV500-1500, spectralFluxV, mfcc1V..mfcc4V.
    pub spectral_voiced: [f32; N_SPECTRAL_VOICED],
    /// `egemapsv02_lldSetSpectralZ_smo`: alphaRatioUV, hammarbergIndexUV,
    /// slopeUV0-500, slopeUV500-1500, spectralFluxUV.
    pub spectral_unvoiced: [f32; N_SPECTRAL_UNVOICED],
    /// `true` for the rows openSMILE's voice functionals read: all rows
    /// before the first flushed long frame `P` (or before the padded last
    /// row when no frame was flushed).
    pub in_functionals: bool,
}

/// One smoothed row, as the functionals read it. Row `n` exists for
/// `n = 0..=n25`; its voice part for `n = 0..=n60` (see [`crate::features::egemaps::smoothing`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SmoothedLlds {
    /// `egemapsv02_lldsetE_smo`: the 10 `*_sma3` columns of the `lld` level.
    pub spectral: [f32; N_SPECTRAL],
    /// Raw (unsmoothed) squared energy of short frame `n`; `None` on row
    /// `n25`, which only the smoothers' end padding creates. Rows with
    /// `energy_sq` are the rows the spectral functionals read.
    pub energy_sq: Option<f32>,
    /// Voice part, `None` past row `n60`.
    pub voice: Option<SmoothedVoice>,
}

impl SmoothedLlds {
    /// The 25 columns of openSMILE's `lld` level in
    /// [`super::names::LLD_NAMES`] order, or `None` for rows past the end of
    /// that level (it is the join of both smoothed sets, `n60 + 1` rows).
    pub fn lld_row(&self) -> Option<[f32; N_LLD]> {
        let v = self.voice.as_ref()?;
        let mut row = [0.0; N_LLD];
        row[..N_SPECTRAL].copy_from_slice(&self.spectral);
        row[N_SPECTRAL..].copy_from_slice(&v.lld);
        Some(row)
    }

    /// Smoothed loudness (`Loudness_sma3`) in sones.
    pub fn loudness_sones(&self) -> f32 {
        self.spectral[0]
    }

    /// Smoothed F0 (`F0semitoneFrom27.5Hz_sma3nz`), semitones, 0 = unvoiced;
    /// `None` past row `n60`.
    pub fn f0_semitones(&self) -> Option<f32> {
        self.voice.as_ref().map(|v| v.f0_semitones)
    }
}
