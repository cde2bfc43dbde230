//! `irregularity`: how jagged the spectral envelope is from one partial to
//! the next, following MIRToolbox's `mirregularity` (default 'Jensen',
//! Jensen 1999): `Σ_k (a_k − a_{k+1})² / Σ_k a_k²` over the spectral peaks
//! sorted by frequency.
//!
//! Per 10 ms frame, from the peaks of the shared 60 ms Gaussian spectrum
//! (`spec60`; see [`super::peaks`]). It measures the amplitude pattern of the
//! partials, not their frequencies: a harmonic tone with a smooth envelope
//! (1/k partials) scores low; inharmonic or noisy spectra, whose peaks come
//! with scattered amplitudes, score high. Dimensionless, ≥ 0 (at most 2 for
//! alternating amplitudes). Undefined for frames with fewer than two peaks
//! (silence, a pure sine); step value: mean over the defined frames of the
//! step window, 0 if there are none.

/// Jensen irregularity of one frame's peak amplitudes (ascending frequency);
/// `None` with fewer than two peaks or no energy.
pub(crate) fn jensen(amps: &[f32]) -> Option<f32> {
    if amps.len() < 2 {
        return None;
    }
    let energy: f32 = amps.iter().map(|a| a * a).sum();
    let diff: f32 = amps.windows(2).map(|w| (w[0] - w[1]) * (w[0] - w[1])).sum();
    (energy > 0.0).then(|| diff / energy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_envelope_is_regular_alternating_is_not() {
        let smooth: Vec<f32> = (1..=10).map(|k| 1.0 / k as f32).collect();
        let alternating: Vec<f32> = (0..10).map(|k| if k % 2 == 0 { 1.0 } else { 0.1 }).collect();
        let s = jensen(&smooth).unwrap();
        let a = jensen(&alternating).unwrap();
        assert!(s < 0.25 && a > 1.0, "{s} {a}");
        assert_eq!(jensen(&[1.0]), None);
        assert_eq!(jensen(&[0.0, 0.0]), None);
    }
}
