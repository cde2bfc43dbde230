//! Where each estimate lands on the host's sample timeline.
//!
//! The audio thread counts the samples it hands to the analysis thread
//! (*stream position*, monotonic from `activate`). An estimate belongs to the
//! stream position where its step ends; it takes effect a fixed delay later
//! (its *due* position), the same in realtime playback and offline renders so
//! both put every change on the same sample. The delay is fixed per host rate
//! ([`output_delay_s`]: 0.74 s at 44.1 and 48 kHz, at most 0.95 s at 8 kHz):
//!
//! - the analysis pipeline needs audio beyond a step's end before it can emit
//!   that step: [`ANALYSIS_LATENCY_S`] for the feature extraction at the
//!   analysis rate, plus the resampler's chunk and look-ahead
//!   (`StreamResampler::latency_s`); `worker` tests measure it at every rate
//!   from 8 to 192 kHz against this bound;
//! - in realtime the analysis thread wakes every [`crate::worker::POLL_INTERVAL`]
//!   and needs time to run the network, so the delay keeps
//!   [`REALTIME_MARGIN_S`] on top. An estimate that still arrives after its
//!   due block is emitted at the start of the next block and counted as late;
//! - offline (`ProcessMode::Offline`) `process()` waits for the analysis
//!   thread instead, so no estimate is ever late there and two renders of the
//!   same audio give the same event stream.
//!
//! `reset()` starts a new *generation*: the analyzer forgets its context at
//! the reset's stream position and estimates of older generations are dropped.

use std::sync::atomic::{AtomicU64, Ordering};

/// Latency of the feature extraction at the analysis rate, s: input needed
/// beyond a step's end before the step is emitted. Measured 0.463 s at
/// 22 050 Hz (the eGeMAPS F0 path's 39-frame lag, the 60 ms analysis frame,
/// sma3 smoothing); the bound leaves a few frames.
pub const ANALYSIS_LATENCY_S: f64 = 0.5;
/// Headroom for the analysis thread's wake-ups and compute in realtime, s.
pub const REALTIME_MARGIN_S: f64 = 0.2;

/// The output delay, s, for a pipeline whose resampler adds `resampler_latency_s`.
pub fn output_delay_s(resampler_latency_s: f64) -> f64 {
    ANALYSIS_LATENCY_S + resampler_latency_s.max(0.0) + REALTIME_MARGIN_S
}

/// [`output_delay_s`] in whole host samples at `host_rate_hz`.
pub fn delay_samples(host_rate_hz: f32, resampler_latency_s: f64) -> u64 {
    (output_delay_s(resampler_latency_s) * f64::from(host_rate_hz.max(0.0))).round() as u64
}

/// The stream position (host samples since the analyzer's start) where a step
/// ending at `time_s` ends.
pub fn step_end_samples(time_s: f64, host_rate_hz: f32) -> u64 {
    (time_s.max(0.0) * f64::from(host_rate_hz.max(0.0))).round() as u64
}

/// The four values the plugin emits, each in [0, 1]: valence and arousal of the
/// long reading (after the user's smoothing), then valence and arousal of the
/// "now" reading (`moodtap_core::model::now`, its own fixed smoothing).
pub type Readings = [f32; 4];

/// Neutral readings: before the first estimate and after a reset.
pub const NEUTRAL: Readings = [0.5; 4];

/// One estimate on its way from the analysis thread to the audio thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedEstimate {
    /// Reset generation whose context produced it.
    pub generation: u16,
    /// Stream position where it takes effect (step end + delay).
    pub due: u64,
    /// The values, each in [0, 1] ([`Readings`]).
    pub values: Readings,
    /// Share of the model's context filled with audio.
    pub coverage: f32,
}

/// Where a due position falls relative to a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// After this block: keep it for a later one.
    Later,
    /// Inside this block, at this sample offset.
    At(u32),
    /// Before this block started (the analysis thread was late): emit at
    /// offset 0 and count it.
    Late,
}

/// Places `due` in the block `[block_start, block_start + block_len)`.
pub fn place(due: u64, block_start: u64, block_len: usize) -> Placement {
    if due < block_start {
        Placement::Late
    } else if due - block_start < block_len as u64 {
        Placement::At((due - block_start) as u32)
    } else {
        Placement::Later
    }
}

/// State the audio thread and the analysis thread share besides the rings.
#[derive(Debug, Default)]
pub struct Handoff {
    /// Stream position up to which the analysis thread has analysed the
    /// ring's samples and queued every resulting estimate (Release after the
    /// queueing, so an Acquire load here sees those estimates).
    analysed: AtomicU64,
    /// The latest reset: generation in the top 16 bits, stream position in
    /// the low 48 (46 years at 192 kHz), one atomic so both change together.
    reset: AtomicU64,
}

const POSITION_BITS: u32 = 48;
const POSITION_MASK: u64 = (1 << POSITION_BITS) - 1;

impl Handoff {
    /// Stream position analysed so far.
    pub fn analysed(&self) -> u64 {
        self.analysed.load(Ordering::Acquire)
    }

    /// Called by the analysis thread after queueing the estimates of
    /// everything up to `position`.
    pub fn set_analysed(&self, position: u64) {
        self.analysed.store(position, Ordering::Release);
    }

    /// Records a reset at stream `position` starting `generation` (audio thread).
    pub fn set_reset(&self, generation: u16, position: u64) {
        self.reset.store((u64::from(generation) << POSITION_BITS) | (position & POSITION_MASK), Ordering::Release);
    }

    /// The latest reset: (generation, stream position).
    pub fn reset(&self) -> (u16, u64) {
        let packed = self.reset.load(Ordering::Acquire);
        ((packed >> POSITION_BITS) as u16, packed & POSITION_MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_in_and_around_a_block() {
        assert_eq!(place(100, 100, 64), Placement::At(0));
        assert_eq!(place(163, 100, 64), Placement::At(63));
        assert_eq!(place(164, 100, 64), Placement::Later);
        assert_eq!(place(99, 100, 64), Placement::Late);
        assert_eq!(place(100, 100, 0), Placement::Later, "an empty block holds no sample");
    }

    #[test]
    fn delay_is_whole_samples_at_every_rate() {
        assert_eq!(delay_samples(48_000.0, 0.05), 36_000);
        assert_eq!(delay_samples(22_050.0, 0.0), 15_435);
        assert_eq!(step_end_samples(1.5, 48_000.0), 72_000);
        assert_eq!(step_end_samples(-1.0, 48_000.0), 0);
    }

    #[test]
    fn reset_packs_generation_and_position_together() {
        let h = Handoff::default();
        assert_eq!(h.reset(), (0, 0));
        h.set_reset(7, 123_456_789);
        assert_eq!(h.reset(), (7, 123_456_789));
        h.set_reset(u16::MAX, POSITION_MASK);
        assert_eq!(h.reset(), (u16::MAX, POSITION_MASK));
        h.set_analysed(42);
        assert_eq!(h.analysed(), 42);
    }
}
