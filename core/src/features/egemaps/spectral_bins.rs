//! Frequency axis, bin ranges and power/log spectra shared by the eGeMAPS
//! components that read the 20 ms magnitude spectrum `fftmagH25`
//! ([`super::melspec`], [`super::spectral_shape`], [`super::spectral_flux`]).
//!
//! Everything here reproduces how openSMILE 3.0 places frequencies on FFT
//! bins, including its quirks, because the LLD values depend on them:
//!
//! - The bin spacing is `1 / frameSizeSec` where `frameSizeSec` is the
//!   *configured* frame length (`frameSize = 0.020`) stretched by
//!   `n_fft / frame_len` when `cTransformFFT` zero-pads
//!   (`dspcore/transformFft.cpp`, `configureWriter`). When the frame length
//!   in samples was rounded (e.g. 220.5 → 221 at 11 025 Hz), this spacing
//!   differs slightly from `sample_rate / n_fft`; at 22 050 Hz they agree.
//! - Band edges given in whole Hz map to a fractional first and last bin
//!   (`lldcore/spectral.cpp`, `cSpectral::processVector`, the
//!   `slopeBandsLi`/`slopeBandsHi` tables built from the level's frequency
//!   axis).
//! - `freqRange = lo-hi` selects bins by `cSpectral`'s own rule
//!   (`specRangeLowerBin`, `specRangeUpperBin`).
//! - Power and dB spectra are single precision, with the power floor
//!   `specFloor² = (1e-7)²` and its dB value (`cSpectral` constructor and
//!   `myFetchConfig`).

use crate::features::egemaps::config::FRAME25_S;

/// The linear frequency axis of a magnitude spectrum of `n_fft / 2 + 1` bins,
/// as openSMILE attaches it to the `fftmagH25` level.
#[derive(Debug, Clone, PartialEq)]
pub struct FftAxis {
    n_bins: usize,
    /// openSMILE's `frameSizeSec` of the padded FFT frame, in seconds.
    frame_size_s: f64,
    /// Centre frequency of every bin in Hz (`cTransformFFT::generateSpectralVectorInfo`).
    bin_hz: Vec<f64>,
}

impl FftAxis {
    /// The axis of an `n_fft`-point spectrum of a frame of `frame_len`
    /// samples whose configured length is `frame_s` seconds.
    ///
    /// `n_fft` must be at least 2 and `frame_len` at least 1 (checked by the callers).
    pub fn new(frame_s: f64, frame_len: usize, n_fft: usize) -> Self {
        let mut frame_size_s = frame_s;
        if n_fft != frame_len {
            // cTransformFFT::configureWriter: frameSizeSec *= nEl / nElOld.
            frame_size_s *= n_fft as f64 / frame_len.max(1) as f64;
        }
        let n_bins = n_fft / 2 + 1;
        let f0 = 1.0 / frame_size_s;
        let bin_hz = (0..n_bins).map(|i| f0 * i as f64).collect();
        Self { n_bins, frame_size_s, bin_hz }
    }

    /// The axis of the eGeMAPS 20 ms frame (`frameSize = 0.020`) of
    /// `frame_len` samples padded to `n_fft`.
    pub fn frame25(frame_len: usize, n_fft: usize) -> Self {
        Self::new(FRAME25_S, frame_len, n_fft)
    }

    /// Number of magnitude bins, `n_fft / 2 + 1`.
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// openSMILE's `frameSizeSec` of the padded frame in seconds.
    pub fn frame_size_s(&self) -> f64 {
        self.frame_size_s
    }

    /// Bin frequencies in Hz.
    pub fn bin_hz(&self) -> &[f64] {
        &self.bin_hz
    }

    /// Bins `lo..=hi` selected by `freqRange = lo_hz-hi_hz` (`cSpectral`:
    /// the last bin at or below `lo_hz`, the last bin strictly below
    /// `hi_hz`; `0-0` means bins 1 … n_bins−1). Always a valid, non-empty
    /// range of this axis.
    pub fn freq_range_bins(&self, lo_hz: u32, hi_hz: u32) -> std::ops::RangeInclusive<usize> {
        let last = self.n_bins.saturating_sub(1);
        if lo_hz == 0 && hi_hz == 0 {
            return 1.min(last)..=last;
        }
        let mut lo: Option<usize> = None;
        let mut hi: Option<usize> = None;
        for (i, &f) in self.bin_hz.iter().enumerate() {
            if lo_hz as f64 >= f {
                lo = Some(i);
            }
            if (hi_hz as f64) > f {
                hi = Some(i);
            }
        }
        let lo = lo.unwrap_or(0);
        let hi = hi.unwrap_or(last);
        lo.min(hi)..=hi
    }

    /// Fractional bin boundaries of the band `lo_hz-hi_hz`, as `cSpectral`
    /// maps its `bands[]` / `slopes[]` options onto the frequency axis.
    pub fn band_edges(&self, lo_hz: u32, hi_hz: u32) -> BandEdges {
        let f = &self.bin_hz;
        let n = self.n_bins;
        let lo = lo_hz as f64;
        let hi = hi_hz as f64;

        // Lower edge: first bin strictly above lo_hz, weighted by how much
        // of the bin below it lies inside the band.
        let ii = f.iter().position(|&x| x > lo).unwrap_or(n);
        let mut weight_lo = if ii < n && ii > 0 { (f[ii] - lo) / (f[ii] - f[ii - 1]) } else { 1.0 };
        let idx_lo = (ii as f64 - 1.0).max(0.0).min(n as f64);
        if weight_lo == 0.0 {
            weight_lo = 1.0;
        }

        // Upper edge: first bin at or above hi_hz.
        let ii = f.iter().position(|&x| x >= hi).unwrap_or(n);
        let mut weight_hi = if ii < n && ii > 0 { (hi - f[ii - 1]) / (f[ii] - f[ii - 1]) } else { 1.0 };
        let mut idx_hi = if ii < n && f[ii] == hi { ii as f64 } else { ii as f64 - 1.0 };
        if idx_hi >= n as f64 {
            idx_hi = n as f64 - 1.0;
        }
        if weight_hi == 0.0 {
            weight_hi = 1.0;
        }

        // Integer bins with openSMILE's clamping; `n_ind` keeps the unclamped indices.
        let n_ind = idx_hi - idx_lo;
        let mut first = idx_lo.floor();
        let mut last = idx_hi.floor();
        if first >= n as f64 {
            first = n as f64 - 1.0;
            last = first;
            weight_lo = 0.0;
            weight_hi = 0.0;
        }
        if last >= n as f64 {
            last = n as f64 - 1.0;
            weight_hi = 1.0;
        }
        BandEdges {
            first: first.max(0.0) as usize,
            last: last.max(0.0) as usize,
            weight_first: weight_lo,
            weight_last: weight_hi,
            n_ind,
        }
    }
}

/// A band on the FFT axis: bins `first..=last`, the outer two weighted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandEdges {
    /// First bin (weighted by `weight_first`).
    pub first: usize,
    /// Last bin (weighted by `weight_last`).
    pub last: usize,
    /// Weight of the first bin, in (0, 1].
    pub weight_first: f64,
    /// Weight of the last bin, in (0, 1].
    pub weight_last: f64,
    /// openSMILE's point count for the regression, `idxR − idxL` of the
    /// fractional edges (not `last − first + 1`).
    pub n_ind: f64,
}

/// Power floor `specFloor²` of `cSpectral` (`specFloor = 1e-7`, squared in single precision).
pub fn power_floor() -> f32 {
    let spec_floor = 1e-7f32;
    spec_floor * spec_floor
}

/// The dB value written for bins at or below [`power_floor`]
/// (`logSpecFloor = 10·log10(specFloor²)`, about −140 dB).
pub fn log_power_floor_db() -> f32 {
    (10.0 * (power_floor() as f64).ln() / 10f64.ln()) as f32
}

/// Power spectrum `|X|²` and its dB values `10·log10|X|²` (floored), the
/// `srcP` and `srcL` arrays of `cSpectral::processVector` (single precision,
/// as openSMILE).
#[derive(Debug, Clone)]
pub struct PowerSpectrum {
    power: Vec<f32>,
    log_db: Vec<f32>,
    floor: f32,
    floor_db: f32,
}

// `log_db` holds only the bins whose dB value is read (a `log()` per bin
// was a fifth of the 20 ms-frame LLDs' time while eGeMAPS reads 36 of 257).

impl PowerSpectrum {
    /// Buffers for `n_bins` bins.
    pub fn new(n_bins: usize) -> Self {
        Self::with_log_bins(n_bins, n_bins)
    }

    /// Buffers for `n_bins` bins whose dB values are needed only for the
    /// first `n_log` (see [`crate::features::egemaps::spectral_shape::SpectralShape::log_bins_read`]).
    pub fn with_log_bins(n_bins: usize, n_log: usize) -> Self {
        Self {
            power: vec![0.0; n_bins],
            log_db: vec![0.0; n_log.min(n_bins)],
            floor: power_floor(),
            floor_db: log_power_floor_db(),
        }
    }

    /// Fills both spectra from magnitudes `mag` (length `n_bins`; extra
    /// values are ignored, missing ones leave the old values).
    pub fn update(&mut self, mag: &[f32]) {
        // (10 / ln 10) as FLOAT_DMEM, then log() of a float: both single precision.
        let factor = (10.0 / 10f64.ln()) as f32;
        for (p, &m) in self.power.iter_mut().zip(mag) {
            *p = m * m;
        }
        for (l, &p) in self.log_db.iter_mut().zip(&self.power) {
            *l = if p <= self.floor { self.floor_db } else { factor * p.ln() };
        }
    }

    /// `|X[k]|²`.
    pub fn power(&self) -> &[f32] {
        &self.power
    }

    /// `10·log10 |X[k]|²`, floored at [`log_power_floor_db`], for the first
    /// `n_log` bins ([`Self::with_log_bins`]; all bins with [`Self::new`]).
    pub fn log_db(&self) -> &[f32] {
        &self.log_db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis22k() -> FftAxis {
        FftAxis::frame25(441, 512)
    }

    #[test]
    fn axis_at_22050_is_sample_rate_over_n_fft() {
        let a = axis22k();
        assert_eq!(a.n_bins(), 257);
        assert!((a.bin_hz()[1] - 22_050.0 / 512.0).abs() < 1e-9);
    }

    #[test]
    fn axis_uses_configured_frame_seconds_when_samples_were_rounded() {
        // 11 025 Hz: 0.020 s → 220.5 → 221 samples, padded to 256.
        let a = FftAxis::frame25(221, 256);
        let expected = 1.0 / (0.020 * 256.0 / 221.0);
        assert!((a.bin_hz()[1] - expected).abs() < 1e-9);
        assert!((a.bin_hz()[1] - 11_025.0 / 256.0).abs() > 0.01);
    }

    #[test]
    fn freq_range_0_5000_at_22050() {
        // bin 116 = 4995.7 Hz < 5000 < bin 117.
        assert_eq!(axis22k().freq_range_bins(0, 5000), 0..=116);
        assert_eq!(axis22k().freq_range_bins(0, 0), 1..=256);
        // Above Nyquist: everything up to the last bin.
        assert_eq!(FftAxis::frame25(160, 256).freq_range_bins(0, 5000), 0..=128);
    }

    #[test]
    fn band_edges_match_opensmile_tables() {
        let a = axis22k();
        let b = a.band_edges(0, 500);
        assert_eq!((b.first, b.last), (0, 11));
        assert_eq!(b.weight_first, 1.0);
        let bin = 22_050.0 / 512.0;
        assert!((b.weight_last - (500.0 - 11.0 * bin) / bin).abs() < 1e-12);
        assert_eq!(b.n_ind, 11.0);
        let b = a.band_edges(500, 1500);
        assert_eq!((b.first, b.last), (11, 34));
        assert!((b.weight_first - (12.0 * bin - 500.0) / bin).abs() < 1e-12);
        assert_eq!(b.n_ind, 23.0);
    }

    #[test]
    fn band_beyond_nyquist_clamps_without_panicking() {
        let a = FftAxis::frame25(160, 256); // 8 kHz, Nyquist 4000 Hz
        let b = a.band_edges(6000, 9000);
        assert!(b.first < a.n_bins() && b.last < a.n_bins());
    }

    #[test]
    fn log_floor_is_minus_140_db() {
        assert!((log_power_floor_db() + 140.0).abs() < 1e-3);
        let mut p = PowerSpectrum::new(3);
        p.update(&[0.0, 1.0, 10.0]);
        assert_eq!(p.log_db()[0], log_power_floor_db());
        assert_eq!(p.log_db()[1], 0.0);
        assert!((p.log_db()[2] - 20.0).abs() < 1e-5);
    }
}
