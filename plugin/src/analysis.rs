//! The analysis thread and the model it runs.
//!
//! ```text
//! bridge (audio thread) ──rtrb ring, f32 mono, host rate──► AnalysisThread
//!   drain ring → core::analyzer::Analyzer (sanitise, resample host rate →
//!   22 050 Hz, steps, z-score, CBSA) → one estimate per step (hop_s from the
//!   model file, 45/99 s by default) → one-pole smoothing (user time constant)
//!   → Outputs atomics (unless hold) → Publisher::request() (host automation)
//! ```
//!
//! The thread is started in `Plugin::activate` and stopped (joined) in
//! `deactivate` and on drop; a sample-rate or block-size change always goes
//! through deactivate/activate, so it gets a new thread and a new analyzer
//! with the new rate. `reset()` only raises a flag the thread acts on (the
//! analyzer forgets its context). The audio thread never waits for this
//! thread: the ring drops samples when full and counts them.
//!
//! The model: [`ModelSlot`] holds a validated [`ModelSource`] (the embedded
//! `models/default.moodtap`, or a user file whose path persists in the plugin
//! state). The thread builds its own [`LoadedModel`] and [`Analyzer`] from it,
//! and rebuilds them when the slot's revision changes.

use crate::params::{ModelPath, MoodtapParams};
use crate::publish::Publisher;
use atomic_float::AtomicF32;
use moodtap_core::analyzer::{Analyzer, AnalyzerError};
use moodtap_core::model::file::MAX_FILE_LEN;
use moodtap_core::model::{LoadedModel, ModelFileError, ModelMetadata, DEFAULT_MODEL_BYTES};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

/// Analysis sample rate in Hz (DESIGN.md §2).
pub const ANALYSIS_RATE_HZ: u32 = moodtap_core::ANALYSIS_RATE_HZ;
/// How long the analysis thread sleeps between drains of the ring.
pub const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Ring capacity in seconds of host audio: 100 poll intervals of headroom.
pub const RING_S: f32 = 2.0;
/// Host rate a user model is test-built at when loading (any supported rate would do:
/// the check is that the model's features and timing fit this build's analyzer).
const CHECK_RATE_HZ: u32 = 48_000;

/// What the editor shows about the loaded model, all from its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    /// Short display name: origin and architecture.
    pub name: String,
    /// Dataset, songs, date, held-out metrics and notes of the training run.
    pub provenance: String,
    /// Seconds of audio the model sees (its full context).
    pub context_s: f64,
    /// Seconds between estimates.
    pub hop_s: f64,
}

impl ModelInfo {
    /// Describes `meta`; `origin` is "embedded" or the file name.
    pub fn from_metadata(origin: &str, meta: &ModelMetadata) -> Self {
        let t = &meta.training;
        let mut provenance = format!(
            "{}, {} songs, seed {}, {}",
            t.dataset,
            t.song_count,
            t.seed,
            if t.date.is_empty() { "undated" } else { t.date.as_str() }
        );
        if let Some(m) = &t.metrics {
            provenance.push_str(&format!(
                "; held-out RMSE V {:.3} / A {:.3}, R² V {:.2} / A {:.2}",
                m.valence.rmse, m.arousal.rmse, m.valence.r2, m.arousal.r2
            ));
        }
        if !t.notes.is_empty() {
            provenance.push_str("; ");
            provenance.push_str(&t.notes);
        }
        Self {
            name: format!("{origin}: {} T={} ({:.0} s)", meta.model.architecture, meta.t_steps, meta.context_s),
            provenance,
            context_s: meta.context_s,
            hop_s: meta.hop_s,
        }
    }
}

/// A validated model: its description and the bytes the analysis thread builds it from.
#[derive(Debug, Clone)]
pub struct ModelSource {
    /// Description for the editor.
    pub info: ModelInfo,
    /// `None` = the embedded bytes.
    user_bytes: Option<Arc<[u8]>>,
}

impl ModelSource {
    /// A fresh model instance (a few ms; not for the audio thread).
    pub fn instantiate(&self) -> Result<LoadedModel, ModelFileError> {
        LoadedModel::from_bytes(self.user_bytes.as_deref().unwrap_or(DEFAULT_MODEL_BYTES))
    }

    /// Whether this is the embedded model.
    pub fn is_embedded(&self) -> bool {
        self.user_bytes.is_none()
    }
}

/// The model compiled into the plugin (validated once per process).
pub fn embedded_model() -> ModelSource {
    static INFO: OnceLock<ModelInfo> = OnceLock::new();
    let info = INFO.get_or_init(|| match moodtap_core::model::default_model_metadata() {
        Ok(meta) => ModelInfo::from_metadata("embedded", &meta),
        // Unreachable in a tested build (core's test validates the bytes); kept visible.
        Err(e) => ModelInfo {
            name: String::from("embedded model INVALID"),
            provenance: format!("the built-in model does not load: {e}"),
            context_s: 45.0,
            hop_s: 45.0 / 99.0,
        },
    });
    ModelSource { info: info.clone(), user_bytes: None }
}

/// Loads and fully validates a user model file: container, metadata, weights,
/// and that this build's analyzer can run it. The file is untrusted: every
/// failure is an `Err` with a sentence for the editor, never a panic.
pub fn load_model(path: &Path) -> Result<ModelSource, String> {
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
    if meta.len() > MAX_FILE_LEN as u64 {
        return Err(format!(
            "model file is {} MiB, more than the {} MiB limit: {}",
            meta.len() / (1024 * 1024),
            MAX_FILE_LEN / (1024 * 1024),
            path.display()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read model file {}: {e}", path.display()))?;
    let model = LoadedModel::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let info = ModelInfo::from_metadata(&name, model.metadata());
    Analyzer::new(model, CHECK_RATE_HZ).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(ModelSource { info, user_bytes: Some(Arc::from(bytes)) })
}

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

#[derive(Debug)]
struct SlotInner {
    state: ModelState,
    source: ModelSource,
    /// [`ModelPath::generation`] last resolved.
    generation: Option<u32>,
    /// Bumped whenever `source` changes; the analysis thread rebuilds on a change.
    revision: u64,
}

impl SlotInner {
    fn set(&mut self, source: ModelSource, path: Option<String>, message: Option<String>) {
        self.state = ModelState { info: source.info.clone(), path, message };
        self.source = source;
        self.revision += 1;
    }
}

/// Owns the model choice. The persisted path ([`ModelPath`]) is what the
/// project asks for; [`ModelSlot::sync`] resolves a changed path (a restored
/// project) and falls back to the embedded model if the file is missing or
/// bad; [`ModelSlot::load_user`] (the editor) keeps the current model on failure.
#[derive(Debug)]
pub struct ModelSlot {
    inner: Mutex<SlotInner>,
}

impl Default for ModelSlot {
    fn default() -> Self {
        let source = embedded_model();
        Self {
            inner: Mutex::new(SlotInner {
                state: ModelState { info: source.info.clone(), path: None, message: None },
                source,
                generation: None,
                revision: 0,
            }),
        }
    }
}

impl ModelSlot {
    /// Applies a changed persisted path (project restore). Cheap when nothing
    /// changed: one atomic load and an uncontended lock. Loading a file takes
    /// milliseconds. Not for the audio thread.
    pub fn sync(&self, requested: &ModelPath) {
        let Ok(mut guard) = self.inner.lock() else { return };
        let generation = requested.generation();
        if guard.generation == Some(generation) {
            return;
        }
        guard.generation = Some(generation);
        let wanted = requested.get();
        if wanted == guard.state.path && guard.state.message.is_none() {
            return; // the path we already run (e.g. set by load_user)
        }
        match wanted {
            None => {
                if !guard.source.is_embedded() || guard.state.message.is_some() {
                    guard.set(embedded_model(), None, None);
                }
            }
            Some(path) => match load_model(Path::new(&path)) {
                Ok(source) => guard.set(source, Some(path), None),
                Err(why) => guard.set(embedded_model(), None, Some(format!("{why}; using the embedded model"))),
            },
        }
    }

    /// Loads a file chosen in the editor. On success the path is persisted;
    /// on failure the current model stays and the message says why.
    pub fn load_user(&self, path: &str, requested: &ModelPath) -> Result<(), String> {
        // Load outside the lock: the analysis thread syncs through it every poll.
        let loaded = load_model(Path::new(path));
        let Ok(mut guard) = self.inner.lock() else {
            return Err(String::from("model state unavailable"));
        };
        match loaded {
            Ok(source) => {
                requested.set_path(Some(path.to_string()));
                guard.generation = Some(requested.generation());
                guard.set(source, Some(path.to_string()), None);
                Ok(())
            }
            Err(why) => {
                let msg = format!("{why}; keeping {}", guard.state.info.name);
                guard.state.message = Some(msg.clone());
                Err(msg)
            }
        }
    }

    /// Back to the embedded model (clears the persisted path).
    pub fn use_embedded(&self, requested: &ModelPath) {
        if let Ok(mut guard) = self.inner.lock() {
            requested.set_path(None);
            guard.generation = Some(requested.generation());
            guard.set(embedded_model(), None, None);
        }
    }

    /// Records a problem found while running the model (shown in the editor).
    pub fn report(&self, message: String) {
        if let Ok(mut guard) = self.inner.lock() {
            guard.state.message = Some(message);
        }
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> ModelState {
        match self.inner.lock() {
            Ok(g) => g.state.clone(),
            Err(_) => ModelState { info: embedded_model().info, path: None, message: None },
        }
    }

    /// The current model and its revision.
    pub fn source(&self) -> (u64, ModelSource) {
        match self.inner.lock() {
            Ok(g) => (g.revision, g.source.clone()),
            Err(_) => (u64::MAX, embedded_model()),
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
    host_rate_hz: u32,
    /// Host-rate samples drained from the ring.
    scratch: Vec<f32>,
    analyzer: Option<Analyzer>,
    /// Slot revision `analyzer` was built from.
    revision: Option<u64>,
    /// Seconds between estimates of the current model (smoothing step).
    hop_s: f32,
    smoother: Smoother,
}

impl Worker {
    fn new(consumer: rtrb::Consumer<f32>, host_rate_hz: f32, shared: AnalysisShared) -> Self {
        let capacity = consumer.buffer().capacity();
        let mut worker = Self {
            consumer,
            shared,
            host_rate_hz: host_rate_hz.round().max(0.0) as u32,
            scratch: Vec::with_capacity(capacity),
            analyzer: None,
            revision: None,
            hop_s: 0.5,
            smoother: Smoother::default(),
        };
        worker.shared.model.sync(&worker.shared.params.model_path);
        worker.refresh_model();
        worker
    }

    /// (Re)builds the analyzer when the slot holds another model.
    fn refresh_model(&mut self) {
        let (revision, source) = self.shared.model.source();
        if self.revision == Some(revision) {
            return;
        }
        self.revision = Some(revision);
        self.analyzer = None;
        let outputs = &self.shared.outputs;
        let model = match source.instantiate() {
            Ok(m) => m,
            Err(e) => {
                self.shared.model.report(format!("model failed to build: {e}; analysis off"));
                return;
            }
        };
        match Analyzer::new(model, self.host_rate_hz) {
            Ok(a) => {
                outputs.rate_unsupported.store(false, Ordering::Release);
                self.hop_s = a.metadata().hop_s as f32;
                outputs.coverage.store(0.0, Ordering::Relaxed);
                self.analyzer = Some(a);
            }
            Err(AnalyzerError::Resample(_)) => outputs.rate_unsupported.store(true, Ordering::Release),
            Err(e) => self.shared.model.report(format!("model cannot run here: {e}; analysis off")),
        }
    }

    fn run(mut self, stop: &AtomicBool) {
        while !stop.load(Ordering::Acquire) {
            self.tick();
            std::thread::park_timeout(POLL_INTERVAL);
        }
    }

    fn tick(&mut self) {
        self.shared.model.sync(&self.shared.params.model_path);
        self.refresh_model();
        if self.shared.outputs.reset_requested.swap(false, Ordering::AcqRel) {
            if let Some(a) = self.analyzer.as_mut() {
                a.reset();
            }
            self.shared.outputs.coverage.store(0.0, Ordering::Relaxed);
        }

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
        // No analyzer (unsupported rate, broken model): keep draining so the
        // audio thread never sees a full ring.
        let Self { analyzer: Some(analyzer), scratch, shared, smoother, hop_s, .. } = self else { return };
        analyzer.push(scratch, |e| publish(shared, smoother, e.valence, e.arousal, e.coverage, *hop_s));
    }
}

/// Smooths and publishes one estimate (step `dt_s` after the previous one).
fn publish(shared: &AnalysisShared, smoother: &mut Smoother, valence: f32, arousal: f32, coverage: f32, dt_s: f32) {
    let params = &shared.params;
    let (v, a) = smoother.step(valence, arousal, params.smoothing_s(), dt_s);
    let outputs = &shared.outputs;
    outputs.coverage.store(coverage, Ordering::Relaxed);
    if params.hold.value() {
        return;
    }
    outputs.valence.store(v.clamp(0.0, 1.0), Ordering::Relaxed);
    outputs.arousal.store(a.clamp(0.0, 1.0), Ordering::Relaxed);
    outputs.seq.fetch_add(1, Ordering::Release);
    shared.publisher.request();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, amp: f32, secs: f32, rate: f32) -> Vec<f32> {
        (0..(secs * rate) as usize).map(|i| amp * (2.0 * std::f32::consts::PI * freq * i as f32 / rate).sin()).collect()
    }

    fn shared() -> AnalysisShared {
        AnalysisShared {
            outputs: Arc::new(Outputs::default()),
            params: Arc::new(MoodtapParams::default()),
            model: Arc::new(ModelSlot::default()),
            publisher: Arc::new(Publisher::new(|| false)),
        }
    }

    #[test]
    fn embedded_model_describes_itself_from_its_metadata() {
        let m = embedded_model();
        let meta = moodtap_core::model::default_model_metadata().unwrap();
        assert_eq!(m.info, ModelInfo::from_metadata("embedded", &meta));
        assert!(m.info.provenance.contains(&meta.training.dataset), "{:?}", m.info);
        assert!((m.info.context_s - meta.context_s).abs() < 1e-12);
        assert!(m.instantiate().is_ok());
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
    fn worker_turns_ring_audio_into_estimates_and_reset_clears_the_context() {
        let (mut producer, consumer) = rtrb::RingBuffer::new(AnalysisThread::ring_capacity(48_000.0, 512));
        let shared = shared();
        let outputs = shared.outputs.clone();
        let mut worker = Worker::new(consumer, 48_000.0, shared);
        let info = embedded_model().info;
        let t_steps = (info.context_s / info.hop_s).round() as f32;
        let loud = sine(440.0, 0.5, 0.25, 48_000.0);
        for _ in 0..12 {
            for &x in &loud {
                producer.push(x).unwrap();
            }
            worker.tick();
        }
        // 3 s of audio: one step every hop_s, the first ones after the
        // eGeMAPS smoother's ~0.4 s lag (resampler delay aside).
        let seq = outputs.seq.load(Ordering::Acquire);
        let expected = (3.0 / info.hop_s) as u32;
        assert!(seq + 3 >= expected && seq <= expected, "{seq} estimates, about {expected} expected");
        let coverage = outputs.coverage.load(Ordering::Relaxed);
        assert!((coverage - seq as f32 / t_steps).abs() < 1e-6, "{coverage}");
        for v in [outputs.valence.load(Ordering::Relaxed), outputs.arousal.load(Ordering::Relaxed)] {
            assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{v}");
        }

        outputs.reset_requested.store(true, Ordering::Release);
        let before = outputs.seq.load(Ordering::Acquire);
        for _ in 0..4 {
            for &x in &loud {
                producer.push(x).unwrap();
            }
            worker.tick();
        }
        let after = outputs.seq.load(Ordering::Acquire) - before;
        let coverage = outputs.coverage.load(Ordering::Relaxed);
        assert!(
            (coverage - after as f32 / t_steps).abs() < 1e-6 && after <= 3,
            "reset must clear the context: {after} steps since, coverage {coverage}"
        );
    }

    #[test]
    fn unsupported_rate_is_flagged_and_the_ring_still_drains() {
        let (mut producer, consumer) = rtrb::RingBuffer::new(4096);
        let shared = shared();
        let outputs = shared.outputs.clone();
        let mut worker = Worker::new(consumer, 1_000.0, shared);
        assert!(outputs.rate_unsupported.load(Ordering::Acquire));
        for _ in 0..4000 {
            producer.push(0.1).unwrap();
        }
        worker.tick();
        assert_eq!(producer.slots(), 4096);
        assert_eq!(outputs.seq.load(Ordering::Acquire), 0);
    }

    #[test]
    fn bad_model_file_keeps_current_and_restore_falls_back() {
        let dir = std::env::temp_dir().join(format!("moodtap-model-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.moodtap");
        std::fs::write(&good, DEFAULT_MODEL_BYTES).unwrap();
        let empty = dir.join("empty.moodtap");
        std::fs::write(&empty, b"").unwrap();
        let corrupt = dir.join("corrupt.moodtap");
        let mut bytes = DEFAULT_MODEL_BYTES.to_vec();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x55;
        std::fs::write(&corrupt, &bytes).unwrap();
        let text = dir.join("text.moodtap");
        std::fs::write(&text, b"these are not model weights").unwrap();

        let requested = ModelPath::default();
        let slot = ModelSlot::default();
        let (rev0, _) = slot.source();
        slot.load_user(good.to_str().unwrap(), &requested).unwrap();
        let (rev1, source) = slot.source();
        assert!(rev1 > rev0 && !source.is_embedded());
        assert!(slot.snapshot().info.name.starts_with("good.moodtap: "), "{:?}", slot.snapshot());
        for (file, why) in [(&empty, "empty"), (&corrupt, "checksum"), (&text, "not a moodtap model")] {
            let err = slot.load_user(file.to_str().unwrap(), &requested).unwrap_err();
            assert!(err.contains(why) && err.contains("keeping good.moodtap"), "{err}");
            assert!(slot.snapshot().info.name.starts_with("good.moodtap: "));
            assert_eq!(slot.source().0, rev1, "a failed load must not swap the model");
        }
        assert_eq!(requested.get().as_deref(), good.to_str());

        // A restored project pointing at a missing file: embedded + message.
        requested.set_path(Some(dir.join("missing.moodtap").to_string_lossy().into_owned()));
        slot.sync(&requested);
        let s = slot.snapshot();
        assert_eq!(s.info, embedded_model().info);
        assert!(slot.source().1.is_embedded());
        let msg = s.message.unwrap();
        assert!(msg.contains("not found") && msg.contains("embedded"), "{msg}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
