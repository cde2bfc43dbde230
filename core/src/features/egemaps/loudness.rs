//! Loudness, after openSMILE's `[gemapsv01b_audspec:cPlp]` followed by
//! `[gemapsv01b_audspecSum:cVectorOperation]` (`GeMAPSv01b_core.lld.conf.inc`).
//!
//! `cPlp` (`src/lldcore/plp.cpp`, `initTables` and `processVector`) with
//! `doAud = 1`, `doLog = 0`, `doIDFT = 0`, `htkcompatible = 0`,
//! `compression = 0.33` turns the 26 mel-band powers of
//! `[gemapsv01b_melspec1]` into an auditory spectrum:
//! `audSpec[b] = (max(mel[b], melfloor) · E(f_b))^0.33`, with
//! `melfloor = 9.3e-10` (the option's default) and `E` the PLP equal-loudness
//! curve (Hermansky 1990, `smileDsp_equalLoudnessWeight` in
//! `src/smileutil/smileUtil.c`) at the band centre `f_b`.
//! `cVectorOperation` (`src/other/vectorOperation.cpp`) with
//! `operation = ll1` then outputs the mean over bands, `Σ audSpec[b] / 26`:
//! the `loudness` LLD (in openSMILE's arbitrary sone-like units).
//!
//! Digital silence gives the floor `mean_b (9.3e-10 · E(f_b))^0.33 ≈ 1.03e-3`.

/// `melfloor` default of `cPlp` (`0.00000000093`), in FLOAT_DMEM.
pub const MEL_FLOOR: f32 = 0.000_000_000_93;
/// `compression = 0.33` of `[gemapsv01b_audspec]`.
pub const COMPRESSION: f32 = 0.33;

/// PLP equal-loudness weight at `hz` (`smileDsp_equalLoudnessWeight`, non-HTK variant).
pub fn equal_loudness_weight(hz: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * hz;
    let w2 = w * w;
    let c = w2 + 6_300_000.0;
    if c > 0.0 {
        1e32 * ((w2 + 56.8e6) * w2 * w2) / (c * c * (w2 + 0.38e9) * (w2 * w2 * w2 * w + 1.7e31))
    } else {
        0.0
    }
}

/// Auditory spectrum and its band mean; holds the weights and one scratch
/// vector, so `process` does not allocate.
#[derive(Debug, Clone)]
pub struct Loudness {
    weights: Vec<f32>,
    audspec: Vec<f32>,
}

impl Loudness {
    /// `band_centre_hz`: centre frequency of each mel band
    /// ([`super::melspec::Melspec::centre_hz`]).
    pub fn new(band_centre_hz: &[f64]) -> Self {
        let weights = band_centre_hz.iter().map(|&f| equal_loudness_weight(f) as f32).collect();
        Self { weights, audspec: vec![0.0; band_centre_hz.len()] }
    }

    /// Loudness of one frame from its (non-HTK) mel-band powers; missing
    /// bands count as silent. Stores the auditory spectrum for [`Self::audspec`].
    pub fn process(&mut self, melspec: &[f32]) -> f32 {
        let compression = COMPRESSION as f64;
        for (i, (a, &w)) in self.audspec.iter_mut().zip(&self.weights).enumerate() {
            let x = melspec.get(i).copied().unwrap_or(0.0).max(MEL_FLOOR) * w;
            *a = (x as f64).powf(compression) as f32;
        }
        // ll1: single-precision sum divided by the number of bands.
        let n = self.audspec.len();
        if n == 0 {
            return 0.0;
        }
        self.audspec.iter().fold(0.0f32, |s, &x| s + x) / n as f32
    }

    /// The auditory spectrum (`audSpec`) of the last frame.
    pub fn audspec(&self) -> &[f32] {
        &self.audspec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_loudness_peaks_in_the_speech_range() {
        let e = |f| equal_loudness_weight(f);
        assert!(e(100.0) < e(1000.0));
        assert!(e(3000.0) > e(1000.0) * 0.5);
        assert!(e(10_000.0) < e(3000.0));
        assert_eq!(equal_loudness_weight(0.0), 0.0);
    }

    #[test]
    fn loudness_grows_like_power_to_the_0_33() {
        let centres: Vec<f64> = (0..26).map(|i| 100.0 + 300.0 * i as f64).collect();
        let mut l = Loudness::new(&centres);
        let a = l.process(&[1.0; 26]);
        let b = l.process(&[8.0; 26]);
        // 8^0.33 ≈ 1.986.
        assert!((b / a - 8f32.powf(0.33)).abs() < 1e-4, "{a} {b}");
    }

    #[test]
    fn silence_gives_the_floor_not_zero() {
        let centres: Vec<f64> = (0..26).map(|i| 100.0 + 300.0 * i as f64).collect();
        let mut l = Loudness::new(&centres);
        let s = l.process(&[0.0; 26]);
        assert!(s > 0.0 && s < 0.01, "{s}");
    }
}
