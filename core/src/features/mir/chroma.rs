//! Chromagram shared by `key_clarity` and `mode`, in the role of MIRToolbox's
//! `mirchromagram` (which `mirkeystrength` reads).
//!
//! Per 10 ms frame, from the spectral peaks of the shared 60 ms Gaussian
//! spectrum (`spec60`, 10.77 Hz bins; see [`super::peaks`]): every peak
//! between `MIN_CHROMA_HZ` and `MAX_CHROMA_HZ` (MIRToolbox's chromagram
//! range, 100–5000 Hz) adds its squared amplitude (the peak weight of
//! Gómez 2006's HPCP, on which `mirkeystrength` is modelled) to the pitch
//! class of its interpolated frequency (nearest equal-tempered semitone,
//! A4 = 440 Hz, class 0 = C). Squared amplitudes keep the upper partials of a
//! harmonic tone from outvoting the fundamentals (with plain amplitudes, a
//! C-major triad of 1/k-partial tones correlates better with E minor). Each frame's chroma is normalised to a maximum of 1
//! (`mirchromagram`'s per-frame 'Normal'), so loud frames do not dominate a
//! step. Using interpolated peaks instead of summing whole bins keeps a
//! partial's main lobe (±5 bins) from leaking into neighbouring classes.
//! Step value: the sum of the frame chromas of the step window.

use super::ring::Ring;

/// Lowest frequency mapped to chroma, Hz.
pub const MIN_CHROMA_HZ: f32 = 100.0;
/// Highest frequency mapped to chroma, Hz.
pub const MAX_CHROMA_HZ: f32 = 5000.0;

/// Per-frame chroma history.
#[derive(Debug, Clone)]
pub(crate) struct Chroma {
    history: Ring<[f32; 12]>,
}

impl Chroma {
    pub(crate) fn new(history: usize) -> Self {
        Self { history: Ring::new(history) }
    }

    /// Chroma of one frame's peaks (frequencies ascending, amplitudes), max-normalised;
    /// all zeros when no peak falls in range.
    pub(crate) fn frame(freqs: &[f32], amps: &[f32]) -> [f32; 12] {
        let mut c = [0.0f32; 12];
        for (&f, &a) in freqs.iter().zip(amps) {
            if !(MIN_CHROMA_HZ..=MAX_CHROMA_HZ).contains(&f) || a.is_nan() || a <= 0.0 || !a.is_finite() {
                continue;
            }
            let midi = 69.0 + 12.0 * (f / 440.0).log2();
            let pc = (midi.round() as i64).rem_euclid(12) as usize;
            c[pc] += a * a;
        }
        let max = c.iter().fold(0.0f32, |m, &x| m.max(x));
        if max > 0.0 {
            for v in &mut c {
                *v /= max;
            }
        }
        c
    }

    /// Adds one frame's peaks (empty slices for silent frames / no `spec60`).
    pub(crate) fn push(&mut self, freqs: &[f32], amps: &[f32]) {
        self.history.push(Self::frame(freqs, amps));
    }

    /// Sum of the last `n` frame chromas.
    pub(crate) fn summary(&self, n: usize) -> [f32; 12] {
        let mut acc = [0.0f64; 12];
        for c in self.history.iter_last(n) {
            for (a, &v) in acc.iter_mut().zip(c) {
                *a += v as f64;
            }
        }
        acc.map(|v| v as f32)
    }

    pub(crate) fn clear(&mut self) {
        self.history.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partials_map_to_their_pitch_classes() {
        // C4, E4, G4 and the A above, with A weaker.
        let c = Chroma::frame(&[261.63, 329.63, 392.0, 440.0, 50.0], &[1.0, 0.5, 0.5, 0.25, 9.0]);
        assert_eq!(c[0], 1.0);
        assert_eq!(c[4], 0.25);
        assert_eq!(c[7], 0.25);
        assert_eq!(c[9], 0.0625);
        // 50 Hz is below the chroma range and ignored.
        assert_eq!(c.iter().sum::<f32>(), 1.5625);
        assert_eq!(Chroma::frame(&[], &[]), [0.0; 12]);
    }
}
