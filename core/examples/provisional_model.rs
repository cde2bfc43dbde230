//! Writes the PROVISIONAL `models/default.moodtap`: a CBSA briefly trained on a
//! handful of `moodtap corpus` excerpts with core's [`Trainer`], so the
//! embedded-model path (plugin, `moodtap analyze`) is real before the model
//! trained by `moodtap train` on the full generated corpus replaces the file.
//!
//! ```text
//! moodtap corpus --out /tmp/mini-corpus --count 24 --seed 66
//! cargo run -p moodtap-core --example provisional_model -- \
//!     /tmp/mini-corpus/manifest.csv models/default.moodtap 2026-01-01
//! ```
//!
//! Features: all 97 raw step columns (88 eGeMAPS + 9 MIR, no selection),
//! T = 99 over 45 s, 1 s windows. Each excerpt gives training inputs for the
//! full excerpt and for 1/4, 1/2 and 3/4 of it (zero-padded at the front as
//! [`moodtap_core::analyzer::Analyzer`] pads while warming up). Labels are
//! the manifest's 0–1 `valence,arousal`. Held-out metrics are not recorded:
//! the metadata says PROVISIONAL in `dataset` and `notes`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use burn::optim::AdamConfig;
use burn::tensor::Device;
use moodtap_core::audio::{decode_file, resample::resample_all};
use moodtap_core::model::file::FEATURE_SCHEMA_VERSION;
use moodtap_core::model::{ModelConfig, ModelFile, ModelMetadata, Trainer, TrainingConfig, TrainingProvenance};
use moodtap_core::rng::SplitMix64;
use moodtap_core::steps::{raw_step_names, StepConfig, StepExtractor, RAW_STEP_LEN};
use moodtap_core::ANALYSIS_RATE_HZ;

const T_STEPS: usize = 99;
const CONTEXT_S: f64 = 45.0;
const WINDOW_S: f64 = 1.0;
const EPOCHS: usize = 60;
const SEED: u64 = 66;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        bail!("usage: provisional_model MANIFEST.csv OUT.moodtap DATE");
    }
    let manifest = PathBuf::from(&args[1]);
    let out = PathBuf::from(&args[2]);
    let date = args[3].clone();
    let clips = read_manifest(&manifest)?;
    let n = RAW_STEP_LEN;
    let hop_s = CONTEXT_S / T_STEPS as f64;

    // Steps of every clip, raw.
    let mut per_clip: Vec<(Vec<f32>, [f32; 2])> = Vec::new();
    for (path, label) in &clips {
        let audio = decode_file(path).with_context(|| format!("decoding {}", path.display()))?;
        let samples = resample_all(&audio.samples, audio.sample_rate_hz, ANALYSIS_RATE_HZ)?;
        let mut ex = StepExtractor::new(ANALYSIS_RATE_HZ, StepConfig { window_s: WINDOW_S, hop_s })?;
        let mut steps = Vec::new();
        ex.push(&samples, |s| steps.extend_from_slice(&s.values));
        ex.finish(|s| steps.extend_from_slice(&s.values));
        if steps.is_empty() {
            bail!("{} gave no steps", path.display());
        }
        per_clip.push((steps, *label));
    }

    // z-score statistics over every step of every clip.
    let rows: usize = per_clip.iter().map(|(s, _)| s.len() / n).sum();
    let mut mean = vec![0f64; n];
    let mut sq = vec![0f64; n];
    for (steps, _) in &per_clip {
        for row in steps.chunks_exact(n) {
            for (j, v) in row.iter().enumerate() {
                mean[j] += f64::from(*v);
                sq[j] += f64::from(*v) * f64::from(*v);
            }
        }
    }
    let norm_mean: Vec<f32> = mean.iter().map(|m| (m / rows as f64) as f32).collect();
    let norm_std: Vec<f32> = (0..n)
        .map(|j| {
            let m = mean[j] / rows as f64;
            let var = (sq[j] / rows as f64 - m * m).max(0.0);
            // A constant column (e.g. a feature silent on this material) gets std 1.
            if var.sqrt() > 1e-6 {
                var.sqrt() as f32
            } else {
                1.0
            }
        })
        .collect();

    // Inputs: full clip and three prefixes, newest step last, zeros in front.
    let mut inputs: Vec<(Vec<f32>, [f32; 2])> = Vec::new();
    for (steps, label) in &per_clip {
        let k = steps.len() / n;
        for frac in [0.25, 0.5, 0.75, 1.0] {
            let take = ((k as f64 * frac).ceil() as usize).clamp(1, k).min(T_STEPS);
            let end = ((k as f64 * frac).ceil() as usize).clamp(1, k);
            let mut x = vec![0f32; T_STEPS * n];
            for (slot, row) in (end - take..end).enumerate() {
                let dst = (T_STEPS - take + slot) * n;
                for j in 0..n {
                    x[dst + j] = (steps[row * n + j] - norm_mean[j]) / norm_std[j];
                }
            }
            inputs.push((x, *label));
        }
    }

    let model = ModelConfig::cbsa(T_STEPS, n);
    let config = TrainingConfig::new(model.clone(), AdamConfig::new()).with_seed(SEED);
    let batch = config.batch_size;
    let mut trainer = Trainer::new(config, Device::flex());
    let mut rng = SplitMix64::new(SEED);
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    for epoch in 0..EPOCHS {
        rng.shuffle(&mut order);
        let mut loss = 0.0;
        let mut batches = 0;
        for chunk in order.chunks_exact(batch) {
            let xs: Vec<f32> = chunk.iter().flat_map(|&i| inputs[i].0.iter().copied()).collect();
            let ys: Vec<f32> = chunk.iter().flat_map(|&i| inputs[i].1).collect();
            let (x, y) = trainer.batch_tensors(&xs, &ys, batch)?;
            loss += trainer.step(x, y);
            batches += 1;
        }
        if epoch % 10 == 9 {
            eprintln!("epoch {}: mean batch MSE {:.5}", epoch + 1, loss / batches.max(1) as f32);
        }
    }

    let names: Vec<String> = raw_step_names().map(String::from).collect();
    let mir: Vec<String> = names[88..].to_vec();
    let metadata = ModelMetadata {
        feature_schema_version: FEATURE_SCHEMA_VERSION,
        feature_names: names,
        selected_mir_features: mir,
        norm_mean,
        norm_std,
        t_steps: T_STEPS,
        context_s: CONTEXT_S,
        window_s: WINDOW_S,
        hop_s,
        analysis_rate_hz: ANALYSIS_RATE_HZ,
        model,
        training: TrainingProvenance {
            dataset: String::from("PROVISIONAL: moodtap corpus (synthetic), tiny subset"),
            song_count: clips.len(),
            seed: SEED,
            metrics: None,
            date,
            trainer_version: format!("moodtap-core {} examples/provisional_model.rs", env!("CARGO_PKG_VERSION")),
            notes: format!(
                "PROVISIONAL placeholder: CBSA trained for {EPOCHS} epochs on {} synthetic excerpts, all 97 raw features, \
                 no held-out evaluation; estimates carry little musical meaning. To be replaced by the model \
                 `moodtap train` makes on the full generated corpus.",
                clips.len()
            ),
        },
    };
    let bytes = ModelFile::to_bytes(&metadata, &trainer.inference_network())?;
    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} ({} bytes)", out.display(), bytes.len());
    Ok(())
}

/// `path,valence,arousal,…` rows; paths relative to the manifest.
fn read_manifest(manifest: &Path) -> anyhow::Result<Vec<(PathBuf, [f32; 2])>> {
    let text = std::fs::read_to_string(manifest).with_context(|| format!("reading {}", manifest.display()))?;
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let mut cols = line.split(',');
        let (Some(p), Some(v), Some(a)) = (cols.next(), cols.next(), cols.next()) else {
            bail!("manifest line {line:?} has fewer than 3 columns");
        };
        out.push((base.join(p), [v.trim().parse()?, a.trim().parse()?]));
    }
    Ok(out)
}
