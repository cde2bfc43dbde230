//! The analysis thread and the model seam.
//!
//! ```text
//! bridge (audio thread) ──rtrb ring, f32 mono, host rate──► AnalysisThread
//!   drain ring → sanitise → StreamResampler (host rate → 22 050 Hz)
//!   → context buffer (last CONTEXT_S seconds) → every ESTIMATE_INTERVAL_S: estimate()
//!   → one-pole smoothing (user time constant) → Outputs atomics (unless hold)
//!   → Publisher::request() (host automation route, non-realtime)
//! ```
//!
//! The thread is started in `Plugin::activate` and stopped (joined) in
//! `deactivate` and on drop; a sample-rate or block-size change always goes
//! through deactivate/activate, so it gets a new thread with the new rate.
//! `reset()` only raises a flag the thread acts on. The audio thread never
//! waits for this thread: the ring drops samples when full and counts them.
//!
//! Everything model-specific sits behind two functions, [`load_model`] and
//! [`estimate`], so the core pipeline and the CBSA model replace them without
//! touching the plumbing.

use crate::params::{ModelPath, MoodtapParams};
use crate::publish::Publisher;
use atomic_float::AtomicF32;
use moodtap_core::audio::StreamResampler;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Analysis sample rate in Hz (DESIGN.md §2).
pub const ANALYSIS_RATE_HZ: u32 = moodtap_core::ANALYSIS_RATE_HZ;
/// Context the estimate sees, in seconds (DESIGN.md §2 default `context_s`;
/// will come from the model file's metadata).
pub const CONTEXT_S: f32 = 45.0;
/// Time between two estimates, in seconds of analysed audio.
pub const ESTIMATE_INTERVAL_S: f32 = 0.5;
/// How long the analysis thread sleeps between drains of the ring.
pub const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Ring capacity in seconds of host audio: 100 poll intervals of headroom.
pub const RING_S: f32 = 2.0;

/// One estimate: valence and arousal in [0, 1], and the share of the model's
/// context that held real audio (1 = context full, below 1 = warming up).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Valence in [0, 1].
    pub valence: f32,
    /// Arousal in [0, 1].
    pub arousal: f32,
    /// Share of the context filled, in [0, 1].
    pub coverage: f32,
}

/// What the editor shows about the loaded model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    /// Short display name.
    pub name: String,
    /// Where it came from (dataset, training date, metrics) or why it is interim.
    pub provenance: String,
}

/// The model compiled into the plugin.
pub fn embedded_model() -> ModelInfo {
    // INTERIM until core::model lands: there are no weights yet; the embedded
    // "model" is the RMS/zero-crossing heuristic in `estimate`.
    ModelInfo {
        name: String::from("embedded (interim heuristic)"),
        provenance: String::from(
            "INTERIM: RMS/zero-crossing heuristic standing in for the CBSA model; \
             values carry no musical meaning yet",
        ),
    }
}

/// Largest model file accepted, in bytes (bounded allocation on untrusted input).
pub const MAX_MODEL_BYTES: u64 = 256 * 1024 * 1024;

/// Loads a user model file. The file is untrusted: every failure is an `Err`
/// with a sentence for the editor, never a panic.
///
/// INTERIM until core::model lands: only checks that the file exists, is a
/// regular, readable, non-empty file of at most [`MAX_MODEL_BYTES`]; the
/// format itself is not checked (core::model owns it).
pub fn load_model(path: &Path) -> Result<ModelInfo, String> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("model file not found: {}", path.display()),
        _ => format!("cannot read model file {}: {e}", path.display()),
    })?;
    if !meta.is_file() {
        return Err(format!("not a file: {}", path.display()));
    }
    if meta.len() == 0 {
        return Err(format!("model file is empty: {}", path.display()));
    }
    if meta.len() > MAX_MODEL_BYTES {
        return Err(format!(
            "model file is {} MiB, more than the {} MiB limit: {}",
            meta.len() / (1024 * 1024),
            MAX_MODEL_BYTES / (1024 * 1024),
            path.display()
        ));
    }
    std::fs::File::open(path)
        .map_err(|e| format!("cannot open model file {}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(ModelInfo {
        name,
        provenance: format!(
            "user file {} (INTERIM: format not validated until core::model lands)",
            path.display()
        ),
    })
}

/// The estimate from the context (mono, `rate_hz`, oldest sample first; at
/// most [`CONTEXT_S`] seconds, fewer while warming up).
///
/// INTERIM until core::pipeline lands: RMS/zero-crossing based. Arousal
/// follows the loudness of the last [`INTERIM_WINDOW_S`] seconds, valence the
/// zero-crossing rate (a brightness proxy). It has no musical validity; it
/// only moves with the music so the plumbing and host tests are real.
pub fn estimate(_model: &ModelInfo, context_mono: &[f32], rate_hz: f32) -> Estimate {
    let context_len = (CONTEXT_S * rate_hz).max(1.0);
    let coverage = (context_mono.len() as f32 / context_len).clamp(0.0, 1.0);
    let window = ((INTERIM_WINDOW_S * rate_hz) as usize).min(context_mono.len());
    let recent = &context_mono[context_mono.len() - window..];
    if recent.is_empty() {
        return Estimate { valence: 0.5, arousal: 0.0, coverage };
    }
    let mut energy = 0.0f64;
    let mut crossings = 0usize;
    let mut prev = 0.0f32;
    for &x in recent {
        let x = if x.is_finite() { x } else { 0.0 };
        energy += (x as f64) * (x as f64);
        if (x >= 0.0) != (prev >= 0.0) {
            crossings += 1;
        }
        prev = x;
    }
    let rms = (energy / recent.len() as f64).sqrt() as f32;
    let level_db = 20.0 * rms.max(1e-6).log10(); // −120 dBFS floor for silence
    let zcr = crossings as f32 / recent.len() as f32;
    let arousal = 1.0 / (1.0 + (-(level_db + 24.0) / 6.0).exp());
    let valence = if rms < 1e-5 { 0.5 } else { 0.5 + 0.45 * ((zcr - 0.06) * 25.0).tanh() };
    Estimate {
        valence: valence.clamp(0.0, 1.0),
        arousal: arousal.clamp(0.0, 1.0),
        coverage,
    }
}

/// INTERIM: window of the heuristic in [`estimate`], seconds.
pub const INTERIM_WINDOW_S: f32 = 3.0;

/// The current model and the message the editor shows about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelState {
    /// The model in use.
    pub info: ModelInfo,
    /// The user file in use; `None` = embedded.
    pub path: Option<String>,
    /// Why the last load failed and what is used instead; `None` after a success.
    pub message: Option<String>,
}

/// Owns the model choice. The persisted path ([`ModelPath`]) is what the
/// project asks for; [`ModelSlot::sync`] resolves a changed path (a restored
/// project) and falls back to the embedded model if the file is missing or
/// bad; [`ModelSlot::load_user`] (the editor) keeps the current model on failure.
#[derive(Debug)]
pub struct ModelSlot {
    state: Mutex<(ModelState, Option<u32>)>,
}

impl Default for ModelSlot {
    fn default() -> Self {
        Self {
            state: Mutex::new((
                ModelState { info: embedded_model(), path: None, message: None },
                None,
            )),
        }
    }
}

impl ModelSlot {
    /// Applies a changed persisted path (project restore). Cheap when nothing
    /// changed: one atomic load and an uncontended lock. Not for the audio thread.
    pub fn sync(&self, requested: &ModelPath) {
        let Ok(mut guard) = self.state.lock() else { return };
        let generation = requested.generation();
        if guard.1 == Some(generation) {
            return;
        }
        guard.1 = Some(generation);
        guard.0 = match requested.get() {
            None => ModelState { info: embedded_model(), path: None, message: None },
            Some(path) => match load_model(Path::new(&path)) {
                Ok(info) => ModelState { info, path: Some(path), message: None },
                Err(why) => ModelState {
                    info: embedded_model(),
                    path: None,
                    message: Some(format!("{why}; using the embedded model")),
                },
            },
        };
    }

    /// Loads a file chosen in the editor. On success the path is persisted;
    /// on failure the current model stays and the message says why.
    pub fn load_user(&self, path: &str, requested: &ModelPath) -> Result<(), String> {
        let Ok(mut guard) = self.state.lock() else {
            return Err(String::from("model state unavailable"));
        };
        match load_model(Path::new(path)) {
            Ok(info) => {
                requested.set_path(Some(path.to_string()));
                guard.1 = Some(requested.generation());
                guard.0 = ModelState { info, path: Some(path.to_string()), message: None };
                Ok(())
            }
            Err(why) => {
                let msg = format!("{why}; keeping {}", guard.0.info.name);
                guard.0.message = Some(msg.clone());
                Err(msg)
            }
        }
    }

    /// Back to the embedded model (clears the persisted path).
    pub fn use_embedded(&self, requested: &ModelPath) {
        if let Ok(mut guard) = self.state.lock() {
            requested.set_path(None);
            guard.1 = Some(requested.generation());
            guard.0 = ModelState { info: embedded_model(), path: None, message: None };
        }
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> ModelState {
        match self.state.lock() {
            Ok(g) => g.0.clone(),
            Err(_) => ModelState { info: embedded_model(), path: None, message: None },
        }
    }
}

/// Values the analysis thread publishes and the audio thread and editor read.
#[derive(Debug)]
pub struct Outputs {
    /// Smoothed valence in [0, 1].
    pub valence: AtomicF32,
    /// Smoothed arousal in [0, 1].
    pub arousal: AtomicF32,
    /// Context coverage in [0, 1] of the latest estimate.
    pub coverage: AtomicF32,
    /// Incremented after each published estimate.
    pub seq: AtomicU32,
    /// Samples the audio thread dropped because the ring was full.
    pub dropped_samples: AtomicU64,
    /// Set by `reset()`; the analysis thread clears its context.
    pub reset_requested: AtomicBool,
    /// Whether an analysis thread is running.
    pub running: AtomicBool,
    /// Sample rate the analysis runs at (host rate), 0 when stopped.
    pub host_rate_hz: AtomicF32,
    /// Set when the host rate is outside what the resampler accepts.
    pub rate_unsupported: AtomicBool,
}

impl Default for Outputs {
    fn default() -> Self {
        Self {
            valence: AtomicF32::new(0.5),
            arousal: AtomicF32::new(0.5),
            coverage: AtomicF32::new(0.0),
            seq: AtomicU32::new(0),
            dropped_samples: AtomicU64::new(0),
            reset_requested: AtomicBool::new(false),
            running: AtomicBool::new(false),
            host_rate_hz: AtomicF32::new(0.0),
            rate_unsupported: AtomicBool::new(false),
        }
    }
}

/// One-pole smoothing with a time constant in seconds, stepped once per estimate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Smoother {
    state: Option<(f32, f32)>,
}

impl Smoother {
    /// Feeds one estimate `dt_s` seconds after the previous one.
    pub fn step(&mut self, valence: f32, arousal: f32, tau_s: f32, dt_s: f32) -> (f32, f32) {
        let next = match self.state {
            None => (valence, arousal),
            Some((v, a)) => {
                let alpha = if tau_s <= 0.0 { 1.0 } else { 1.0 - (-dt_s / tau_s).exp() };
                (v + alpha * (valence - v), a + alpha * (arousal - a))
            }
        };
        self.state = Some(next);
        next
    }
}

/// Handle of a running analysis thread; stops and joins it on drop.
pub struct AnalysisThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    outputs: Arc<Outputs>,
}

/// Everything the thread shares with the plugin.
pub struct AnalysisShared {
    /// Published values.
    pub outputs: Arc<Outputs>,
    /// Parameters (hold, smoothing).
    pub params: Arc<MoodtapParams>,
    /// Model choice.
    pub model: Arc<ModelSlot>,
    /// Host automation route.
    pub publisher: Arc<Publisher>,
}

impl AnalysisThread {
    /// Ring capacity (samples) for a host rate and maximum block size.
    pub fn ring_capacity(host_rate_hz: f32, max_block: usize) -> usize {
        ((RING_S * host_rate_hz.max(1.0)) as usize).max(4 * max_block).max(4096)
    }

    /// Starts the thread on `consumer` at `host_rate_hz`. Allocates the
    /// resampler, context and scratch buffers here, before the loop.
    pub fn spawn(consumer: rtrb::Consumer<f32>, host_rate_hz: f32, shared: AnalysisShared) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let outputs = shared.outputs.clone();
        outputs.running.store(true, Ordering::Release);
        outputs.host_rate_hz.store(host_rate_hz, Ordering::Release);
        let stop_flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name(String::from("moodtap-analysis"))
            .spawn(move || Worker::new(consumer, host_rate_hz, shared).run(&stop_flag))
            .ok();
        if handle.is_none() {
            outputs.running.store(false, Ordering::Release);
        }
        Self { stop, handle, outputs }
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
        self.outputs.running.store(false, Ordering::Release);
        self.outputs.host_rate_hz.store(0.0, Ordering::Release);
    }
}

impl Drop for AnalysisThread {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Worker {
    consumer: rtrb::Consumer<f32>,
    shared: AnalysisShared,
    resampler: Option<StreamResampler>,
    /// Host-rate samples drained from the ring, sanitised.
    scratch: Vec<f32>,
    /// Last `CONTEXT_S` seconds at the analysis rate.
    context: ContextBuffer,
    since_estimate: usize,
    interval: usize,
    smoother: Smoother,
}

impl Worker {
    fn new(consumer: rtrb::Consumer<f32>, host_rate_hz: f32, shared: AnalysisShared) -> Self {
        let rate_in = host_rate_hz.round() as u32;
        let resampler = StreamResampler::new(rate_in, ANALYSIS_RATE_HZ).ok();
        shared
            .outputs
            .rate_unsupported
            .store(resampler.is_none(), Ordering::Release);
        let context_len = (CONTEXT_S * ANALYSIS_RATE_HZ as f32) as usize;
        let capacity = consumer.buffer().capacity();
        Self {
            consumer,
            shared,
            resampler,
            scratch: Vec::with_capacity(capacity),
            context: ContextBuffer::new(context_len),
            since_estimate: 0,
            interval: (ESTIMATE_INTERVAL_S * ANALYSIS_RATE_HZ as f32) as usize,
            smoother: Smoother::default(),
        }
    }

    fn run(mut self, stop: &AtomicBool) {
        while !stop.load(Ordering::Acquire) {
            self.tick();
            std::thread::park_timeout(POLL_INTERVAL);
        }
    }

    fn tick(&mut self) {
        let outputs = self.shared.outputs.clone();
        if outputs.reset_requested.swap(false, Ordering::AcqRel) {
            self.context.clear();
            self.since_estimate = 0;
            if let Some(r) = self.resampler.as_mut() {
                r.reset();
            }
        }
        self.shared.model.sync(&self.shared.params.model_path);

        let n = self.consumer.slots();
        if n == 0 {
            return;
        }
        self.scratch.clear();
        if let Ok(chunk) = self.consumer.read_chunk(n) {
            let (a, b) = chunk.as_slices();
            self.scratch.extend_from_slice(a);
            self.scratch.extend_from_slice(b);
            chunk.commit_all();
        }
        moodtap_core::audio::sanitize(&mut self.scratch);
        let Some(resampler) = self.resampler.as_mut() else {
            return; // unsupported rate: keep draining so the audio thread never sees a full ring
        };
        let context = &mut self.context;
        let mut produced = 0usize;
        resampler.push(&self.scratch, |out| {
            produced += out.len();
            context.push(out);
        });
        self.since_estimate += produced;
        while self.since_estimate >= self.interval {
            self.since_estimate -= self.interval;
            self.publish_estimate();
        }
    }

    fn publish_estimate(&mut self) {
        let model = self.shared.model.snapshot().info;
        let e = estimate(&model, self.context.as_slice(), ANALYSIS_RATE_HZ as f32);
        let params = &self.shared.params;
        let (v, a) = self.smoother.step(e.valence, e.arousal, params.smoothing_s(), ESTIMATE_INTERVAL_S);
        let outputs = &self.shared.outputs;
        outputs.coverage.store(e.coverage, Ordering::Relaxed);
        if params.hold.value() {
            return;
        }
        outputs.valence.store(v.clamp(0.0, 1.0), Ordering::Relaxed);
        outputs.arousal.store(a.clamp(0.0, 1.0), Ordering::Relaxed);
        outputs.seq.fetch_add(1, Ordering::Release);
        self.shared.publisher.request();
    }
}

/// The last `len` analysis-rate samples, oldest first, without shifting the
/// whole context on every push: samples are appended into a buffer of twice
/// the context and the newest `len` are moved to the front only when it is
/// full (amortised O(1) per sample; never grows past its initial capacity).
#[derive(Debug)]
struct ContextBuffer {
    buf: Vec<f32>,
    len: usize,
}

impl ContextBuffer {
    fn new(len: usize) -> Self {
        Self { buf: Vec::with_capacity(2 * len), len }
    }

    fn clear(&mut self) {
        self.buf.clear();
    }

    fn push(&mut self, new: &[f32]) {
        let new = if new.len() > self.len { &new[new.len() - self.len..] } else { new };
        if self.buf.len() + new.len() > 2 * self.len {
            let keep = self.len - new.len();
            let start = self.buf.len() - keep.min(self.buf.len());
            self.buf.copy_within(start.., 0);
            self.buf.truncate(self.buf.len() - start);
        }
        self.buf.extend_from_slice(new);
    }

    fn as_slice(&self) -> &[f32] {
        &self.buf[self.buf.len().saturating_sub(self.len)..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, amp: f32, secs: f32, rate: f32) -> Vec<f32> {
        (0..(secs * rate) as usize)
            .map(|i| amp * (2.0 * std::f32::consts::PI * freq * i as f32 / rate).sin())
            .collect()
    }

    #[test]
    fn estimate_is_finite_and_in_range_for_bad_input() {
        let m = embedded_model();
        for input in [vec![], vec![0.0; 22050], vec![f32::NAN; 1000], vec![f32::INFINITY; 1000], vec![1e30; 500]] {
            let e = estimate(&m, &input, 22050.0);
            for x in [e.valence, e.arousal, e.coverage] {
                assert!(x.is_finite() && (0.0..=1.0).contains(&x), "{e:?}");
            }
        }
    }

    #[test]
    fn louder_is_more_aroused_and_coverage_tracks_context() {
        let m = embedded_model();
        let quiet = estimate(&m, &sine(440.0, 0.01, 5.0, 22050.0), 22050.0);
        let loud = estimate(&m, &sine(440.0, 0.5, 5.0, 22050.0), 22050.0);
        assert!(loud.arousal > quiet.arousal + 0.3, "{quiet:?} {loud:?}");
        // 5 s of a 45 s context.
        assert!((loud.coverage - 5.0 / 45.0).abs() < 1e-3);
    }

    #[test]
    fn smoother_time_constant() {
        let mut s = Smoother::default();
        s.step(0.0, 0.0, 1.0, 0.5);
        // After one time constant (two 0.5 s steps) a step reaches 1 − e⁻¹.
        s.step(1.0, 1.0, 1.0, 0.5);
        let (v, _) = s.step(1.0, 1.0, 1.0, 0.5);
        assert!((v - (1.0 - (-1.0f32).exp())).abs() < 1e-5);
        let mut none = Smoother::default();
        none.step(0.0, 0.0, 0.0, 0.5);
        assert_eq!(none.step(1.0, 1.0, 0.0, 0.5), (1.0, 1.0));
    }

    #[test]
    fn context_keeps_the_newest_samples_within_capacity() {
        let mut c = ContextBuffer::new(4);
        c.push(&[1.0, 2.0, 3.0]);
        assert_eq!(c.as_slice(), [1.0, 2.0, 3.0]);
        c.push(&[4.0, 5.0]);
        assert_eq!(c.as_slice(), [2.0, 3.0, 4.0, 5.0]);
        for k in 0..20 {
            c.push(&[10.0 + k as f32]);
        }
        assert_eq!(c.as_slice(), [26.0, 27.0, 28.0, 29.0]);
        c.push(&[6.0, 7.0, 8.0, 9.0, 10.0]);
        assert_eq!(c.as_slice(), [7.0, 8.0, 9.0, 10.0]);
        assert_eq!(c.buf.capacity(), 8);
    }

    #[test]
    fn worker_turns_ring_audio_into_estimates_and_reset_clears_the_context() {
        let (mut producer, consumer) = rtrb::RingBuffer::new(AnalysisThread::ring_capacity(48_000.0, 512));
        let shared = AnalysisShared {
            outputs: Arc::new(Outputs::default()),
            params: Arc::new(MoodtapParams::default()),
            model: Arc::new(ModelSlot::default()),
            publisher: Arc::new(Publisher::new(|| false)),
        };
        let outputs = shared.outputs.clone();
        let mut worker = Worker::new(consumer, 48_000.0, shared);
        let loud = sine(440.0, 0.5, 0.25, 48_000.0);
        for _ in 0..12 {
            for &x in &loud {
                producer.push(x).unwrap();
            }
            worker.tick();
        }
        // 3 s of audio → 5–6 estimates at 0.5 s (resampler warm-up aside).
        let seq = outputs.seq.load(Ordering::Acquire);
        assert!((4..=6).contains(&seq), "{seq} estimates");
        let coverage = outputs.coverage.load(Ordering::Relaxed);
        assert!(coverage > 2.0 / CONTEXT_S && coverage <= 3.0 / CONTEXT_S, "{coverage}");
        assert!(outputs.arousal.load(Ordering::Relaxed) > 0.8);

        outputs.reset_requested.store(true, Ordering::Release);
        for _ in 0..3 {
            for &x in &loud {
                producer.push(x).unwrap();
            }
            worker.tick();
        }
        let coverage = outputs.coverage.load(Ordering::Relaxed);
        assert!(coverage <= 0.75 / CONTEXT_S, "reset must clear the context: {coverage}");
    }

    #[test]
    fn bad_model_file_keeps_current_and_restore_falls_back() {
        let dir = std::env::temp_dir().join(format!("moodtap-model-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.bin");
        std::fs::write(&good, b"weights").unwrap();
        let empty = dir.join("empty.bin");
        std::fs::write(&empty, b"").unwrap();

        let requested = ModelPath::default();
        let slot = ModelSlot::default();
        slot.load_user(good.to_str().unwrap(), &requested).unwrap();
        assert_eq!(slot.snapshot().info.name, "good.bin");
        let err = slot.load_user(empty.to_str().unwrap(), &requested).unwrap_err();
        assert!(err.contains("empty") && err.contains("keeping good.bin"), "{err}");
        assert_eq!(slot.snapshot().info.name, "good.bin");
        assert_eq!(requested.get().as_deref(), good.to_str());

        // A restored project pointing at a missing file: embedded + message.
        requested.set_path(Some(dir.join("missing.bin").to_string_lossy().into_owned()));
        slot.sync(&requested);
        let s = slot.snapshot();
        assert_eq!(s.info, embedded_model());
        let msg = s.message.unwrap();
        assert!(msg.contains("not found") && msg.contains("embedded"), "{msg}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
