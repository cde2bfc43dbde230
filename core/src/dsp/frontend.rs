//! The one analysis front end every extractor reads: a single framer over the
//! analysis-rate stream producing, per 10 ms hop, the 20 ms Hamming spectrum
//! and the 60 ms Gaussian spectrum of the same audio (eGeMAPS' two framings,
//! `GeMAPSv01b_core.lld.conf.inc` `[gemapsv01b_frame25]`, `[gemapsv01b_frame60]`).
//! eGeMAPS and the MIR descriptors both consume [`FrameView`]s, so no signal
//! is transformed twice.
//!
//! Frame `k` starts at sample `k·hop` (left-aligned). The short frame is the
//! first `frame25` samples of the long one. At end of input openSMILE still
//! emits the short frames whose 20 ms fit but whose 60 ms do not;
//! [`FrontEnd::finish`] does the same, with `spec60 = None`.

use super::framer::Framer;
use super::spectrum::Spectrum;
use super::window;
use crate::features::egemaps::config::{Framing, FRAME60_GAUSS_SIGMA};

/// What one hop of the front end offers to extractors.
pub struct FrameView<'a> {
    /// Frame index (0-based); the frame starts at sample `index · hop`.
    pub index: u64,
    /// Start time of the frame in seconds (`index · hop / rate`).
    pub time_s: f64,
    /// The raw (unwindowed) 20 ms frame.
    pub raw25: &'a [f32],
    /// Hamming-windowed 20 ms frame and its spectrum (512-point FFT at 22 050 Hz).
    pub spec25: &'a Spectrum,
    /// The raw 60 ms frame, absent for the trailing short-only frames.
    pub raw60: Option<&'a [f32]>,
    /// Gaussian-windowed (σ = 0.4) 60 ms frame and its spectrum (2048-point FFT at 22 050 Hz).
    pub spec60: Option<&'a Spectrum>,
}

/// The shared streaming front end. `push` never allocates.
pub struct FrontEnd {
    sample_rate_hz: u32,
    framing: Framing,
    framer: Framer,
    spec25: Spectrum,
    spec60: Spectrum,
}

impl std::fmt::Debug for FrontEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrontEnd")
            .field("sample_rate_hz", &self.sample_rate_hz)
            .field("framing", &self.framing)
            .finish()
    }
}

impl FrontEnd {
    /// A front end at `sample_rate_hz` with eGeMAPS framing.
    pub fn new(sample_rate_hz: u32) -> Self {
        let framing = Framing::at(sample_rate_hz);
        Self {
            sample_rate_hz,
            framing,
            framer: Framer::new(framing.frame60, framing.hop),
            spec25: Spectrum::new(window::hamming(framing.frame25)),
            spec60: Spectrum::new(window::gauss(framing.frame60, FRAME60_GAUSS_SIGMA)),
        }
    }

    /// Analysis rate in Hz.
    pub fn sample_rate_hz(&self) -> u32 {
        self.sample_rate_hz
    }

    /// Frame geometry in samples.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// FFT length of the 20 ms frame.
    pub fn n_fft25(&self) -> usize {
        self.spec25.n_fft()
    }

    /// FFT length of the 60 ms frame.
    pub fn n_fft60(&self) -> usize {
        self.spec60.n_fft()
    }

    /// Feeds samples (any block size); calls `on_frame` for every frame whose
    /// 60 ms span is complete.
    pub fn push(&mut self, samples: &[f32], mut on_frame: impl FnMut(&FrameView<'_>)) {
        let Self { framer, spec25, spec60, framing, sample_rate_hz, .. } = self;
        let hop_s = framing.hop as f64 / *sample_rate_hz as f64;
        let n25 = framing.frame25;
        framer.push(samples, |index, frame| {
            spec25.process(&frame[..n25]);
            spec60.process(frame);
            on_frame(&FrameView {
                index,
                time_s: index as f64 * hop_s,
                raw25: &frame[..n25],
                spec25,
                raw60: Some(frame),
                spec60: Some(spec60),
            });
        });
    }

    /// End of input: emits the remaining frames whose 20 ms span is complete
    /// (no 60 ms part), then resets for a new stream.
    pub fn finish(&mut self, mut on_frame: impl FnMut(&FrameView<'_>)) {
        let hop = self.framing.hop;
        let n25 = self.framing.frame25;
        let hop_s = hop as f64 / self.sample_rate_hz as f64;
        let first = self.framer.next_index();
        let pending_len = self.framer.pending().len();
        let mut k = 0usize;
        while k * hop + n25 <= pending_len {
            let start = k * hop;
            // Copy out of the framer's buffer through the spectrum's own window
            // buffer: `process` reads the slice before the next call.
            let frame = &self.framer.pending()[start..start + n25];
            self.spec25.process(frame);
            on_frame(&FrameView {
                index: first + k as u64,
                time_s: (first + k as u64) as f64 * hop_s,
                raw25: frame,
                spec25: &self.spec25,
                raw60: None,
                spec60: None,
            });
            k += 1;
        }
        self.framer.reset();
    }

    /// Forgets buffered audio; frame numbering restarts at 0.
    pub fn reset(&mut self) {
        self.framer.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_counts_match_opensmile_for_three_seconds() {
        // openSMILE at 22 050 Hz on 3 s (66 150 samples): 294 frames of 60 ms, 298 of 20 ms.
        let mut fe = FrontEnd::new(22_050);
        let x = vec![0.1f32; 66_150];
        let mut long = 0;
        let mut short = 0;
        fe.push(&x, |v| {
            assert!(v.spec60.is_some());
            assert_eq!(v.index, long);
            long += 1;
        });
        fe.finish(|v| {
            assert!(v.spec60.is_none());
            assert_eq!(v.index, long + short);
            short += 1;
        });
        assert_eq!((long, long + short), (294, 298));
    }

    #[test]
    fn short_frame_is_head_of_long_frame() {
        let mut fe = FrontEnd::new(22_050);
        let x: Vec<f32> = (0..5000).map(|i| i as f32).collect();
        fe.push(&x, |v| {
            assert_eq!(v.raw25[0], (v.index * 221) as f32);
            assert_eq!(v.raw25, &v.raw60.unwrap()[..441]);
        });
    }
}
