//! The model compiled into every moodtap binary (docs/design.md §5): the plugin
//! starts with it and `moodtap analyze` uses it when no `--model` is given.
//!
//! The bytes are `models/default.moodtap` at the workspace root, embedded with
//! `include_bytes!` (burn's "weights inside a binary" pattern). They go through
//! the same validation as any user file, so a bad commit of that file shows up
//! as a typed error (and in the test below), never as a panic.
//!
//! Provenance is in the file's metadata (`training`), not here: the editor
//! and the CLI print [`default_model_metadata`]'s `training.dataset` and
//! `training.notes`, so replacing the file is all it takes to ship another model.

use super::file::{ModelFile, ModelFileError, ModelMetadata};
use super::inference::LoadedModel;

/// The embedded model file (`models/default.moodtap`).
pub const DEFAULT_MODEL_BYTES: &[u8] = include_bytes!("../../../models/default.moodtap");

/// Loads the embedded model (parses, validates, builds the fast path; a few ms).
pub fn default_model() -> Result<LoadedModel, ModelFileError> {
    LoadedModel::from_bytes(DEFAULT_MODEL_BYTES)
}

/// Metadata of the embedded model without building its network.
pub fn default_model_metadata() -> Result<ModelMetadata, ModelFileError> {
    ModelFile::from_bytes(DEFAULT_MODEL_BYTES).map(|f| f.metadata)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::Analyzer;

    #[test]
    fn embedded_bytes_validate_and_drive_an_analyzer() {
        let file = ModelFile::from_bytes(DEFAULT_MODEL_BYTES).expect("embedded model must validate");
        assert!(!file.metadata.training.dataset.is_empty(), "provenance must name a dataset");
        let model = default_model().expect("embedded model must load");
        let mut analyzer = Analyzer::new(model, 44_100).expect("analyzer from the embedded model");
        // 3 s of a 440 Hz tone at 44.1 kHz: at least a few steps, all in range.
        let tone: Vec<f32> =
            (0..3 * 44_100).map(|i| 0.3 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 44_100.0).sin()).collect();
        let mut n = 0;
        analyzer.push(&tone, |e| {
            n += 1;
            for v in [e.valence, e.arousal, e.coverage] {
                assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{e:?}");
            }
        });
        assert!(n >= 3, "{n} estimates from 3 s");
    }
}
