//! `brightness`: share of the magnitude spectrum above a cut-off frequency,
//! following MIRToolbox's `mirbrightness` (default 'CutOff' 1500 Hz, computed
//! on the amplitude spectrum of `mirspectrum`).
//!
//! Per 10 ms frame, from the shared 20 ms Hamming spectrum (`spec25`,
//! 512-point FFT, 43 Hz bins): `Σ_{f_k ≥ 1500 Hz} |X[k]| / Σ_{k ≥ 1} |X[k]|`
//! (the DC bin is left out so a DC offset does not darken the sound).
//! Step value: mean over the non-silent frames of the step window;
//! dimensionless in [0, 1] (a 220 Hz sine ≈ 0, white noise ≈ 0.86 at
//! 22 050 Hz); 0 when every frame is silent.

use super::ring::FrameMean;

/// Cut-off frequency, Hz (`mirbrightness` 'CutOff' default).
pub const CUTOFF_HZ: f64 = 1500.0;

/// Sum of the finite values of `x`, in eight partial sums (vectorisable).
fn sum_finite(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = x.len() / 8;
    for c in 0..chunks {
        for j in 0..8 {
            let v = x[c * 8 + j];
            acc[j] += if v.is_finite() { v } else { 0.0 };
        }
    }
    let mut s: f32 = acc.iter().sum();
    for &v in &x[chunks * 8..] {
        s += if v.is_finite() { v } else { 0.0 };
    }
    s
}

/// Per-frame brightness history.
#[derive(Debug, Clone)]
pub(crate) struct Brightness {
    k_cut: usize,
    history: FrameMean,
}

impl Brightness {
    /// For `spec25` spectra with bins `bin_hz` apart, keeping `history` frames.
    pub(crate) fn new(bin_hz: f64, history: usize) -> Self {
        Self { k_cut: ((CUTOFF_HZ / bin_hz).ceil() as usize).max(1), history: FrameMean::new(history) }
    }

    /// Brightness of one magnitude spectrum, or `None` when it has no energy.
    pub(crate) fn frame(&self, mag25: &[f32]) -> Option<f32> {
        let k_cut = self.k_cut.min(mag25.len());
        // DC left out; non-finite bins count as 0.
        let low = sum_finite(mag25.get(1..k_cut).unwrap_or(&[]));
        let high = sum_finite(&mag25[k_cut.max(1).min(mag25.len())..]);
        let total = low + high;
        (total > 1e-12).then(|| high / total)
    }

    /// Adds one frame (`None`: silent frame).
    pub(crate) fn push(&mut self, mag25: Option<&[f32]>) {
        let v = mag25.and_then(|m| self.frame(m));
        self.history.push(v);
    }

    /// Mean brightness over the defined frames among the last `n`.
    pub(crate) fn summary(&self, n: usize) -> f32 {
        self.history.summary(n)
    }

    pub(crate) fn clear(&mut self) {
        self.history.clear();
    }
}
