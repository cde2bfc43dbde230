//! Tests of the model file: round trip, every validation error, and untrusted bytes.

use burn::tensor::Device;
use proptest::prelude::*;

use super::config::{Architecture, ConfigError, ModelConfig};
use super::file::{
    crc32, load_record, DimensionMetrics, Metrics, ModelFile, ModelFileError, ModelMetadata, TrainingProvenance,
    FEATURE_SCHEMA_VERSION, FORMAT_VERSION, MAGIC,
};
use super::inference::LoadedModel;
use super::network::Network;

pub(super) fn metadata(config: ModelConfig) -> ModelMetadata {
    let n = config.n_features;
    let mut feature_names: Vec<String> = (0..n - 2).map(|i| format!("egemaps_{i}")).collect();
    feature_names.push("tempo".into());
    feature_names.push("mode".into());
    ModelMetadata {
        feature_schema_version: FEATURE_SCHEMA_VERSION,
        feature_names,
        selected_mir_features: vec!["tempo".into(), "mode".into()],
        norm_mean: (0..n).map(|i| i as f32 * 0.5).collect(),
        norm_std: (0..n).map(|i| 1.0 + i as f32).collect(),
        t_steps: config.t_steps,
        context_s: 45.0,
        window_s: 1.0,
        hop_s: 45.0 / config.t_steps as f64,
        analysis_rate_hz: crate::ANALYSIS_RATE_HZ,
        model: config,
        training: TrainingProvenance {
            dataset: "test".into(),
            song_count: 3,
            seed: 66,
            metrics: Some(Metrics {
                valence: DimensionMetrics { rmse: 0.08, r2: 0.5 },
                arousal: DimensionMetrics { rmse: 0.07, r2: 0.7 },
            }),
            date: "2025-01-01".into(),
            trainer_version: "test".into(),
            notes: String::new(),
            run: None,
        },
    }
}

pub(super) fn network(config: &ModelConfig) -> Network {
    let device = Device::flex();
    device.seed(3);
    config.init(&device)
}

/// A small valid file (T = 16, N = 12) so that exhaustive mutation tests stay fast.
fn small_file() -> (ModelMetadata, Network, Vec<u8>) {
    let config = ModelConfig::cbsa(16, 12);
    let meta = metadata(config.clone());
    let net = network(&config);
    let bytes = ModelFile::to_bytes(&meta, &net).unwrap();
    (meta, net, bytes)
}

/// Assembles a file from raw parts with a correct checksum, bypassing all validation.
fn encode_raw(version: u32, json: &[u8], record: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(json);
    out.extend_from_slice(&(record.len() as u64).to_le_bytes());
    out.extend_from_slice(record);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Re-seals edited metadata (as JSON value) with the original record.
fn with_metadata(edit: impl FnOnce(&mut serde_json::Value)) -> Result<LoadedModel, ModelFileError> {
    let (meta, _, bytes) = small_file();
    let file = ModelFile::from_bytes(&bytes).unwrap();
    let mut value = serde_json::to_value(&meta).unwrap();
    edit(&mut value);
    let json = serde_json::to_vec(&value).unwrap();
    LoadedModel::from_bytes(&encode_raw(FORMAT_VERSION, &json, file.record_bytes()))
}

/// Equality up to the last bit of f64 fields: serde_json (without its `float_roundtrip`
/// feature) may parse a 17-digit f64 one ulp off. f32 values (norm stats) round-trip exactly.
fn assert_metadata_eq(a: &ModelMetadata, b: &ModelMetadata) {
    let close = |x: f64, y: f64| (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs());
    assert!(close(a.hop_s, b.hop_s) && close(a.context_s, b.context_s) && close(a.window_s, b.window_s));
    let mut a = a.clone();
    (a.hop_s, a.context_s, a.window_s) = (b.hop_s, b.context_s, b.window_s);
    a.training.metrics = b.training.metrics;
    assert_eq!(&a, b);
}

#[test]
fn crc32_matches_zlib_check_value() {
    // The standard check value of CRC-32/ISO-HDLC.
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

#[test]
fn round_trip_preserves_metadata_and_outputs() {
    for arch in Architecture::ALL {
        let config = ModelConfig::new(arch, 99, 94);
        let meta = metadata(config.clone());
        let net = network(&config);
        let bytes = ModelFile::to_bytes(&meta, &net).unwrap();
        let mut loaded = LoadedModel::from_bytes(&bytes).unwrap();
        assert_metadata_eq(loaded.metadata(), &meta);
        let mut reference = LoadedModel::from_network(meta, net, Device::flex()).unwrap();
        let input: Vec<f32> = (0..99 * 94).map(|i| ((i % 17) as f32 - 8.0) / 4.0).collect();
        let a = loaded.predict(&input).unwrap();
        let b = reference.predict(&input).unwrap();
        // Same weights, same code: bit-identical.
        assert_eq!(a, b, "{arch}");
        let c = loaded.predict_burn(&input).unwrap();
        assert!((a.valence - c.valence).abs() < 1e-5 && (a.arousal - c.arousal).abs() < 1e-5);
    }
}

#[test]
fn now_reading_is_the_network_on_the_last_k_steps() {
    use burn::tensor::{Tensor, TensorData};
    for arch in Architecture::ALL {
        let config = ModelConfig::new(arch, 99, 94);
        let meta = metadata(config.clone());
        let mut loaded = LoadedModel::from_network(meta.clone(), network(&config), Device::flex()).unwrap();
        let k = super::now::now_t_steps(meta.t_steps, meta.hop_s);
        assert_eq!((loaded.now_t_steps(), loaded.now_input_len()), (k, k * 94), "{arch}");
        assert_eq!(k, 7, "3 s at a hop of 45/99 s");
        let input: Vec<f32> = (0..k * 94).map(|i| ((i % 13) as f32 - 6.0) / 3.0).collect();
        let fast = loaded.predict_now(&input).unwrap();
        let x = Tensor::<4>::from_data(TensorData::new(input.clone(), [1, 1, k, 94]), loaded.device());
        let burn: Vec<f32> = loaded.network().forward(x).try_into_vec_as::<f32>().unwrap();
        assert!(
            (fast.valence - burn[0]).abs() < 1e-5 && (fast.arousal - burn[1]).abs() < 1e-5,
            "{arch}: fast {fast:?}, burn {burn:?}"
        );
        // The long path is untouched by a short call in between.
        let long: Vec<f32> = (0..99 * 94).map(|i| ((i % 17) as f32 - 8.0) / 4.0).collect();
        let before = loaded.predict(&long).unwrap();
        loaded.predict_now(&input).unwrap();
        assert_eq!(loaded.predict(&long).unwrap(), before, "{arch}");
        assert!(matches!(
            loaded.predict_now(&long),
            Err(super::inference::InferenceError::InputLength { expected, .. }) if expected == k * 94
        ));
    }
}

#[test]
fn from_path_reads_the_same_model() {
    let (meta, _, bytes) = small_file();
    let dir = std::env::temp_dir().join(format!("moodtap-model-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.moodtap");
    std::fs::write(&path, &bytes).unwrap();
    let loaded = LoadedModel::from_path(&path).unwrap();
    assert_metadata_eq(loaded.metadata(), &meta);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(LoadedModel::from_path(&path), Err(ModelFileError::Io(_))));
}

#[test]
fn container_errors_are_named() {
    let (_, _, bytes) = small_file();
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert!(matches!(ModelFile::from_bytes(&bad), Err(ModelFileError::BadMagic)));

    let mut bad = bytes.clone();
    bad[8..12].copy_from_slice(&4u32.to_le_bytes());
    assert!(matches!(ModelFile::from_bytes(&bad), Err(ModelFileError::UnsupportedVersion { found: 4, supported: 3 })));
    // A single-model file relabelled as an ensemble (version 2 or 3) does not parse as one.
    for version in [2u32, 3] {
        bad[8..12].copy_from_slice(&version.to_le_bytes());
        assert!(ModelFile::from_bytes(&bad).is_err(), "version {version}");
    }

    let mut bad = bytes.clone();
    bad[12..16].copy_from_slice(&(5u32 << 20).to_le_bytes());
    assert!(matches!(ModelFile::from_bytes(&bad), Err(ModelFileError::MetadataTooLarge { .. })));

    let mut bad = bytes.clone();
    bad[12..16].copy_from_slice(&(1u32 << 20).to_le_bytes());
    assert!(matches!(ModelFile::from_bytes(&bad), Err(ModelFileError::Truncated { what: "metadata", .. })));

    let meta_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let rec_len_at = 16 + meta_len;
    let mut bad = bytes.clone();
    bad[rec_len_at..rec_len_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(ModelFile::from_bytes(&bad), Err(ModelFileError::RecordTooLarge { .. })));
    let mut bad = bytes.clone();
    bad[rec_len_at..rec_len_at + 8].copy_from_slice(&(100u64 << 20).to_le_bytes());
    assert!(matches!(ModelFile::from_bytes(&bad), Err(ModelFileError::Truncated { what: "record", .. })));

    let mut bad = bytes.clone();
    bad.push(0);
    assert!(matches!(ModelFile::from_bytes(&bad), Err(ModelFileError::TrailingBytes { extra: 1 })));

    let mut bad = bytes.clone();
    let mid = bytes.len() - 100;
    bad[mid] ^= 0x40;
    assert!(matches!(ModelFile::from_bytes(&bad), Err(ModelFileError::Checksum { .. })));

    assert!(matches!(
        ModelFile::from_bytes(&bytes[..bytes.len() - 2]),
        Err(ModelFileError::Truncated { what: "checksum", .. })
    ));
    assert!(matches!(ModelFile::from_bytes(&[]), Err(ModelFileError::Truncated { what: "magic", .. })));

    let raw = encode_raw(FORMAT_VERSION, b"{not json", &[]);
    assert!(matches!(ModelFile::from_bytes(&raw), Err(ModelFileError::MetadataJson(_))));
}

#[test]
fn metadata_errors_are_named() {
    use serde_json::json;
    let check = |edit: &dyn Fn(&mut serde_json::Value), pred: &dyn Fn(&ModelFileError) -> bool| match with_metadata(
        |v| edit(v),
    ) {
        Err(e) => assert!(pred(&e), "unexpected error {e}"),
        Ok(_) => panic!("edited metadata was accepted"),
    };
    check(&|v| v["feature_schema_version"] = json!(99), &|e| {
        matches!(e, ModelFileError::FeatureSchema { found: 99, .. })
    });
    check(
        &|v| {
            v["feature_names"].as_array_mut().unwrap().pop();
        },
        &|e| matches!(e, ModelFileError::FeatureCount { names: 11, n_features: 12 }),
    );
    check(&|v| v["feature_names"][1] = json!("egemaps_0"), &|e| {
        matches!(e, ModelFileError::BadFeatureName { index: 1, .. })
    });
    check(
        &|v| v["selected_mir_features"][0] = json!("roughness"),
        &|e| matches!(e, ModelFileError::UnknownMirFeature(name) if name == "roughness"),
    );
    check(
        &|v| {
            v["norm_std"].as_array_mut().unwrap().push(json!(1.0));
        },
        &|e| matches!(e, ModelFileError::NormLength { which: "std", len: 13, expected: 12 }),
    );
    // JSON cannot carry NaN; a huge literal overflows f32 to infinity.
    check(&|v| v["norm_mean"][3] = json!(1e300), &|e| {
        matches!(e, ModelFileError::NonFiniteNorm { which: "mean", index: 3, .. })
    });
    check(&|v| v["norm_std"][5] = json!(0.0), &|e| matches!(e, ModelFileError::NonPositiveStd { index: 5, .. }));
    check(&|v| v["norm_std"][5] = json!(-1.0), &|e| matches!(e, ModelFileError::NonPositiveStd { index: 5, .. }));
    check(&|v| v["t_steps"] = json!(17), &|e| matches!(e, ModelFileError::TStepsMismatch { metadata: 17, config: 16 }));
    check(
        &|v| {
            v["model"]["t_steps"] = json!(1_000_000);
            v["t_steps"] = json!(1_000_000);
        },
        &|e| matches!(e, ModelFileError::Config(ConfigError::TSteps(1_000_000))),
    );
    check(&|v| v["model"]["lstm_hidden"] = json!(0), &|e| {
        matches!(e, ModelFileError::Config(ConfigError::Width { name: "lstm_hidden", .. }))
    });
    check(&|v| v["context_s"] = json!(-1.0), &|e| matches!(e, ModelFileError::Timing { field: "context_s", .. }));
    check(&|v| v["window_s"] = json!(1e9), &|e| matches!(e, ModelFileError::Timing { field: "window_s", .. }));
    check(&|v| v["hop_s"] = json!(1.0), &|e| matches!(e, ModelFileError::HopMismatch { .. }));
    check(&|v| v["analysis_rate_hz"] = json!(44_100), &|e| {
        matches!(e, ModelFileError::AnalysisRate { found: 44_100, .. })
    });
    check(&|v| v["training"]["metrics"]["arousal"]["rmse"] = json!(-0.1), &|e| {
        matches!(e, ModelFileError::Metric { field: "arousal.rmse", .. })
    });
    check(&|v| v["model"]["architecture"] = json!("transformer"), &|e| matches!(e, ModelFileError::MetadataJson(_)));
    check(&|v| v["unexpected"] = json!(1), &|e| matches!(e, ModelFileError::MetadataJson(_)));
    // Record of a CBSA against a config that expects another network.
    check(&|v| v["model"]["architecture"] = json!("bilstm"), &|e| matches!(e, ModelFileError::Record(_)));
}

#[test]
fn record_that_does_not_fit_the_config_is_refused() {
    let (meta, _, bytes) = small_file();
    let file = ModelFile::from_bytes(&bytes).unwrap();
    let device = Device::flex();
    // N = 20 → BiLSTM input 4·5 = 20 instead of 12: shape mismatch.
    let other = ModelConfig::cbsa(16, 20);
    let err = load_record(&other, file.record_bytes(), &device).unwrap_err();
    assert!(matches!(err, ModelFileError::Record(ref m) if m.contains("shape")), "{err}");
    // Same shapes, larger hidden size: mismatch too.
    let other = meta.model.clone().with_lstm_hidden(8);
    assert!(matches!(load_record(&other, file.record_bytes(), &device), Err(ModelFileError::Record(_))));
    // Garbage record.
    assert!(matches!(load_record(&meta.model, b"garbage", &device), Err(ModelFileError::Record(_))));
}

/// Every byte of the burn record's header and metadata region, set to a few values, must
/// give `Ok` or a typed error — never a panic or an unbounded allocation. This goes past
/// the checksum (which would stop these mutations first) to exercise burn's own parser.
#[test]
fn record_mutations_never_panic() {
    let (meta, _, bytes) = small_file();
    let file = ModelFile::from_bytes(&bytes).unwrap();
    let record = file.record_bytes();
    let device = Device::flex();
    let prefix = record.len().min(4096);
    for pos in 0..prefix {
        for value in [0x00u8, 0xFF, 0x7F, record[pos] ^ 0x01] {
            let mut bad = record.to_vec();
            bad[pos] = value;
            let _ = load_record(&meta.model, &bad, &device);
        }
    }
    for cut in (0..record.len()).step_by(97) {
        let _ = load_record(&meta.model, &record[..cut], &device);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert!(ModelFile::from_bytes(&bytes).is_err());
    }

    #[test]
    fn random_bytes_after_a_valid_header_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&tail);
        let _ = LoadedModel::from_bytes(&bytes);
    }

    #[test]
    fn truncations_are_refused(cut in 0usize..100_000) {
        let (_, _, bytes) = small_file();
        let cut = cut % bytes.len();
        prop_assert!(ModelFile::from_bytes(&bytes[..cut]).is_err());
    }

    /// Random byte edits, then the checksum recomputed so the edit reaches the metadata
    /// parser and burn: the load succeeds or fails with a typed error.
    #[test]
    fn resealed_mutations_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let (_, _, bytes) = small_file();
        let mut bad = bytes[..bytes.len() - 4].to_vec();
        for (index, value) in edits {
            let i = index.index(bad.len());
            bad[i] = value;
        }
        let crc = crc32(&bad);
        bad.extend_from_slice(&crc.to_le_bytes());
        if let Ok(mut model) = LoadedModel::from_bytes(&bad) {
            let input = vec![0.5; model.input_len()];
            let e = model.predict(&input).unwrap();
            prop_assert!((0.0..=1.0).contains(&e.valence) && (0.0..=1.0).contains(&e.arousal));
        }
    }
}

#[test]
fn predict_handles_bad_input() {
    let (_, _, bytes) = small_file();
    let mut model = LoadedModel::from_bytes(&bytes).unwrap();
    assert!(model.predict(&[0.0; 3]).is_err());
    let mut input = vec![0.0; model.input_len()];
    input[0] = f32::NAN;
    input[1] = f32::INFINITY;
    input[2] = 1e30;
    let e = model.predict(&input).unwrap();
    assert!(e.valence.is_finite() && e.arousal.is_finite());
    let silent = model.predict(&vec![0.0; model.input_len()]).unwrap();
    assert!((0.0..=1.0).contains(&silent.valence));
}

#[test]
fn fusion_uses_file_statistics() {
    let (meta, _, bytes) = small_file();
    let model = LoadedModel::from_bytes(&bytes).unwrap();
    let fusion = model.metadata().fusion(&meta.feature_names).unwrap();
    let raw: Vec<f32> = meta.norm_mean.iter().zip(&meta.norm_std).map(|(m, s)| m + 2.0 * s).collect();
    let mut row = vec![0.0; raw.len()];
    fusion.fuse_step(&raw, &mut row);
    assert!(row.iter().all(|v| (v - 2.0).abs() < 1e-5), "{row:?}");
}

/// A file whose architecture or sizes were edited (checksum re-sealed) is
/// refused when loaded, with a short message about the weights, or it runs:
/// it never loads and then fails on every prediction.
#[test]
fn edited_architecture_is_refused_at_load_or_runs() {
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let set = |path: &'static [&'static str], v: serde_json::Value| -> Edit {
        Box::new(move |m: &mut serde_json::Value| {
            let mut x = m;
            for k in path {
                x = &mut x[*k];
            }
            *x = v.clone();
        })
    };
    let edits: Vec<(&str, Edit)> = vec![
        ("bilstm", set(&["model", "architecture"], "bilstm".into())),
        ("cnn-bilstm", set(&["model", "architecture"], "cnn-bilstm".into())),
        ("bilstm-sa", set(&["model", "architecture"], "bilstm-sa".into())),
        ("conv_channels", set(&["model", "conv_channels"], 24.into())),
        ("lstm_hidden", set(&["model", "lstm_hidden"], 7.into())),
        ("model t_steps", set(&["model", "t_steps"], 20.into())),
    ];
    let mut outcomes = Vec::new();
    for (name, edit) in &edits {
        match with_metadata(|v| edit(v)) {
            Ok(mut model) => {
                let input = vec![0.0; model.input_len()];
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.predict(&input)));
                assert!(matches!(r, Ok(Ok(_))), "{name}: loaded, then predict gives {r:?}");
                outcomes.push(format!("{name}: runs"));
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.len() < 300, "{name}: message too long to read: {msg}");
                outcomes.push(format!("{name}: {msg}"));
            }
        }
    }
    eprintln!("{outcomes:#?}");
}
