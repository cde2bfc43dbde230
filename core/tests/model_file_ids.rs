//! Equal weights give equal model-file bytes: burn's random parameter ids are
//! not written (a seeded training run must be reproducible byte for byte).
//!
//! Its own test binary with a single test: the weights come from burn's
//! backend-global seeded RNG, which tests running in parallel in one process
//! would draw from in between (that made this flaky as a unit test).

use burn::tensor::Device;
use moodtap_core::model::file::ModelFile;
use moodtap_core::model::{ModelConfig, Network};

fn network(config: &ModelConfig) -> Network {
    let device = Device::flex();
    device.seed(3);
    config.init(&device)
}

#[path = "common/test_metadata.rs"]
mod test_metadata;

#[test]
fn same_weights_write_identical_files() {
    let config = ModelConfig::cbsa(16, 12);
    let metadata = test_metadata::identity_metadata(&config, 16, 12);
    // Two initialisations from the same seed: equal weights, different parameter ids.
    let a = ModelFile::to_bytes(&metadata, &network(&config)).unwrap();
    let b = ModelFile::to_bytes(&metadata, &network(&config)).unwrap();
    assert!(a == b, "two networks with equal weights wrote different files");
    // A reloaded network writes the same bytes again.
    let reloaded = ModelFile::from_bytes(&a).unwrap().network(&Device::flex()).unwrap();
    assert!(ModelFile::to_bytes(&metadata, &reloaded).unwrap() == a, "a reloaded network wrote different bytes");
}
