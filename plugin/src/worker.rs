//! The analysis thread: host audio in, timed estimates out.
//!
//! ```text
//! bridge (audio thread) ──rtrb ring, f32 mono, host rate──► Worker
//!   drain ring → split at the latest reset → core::analyzer::Analyzer
//!   (sanitise, resample host rate → 22 050 Hz, steps, z-score, CBSA)
//!   → one estimate per step (hop_s from the model file) → one-pole smoothing
//!   (user time constant) → TimedEstimate { due = step end + OUTPUT_DELAY }
//!   ──rtrb ring──► bridge, which emits it at its due sample
//! ```
//!
//! The thread is started in `Plugin::activate` and stopped (joined) in
//! `deactivate` and on drop; a sample-rate or block-size change always goes
//! through deactivate/activate, so it gets a new thread and a new analyzer
//! with the new rate. It sleeps [`POLL_INTERVAL`] between drains unless the
//! audio thread wakes it (offline renders do, every block). After queueing
//! the estimates of everything it drained it publishes the analysed stream
//! position ([`Handoff::set_analysed`]), which is what an offline `process()`
//! waits for. Without an analyzer (unsupported rate, broken model) it keeps
//! draining, so neither a realtime ring nor an offline wait ever stalls.

use crate::model_slot::ModelSlot;
use crate::params::MoodtapParams;
use crate::status::Status;
use crate::timeline::{delay_samples, step_end_samples, Handoff, TimedEstimate};
use moodtap_core::analyzer::{Analyzer, AnalyzerError, Estimate};
use moodtap_core::estimate_smoothing::EstimateSmoother;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::Duration;

/// How long the analysis thread sleeps between drains of the ring (realtime).
pub const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Ring capacity in seconds of host audio: 100 poll intervals of headroom.
pub const RING_S: f32 = 2.0;
/// Capacity of the estimate queue to the audio thread (estimates).
pub const ESTIMATE_QUEUE_LEN: usize = 1024;

/// The analysis thread's ends of the hand-off.
pub struct WorkerEnds {
    /// Host audio, downmixed.
    pub samples: rtrb::Consumer<f32>,
    /// Estimates for the audio thread.
    pub estimates: rtrb::Producer<TimedEstimate>,
    /// Progress and resets.
    pub handoff: Arc<Handoff>,
}

/// Everything the thread shares with the plugin.
pub struct AnalysisShared {
    /// Read-outs and counters.
    pub status: Arc<Status>,
    /// Parameters (smoothing).
    pub params: Arc<MoodtapParams>,
    /// Model choice.
    pub model: Arc<ModelSlot>,
}

/// Handle of a running analysis thread; stops and joins it on drop.
pub struct AnalysisThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    status: Arc<Status>,
}

impl AnalysisThread {
    /// Ring capacity (samples) for a host rate and maximum block size.
    pub fn ring_capacity(host_rate_hz: f32, max_block: usize) -> usize {
        ((RING_S * host_rate_hz.max(1.0)) as usize).max(4 * max_block).max(4096)
    }

    /// Starts the thread at `host_rate_hz`. Allocates the resampler, context
    /// and scratch buffers here, before the loop.
    pub fn spawn(ends: WorkerEnds, host_rate_hz: f32, shared: AnalysisShared) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let status = shared.status.clone();
        status.running.store(true, Ordering::Release);
        status.host_rate_hz.store(host_rate_hz, Ordering::Release);
        let stop_flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name(String::from("moodtap-analysis"))
            .spawn(move || Worker::new(ends, host_rate_hz, shared).run(&stop_flag))
            .ok();
        if handle.is_none() {
            status.running.store(false, Ordering::Release);
        }
        Self { stop, handle, status }
    }

    /// The thread, for waking it (offline renders); `None` if it did not start.
    pub fn thread(&self) -> Option<Thread> {
        self.handle.as_ref().map(|h| h.thread().clone())
    }

    /// Stops and joins the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(handle) = self.handle.take() {
            handle.thread().unpark();
            let _ = handle.join();
        }
        self.status.running.store(false, Ordering::Release);
        self.status.host_rate_hz.store(0.0, Ordering::Release);
    }
}

impl Drop for AnalysisThread {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The analysis state the thread owns.
pub(crate) struct Worker {
    ends: WorkerEnds,
    shared: AnalysisShared,
    host_rate_hz: u32,
    /// [`crate::timeline::output_delay_s`] in host samples for the current analyzer.
    delay: u64,
    /// Host-rate samples drained from the ring.
    scratch: Vec<f32>,
    analyzer: Option<Analyzer>,
    /// Slot revision `analyzer` was built from.
    revision: Option<u64>,
    /// Seconds between estimates of the current model (smoothing step).
    hop_s: f32,
    smoother: EstimateSmoother,
    /// Stream position of the next sample to drain.
    consumed: u64,
    /// Stream position where the analyzer's context started.
    origin: u64,
    /// Reset generation being analysed.
    generation: u16,
}

impl Worker {
    pub(crate) fn new(ends: WorkerEnds, host_rate_hz: f32, shared: AnalysisShared) -> Self {
        let capacity = ends.samples.buffer().capacity();
        let host_rate_hz = host_rate_hz.round().max(0.0) as u32;
        let mut worker = Self {
            ends,
            shared,
            host_rate_hz,
            delay: 0,
            scratch: Vec::with_capacity(capacity),
            analyzer: None,
            revision: None,
            hop_s: 0.5,
            smoother: EstimateSmoother::default(),
            consumed: 0,
            origin: 0,
            generation: 0,
        };
        worker.shared.model.sync(&worker.shared.params.model_path);
        worker.refresh_model();
        worker
    }

    /// (Re)builds the analyzer when the slot holds another model; its
    /// context starts at the current stream position.
    fn refresh_model(&mut self) {
        let (revision, source) = self.shared.model.source();
        if self.revision == Some(revision) {
            return;
        }
        self.revision = Some(revision);
        self.analyzer = None;
        self.origin = self.consumed;
        self.smoother.reset();
        let status = &self.shared.status;
        let model = match source.instantiate() {
            Ok(m) => m,
            Err(e) => {
                self.shared.model.report(format!("model failed to build: {e}; analysis off"));
                return;
            }
        };
        match Analyzer::new(model, self.host_rate_hz) {
            Ok(a) => {
                status.rate_unsupported.store(false, Ordering::Release);
                self.hop_s = a.metadata().hop_s as f32;
                self.delay = delay_samples(self.host_rate_hz as f32, a.resampler_latency_s());
                status.output_delay_s.store(self.delay as f32 / self.host_rate_hz as f32, Ordering::Relaxed);
                self.analyzer = Some(a);
            }
            Err(AnalyzerError::Resample(_)) => status.rate_unsupported.store(true, Ordering::Release),
            Err(e) => self.shared.model.report(format!("model cannot run here: {e}; analysis off")),
        }
    }

    fn run(mut self, stop: &AtomicBool) {
        while !stop.load(Ordering::Acquire) {
            self.tick();
            std::thread::park_timeout(POLL_INTERVAL);
        }
    }

    /// One drain: everything in the ring, split at the latest reset.
    pub(crate) fn tick(&mut self) {
        self.shared.model.sync(&self.shared.params.model_path);
        self.refresh_model();

        let n = self.ends.samples.slots();
        self.scratch.clear();
        if n > 0 {
            if let Ok(chunk) = self.ends.samples.read_chunk(n) {
                let (a, b) = chunk.as_slices();
                self.scratch.extend_from_slice(a);
                self.scratch.extend_from_slice(b);
                chunk.commit_all();
            }
        }
        // Read after draining: a reset recorded before any drained sample was
        // pushed is visible here (the ring's commit orders it), so a reset
        // inside this chunk is never missed.
        let (generation, at) = self.ends.handoff.reset();
        let end = self.consumed + self.scratch.len() as u64;
        let mut start = 0usize;
        if generation != self.generation && at <= end {
            let split = at.saturating_sub(self.consumed) as usize;
            self.analyse(0, split);
            self.consumed += split as u64;
            start = split;
            self.generation = generation;
            self.origin = self.consumed;
            self.smoother.reset();
            if let Some(a) = self.analyzer.as_mut() {
                a.reset();
            }
        }
        let rest = self.scratch.len() - start;
        self.analyse(start, rest);
        self.consumed += rest as u64;
        self.ends.handoff.set_analysed(self.consumed);
    }

    /// Analyses `scratch[start..start + len]` and queues its estimates.
    fn analyse(&mut self, start: usize, len: usize) {
        let Self { ends, shared, analyzer, scratch, smoother, hop_s, origin, delay, generation, host_rate_hz, .. } =
            self;
        // No analyzer (unsupported rate, broken model): the samples are drained unanalysed.
        let Some(analyzer) = analyzer.as_mut() else { return };
        let tau_s = shared.params.smoothing_s();
        analyzer.push(&scratch[start..start + len], |e: &Estimate| {
            let (valence, arousal) = smoother.step(e.valence, e.arousal, tau_s, *hop_s);
            let timed = TimedEstimate {
                generation: *generation,
                due: *origin + step_end_samples(e.time_s, *host_rate_hz as f32) + *delay,
                values: [valence, arousal, e.now_valence, e.now_arousal].map(|v| v.clamp(0.0, 1.0)),
                coverage: e.coverage,
            };
            // The audio thread pops every block, so a full queue means it has
            // stopped calling process(); newer estimates then replace nothing
            // and are dropped.
            let _ = ends.estimates.push(timed);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model_slot::{embedded_model, ModelSlot};
    use crate::timeline::{ANALYSIS_LATENCY_S, REALTIME_MARGIN_S};

    fn sine(freq: f32, amp: f32, secs: f32, rate: f32) -> Vec<f32> {
        (0..(secs * rate) as usize).map(|i| amp * (2.0 * std::f32::consts::PI * freq * i as f32 / rate).sin()).collect()
    }

    fn shared() -> AnalysisShared {
        AnalysisShared {
            status: Arc::new(Status::default()),
            params: Arc::new(MoodtapParams::default()),
            model: Arc::new(ModelSlot::default()),
        }
    }

    struct Rig {
        worker: Worker,
        samples: rtrb::Producer<f32>,
        estimates: rtrb::Consumer<TimedEstimate>,
        handoff: Arc<Handoff>,
    }

    fn rig(rate: f32, ring: usize) -> Rig {
        let (samples, samples_rx) = rtrb::RingBuffer::new(ring);
        let (estimates_tx, estimates) = rtrb::RingBuffer::new(ESTIMATE_QUEUE_LEN);
        let handoff = Arc::new(Handoff::default());
        let ends = WorkerEnds { samples: samples_rx, estimates: estimates_tx, handoff: handoff.clone() };
        Rig { worker: Worker::new(ends, rate, shared()), samples, estimates, handoff }
    }

    fn drain(rx: &mut rtrb::Consumer<TimedEstimate>) -> Vec<TimedEstimate> {
        std::iter::from_fn(|| rx.pop().ok()).collect()
    }

    #[test]
    fn estimates_are_due_one_fixed_delay_after_their_step_end_and_reset_restarts_the_context() {
        let rate = 48_000.0;
        let mut r = rig(rate, AnalysisThread::ring_capacity(rate, 512));
        let info = embedded_model().info;
        let loud = sine(440.0, 0.5, 0.25, rate);
        for _ in 0..12 {
            r.samples.write_chunk_uninit(loud.len()).unwrap().fill_from_iter(loud.iter().copied());
            r.worker.tick();
        }
        assert_eq!(r.handoff.analysed(), 12 * loud.len() as u64);
        let got = drain(&mut r.estimates);
        // 3 s of audio: one step every hop_s after the pipeline's lag.
        let expected = (3.0 / info.hop_s) as usize;
        assert!(got.len() + 4 >= expected && got.len() <= expected, "{} estimates, about {expected}", got.len());
        let delay = r.worker.delay;
        assert_eq!(delay, delay_samples(rate, r.worker.analyzer.as_ref().unwrap().resampler_latency_s()));
        for (k, e) in got.iter().enumerate() {
            assert_eq!(e.generation, 0);
            // Steps are hop_s apart: due positions too (to the sample).
            if k > 0 {
                let gap = e.due - got[k - 1].due;
                let hop = info.hop_s * f64::from(rate);
                assert!((gap as f64 - hop).abs() <= 1.0, "gap {gap} vs hop {hop}");
            }
            assert!(e.due > delay && e.values.iter().all(|v| (0.0..=1.0).contains(v)), "{e:?}");
        }

        // A reset in the middle of the next chunk: the new generation's
        // estimates count from the reset's stream position.
        let at = r.handoff.analysed() + 1000;
        r.samples.write_chunk_uninit(loud.len()).unwrap().fill_from_iter(loud.iter().copied());
        r.handoff.set_reset(1, at);
        for _ in 0..8 {
            r.worker.tick();
            r.samples.write_chunk_uninit(loud.len()).unwrap().fill_from_iter(loud.iter().copied());
        }
        let after = drain(&mut r.estimates);
        let new: Vec<_> = after.iter().filter(|e| e.generation == 1).collect();
        assert!(!new.is_empty());
        assert!(new[0].coverage < 0.02, "the context restarted: {:?}", new[0]);
        assert!(new.iter().all(|e| e.due >= at + delay), "{:?}", new[0]);
        // The first new-generation step ends about one window after the reset.
        let first_end_s = (new[0].due - at - delay) as f64 / f64::from(rate);
        assert!(first_end_s < 2.0, "{first_end_s}");
    }

    #[test]
    fn unsupported_rate_is_flagged_and_the_ring_still_drains() {
        let mut r = rig(1_000.0, 4096);
        assert!(r.worker.shared.status.rate_unsupported.load(Ordering::Acquire));
        for _ in 0..4000 {
            r.samples.push(0.1).unwrap();
        }
        r.worker.tick();
        assert_eq!(r.samples.slots(), 4096);
        assert_eq!(r.handoff.analysed(), 4000, "offline waits rely on progress even without analysis");
        assert!(drain(&mut r.estimates).is_empty());
    }

    /// The delay only works if every estimate is out before it is due: the
    /// pipeline's latency (input needed beyond a step's end before the step
    /// is emitted) must stay under ANALYSIS_LATENCY_S + the resampler's
    /// latency at every rate — and close to it, so the delay is not padded.
    #[test]
    fn pipeline_latency_stays_under_the_bound_at_every_rate() {
        let mut rows = Vec::new();
        for rate in [8_000u32, 11_025, 16_000, 22_050, 32_000, 44_100, 48_000, 88_200, 96_000, 176_400, 192_000] {
            let model = embedded_model().instantiate().unwrap();
            let mut analyzer = Analyzer::new(model, rate).unwrap();
            let bound = ANALYSIS_LATENCY_S + analyzer.resampler_latency_s();
            let x = sine(220.0, 0.3, 4.0, rate as f32);
            let mut pushed = 0u64;
            let mut worst = 0i64;
            let mut count = 0;
            // 64-sample pushes: the emission point is known to 64 samples.
            for chunk in x.chunks(64) {
                pushed += chunk.len() as u64;
                analyzer.push(chunk, |e| {
                    let end = step_end_samples(e.time_s, rate as f32) as i64;
                    worst = worst.max(pushed as i64 - end);
                    count += 1;
                });
            }
            assert!(count > 10, "{rate} Hz: {count} estimates");
            let latency_s = worst as f64 / f64::from(rate);
            eprintln!("{rate} Hz: pipeline latency at most {latency_s:.3} s, bound {bound:.3} s");
            rows.push((rate, latency_s, bound));
        }
        for &(rate, latency_s, bound) in &rows {
            assert!(latency_s <= bound, "{rate} Hz: {latency_s:.3} s > bound {bound:.3} s: {rows:?}");
            assert!(bound - latency_s < 0.1, "{rate} Hz: bound {bound:.3} s is loose for {latency_s:.3} s: {rows:?}");
        }
        assert!(REALTIME_MARGIN_S >= 5.0 * POLL_INTERVAL.as_secs_f64());
    }
}
