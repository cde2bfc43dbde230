//! Equal weights give equal model-file bytes: burn's random parameter ids are
//! not written (a seeded training run must be reproducible byte for byte).
//!
//! Its own test binary with a single test: the weights come from burn's
//! backend-global seeded RNG, which tests running in parallel in one process
//! would draw from in between (that made this flaky as a unit test).

use burn::tensor::Device;
use moodtap_core::model::file::{ModelFile, ModelMetadata, TrainingProvenance, FEATURE_SCHEMA_VERSION};
use moodtap_core::model::{ModelConfig, Network};

fn network(config: &ModelConfig) -> Network {
    let device = Device::flex();
    device.seed(3);
    config.init(&device)
}

#[test]
fn same_weights_write_identical_files() {
    let config = ModelConfig::cbsa(16, 12);
    let metadata = ModelMetadata {
        feature_schema_version: FEATURE_SCHEMA_VERSION,
        feature_names: (0..12).map(|i| format!("f{i}")).collect(),
        selected_mir_features: Vec::new(),
        norm_mean: vec![0.0; 12],
        norm_std: vec![1.0; 12],
        t_steps: 16,
        context_s: 45.0,
        window_s: 1.0,
        hop_s: 45.0 / 16.0,
        analysis_rate_hz: moodtap_core::ANALYSIS_RATE_HZ,
        model: config.clone(),
        training: TrainingProvenance::default(),
    };
    // Two initialisations from the same seed: equal weights, different parameter ids.
    let a = ModelFile::to_bytes(&metadata, &network(&config)).unwrap();
    let b = ModelFile::to_bytes(&metadata, &network(&config)).unwrap();
    assert!(a == b, "two networks with equal weights wrote different files");
    // A reloaded network writes the same bytes again.
    let reloaded = ModelFile::from_bytes(&a).unwrap().network(&Device::flex()).unwrap();
    assert!(ModelFile::to_bytes(&metadata, &reloaded).unwrap() == a, "a reloaded network wrote different bytes");
}
