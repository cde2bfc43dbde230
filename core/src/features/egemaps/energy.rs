//! Frame energy, after openSMILE's `cEnergy` (`src/lldcore/energy.cpp`,
//! `cEnergy::processVector`).
//!
//! eGeMAPS v02 uses it twice:
//! - `[egemapsv02_energyRMS]` on the raw (unwindowed) 20 ms frame with
//!   `rms = 0`, `energy2 = 1`, `log = 0`: the mean square
//!   `pcm_SQUAREDenergy` that feeds the equivalent sound level
//!   (`eGeMAPSv02_core.lld.conf.inc`);
//! - `[gemapsv01b_energy60]` on the Gaussian-windowed 60 ms frame with
//!   `rms = 1`, `log = 0`: the RMS used to gate F0 (`GeMAPSv01b_core.lld.conf.inc`).
//!
//! [`Energy::process`] computes all of openSMILE's outputs at once (they share
//! one sum); each user reads the field its config enables. Scale and bias
//! options are left at their defaults (1 and 0) by every eGeMAPS section and
//! are not modelled.

/// Floor of the mean square before the (non-HTK) log: `minE` in energy.cpp.
pub const LOG_ENERGY_FLOOR: f64 = 8.674676e-019;

/// Full-scale 16-bit sample value openSMILE uses for HTK-compatible log energy.
const HTK_SAMPLE_SCALE: f64 = 32767.0;

/// The outputs of `cEnergy` for one frame. Units: the input's sample scale
/// (openSMILE reads 16-bit PCM as `i16 / 32767`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EnergyFrame {
    /// `pcm_RMSenergy`: `sqrt(Σx²/N)` (option `rms`).
    pub rms: f32,
    /// `pcm_SQUAREDenergy`: `Σx²/N` (option `energy2`).
    pub squared: f32,
    /// `pcm_LOGenergy` in neper: `ln(max(Σx²/N, 8.67e-19))`, or with
    /// `htkcompatible = 1` `ln(max(Σx²·32767², 1))` (option `log`).
    pub log: f32,
}

/// `cEnergy`: RMS, mean-square and log energy of a frame. Stateless.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Energy {
    htk_compatible: bool,
}

impl Energy {
    /// `htk_compatible` selects HTK's log energy (option `htkcompatible`);
    /// every eGeMAPS v02 section sets it to 0.
    pub fn new(htk_compatible: bool) -> Self {
        Self { htk_compatible }
    }

    /// Energy of `frame` (any length; an empty frame gives all zeros, as
    /// openSMILE writes nothing then). Squares are taken in single and summed
    /// in double precision, as in energy.cpp. Non-finite samples propagate;
    /// [`super::spectral_llds::SpectralLlds`] screens them before calling this.
    pub fn process(&self, frame: &[f32]) -> EnergyFrame {
        if frame.is_empty() {
            return EnergyFrame::default();
        }
        let sum: f64 = frame.iter().map(|&x| (x * x) as f64).sum();
        let n = frame.len() as f64;
        let mean = sum / n;
        let log = if self.htk_compatible {
            (sum * HTK_SAMPLE_SCALE * HTK_SAMPLE_SCALE).max(1.0).ln()
        } else {
            mean.max(LOG_ENERGY_FLOOR).ln()
        };
        EnergyFrame { rms: mean.sqrt() as f32, squared: mean as f32, log: log as f32 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_frame() {
        let e = Energy::new(false).process(&[0.5; 441]);
        assert!((e.squared - 0.25).abs() < 1e-7);
        assert!((e.rms - 0.5).abs() < 1e-7);
        assert!((e.log - 0.25f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn silence_is_floored_in_the_log_only() {
        let e = Energy::new(false).process(&[0.0; 441]);
        assert_eq!(e.squared, 0.0);
        assert_eq!(e.rms, 0.0);
        assert!((e.log as f64 - LOG_ENERGY_FLOOR.ln()).abs() < 1e-5); // ≈ −41.59 Np
        assert_eq!(Energy::new(true).process(&[0.0; 441]).log, 0.0);
    }

    #[test]
    fn full_scale_square_wave() {
        let frame: Vec<f32> = (0..441).map(|i| if i % 20 < 10 { 1.0 } else { -1.0 }).collect();
        let e = Energy::new(false).process(&frame);
        assert_eq!(e.squared, 1.0);
        assert_eq!(e.rms, 1.0);
    }

    #[test]
    fn empty_frame_is_zero() {
        assert_eq!(Energy::new(false).process(&[]), EnergyFrame::default());
    }
}
