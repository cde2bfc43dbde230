//! Spectral flux, after openSMILE's `cSpectral` with `flux = 1`
//! (`src/lldcore/spectral.cpp`, `processVector`, the `prevSpec` block),
//! section `[egemapsv02_logSpectral_flux]` of `eGeMAPSv02_core.lld.conf.inc`
//! (`freqRange = 0-5000`, `squareInput = 1`, `normBandEnergies = 1`,
//! `useLogSpectrum = 1`).
//!
//! `flux_t = sqrt( Σ_{k∈R} (|X_t[k]| − |X_{t−1}[k]|)² / |R| )` over the bins `R`
//! selected by `freqRange` (0 … 4995.7 Hz, 117 bins at 22 050 Hz), on the
//! *unnormalised* magnitudes of `fftmagH25`: in openSMILE 3.0.2 the flux
//! normalisers `normP`/`normC` are fixed at 1, so `normBandEnergies` and
//! `useLogSpectrum` do not change it. The first frame after construction or
//! [`SpectralFlux::reset`] outputs 0.

use std::ops::RangeInclusive;

use crate::features::egemaps::spectral_bins::FftAxis;

/// `freqRange = 0-5000` of `[egemapsv02_logSpectral_flux]`, Hz.
pub const EGEMAPS_FLUX_RANGE_HZ: (u32, u32) = (0, 5000);

/// Stateful flux: remembers the previous frame's magnitudes in its range.
#[derive(Debug, Clone)]
pub struct SpectralFlux {
    range: RangeInclusive<usize>,
    prev: Vec<f32>,
    has_prev: bool,
}

impl SpectralFlux {
    /// Flux over the eGeMAPS range `0-5000` Hz of `axis`.
    pub fn new(axis: &FftAxis) -> Self {
        let (lo, hi) = EGEMAPS_FLUX_RANGE_HZ;
        Self::with_range(axis, lo, hi)
    }

    /// Flux over `freqRange = lo_hz-hi_hz` of `axis` (cSpectral's bin rule).
    pub fn with_range(axis: &FftAxis, lo_hz: u32, hi_hz: u32) -> Self {
        let range = axis.freq_range_bins(lo_hz, hi_hz);
        let n = range.end() + 1 - range.start();
        Self { range, prev: vec![0.0; n], has_prev: false }
    }

    /// Flux of `mag` (magnitudes `|X[k]|`, `n_fft/2 + 1` bins; missing bins
    /// count as zero) against the previous call's, then remembers `mag`.
    pub fn process(&mut self, mag: &[f32]) -> f32 {
        let start = *self.range.start();
        let mut acc = 0.0f64;
        for (j, p) in self.prev.iter_mut().enumerate() {
            let m = mag.get(start + j).copied().unwrap_or(0.0);
            let d = m as f64 - *p as f64;
            acc += d * d;
            *p = m;
        }
        if !self.has_prev {
            self.has_prev = true;
            return 0.0;
        }
        let flux = acc / self.prev.len() as f64;
        if flux > 0.0 {
            flux.sqrt() as f32
        } else {
            0.0
        }
    }

    /// Forgets the previous frame: the next frame's flux is 0.
    pub fn reset(&mut self) {
        self.has_prev = false;
        self.prev.iter_mut().for_each(|x| *x = 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_frame_is_zero_then_rms_difference() {
        let axis = FftAxis::frame25(441, 512);
        let mut f = SpectralFlux::new(&axis);
        assert_eq!(f.process(&[1.0; 257]), 0.0);
        assert_eq!(f.process(&[1.0; 257]), 0.0);
        // All 117 bins in range change by 2 → flux 2; bins above 5 kHz are ignored.
        let mut next = [3.0f32; 257];
        next[200] = 100.0;
        assert!((f.process(&next) - 2.0).abs() < 1e-6);
        f.reset();
        assert_eq!(f.process(&[0.0; 257]), 0.0);
    }
}
