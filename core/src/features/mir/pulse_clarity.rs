//! `pulse_clarity`: how clearly a periodic pulse stands out, following
//! MIRToolbox's `mirpulseclarity` default heuristic 'MaxAutocor' (Lartillot,
//! Eerola, Toiviainen & Fornari 2008): the height of the highest peak of the
//! onset curve's normalised autocorrelation within the tempo range.
//!
//! Input: the autocorrelation computed by [`super::tempo`] over the last
//! `context_s` (default 6 s) of the spectral-flux onset curve, mean removed,
//! biased, divided by its lag-0 value. Range searched: periods 0.3–1.5 s
//! (200–40 BPM), the same as `mirtempo`'s. Dimensionless in [0, 1]: near 1
//! for a metronome, near 0 for stationary noise; 0 for silence or when the
//! history is too short for the range (< 0.6 s).

/// Highest local maximum of `acf` (normalised, `acf[0] = 1`) over lags
/// `tau_min..=tau_max`, clamped to [0, 1]; 0 if there is none.
pub(crate) fn from_autocorrelation(acf: &[f32], tau_min: usize, tau_max: usize) -> f32 {
    let hi = tau_max.min(acf.len().saturating_sub(2));
    let mut best = 0.0f32;
    for tau in tau_min.max(1)..=hi {
        let v = acf[tau];
        if v > acf[tau - 1] && v >= acf[tau + 1] && v > best {
            best = v;
        }
    }
    best.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_highest_peak_in_range_only() {
        let mut acf = vec![0.0f32; 20];
        acf[0] = 1.0;
        acf[3] = 0.9; // out of range
        acf[8] = 0.4;
        acf[12] = 0.6;
        assert_eq!(from_autocorrelation(&acf, 5, 15), 0.6);
        assert_eq!(from_autocorrelation(&[1.0, 0.5, 0.2, 0.1], 1, 2), 0.0);
    }
}
