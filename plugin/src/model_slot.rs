//! The model the analysis thread runs: the embedded default or a validated
//! user file.
//!
//! [`ModelSlot`] holds a validated [`ModelSource`] (the embedded
//! `models/default.moodtap`, or a user file whose path persists in the plugin
//! state). The analysis thread builds its own [`LoadedModel`] and `Analyzer`
//! from it and rebuilds them when the slot's revision changes. Nothing here
//! runs on the audio thread.

use crate::params::ModelPath;
use moodtap_core::analyzer::Analyzer;
use moodtap_core::model::file::MAX_FILE_LEN;
use moodtap_core::model::{LoadedModel, ModelFile, ModelFileError, ModelMetadata, DEFAULT_MODEL_BYTES};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

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
    /// Describes `meta` of a model of `networks` networks (more than one: an ensemble,
    /// whose `meta` is its first member's with the ensemble's provenance); `origin` is
    /// "embedded" or the file name.
    pub fn from_metadata(origin: &str, meta: &ModelMetadata, networks: usize) -> Self {
        let t = &meta.training;
        let mut provenance = format!(
            "{}, {} songs, seed {}, {}",
            t.dataset,
            t.song_count,
            t.seed,
            if t.date.is_empty() { "undated" } else { t.date.as_str() }
        );
        if let Some(m) = &t.metrics {
            let r2 = |x: f64| if x.is_finite() { format!("{x:.2}") } else { String::from("undefined") };
            provenance.push_str(&format!(
                "; held-out RMSE V {:.3} / A {:.3}, R² V {} / A {}",
                m.valence.rmse,
                m.arousal.rmse,
                r2(m.valence.r2),
                r2(m.arousal.r2)
            ));
        }
        if !t.notes.is_empty() {
            provenance.push_str("; ");
            provenance.push_str(&t.notes);
        }
        Self {
            name: if networks > 1 {
                // Members may differ in architecture; the first one's would mislead.
                format!("{origin}: ensemble of {networks} networks, T={} ({:.0} s)", meta.t_steps, meta.context_s)
            } else {
                format!("{origin}: {} T={} ({:.0} s)", meta.model.architecture, meta.t_steps, meta.context_s)
            },
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
    let info = INFO.get_or_init(|| match ModelFile::from_bytes(DEFAULT_MODEL_BYTES) {
        Ok(file) => ModelInfo::from_metadata("embedded", &file.metadata, file.members().len()),
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
    let info = ModelInfo::from_metadata(&name, model.metadata(), model.member_count());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_model_describes_itself_from_its_metadata() {
        let m = embedded_model();
        let file = ModelFile::from_bytes(DEFAULT_MODEL_BYTES).unwrap();
        let meta = file.metadata.clone();
        assert_eq!(m.info, ModelInfo::from_metadata("embedded", &meta, file.members().len()));
        // An ensemble's name says so rather than giving its first member's architecture.
        let n = file.members().len();
        let expected =
            if n > 1 { format!("embedded: ensemble of {n} networks, T=") } else { "embedded: cbsa T=".into() };
        assert!(m.info.name.starts_with(&expected), "{:?}", m.info.name);
        assert!(m.info.provenance.contains(&meta.training.dataset), "{:?}", m.info);
        assert!((m.info.context_s - meta.context_s).abs() < 1e-12);
        assert!(m.instantiate().is_ok());
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
