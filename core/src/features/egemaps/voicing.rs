//! Voiced/unvoiced selection of the eGeMAPS v02 graph: openSMILE's
//! `cValbasedSelector` (`src/other/valbasedSelector.cpp`, `myTick`) as
//! configured by `gemapsv01b_formantVoiced`, `egemapsv02_logSpectralVoiced`
//! and `egemapsv02_logSpectralUnvoiced` (`idx = 0` = F0 in semitones,
//! `threshold = 0.000001`, `removeIdx = 1`, `zeroVec = 1`, `outputVal = 0`).
//!
//! A frame passes the voiced selector when `F0 > threshold` and the unvoiced
//! one (`invert = 1`) when `F0 < threshold`; a frame that does not pass is
//! replaced by a vector of zeros, which the following `noZeroSma` smoother
//! and the `nonZeroFuncts` functionals then treat as absent.

use super::lld::{SpectralLlds, VoiceLlds, N_FORMANTS_VOICED, N_SPECTRAL_UNVOICED, N_SPECTRAL_VOICED};

/// `threshold = 0.000001` of the three selectors, in semitones.
pub const VOICING_THRESHOLD_ST: f32 = 0.000001;

/// `true` when the voiced selector copies the frame (`val > threshold`).
pub fn is_voiced(f0_semitones: f32) -> bool {
    f0_semitones > VOICING_THRESHOLD_ST
}

/// `true` when the unvoiced selector (`invert = 1`) copies the frame (`val < threshold`).
pub fn is_unvoiced(f0_semitones: f32) -> bool {
    f0_semitones < VOICING_THRESHOLD_ST
}

/// `gemapsv01b_formantsNz` as selected by `egemapsv02_lldSetSelectorNoF0LoudnNz`:
/// F1 frequency, F1 bandwidth, F2 frequency, F2 bandwidth, F3 frequency, F3
/// bandwidth, all zero when the frame is not voiced.
pub fn formants_voiced(v: &VoiceLlds) -> [f32; N_FORMANTS_VOICED] {
    if !is_voiced(v.f0_semitones) {
        return [0.0; N_FORMANTS_VOICED];
    }
    let (f, b) = (v.formant_freq_hz, v.formant_bandwidth_hz);
    [f[0], b[0], f[1], b[1], f[2], b[2]]
}

/// `egemapsv02_lldSetSpectralNz` (alphaRatioV, hammarbergIndexV, slopeV0-500,
/// slopeV500-1500, spectralFluxV, mfcc1V..mfcc4V), zero unless voiced.
pub fn spectral_voiced(s: &SpectralLlds, f0_semitones: f32) -> [f32; N_SPECTRAL_VOICED] {
    if !is_voiced(f0_semitones) {
        return [0.0; N_SPECTRAL_VOICED];
    }
    let m = s.mfcc;
    [s.alpha_ratio_db, s.hammarberg_index_db, s.slope_0_500, s.slope_500_1500, s.spectral_flux, m[0], m[1], m[2], m[3]]
}

/// `egemapsv02_lldSetSpectralZ` (alphaRatioUV, hammarbergIndexUV,
/// slopeUV0-500, slopeUV500-1500, spectralFluxUV), zero unless unvoiced.
pub fn spectral_unvoiced(s: &SpectralLlds, f0_semitones: f32) -> [f32; N_SPECTRAL_UNVOICED] {
    if !is_unvoiced(f0_semitones) {
        return [0.0; N_SPECTRAL_UNVOICED];
    }
    [s.alpha_ratio_db, s.hammarberg_index_db, s.slope_0_500, s.slope_500_1500, s.spectral_flux]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_splits_voiced_and_unvoiced() {
        assert!(is_voiced(12.0) && !is_unvoiced(12.0));
        assert!(!is_voiced(0.0) && is_unvoiced(0.0));
        // exactly at the threshold neither selector copies the frame
        assert!(!is_voiced(VOICING_THRESHOLD_ST) && !is_unvoiced(VOICING_THRESHOLD_ST));
    }

    #[test]
    fn gating_zeroes_the_other_class() {
        let s = SpectralLlds {
            alpha_ratio_db: -10.0,
            spectral_flux: 0.5,
            mfcc: [1.0, 2.0, 3.0, 4.0],
            ..Default::default()
        };
        assert_eq!(spectral_voiced(&s, 0.0), [0.0; 9]);
        assert_eq!(spectral_voiced(&s, 30.0)[0], -10.0);
        assert_eq!(spectral_voiced(&s, 30.0)[8], 4.0);
        assert_eq!(spectral_unvoiced(&s, 30.0), [0.0; 5]);
        assert_eq!(spectral_unvoiced(&s, 0.0)[4], 0.5);
        let v = VoiceLlds { f0_semitones: 0.0, formant_freq_hz: [500.0, 1500.0, 2500.0], ..Default::default() };
        assert_eq!(formants_voiced(&v), [0.0; 6]);
        let v = VoiceLlds { f0_semitones: 20.0, ..v };
        assert_eq!(formants_voiced(&v)[2], 1500.0);
    }
}
