//! `roughness`: sensory dissonance summed over pairs of spectral peaks,
//! following MIRToolbox's `mirroughness` (default 'Sethares': Plomp–Levelt
//! curves as parameterised by Sethares 1998, amplitudes multiplied).
//!
//! Per 10 ms frame, from the peaks of the shared 60 ms Gaussian spectrum
//! (`spec60`; see [`super::peaks`], at most 40 peaks, amplitudes `a` in
//! full-scale sine units):
//! `R = Σ_{i<j} a_i·a_j·(e^{−3.5·s·Δf} − e^{−5.75·s·Δf})`, with
//! `Δf = f_j − f_i > 0` and `s = 0.24 / (0.0207·f_i + 18.96)`.
//! Partials closer than about 50 Hz merge into one peak at this resolution
//! (the Gaussian window's main lobe), so very close beatings of low partials
//! are under-counted; higher partials of harmonic tones carry the effect.
//! Units: full-scale-sine amplitude squared (scales with level²).
//! Step value: mean over the frames with a 60 ms spectrum in the step window
//! (silent frames count as 0); 0 if there are none.

const B1: f32 = 3.5;
const B2: f32 = 5.75;
const S_NUM: f32 = 0.24;
const S_A: f32 = 0.0207;
const S_B: f32 = 18.96;
/// Pairs with `B1·s·Δf` beyond this contribute < e^{−12} of their product and are skipped.
const MAX_EXPONENT: f32 = 12.0;

/// Dissonance of one frame's peaks (frequencies ascending, Hz; amplitudes).
pub(crate) fn sethares(freqs: &[f32], amps: &[f32]) -> f32 {
    let mut total = 0.0f32;
    for i in 0..freqs.len() {
        let (fi, ai) = (freqs[i], amps[i]);
        let s = S_NUM / (S_A * fi + S_B);
        for j in i + 1..freqs.len() {
            let x = s * (freqs[j] - fi);
            if B1 * x > MAX_EXPONENT {
                break;
            }
            total += ai * amps[j] * ((-B1 * x).exp() - (-B2 * x).exp());
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_peaks_near_a_quarter_critical_band_and_vanishes_far_away() {
        let d = |df: f32| sethares(&[500.0, 500.0 + df], &[1.0, 1.0]);
        assert_eq!(d(0.0), 0.0);
        // Maximum at s·Δf = ln(5.75/3.5)/2.25 ≈ 0.22, i.e. Δf ≈ 26 Hz at 500 Hz.
        assert!(d(26.0) > d(10.0) && d(26.0) > d(60.0));
        assert!(d(400.0) < 1e-3);
        assert!(sethares(&[500.0], &[1.0]) == 0.0);
    }
}
