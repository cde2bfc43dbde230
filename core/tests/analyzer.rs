//! The continuous estimator: the plugin path equals the offline path, block
//! sizes never matter, the context warms up as documented, and pushing never
//! allocates.

#[path = "common/alloc_counter.rs"]
mod alloc_counter;

use burn::tensor::Device;
use moodtap_core::analyzer::{Analyzer, AnalyzerError, Estimate};
use moodtap_core::audio::resample::resample_all;
use moodtap_core::fusion::FusionError;
use moodtap_core::model::file::{ModelMetadata, TrainingProvenance, FEATURE_SCHEMA_VERSION};
use moodtap_core::model::{LoadedModel, ModelConfig};
use moodtap_core::steps::{raw_step_names, StepConfig, StepExtractor};
use rand::{Rng, SeedableRng};

const T: usize = 12;
const HOP_S: f64 = 0.5;

fn model_with(names: Vec<String>) -> LoadedModel {
    let n = names.len();
    let config = ModelConfig::cbsa(T, n);
    let meta = ModelMetadata {
        feature_schema_version: FEATURE_SCHEMA_VERSION,
        selected_mir_features: names
            .iter()
            .filter(|s| s.as_str() == "tempo" || s.as_str() == "mode")
            .cloned()
            .collect(),
        feature_names: names,
        norm_mean: vec![0.0; n],
        norm_std: vec![10.0; n],
        t_steps: T,
        context_s: T as f64 * HOP_S,
        window_s: 1.0,
        hop_s: HOP_S,
        analysis_rate_hz: 22_050,
        model: config.clone(),
        training: TrainingProvenance {
            dataset: "random weights (test)".into(),
            song_count: 0,
            seed: 5,
            metrics: None,
            date: "2026-11-24".into(),
            trainer_version: "test".into(),
            notes: String::new(),
            run: None,
        },
    };
    let device = Device::flex();
    device.seed(5);
    let net = config.init(&device);
    LoadedModel::from_network(meta, net, device).unwrap()
}

fn model() -> LoadedModel {
    let names: Vec<String> =
        raw_step_names().filter(|n| !n.starts_with("pitch") && *n != "novelty").map(String::from).collect();
    model_with(names)
}

fn audio(rate: u32, secs: f64) -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    (0..(rate as f64 * secs) as usize)
        .map(|i| {
            let t = i as f64 / rate as f64;
            let tone = (2.0 * std::f64::consts::PI * 196.0 * t).sin() * 0.2 * (1.0 + (t * 0.7).sin()) / 2.0;
            (tone + 0.02 * rng.random_range(-1.0..1.0)) as f32
        })
        .collect()
}

fn run(rate: u32, x: &[f32], blocks: &[usize]) -> Vec<Estimate> {
    let mut a = Analyzer::new(model(), rate).unwrap();
    let mut out = Vec::new();
    let mut pos = 0;
    for &b in blocks.iter().cycle() {
        if pos >= x.len() {
            break;
        }
        let n = b.min(x.len() - pos);
        a.push(&x[pos..pos + n], |e| out.push(*e));
        pos += n;
    }
    a.finish(|e| out.push(*e));
    out
}

#[test]
fn warms_up_then_estimates_every_step() {
    let x = audio(44_100, 9.0);
    let est = run(44_100, &x, &[512]);
    assert_eq!(est.len(), 18, "9 s at one step per 0.5 s");
    for (k, e) in est.iter().enumerate() {
        assert!((e.time_s - (k + 1) as f64 * HOP_S).abs() < 1e-9);
        assert!((0.0..=1.0).contains(&e.valence) && (0.0..=1.0).contains(&e.arousal));
        let expect = ((k + 1).min(T)) as f32 / T as f32;
        assert_eq!(e.coverage, expect, "step {k}");
        assert_eq!(e.warming_up(), k + 1 < T);
    }
}

#[test]
fn block_sizes_and_rates_do_not_change_estimates_beyond_resampling() {
    let x = audio(48_000, 8.0);
    let reference = run(48_000, &x, &[x.len()]);
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let blocks: Vec<usize> = (0..500).map(|_| rng.random_range(1..=4096)).collect();
    assert_eq!(run(48_000, &x, &blocks), reference);
}

/// The last `k` of `rows` (each `n` wide) as a `k × n` input, oldest first, zeros
/// above when fewer than `k` exist: the model input, built by hand.
fn last_rows(rows: &[Vec<f32>], k: usize, n: usize) -> Vec<f32> {
    let filled = rows.len().min(k);
    let mut input = vec![0.0f32; (k - filled) * n];
    rows[rows.len() - filled..].iter().for_each(|r| input.extend_from_slice(r));
    input
}

#[test]
fn plugin_path_equals_offline_path() {
    // Offline: resample the whole file, extract steps, z-score, predict by hand.
    let x = audio(44_100, 8.0);
    let streamed = run(44_100, &x, &[333]);
    let y = resample_all(&x, 44_100, 22_050).unwrap();
    let mut steps = Vec::new();
    let mut ex = StepExtractor::new(22_050, StepConfig { window_s: 1.0, hop_s: HOP_S }).unwrap();
    ex.push(&y, |s| steps.push(*s));
    ex.finish(|s| steps.push(*s));
    let mut m = model();
    let names: Vec<&str> = raw_step_names().collect();
    let cols: Vec<usize> =
        m.metadata().feature_names.iter().map(|f| names.iter().position(|n| n == f).unwrap()).collect();
    let n = cols.len();
    let rows: Vec<Vec<f32>> = steps
        .iter()
        .map(|s| {
            let meta = m.metadata();
            cols.iter().zip(&meta.norm_mean).zip(&meta.norm_std).map(|((&c, mu), sd)| (s.values[c] - mu) / sd).collect()
        })
        .collect();
    assert_eq!(rows.len(), streamed.len());
    // The now reading: the last K rows (K = 3 s / 0.5 s = 6), then the one-pole smoothing.
    let k_now = m.now_t_steps();
    assert_eq!(k_now, 6);
    let alpha = 1.0 - (-(HOP_S as f32) / moodtap_core::model::now::NOW_SMOOTHING_S).exp();
    let mut smoothed: Option<(f32, f32)> = None;
    for (k, e) in streamed.iter().enumerate() {
        let raw = m.predict_now(&last_rows(&rows[..=k], k_now, n)).unwrap();
        let next = match smoothed {
            None => (raw.valence, raw.arousal),
            Some((v, a)) => (v + alpha * (raw.valence - v), a + alpha * (raw.arousal - a)),
        };
        smoothed = Some(next);
        assert_eq!(next, (e.now_valence, e.now_arousal), "now reading, step {k}");
    }
    for (k, e) in streamed.iter().enumerate() {
        let p = m.predict(&last_rows(&rows[..=k], T, n)).unwrap();
        assert_eq!((p.valence, p.arousal), (e.valence, e.arousal), "step {k}");
    }
}

#[test]
fn pushing_never_allocates() {
    let x = audio(44_100, 10.0);
    let mut a = Analyzer::new(model(), 44_100).unwrap();
    a.push(&x[..44_100 * 2], |_| {});
    let mut seen = 0;
    let (allocs, ()) = alloc_counter::allocations_during(|| {
        for block in x[44_100 * 2..].chunks(480) {
            a.push(block, |_| seen += 1);
        }
    });
    assert!(seen > 10);
    assert_eq!(allocs, 0);
}

#[test]
fn nan_input_and_silence_give_finite_estimates() {
    let mut x = audio(22_050, 7.0);
    for v in x.iter_mut().step_by(3) {
        *v = f32::NAN;
    }
    x.extend(std::iter::repeat_n(0.0, 22_050 * 3));
    let est = run(22_050, &x, &[1000]);
    assert_eq!(est.len(), 20);
    let unit = |v: f32| (0.0..=1.0).contains(&v);
    assert!(est.iter().all(|e| unit(e.valence) && unit(e.arousal) && unit(e.now_valence) && unit(e.now_arousal)));
}

#[test]
fn unknown_features_and_bad_rates_are_errors() {
    let mut names: Vec<String> = raw_step_names().take(10).map(String::from).collect();
    names.push("brilliance".into());
    assert!(
        matches!(Analyzer::new(model_with(names), 44_100), Err(AnalyzerError::Fusion(FusionError::UnknownFeature(f))) if f == "brilliance")
    );
    assert!(matches!(Analyzer::new(model(), 4_000), Err(AnalyzerError::Resample(_))));
}
