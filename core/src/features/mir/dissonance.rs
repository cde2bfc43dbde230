//! `dissonance`: level-free sensory dissonance — the Sethares roughness of
//! [`super::roughness`] divided by the energy of the same spectral peaks, so it measures how
//! rough the sound is, not how loud. Not a MIRToolbox descriptor: `mirroughness` scales with
//! amplitude², so on its own it mixes loudness into dissonance, and mastered recordings
//! (−9…−15 dBFS) sit far outside the level range of a training corpus.
//!
//! Per 10 ms frame, from the peaks of the shared 60 ms spectrum (frequencies `f`, amplitudes
//! `a`): `D = R(f, a) / Σ_i a_i²`, with `R` the Sethares sum. Dimensionless; the largest pair
//! term is `a_i·a_j·0.18 ≤ 0.09·(a_i² + a_j²)` (the curve's maximum is ≈ 0.18), so two equal
//! partials a quarter critical band apart give ≈ 0.09, and harmonic tones much less.
//! Frames without peaks (silence) give 0. Step value: mean over the frames with a 60 ms
//! spectrum in the step window.

/// Dissonance of one frame's peaks (frequencies ascending, Hz; amplitudes).
#[cfg(test)]
pub(crate) fn per_energy(freqs: &[f32], amps: &[f32]) -> f32 {
    of_roughness(super::roughness::sethares(freqs, amps), amps)
}

/// Dissonance from the frame's Sethares roughness `roughness` (already summed over these
/// peaks, [`super::roughness::sethares`]) and the peak amplitudes `amps`.
pub(crate) fn of_roughness(roughness: f32, amps: &[f32]) -> f32 {
    let energy: f32 = amps.iter().map(|a| a * a).sum();
    if !(energy > 1e-20) {
        return 0.0;
    }
    roughness / energy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independent_of_level_and_larger_for_close_partials() {
        let (f_close, f_fifth) = ([440.0, 466.0], [440.0, 660.0]);
        for gain in [0.01f32, 0.1, 1.0] {
            let close = per_energy(&f_close, &[gain, gain]);
            let fifth = per_energy(&f_fifth, &[gain, gain]);
            assert!((close - per_energy(&f_close, &[1.0, 1.0])).abs() < 1e-5, "level-free: {close}");
            assert!(close > 5.0 * fifth, "semitone {close} vs fifth {fifth}");
        }
        assert_eq!(per_energy(&[], &[]), 0.0);
        assert_eq!(per_energy(&[440.0], &[0.5]), 0.0);
    }
}
