//! `LoadedModel::predict` and `predict_now` (the fast paths) must not allocate, for one network or an
//! ensemble: the plugin calls them on its analysis thread for every hop. A per-thread counting allocator (tests/common) checks it for each
//! architecture; its own binary so the allocator affects nothing else.

use burn::tensor::Device;
use moodtap_core::model::file::{EnsembleHeader, MemberWeights, ModelFile};
use moodtap_core::model::{Architecture, LoadedModel, ModelConfig};

#[path = "common/alloc_counter.rs"]
mod alloc_counter;

#[path = "common/test_metadata.rs"]
mod test_metadata;

#[test]
fn predict_does_not_allocate() {
    for arch in Architecture::ALL {
        let config = ModelConfig::new(arch, 99, 94);
        let metadata = test_metadata::identity_metadata(&config, 99, 94);
        let network = config.init(&Device::flex());
        let bytes = ModelFile::to_bytes(&metadata, &network).unwrap();
        // The same architecture as an ensemble whose second member has other statistics
        // (re-standardised input, its own scratch buffer).
        let mut shifted = metadata.clone();
        shifted.norm_mean.iter_mut().for_each(|m| *m += 0.5);
        let second = ModelFile::to_bytes(&shifted, &config.init(&Device::flex())).unwrap();
        let half = MemberWeights { valence: 0.5, arousal: 0.5 };
        let header = EnsembleHeader { training: Default::default(), weights: vec![half, half], now_weights: None };
        let ensemble = ModelFile::ensemble_to_bytes(&header, &[&bytes, &second]).unwrap();
        // Each reading from its own member (format version 3).
        let own = EnsembleHeader {
            weights: vec![MemberWeights::ONE, MemberWeights::ZERO],
            now_weights: Some(vec![MemberWeights::ZERO, MemberWeights::ONE]),
            ..header.clone()
        };
        let per_reading = ModelFile::ensemble_to_bytes(&own, &[&bytes, &second]).unwrap();
        for (kind, bytes) in [("single", &bytes), ("ensemble", &ensemble), ("per-reading ensemble", &per_reading)] {
            check_no_alloc(arch, kind, LoadedModel::from_bytes(bytes).unwrap());
        }
    }
}

fn check_no_alloc(arch: Architecture, kind: &str, mut model: LoadedModel) {
    let input: Vec<f32> = (0..99 * 94).map(|i| (i % 13) as f32 / 6.0 - 1.0).collect();
    let short = model.now_input_len();
    model.predict(&input).unwrap(); // warm-up
    model.predict_now(&input[..short]).unwrap();
    let (allocs, ()) = alloc_counter::allocations_during(|| {
        for _ in 0..10 {
            let e = model.predict(&input).unwrap();
            assert!((0.0..=1.0).contains(&e.valence));
            let e = model.predict_now(&input[..short]).unwrap();
            assert!((0.0..=1.0).contains(&e.arousal));
        }
    });
    assert_eq!(allocs, 0, "{arch} {kind}: predict or predict_now allocated");
}
