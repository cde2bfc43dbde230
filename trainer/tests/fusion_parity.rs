//! Train/serve parity: for the same song and model, the `T × N` matrix
//! training builds from the feature cache (`moodtap extract` → cache →
//! `train::inputs::song_input`) equals, bit for bit, the matrix the
//! streaming analyzer (plugin, `moodtap analyze`) feeds the network at the
//! song's last step. Both go through `moodtap_core::fusion`; this test
//! fails if either side ever picks, scales, clamps or pads differently.
//!
//! Songs: one shorter than the context (padding), one longer (the ring
//! wraps), at 44.1 kHz so resampling is part of the path. The model reads a
//! reordered subset of the columns (column choice) with statistics fitted
//! on the cache and one feature's std shrunk so its z-scores hit the clamp.

use std::f64::consts::PI;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use burn::tensor::Device;
use moodtap_core::analyzer::Analyzer;
use moodtap_core::audio::decode::Decoder;
use moodtap_core::fusion::MAX_ABS_Z;
use moodtap_core::model::file::{ModelMetadata, TrainingProvenance};
use moodtap_core::model::{LoadedModel, ModelConfig};
use moodtap_core::rng::SplitMix64;
use moodtap_trainer::cache::{self, CacheRequest};
use moodtap_trainer::train::inputs::{fit_fusion, song_input, FeatureColumns};

const T: u32 = 8;
const CONTEXT_S: f64 = 4.0;

fn tmpdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("moodtap-fusion-parity-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// A chord that swells, noise and a click every 0.4 s: every extractor has
/// something to measure.
fn clip(path: &Path, secs: f64, seed: u64) {
    let rate = 44_100u32;
    let spec =
        hound::WavSpec { channels: 1, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut rng = SplitMix64::new(seed);
    for i in 0..(secs * rate as f64) as usize {
        let t = i as f64 / rate as f64;
        let swell = 0.5 + 0.5 * (2.0 * PI * 0.3 * t).sin();
        let chord: f64 = [220.0, 277.2, 329.6].iter().map(|f| (2.0 * PI * f * t).sin()).sum::<f64>() * 0.1 * swell;
        let click = if t % 0.4 < 0.004 { 0.5 } else { 0.0 };
        let x = chord + click + 0.01 * (rng.unit() - 0.5);
        w.write_sample((x.clamp(-1.0, 1.0) * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

fn analyzer_matrix(model: LoadedModel, audio: &Path) -> (Vec<f32>, usize) {
    let mut dec = Decoder::open(audio).unwrap();
    let mut analyzer = Analyzer::new(model, dec.sample_rate_hz()).unwrap();
    let mut estimates = 0;
    while let Some(block) = dec.next_block() {
        analyzer.push(block, |_| estimates += 1);
    }
    analyzer.finish(|_| estimates += 1);
    (analyzer.model_input().to_vec(), estimates)
}

#[test]
fn training_matrix_equals_analyzer_matrix_bit_for_bit() {
    let root = tmpdir();
    fs::create_dir_all(root.join("audio")).unwrap();
    let songs = [("short", 3.0), ("long", 9.3)];
    let mut csv = String::from("path,valence,arousal\n");
    for (i, (name, secs)) in songs.iter().enumerate() {
        clip(&root.join(format!("audio/{name}.wav")), *secs, i as u64);
        csv.push_str(&format!("audio/{name}.wav,0.5,0.5\n"));
    }
    fs::write(root.join("manifest.csv"), csv).unwrap();
    let cache_dir = root.join("cache");
    let out = Command::new(env!("CARGO_BIN_EXE_moodtap"))
        .args(["extract", "--quiet", "--kind", "manifest", "--steps", &T.to_string()])
        .args(["--context-s", &CONTEXT_S.to_string()])
        .arg("--dataset")
        .arg(root.join("manifest.csv"))
        .arg("--cache")
        .arg(&cache_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "extract failed: {}", String::from_utf8_lossy(&out.stderr));
    let table = cache::read(&cache_dir, &CacheRequest { steps: Some(T), ..Default::default() }).unwrap();

    // A reordered subset: MIR first, then every other eGeMAPS functional.
    let all = table.feature_names();
    let mut names: Vec<String> = all[88..].iter().rev().cloned().collect();
    names.extend(all[..88].iter().step_by(2).cloned());
    let cols = FeatureColumns::from_names(&table, names, "test".into()).unwrap();
    let all_songs: Vec<usize> = (0..table.songs.len()).collect();
    let fitted = fit_fusion(&table, &all_songs, &cols);
    let (mean, mut std) = (fitted.mean().to_vec(), fitted.std().to_vec());
    // Shrink one varying feature's std so some of its z-scores exceed the clamp.
    let j = (0..std.len()).find(|&j| std[j] != 1.0).unwrap();
    std[j] *= 1e-4;

    let n = cols.len();
    let config = ModelConfig::cbsa(T as usize, n);
    let meta = ModelMetadata {
        feature_schema_version: table.meta.feature_schema_version,
        feature_names: cols.names.clone(),
        selected_mir_features: cols.selected_mir.clone(),
        norm_mean: mean,
        norm_std: std,
        t_steps: T as usize,
        context_s: CONTEXT_S,
        window_s: table.meta.window_s,
        hop_s: table.meta.hop_s,
        analysis_rate_hz: table.meta.analysis_rate_hz,
        model: config.clone(),
        training: TrainingProvenance::default(),
    };
    let device = Device::flex();
    device.seed(3);
    let network = config.init(&device);
    let bytes = moodtap_core::model::ModelFile::to_bytes(&meta, &network).unwrap();
    let fusion = meta.fusion(table.feature_names()).unwrap();

    let mut clamped = 0;
    for s in &table.songs {
        let name = songs.iter().map(|(n, _)| *n).find(|n| s.id.contains(n)).unwrap();
        let mut train_input = Vec::new();
        song_input(s, &fusion, T as usize, &mut train_input);
        let (live_input, estimates) =
            analyzer_matrix(LoadedModel::from_bytes(&bytes).unwrap(), &root.join(format!("audio/{name}.wav")));
        assert_eq!(estimates, s.n_steps(), "{name}: analyzer steps vs cached steps");
        assert_eq!(train_input.len(), T as usize * n);
        let differ = train_input.iter().zip(&live_input).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
        assert_eq!(differ, 0, "{name}: {differ} of {} inputs differ", train_input.len());
        clamped += train_input.iter().filter(|v| v.abs() == MAX_ABS_Z).count();
        if s.n_steps() < T as usize {
            let pad = (T as usize - s.n_steps()) * n;
            assert!(train_input[..pad].iter().all(|v| *v == 0.0), "{name}: padding rows are zeros");
        }
    }
    assert!(table.songs.iter().any(|s| s.n_steps() < T as usize), "one song is shorter than the context");
    assert!(table.songs.iter().any(|s| s.n_steps() > T as usize), "one song is longer than the context");
    assert!(clamped > 0, "the shrunk feature reaches the clamp");
    let _ = fs::remove_dir_all(&root);
}
