//! The default model on pairs of clearly contrasting real recordings (issue 6;
//! table in docs/default-model.md): every pair is printed, and the pairs the
//! document claims the model orders the way model-free cues say are asserted.
//!
//! Pieces: freely licensed game soundtracks from the Debian packages
//! `singularity-music` and `hyperrogue-music` (scripts/setup-deps.sh installs
//! them). The pairs were fixed from `scripts/pair_cues.py` (librosa tempo, RMS,
//! onset rate, spectral centroid, Krumhansl–Kessler mode) and composer intent
//! before the model was run on them. Each piece is analysed over 45 s from
//! `clamp(duration − 45, 0, 15)` s; the song estimate is the mean of the
//! full-coverage estimates (tests/common).
//!
//! When neither package is installed the test prints why and passes: the
//! recordings cannot be vendored. CI installs them.

mod common;

use std::path::{Path, PathBuf};

const SING: &str = "/usr/share/games/singularity/music";
const HYPER: &str = "/usr/share/hyperrogue/music";

/// Which estimate a pair compares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dim {
    Valence,
    Arousal,
}

/// A piece: file under the music root and its duration, s.
type Piece = (&'static str, f64);
/// (dimension, expected higher, expected lower, claimed).
type Pair = (Dim, Piece, Piece, bool);

/// (dimension, expected higher, expected lower, claimed) with each piece's
/// duration in seconds (fixes the excerpt offset without probing the file).
/// Reasons for each pair: docs/default-model.md. `claimed`: the ordering
/// docs/default-model.md states the default model gets right, asserted here.
/// The other pair is printed, not asserted: the default model misses valence
/// pair 9 (Deprecation 0.21 vs A New Journey 0.43); the document says so.
pub const PAIRS: &[Pair] = &[
    (Dim::Arousal, ("hr/hr3-motion.ogg", 85.1), ("sing/lose/March Thee to Dis.ogg", 43.2), true),
    (Dim::Arousal, ("sing/Through Space.ogg", 233.7), ("sing/Awakening.ogg", 208.0), true),
    (Dim::Arousal, ("hr/hr-savino-caribbean.ogg", 62.3), ("hr/hr3-rlyeh.ogg", 128.0), true),
    (Dim::Arousal, ("hr/hr3-desert.ogg", 72.3), ("hr/hr3-graveyard.ogg", 126.1), true),
    (Dim::Arousal, ("sing/win/Apex Aleph.ogg", 104.5), ("sing/lose/Chimes They Fade.ogg", 42.7), true),
    (Dim::Arousal, ("hr/hr-savino-palace.ogg", 65.2), ("sing/Awakening.ogg", 208.0), true),
    (Dim::Valence, ("hr/hr3-mirror.ogg", 78.3), ("hr/hr3-caves.ogg", 58.4), true),
    (Dim::Valence, ("sing/Aberrations.ogg", 309.6), ("hr/hr3-icyland.ogg", 83.6), true),
    (Dim::Valence, ("sing/Deprecation.ogg", 276.9), ("sing/A New Journey.ogg", 327.3), false),
    (Dim::Valence, ("hr/hr-savino-ivory.ogg", 63.8), ("hr/hr3-graveyard.ogg", 126.1), true),
    (Dim::Valence, ("sing/win/Apex Aleph.ogg", 104.5), ("sing/lose/March Thee to Dis.ogg", 43.2), true),
];

fn resolve(name: &str) -> PathBuf {
    match name.split_once('/') {
        Some(("sing", rest)) => Path::new(SING).join(rest),
        Some(("hr", rest)) => Path::new(HYPER).join(rest),
        _ => panic!("bad piece name {name}"),
    }
}

#[test]
fn default_model_orders_contrasting_pairs() {
    if !Path::new(SING).is_dir() && !Path::new(HYPER).is_dir() {
        eprintln!("SKIPPED: singularity-music and hyperrogue-music are not installed (scripts/setup-deps.sh)");
        return;
    }
    let mut cache: Vec<(String, common::SongEstimate)> = Vec::new();
    let mut estimate = |name: &str, dur: f64| -> common::SongEstimate {
        if let Some((_, e)) = cache.iter().find(|(n, _)| n == name) {
            return *e;
        }
        let e = common::estimate_file(&resolve(name), dur);
        cache.push((name.to_string(), e));
        e
    };
    let mut wrong = Vec::new();
    common::print_metadata();
    println!("| # | dim | higher: V / A (full-coverage steps) | lower: V / A (steps) | ordered | claimed |");
    for (i, &(dim, (hi, hi_dur), (lo, lo_dur), claimed)) in PAIRS.iter().enumerate() {
        let (h, l) = (estimate(hi, hi_dur), estimate(lo, lo_dur));
        let ok = match dim {
            Dim::Valence => h.valence > l.valence,
            Dim::Arousal => h.arousal > l.arousal,
        };
        println!(
            "| {} | {:?} | {hi}: {:.3} / {:.3} ({}) | {lo}: {:.3} / {:.3} ({}) | {} | {} |",
            i + 1,
            dim,
            h.valence,
            h.arousal,
            h.full_steps,
            l.valence,
            l.arousal,
            l.full_steps,
            if ok { "yes" } else { "no" },
            if claimed { "yes" } else { "no" }
        );
        if claimed && !ok {
            wrong.push(i + 1);
        }
    }
    assert!(wrong.is_empty(), "pairs docs/default-model.md claims are now ordered against the cues: {wrong:?}");
}
