//! Mel-band power spectrum, after openSMILE's `cMelspec`
//! (`src/lldcore/melspec.cpp`, `computeFilters` and `processVector`, the
//! standard triangular "lr" filterbank on the mel scale `1127·ln(1 + f/700)`).
//!
//! eGeMAPS v02 runs it twice on `fftmagH25` with `nBands = 26`,
//! `usePower = 1`, `lofreq = 20`, `hifreq = 8000`, `specScale = mel`:
//! - `[gemapsv01b_melspec1]`, `htkcompatible = 0`, feeding loudness
//!   (`GeMAPSv01b_core.lld.conf.inc`);
//! - `[egemapsv02_melspecMfcc]`, `htkcompatible = 1` (bands scaled by
//!   32767², as if samples were not normalised), feeding the MFCCs
//!   (`eGeMAPSv02_core.lld.conf.inc`).
//!
//! Filters: `nBands + 2` centre frequencies equally spaced in mel from
//! `lofreq` to `hifreq`; every bin strictly between the `lofreq` and `hifreq`
//! bins is split between the two bands whose centres enclose it, with weights
//! that sum to one (so bands are not area-normalised). All filter arithmetic
//! is single precision like openSMILE's, because the bin-to-band assignment
//! depends on it.
//!
//! Frequencies above Nyquist: openSMILE replaces `hifreq` by `Fs/2` when it
//! exceeds it (and `lofreq` by 0 when it is out of range); so does this
//! module. At 8 kHz the filterbank therefore spans 20–4000 Hz.

use crate::features::egemaps::spectral_bins::FftAxis;

/// `cMelspec` options (only the mel scale and the "lr" bandwidth method are implemented).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MelspecConfig {
    /// `nBands`: number of triangular bands.
    pub n_bands: usize,
    /// `usePower`: filter `|X|²` instead of `|X|`.
    pub use_power: bool,
    /// `lofreq` in Hz.
    pub lo_hz: f32,
    /// `hifreq` in Hz.
    pub hi_hz: f32,
    /// `htkcompatible`: scale the bands by 32767 (magnitude) or 32767² (power).
    pub htk_compatible: bool,
}

impl MelspecConfig {
    /// `[gemapsv01b_melspec1]` (GeMAPSv01b_core.lld.conf.inc): `nBands = 26`,
    /// `usePower = 1`, `lofreq = 20`, `hifreq = 8000`, `htkcompatible = 0`.
    pub const GEMAPS_LOUDNESS: Self =
        Self { n_bands: 26, use_power: true, lo_hz: 20.0, hi_hz: 8000.0, htk_compatible: false };
    /// `[egemapsv02_melspecMfcc]` (eGeMAPSv02_core.lld.conf.inc): as above with `htkcompatible = 1`.
    pub const EGEMAPS_MFCC: Self = Self { htk_compatible: true, ..Self::GEMAPS_LOUDNESS };
}

/// Errors building a filterbank.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MelspecError {
    /// openSMILE refuses more bands than spectrum bins.
    #[error("{n_bands} mel bands need at least as many spectrum bins, got {n_bins}")]
    TooManyBands { n_bands: usize, n_bins: usize },
    /// No bands requested.
    #[error("at least one mel band is required")]
    NoBands,
}

/// Marks bins outside the filterbank in the channel map (openSMILE uses −3).
const OUTSIDE: i32 = -3;

/// `cMelspec` with its filterbank; `process` does not allocate.
#[derive(Debug, Clone)]
pub struct Melspec {
    config: MelspecConfig,
    /// First and one-past-last bin handled (`nLoF`, `nHiF`).
    lo_bin: usize,
    hi_bin: usize,
    /// Per bin: index of the band receiving the falling-slope share (may be −1), or [`OUTSIDE`].
    chan_map: Vec<i32>,
    /// Per bin: weight of the falling slope of band `chan_map[n]`.
    weights: Vec<f32>,
    /// Band centre frequencies in Hz (openSMILE's field info for this level).
    centre_hz: Vec<f64>,
    /// 32767 or 32767² when `htk_compatible`, else 1.
    out_scale: f32,
}

fn mel(hz: f64) -> f64 {
    if hz > 0.0 {
        1127.0 * (1.0 + hz / 700.0).ln()
    } else {
        0.0
    }
}

fn mel_inv(m: f64) -> f64 {
    700.0 * ((m / 1127.0).exp() - 1.0)
}

impl Melspec {
    /// Builds the filterbank for spectra on `axis`.
    pub fn new(config: MelspecConfig, axis: &FftAxis) -> Result<Self, MelspecError> {
        let n_bins = axis.n_bins();
        let nb = config.n_bands;
        if nb == 0 {
            return Err(MelspecError::NoBands);
        }
        if n_bins < nb {
            return Err(MelspecError::TooManyBands { n_bands: nb, n_bins });
        }
        // computeFilters: N, F0 and Fs in FLOAT_DMEM.
        let n = ((n_bins - 1) * 2) as f32;
        let frame_s = axis.frame_size_s();
        let f0 = (1.0 / frame_s) as f32;
        let fs = (n as f64 / frame_s) as f32;
        let mut lo_hz = config.lo_hz;
        let mut hi_hz = config.hi_hz;
        if lo_hz < 0.0 || lo_hz as f64 > fs as f64 / 2.0 || lo_hz > hi_hz {
            lo_hz = 0.0;
        }
        if hi_hz < lo_hz || hi_hz as f64 > fs as f64 / 2.0 || hi_hz <= 0.0 {
            hi_hz = fs / 2.0;
        }
        let lo_mel = mel(lo_hz as f64) as f32;
        let hi_mel = mel(hi_hz as f64) as f32;
        // FtoN: round(f / F0) of a float quotient, clamped to [0, blocksize].
        let f_to_n = |f: f32| ((f / f0) as f64).round().clamp(0.0, n_bins as f64) as usize;
        let lo_bin = f_to_n(lo_hz);
        let hi_bin = f_to_n(hi_hz);
        // NtoFmel: mel of the bin frequency (n·F0 in float).
        let bin_mel = |k: usize| mel((k as f32 * f0) as f64) as f32;

        let band_w = (hi_mel - lo_mel) / (nb as f32 + 1.0);
        let cfs: Vec<f32> = (0..nb + 2).map(|m| lo_mel + m as f32 * band_w).collect();
        let centre_hz = (1..=nb).map(|m| mel_inv(cfs[m] as f64)).collect();

        let mut chan_map = vec![OUTSIDE; n_bins];
        let mut m = 0usize;
        for (k, c) in chan_map.iter_mut().enumerate() {
            if k <= lo_bin || k >= hi_bin {
                continue;
            }
            let km = bin_mel(k);
            while cfs[m] < km {
                if m > nb {
                    break;
                }
                m += 1;
            }
            *c = m as i32 - 2;
        }
        let mut weights = vec![0.0f32; n_bins];
        let mut m = 0usize;
        for (k, w) in weights.iter_mut().enumerate().take(hi_bin).skip(lo_bin) {
            let km = bin_mel(k);
            while m + 2 < cfs.len() && km > cfs[m + 1] && m <= nb {
                m += 1;
            }
            *w = (cfs[m + 1] - km) / (cfs[m + 1] - cfs[m]);
        }
        let out_scale = match (config.htk_compatible, config.use_power) {
            (false, _) => 1.0,
            (true, true) => (32767.0f64 * 32767.0) as f32,
            (true, false) => 32767.0,
        };
        Ok(Self { config, lo_bin, hi_bin, chan_map, weights, centre_hz, out_scale })
    }

    /// The configuration.
    pub fn config(&self) -> &MelspecConfig {
        &self.config
    }

    /// Number of bands.
    pub fn n_bands(&self) -> usize {
        self.config.n_bands
    }

    /// Band centre frequencies in Hz, as openSMILE stores them in the level's
    /// field info (cPlp reads them for its equal-loudness curve).
    pub fn centre_hz(&self) -> &[f64] {
        &self.centre_hz
    }

    /// Whether `other` has the same filterbank applied to the same input
    /// (`|X|` or `|X|²`), i.e. the configurations differ at most in
    /// `htk_compatible`. Then `other`'s bands are this one's unscaled sums
    /// times `other`'s scale ([`Self::scale_sums`]): eGeMAPS' two mel
    /// spectra (loudness and MFCC) are such a pair.
    pub fn same_filters(&self, other: &Melspec) -> bool {
        self.config.n_bands == other.config.n_bands
            && self.config.use_power == other.config.use_power
            && (self.lo_bin, self.hi_bin) == (other.lo_bin, other.hi_bin)
            && self.chan_map == other.chan_map
            && self.weights.iter().zip(&other.weights).all(|(a, b)| a.to_bits() == b.to_bits())
            && self.weights.len() == other.weights.len()
    }

    /// Whether the bands are the plain filter sums (`htkcompatible = 0`).
    pub fn is_unscaled(&self) -> bool {
        self.out_scale == 1.0
    }

    /// Turns the unscaled filter sums of a bank with the [same
    /// filters](Self::same_filters) into this bank's output, in place:
    /// exactly the final scaling step of [`Self::process`].
    pub fn scale_sums(&self, bands: &mut [f32]) {
        if self.out_scale != 1.0 {
            bands.iter_mut().take(self.config.n_bands).for_each(|x| *x *= self.out_scale);
        }
    }

    /// Filters magnitudes `mag` (`n_fft/2 + 1` bins) into `out` (`n_bands`
    /// values). Extra input bins are ignored, missing ones count as zero.
    pub fn process(&self, mag: &[f32], out: &mut [f32]) {
        let nb = self.config.n_bands;
        out.iter_mut().for_each(|x| *x = 0.0);
        let bins = self.chan_map.iter().zip(&self.weights).zip(mag).take(self.hi_bin).skip(self.lo_bin);
        for ((&band, &w), &m) in bins {
            if band < -1 {
                continue;
            }
            let x = if self.config.use_power { m * m } else { m };
            // openSMILE: a = (double)src·(double)w; dst[m] += (float)a; dst[m+1] += src − (float)a.
            let a = (x as f64 * w as f64) as f32;
            if band >= 0 {
                if let Some(o) = out.get_mut(band as usize) {
                    *o += a;
                }
            }
            let next = (band + 1) as usize;
            if next < nb {
                if let Some(o) = out.get_mut(next) {
                    *o += x - a;
                }
            }
        }
        self.scale_sums(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank(config: MelspecConfig) -> Melspec {
        Melspec::new(config, &FftAxis::frame25(441, 512)).unwrap()
    }

    #[test]
    fn flat_power_spectrum_gives_growing_bands() {
        let m = bank(MelspecConfig::GEMAPS_LOUDNESS);
        let mut out = [0.0f32; 26];
        m.process(&[1.0; 257], &mut out);
        // Mel bands widen with frequency, so a flat spectrum fills upper bands more.
        assert!(out[25] > out[0] * 5.0, "{out:?}");
        // Each bin inside (nLoF, nHiF) is split with weights summing to one, except
        // the shares falling outside the first/last band.
        let total: f32 = out.iter().sum();
        assert!(total > 150.0 && total < 186.0, "{total}");
    }

    #[test]
    fn htk_scaling() {
        let a = bank(MelspecConfig::GEMAPS_LOUDNESS);
        let b = bank(MelspecConfig::EGEMAPS_MFCC);
        let mag: Vec<f32> = (0..257).map(|k| 1.0 / (1.0 + k as f32)).collect();
        let (mut x, mut y) = ([0.0f32; 26], [0.0f32; 26]);
        a.process(&mag, &mut x);
        b.process(&mag, &mut y);
        for (p, q) in x.iter().zip(&y) {
            assert!((q / p / 1_073_676_289.0 - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn htk_bank_is_the_scaled_plain_bank_bit_for_bit() {
        let a = bank(MelspecConfig::GEMAPS_LOUDNESS);
        let b = bank(MelspecConfig::EGEMAPS_MFCC);
        assert!(a.same_filters(&b) && a.is_unscaled() && !b.is_unscaled());
        let mag: Vec<f32> = (0..257).map(|k| ((k * 7919) % 101) as f32 / 37.0).collect();
        let (mut x, mut y) = ([0.0f32; 26], [0.0f32; 26]);
        a.process(&mag, &mut x);
        b.process(&mag, &mut y);
        b.scale_sums(&mut x);
        assert!(x.iter().zip(&y).all(|(p, q)| p.to_bits() == q.to_bits()));
        let c =
            Melspec::new(MelspecConfig { n_bands: 24, ..MelspecConfig::GEMAPS_LOUDNESS }, &FftAxis::frame25(441, 512));
        assert!(!a.same_filters(&c.unwrap()));
    }

    #[test]
    fn centres_span_20_to_8000_hz() {
        let m = bank(MelspecConfig::GEMAPS_LOUDNESS);
        let c = m.centre_hz();
        assert_eq!(c.len(), 26);
        assert!(c[0] > 20.0 && c[0] < 100.0 && c[25] < 8000.0 && c[25] > 7000.0, "{c:?}");
    }

    #[test]
    fn hifreq_above_nyquist_is_clamped() {
        // 8 kHz: 160-sample frame, 256-point FFT.
        let m = Melspec::new(MelspecConfig::GEMAPS_LOUDNESS, &FftAxis::frame25(160, 256)).unwrap();
        assert!(*m.centre_hz().last().unwrap() < 4000.0);
        let mut out = [0.0f32; 26];
        m.process(&[1.0; 129], &mut out);
        assert!(out.iter().all(|x| x.is_finite() && *x >= 0.0));
    }

    #[test]
    fn too_many_bands_is_an_error() {
        let cfg = MelspecConfig { n_bands: 300, ..MelspecConfig::GEMAPS_LOUDNESS };
        assert!(matches!(Melspec::new(cfg, &FftAxis::frame25(441, 512)), Err(MelspecError::TooManyBands { .. })));
    }
}
