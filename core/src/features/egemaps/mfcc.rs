//! Mel-frequency cepstral coefficients, after openSMILE's `cMfcc`
//! (`src/lldcore/mfcc.cpp`, `initTables` and `processVector`), section
//! `[egemapsv02_mfcc]` of `eGeMAPSv02_core.lld.conf.inc`: `firstMfcc = 1`,
//! `lastMfcc = 4`, `cepLifter = 22`, `htkcompatible = 1`, on the 26 HTK-scaled
//! mel-band powers of `[egemapsv02_melspecMfcc]`.
//!
//! `mfcc[i] = (1 + L/2·sin(πi/L)) · sqrt(2/B) · Σ_b ln(max(mel[b], 1)) · cos(πi/B·(b + ½))`
//! with `B` bands and lifter `L`. `htkcompatible = 1` sets the mel floor to 1
//! (powers are on the 32767² scale, so silence gives `ln 1 = 0` and all
//! coefficients 0); it would also move c0 to the end, which does not arise
//! with `firstMfcc = 1`. All arithmetic is single precision as in openSMILE.

/// `cMfcc` options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MfccConfig {
    /// `firstMfcc`.
    pub first: usize,
    /// `lastMfcc` (inclusive).
    pub last: usize,
    /// `cepLifter`; 0 disables liftering.
    pub cep_lifter: f32,
    /// `htkcompatible`: mel floor 1 and c0 appended last.
    pub htk_compatible: bool,
}

impl MfccConfig {
    /// `[egemapsv02_mfcc]` (eGeMAPSv02_core.lld.conf.inc).
    pub const EGEMAPS_V02: Self = Self { first: 1, last: 4, cep_lifter: 22.0, htk_compatible: true };

    /// Number of coefficients, `last − first + 1` (0 if `last < first`).
    pub fn n_coeffs(&self) -> usize {
        (self.last + 1).saturating_sub(self.first)
    }

    /// `melfloor`: 1 with `htkcompatible`, else the option's default 1e-8.
    pub fn mel_floor(&self) -> f32 {
        if self.htk_compatible {
            1.0
        } else {
            0.000_000_01
        }
    }
}

/// `cMfcc` with its DCT and lifter tables; `process` does not allocate.
#[derive(Debug, Clone)]
pub struct Mfcc {
    config: MfccConfig,
    n_bands: usize,
    /// `n_coeffs × n_bands` DCT-II basis, row per output coefficient.
    cos_table: Vec<f32>,
    /// Per output coefficient: lifter weight × sqrt(2 / n_bands).
    gain: Vec<f32>,
    log_mel: Vec<f32>,
}

impl Mfcc {
    /// Tables for `n_bands` input bands.
    pub fn new(config: MfccConfig, n_bands: usize) -> Self {
        let nc = config.n_coeffs();
        // With htkcompatible and firstMfcc = 0, c0 is output last: row order
        // 1, 2, …, last, 0 (cMfcc::processVector's i0 remapping).
        let order: Vec<usize> = if config.htk_compatible && config.first == 0 {
            (1..=config.last).chain(std::iter::once(0)).collect()
        } else {
            (config.first..=config.last).collect()
        };
        let fn_m = n_bands as f64;
        let mut cos_table = Vec::with_capacity(nc * n_bands);
        for &i in &order {
            for b in 0..n_bands {
                cos_table.push((std::f64::consts::PI * (i as f64 / fn_m) * (b as f64 + 0.5)).cos() as f32);
            }
        }
        let factor = (2.0 / fn_m.max(1.0)).sqrt() as f32;
        let lifter = config.cep_lifter;
        let gain = order
            .iter()
            .map(|&i| {
                let s = if lifter > 0.0 {
                    1.0 + lifter / 2.0 * (std::f32::consts::PI * i as f32 / lifter).sin()
                } else {
                    1.0
                };
                s * factor
            })
            .collect();
        Self { config, n_bands, cos_table, gain, log_mel: vec![0.0; n_bands] }
    }

    /// The configuration.
    pub fn config(&self) -> &MfccConfig {
        &self.config
    }

    /// Cepstral coefficients of `melspec` (`n_bands` powers, HTK scale when
    /// `htk_compatible`) into `out` (`n_coeffs` values; extra outputs untouched).
    pub fn process(&mut self, melspec: &[f32], out: &mut [f32]) {
        let floor = self.config.mel_floor();
        for (l, &m) in self.log_mel.iter_mut().zip(melspec) {
            *l = if m < floor { floor.ln() } else { m.ln() };
        }
        for ((o, row), &g) in out.iter_mut().zip(self.cos_table.chunks_exact(self.n_bands.max(1))).zip(&self.gain) {
            let acc = self.log_mel.iter().zip(row).fold(0.0f32, |s, (&l, &c)| s + l * c);
            *o = acc * g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_mel_spectrum_has_zero_cepstrum() {
        // cos rows for i ≥ 1 sum to zero over the bands.
        let mut m = Mfcc::new(MfccConfig::EGEMAPS_V02, 26);
        let mut out = [1.0f32; 4];
        m.process(&[1e6; 26], &mut out);
        for c in out {
            assert!(c.abs() < 1e-3, "{c}");
        }
    }

    #[test]
    fn below_floor_is_zero() {
        let mut m = Mfcc::new(MfccConfig::EGEMAPS_V02, 26);
        let mut out = [1.0f32; 4];
        m.process(&[0.0; 26], &mut out);
        assert_eq!(out, [0.0; 4]);
    }

    #[test]
    fn tilted_spectrum_gives_positive_mfcc1() {
        // More low-frequency energy → positive first cepstral coefficient.
        let mel: Vec<f32> = (0..26).map(|b| 1e8 / (1.0 + b as f32).powi(2)).collect();
        let mut m = Mfcc::new(MfccConfig::EGEMAPS_V02, 26);
        let mut out = [0.0f32; 4];
        m.process(&mel, &mut out);
        assert!(out[0] > 1.0, "{out:?}");
    }

    #[test]
    fn lifter_weights() {
        let m = Mfcc::new(MfccConfig::EGEMAPS_V02, 26);
        let f = (2.0f32 / 26.0).sqrt();
        let l1 = 1.0 + 11.0 * (std::f32::consts::PI / 22.0).sin();
        assert!((m.gain[0] - l1 * f).abs() < 1e-6);
    }
}
