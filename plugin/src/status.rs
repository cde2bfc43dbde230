//! What the editor shows: the values the audio thread last emitted and the
//! health of the analysis (all atomics; written by the audio and analysis
//! threads, read by the editor and tests).

use atomic_float::AtomicF32;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Shared read-outs and counters.
#[derive(Debug)]
pub struct Status {
    /// Valence the host last received, in [0, 1].
    pub valence: AtomicF32,
    /// Arousal the host last received, in [0, 1].
    pub arousal: AtomicF32,
    /// Valence of the "now" reading the host last received, in [0, 1].
    pub now_valence: AtomicF32,
    /// Arousal of the "now" reading the host last received, in [0, 1].
    pub now_arousal: AtomicF32,
    /// Context coverage in [0, 1] of the latest emitted estimate.
    pub coverage: AtomicF32,
    /// Incremented after each emitted estimate.
    pub seq: AtomicU32,
    /// Samples the audio thread dropped because the ring was full (realtime).
    pub dropped_samples: AtomicU64,
    /// Estimates that reached the audio thread after their due block
    /// (realtime; emitted at the start of the next block).
    pub late_estimates: AtomicU64,
    /// Offline blocks where the analysis thread did not answer in time
    /// (`process()` stopped waiting; see `bridge::OFFLINE_WAIT_LIMIT`).
    pub offline_stalls: AtomicU64,
    /// Whether the host renders offline (process waits for the analysis).
    pub offline: AtomicBool,
    /// Whether an analysis thread is running.
    pub running: AtomicBool,
    /// Host sample rate the analysis runs at, 0 when stopped.
    pub host_rate_hz: AtomicF32,
    /// Set when the host rate is outside what the resampler accepts.
    pub rate_unsupported: AtomicBool,
    /// Delay from a step's end to the sample its estimate takes effect, s.
    pub output_delay_s: AtomicF32,
}

impl Default for Status {
    fn default() -> Self {
        Self {
            valence: AtomicF32::new(0.5),
            arousal: AtomicF32::new(0.5),
            now_valence: AtomicF32::new(0.5),
            now_arousal: AtomicF32::new(0.5),
            coverage: AtomicF32::new(0.0),
            seq: AtomicU32::new(0),
            dropped_samples: AtomicU64::new(0),
            late_estimates: AtomicU64::new(0),
            offline_stalls: AtomicU64::new(0),
            offline: AtomicBool::new(false),
            running: AtomicBool::new(false),
            host_rate_hz: AtomicF32::new(0.0),
            rate_unsupported: AtomicBool::new(false),
            output_delay_s: AtomicF32::new(0.0),
        }
    }
}

impl Status {
    /// The emitted (valence, arousal) of the long reading.
    pub fn values(&self) -> (f32, f32) {
        (self.valence.load(Ordering::Relaxed), self.arousal.load(Ordering::Relaxed))
    }

    /// The emitted (valence, arousal) of the "now" reading.
    pub fn now_values(&self) -> (f32, f32) {
        (self.now_valence.load(Ordering::Relaxed), self.now_arousal.load(Ordering::Relaxed))
    }

    /// Stores all emitted values ([`crate::timeline::Readings`] order).
    pub fn store_readings(&self, r: &crate::timeline::Readings) {
        for (slot, v) in [&self.valence, &self.arousal, &self.now_valence, &self.now_arousal].into_iter().zip(r) {
            slot.store(*v, Ordering::Relaxed);
        }
    }
}
