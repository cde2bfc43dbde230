//! The eGeMAPS v02 preset: framing constants shared by every LLD family.
//! Each constant cites the openSMILE 3.0 config line it reproduces
//! (`config/gemaps/v01b/GeMAPSv01b_core.lld.conf.inc`, "lld.inc" below).

use crate::dsp::framer::seconds_to_samples;

/// LLD hop: `frameStep = 0.010` (lld.inc, `[gemapsv01b_frame60]` and `[gemapsv01b_frame25]`).
pub const HOP_S: f64 = 0.010;
/// Long frame for pitch and voice quality: `frameSize = 0.060` (lld.inc, `[gemapsv01b_frame60]`).
pub const FRAME60_S: f64 = 0.060;
/// Gaussian window of the long frame: `winFunc = gauss`, `sigma = 0.4` (lld.inc, `[gemapsv01b_win60]`).
pub const FRAME60_GAUSS_SIGMA: f64 = 0.4;
/// Short frame for energy/spectral LLDs: `frameSize = 0.020` (lld.inc,
/// `[gemapsv01b_frame25]`; the instance name says 25 but the frame is 20 ms), Hamming window.
pub const FRAME25_S: f64 = 0.020;
/// Smoothing: `smaWin = 3` (all `cContourSmoother` sections).
pub const SMA_WIN: usize = 3;

/// Frame geometry in samples at a given analysis rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    /// Hop between LLD frames in samples (221 at 22 050 Hz: openSMILE rounds 220.5 up).
    pub hop: usize,
    /// Samples in the 60 ms Gaussian frame.
    pub frame60: usize,
    /// Samples in the 20 ms Hamming frame.
    pub frame25: usize,
}

impl Framing {
    /// openSMILE's rounding of the preset's seconds at `sample_rate_hz`.
    pub fn at(sample_rate_hz: u32) -> Self {
        Self {
            hop: seconds_to_samples(HOP_S, sample_rate_hz).max(1),
            frame60: seconds_to_samples(FRAME60_S, sample_rate_hz).max(1),
            frame25: seconds_to_samples(FRAME25_S, sample_rate_hz).max(1),
        }
    }

    /// The hop in seconds as openSMILE reports frame times (hop samples / rate).
    pub fn hop_s(&self, sample_rate_hz: u32) -> f64 {
        self.hop as f64 / sample_rate_hz as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_at_analysis_rate() {
        let f = Framing::at(22_050);
        assert_eq!(f, Framing { hop: 221, frame60: 1323, frame25: 441 });
    }
}
