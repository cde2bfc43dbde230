//! Metadata of a test model: `n` placeholder features `f0…` with identity
//! normalisation over a 45 s context, for tests that need a valid model file
//! but no trained weights.

use moodtap_core::model::file::{ModelMetadata, TrainingProvenance, FEATURE_SCHEMA_VERSION};
use moodtap_core::model::ModelConfig;

pub fn identity_metadata(config: &ModelConfig, t_steps: usize, n: usize) -> ModelMetadata {
    ModelMetadata {
        feature_schema_version: FEATURE_SCHEMA_VERSION,
        feature_names: (0..n).map(|i| format!("f{i}")).collect(),
        selected_mir_features: Vec::new(),
        norm_mean: vec![0.0; n],
        norm_std: vec![1.0; n],
        t_steps,
        context_s: 45.0,
        window_s: 1.0,
        hop_s: 45.0 / t_steps as f64,
        analysis_rate_hz: moodtap_core::ANALYSIS_RATE_HZ,
        model: config.clone(),
        training: TrainingProvenance::default(),
    }
}
