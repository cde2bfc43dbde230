//! Shared by the `default_model_*` tests: loading the default model and
//! turning an excerpt into one song-level estimate.
//!
//! Song-level estimate (used by every default-model check and by
//! docs/default-model.md): the **mean of the full-coverage estimates** over
//! the excerpt, i.e. of every step whose model context holds only real audio.
//! With the default model (T·hop = 45 s) a 45 s excerpt has exactly one such
//! step, so this is the end-of-excerpt estimate with the whole excerpt as
//! context; models with a shorter context average over the excerpt the way a
//! static label does. Excerpts shorter than the context fall back to the last
//! estimate (`full_steps == 0`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use moodtap_core::analyzer::Analyzer;
use moodtap_core::audio::decode::Decoder;
use moodtap_core::model::LoadedModel;

/// Excerpt length, s (EmoMusic clips and corpus songs are 45 s).
pub const EXCERPT_S: f64 = 45.0;
/// Latest excerpt start, s: pieces start at `clamp(duration − 45, 0, 15)`
/// (same rule as scripts/pair_cues.py), skipping most intros.
pub const MAX_OFFSET_S: f64 = 15.0;

/// The model under test: `$MOODTAP_MODEL` if set, else the committed
/// `models/default.moodtap`.
pub fn model_path() -> PathBuf {
    std::env::var_os("MOODTAP_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("models").join("default.moodtap"))
}

/// Loads the model under test; panics with the path when it is missing.
pub fn load_model() -> LoadedModel {
    let p = model_path();
    LoadedModel::from_path(&p).unwrap_or_else(|e| panic!("default model {}: {e}", p.display()))
}

/// Prints the model's metadata summary (the facts docs/default-model.md quotes).
pub fn print_metadata() {
    let m = load_model();
    let m = m.metadata();
    let t = &m.training;
    println!("model {}: {:?}", model_path().display(), m.model);
    println!(
        "T {} steps, context {:.2} s, window {:.2} s, hop {:.3} s, {} features (MIR selected: {:?})",
        m.t_steps,
        m.context_s,
        m.window_s,
        m.hop_s,
        m.feature_names.len(),
        m.selected_mir_features
    );
    println!(
        "dataset {:?}, {} songs, seed {}, date {}, trainer {}",
        t.dataset, t.song_count, t.seed, t.date, t.trainer_version
    );
    println!("metrics {:?}", t.metrics);
    if let Some(r) = &t.run {
        println!(
            "split {:?}: train {} / validation {} / test {}, epochs {}, best {}",
            r.split, r.train_songs, r.validation_songs, r.test_songs, r.epochs, r.best_epoch
        );
    }
    println!("notes: {}", t.notes);
}

/// A song-level estimate.
#[derive(Debug, Clone, Copy)]
pub struct SongEstimate {
    /// Mean valence over full-coverage steps, [0, 1].
    pub valence: f64,
    /// Mean arousal over full-coverage steps, [0, 1].
    pub arousal: f64,
    /// Steps averaged (0: excerpt shorter than the context, last estimate used).
    pub full_steps: usize,
}

/// Runs a fresh analyzer (model loaded anew: `LoadedModel` is not `Clone`) over mono `samples` at `rate_hz`.
pub fn estimate_samples(samples: &[f32], rate_hz: u32) -> SongEstimate {
    let mut a = Analyzer::new(load_model(), rate_hz).expect("analyzer");
    let mut acc = Acc::default();
    a.push(samples, |e| acc.add(e));
    a.finish(|e| acc.add(e));
    acc.result()
}

/// Decodes `[offset, offset + 45 s)` of `path` (offset = clamp(duration − 45,
/// 0, 15) when `duration_s` is known) and estimates it. Only the excerpt is
/// decoded past the offset.
pub fn estimate_file(path: &Path, duration_s: f64) -> SongEstimate {
    let offset_s = (duration_s - EXCERPT_S).clamp(0.0, MAX_OFFSET_S);
    let mut dec = Decoder::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rate = dec.sample_rate_hz();
    let skip = (offset_s * rate as f64).round() as usize;
    let keep = (EXCERPT_S * rate as f64).round() as usize;
    let mut seen = 0usize;
    let mut excerpt = Vec::with_capacity(keep);
    while let Some(block) = dec.next_block() {
        let start = skip.saturating_sub(seen).min(block.len());
        seen += block.len();
        excerpt.extend_from_slice(&block[start..]);
        if excerpt.len() >= keep {
            break;
        }
    }
    excerpt.truncate(keep);
    estimate_samples(&excerpt, rate)
}

#[derive(Default)]
struct Acc {
    v: f64,
    a: f64,
    n: usize,
    last: Option<(f64, f64)>,
}

impl Acc {
    fn add(&mut self, e: &moodtap_core::analyzer::Estimate) {
        assert!(e.valence.is_finite() && e.arousal.is_finite(), "non-finite estimate {e:?}");
        self.last = Some((e.valence as f64, e.arousal as f64));
        if e.coverage >= 1.0 {
            self.v += e.valence as f64;
            self.a += e.arousal as f64;
            self.n += 1;
        }
    }

    fn result(&self) -> SongEstimate {
        if self.n > 0 {
            SongEstimate { valence: self.v / self.n as f64, arousal: self.a / self.n as f64, full_steps: self.n }
        } else {
            let (valence, arousal) = self.last.expect("at least one step");
            SongEstimate { valence, arousal, full_steps: 0 }
        }
    }
}
