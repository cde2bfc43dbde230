//! `moodtap corpus`: a deterministic synthetic training corpus.
//!
//! Writes `count` short excerpts with controlled expressive cues
//! ([`cues`]), composed note by note ([`score`]), synthesised with a General
//! MIDI SoundFont ([`render`]) and labelled by a documented model of
//! perceived valence and arousal ([`labels`], `docs/corpus-label-model.md`).
//!
//! Output layout under `out`:
//! - `audio/NNNNN.wav`: 22 050 Hz mono 16-bit PCM, `duration_s` long;
//! - `manifest.csv`: the generic dataset manifest of docs/design.md §6,
//!   `path,valence,arousal` (labels on a 0–1 scale, so `--scale 0,1`; paths
//!   relative to the manifest) followed by every cue and realisation
//!   measurement ([`MANIFEST_COLUMNS`]);
//! - `corpus.json`: generator provenance (arguments, SoundFont hash, label
//!   model version).
//!
//! With `sections > 1` ([`sections`]: pieces whose mood changes) the manifest
//! is in the time-series form instead, `path,time_s,valence,arousal,section`,
//! one row per 0.5 s (static label = the mean, as for any time-series
//! manifest), and `sections.csv` holds one row per section:
//! `path,section,start_s,end_s,valence,arousal` and the cue columns above.
//!
//! An existing `out` must be empty or a previous corpus (it has
//! `corpus.json`); numbered WAVs of a previous, larger corpus are removed.
//!
//! Determinism: every excerpt draws from its own random stream, a pure
//! function of `(seed, index)`, and all arithmetic is sequential within an
//! excerpt, so output is bit-identical for any thread count.

pub mod cues;
pub mod labels;
pub mod render;
pub mod score;
pub mod sections;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use cues::Cues;
pub use render::Renderer;

use moodtap_core::rng::SplitMix64;
use score::Score;

/// Default SoundFont: TimGM6mb (GPL-2, 6 MB), Debian package
/// `timgm6mb-soundfont`.
pub const DEFAULT_SOUNDFONT: &str = "/usr/share/sounds/sf2/TimGM6mb.sf2";
/// Default excerpt length, seconds.
pub const DEFAULT_DURATION_S: f64 = 15.0;
/// Accepted excerpt lengths, seconds.
pub const DURATION_RANGE_S: (f64, f64) = (2.0, 120.0);
/// Largest accepted corpus.
pub const MAX_COUNT: usize = 1_000_000;

/// Random-stream identifier of the per-excerpt composition streams.
const STREAM_COMPOSE: u64 = 0x5C0E;

/// Errors of corpus generation.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// An argument is out of range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A file or directory could not be created or written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// Path concerned.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A WAV file could not be written.
    #[error("cannot write WAV {path}: {source}")]
    Wav {
        /// Path concerned.
        path: PathBuf,
        /// Underlying error.
        source: hound::Error,
    },
    /// Synthesis failed.
    #[error(transparent)]
    Render(#[from] render::RenderError),
    /// The worker pool could not be started.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// Arguments of a corpus run.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusConfig {
    /// Output directory (created if missing).
    pub out: PathBuf,
    /// Number of excerpts, 1..=[`MAX_COUNT`].
    pub count: usize,
    /// Seed of the whole corpus.
    pub seed: u64,
    /// Excerpt length, seconds, within [`DURATION_RANGE_S`].
    pub duration_s: f64,
    /// Worker threads; 0 = one per core. Does not affect the output.
    pub threads: usize,
    /// Sections per excerpt, 1..=[`sections::MAX_SECTIONS`] (1: one mood per
    /// excerpt, the static corpus).
    pub sections: usize,
}

impl CorpusConfig {
    /// Checks ranges; returns a message naming the bad argument.
    pub fn validate(&self) -> Result<(), CorpusError> {
        if self.count == 0 || self.count > MAX_COUNT {
            return Err(CorpusError::InvalidArgument(format!(
                "--count must be between 1 and {MAX_COUNT}, got {}",
                self.count
            )));
        }
        let (lo, hi) = DURATION_RANGE_S;
        if !(self.duration_s.is_finite() && (lo..=hi).contains(&self.duration_s)) {
            return Err(CorpusError::InvalidArgument(format!(
                "--duration-s must be between {lo} and {hi} seconds, got {}",
                self.duration_s
            )));
        }
        let max = sections::MAX_SECTIONS.min((self.duration_s / sections::MIN_SECTION_S).floor() as usize).max(1);
        if !(1..=max).contains(&self.sections) {
            return Err(CorpusError::InvalidArgument(format!(
                "--sections must be between 1 and {max} for {} s excerpts (at most {}, each at least {} s), got {}",
                self.duration_s,
                sections::MAX_SECTIONS,
                sections::MIN_SECTION_S,
                self.sections
            )));
        }
        Ok(())
    }
}

/// One manifest row (one per section of a sectioned corpus).
#[derive(Debug, Clone, PartialEq)]
pub struct Excerpt {
    /// Path relative to the output directory.
    pub rel_path: String,
    /// Cue vector.
    pub cues: Cues,
    /// Valence label in [0, 1].
    pub valence: f64,
    /// Arousal label in [0, 1].
    pub arousal: f64,
    /// Measurements of the composition.
    pub score: score::ScoreStats,
    /// Active level of the file, dBFS.
    pub level_db: f64,
    /// Peak of the file, dBFS.
    pub peak_db: f64,
    /// Share of samples touched by the limiter.
    pub limited_share: f64,
    /// Section index (0 without sections).
    pub section: usize,
}

/// Summary of a finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusSummary {
    /// Manifest path.
    pub manifest: PathBuf,
    /// Rows written, in index order (sections of one excerpt in order).
    pub excerpts: Vec<Excerpt>,
}

/// Composes and renders excerpt `index` of corpus `seed` with cue vector
/// `cues` (exposed so tests can render controlled variations).
pub fn render_excerpt(
    renderer: &Renderer,
    cues: &Cues,
    seed: u64,
    index: u64,
    duration_s: f64,
) -> Result<(Score, render::Rendered), CorpusError> {
    let mut g = SplitMix64::for_item(seed, STREAM_COMPOSE, index);
    let score = score::compose(cues, duration_s, &mut g);
    let rendered = renderer.render(&score, cues)?;
    Ok((score, rendered))
}

/// Generates the corpus described by `cfg` into `cfg.out`. Calls
/// `progress()` once per finished excerpt (from worker threads).
pub fn generate(
    cfg: &CorpusConfig,
    renderer: &Renderer,
    progress: &(dyn Fn() + Sync),
) -> Result<CorpusSummary, CorpusError> {
    cfg.validate()?;
    prepare_out_dir(&cfg.out, cfg.count)?;
    let audio_dir = cfg.out.join("audio");
    std::fs::create_dir_all(&audio_dir).map_err(|source| CorpusError::Io { path: audio_dir.clone(), source })?;
    let all_cues = cues::sample_corpus_cues(cfg.seed, cfg.count);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|e| CorpusError::Threads(e.to_string()))?;
    let excerpts: Vec<Excerpt> = pool.install(|| {
        let per_excerpt: Vec<Vec<Excerpt>> = all_cues
            .par_iter()
            .enumerate()
            .map(|(i, c)| {
                if cfg.sections > 1 {
                    let rows = sectioned_excerpt(cfg, renderer, i, c)?;
                    progress();
                    return Ok(rows);
                }
                let rel_path = format!("audio/{i:05}.wav");
                let path = cfg.out.join(&rel_path);
                let (score, rendered) = render_excerpt(renderer, c, cfg.seed, i as u64, cfg.duration_s)?;
                render::write_wav(&path, &rendered.samples)
                    .map_err(|source| CorpusError::Wav { path: path.clone(), source })?;
                let (valence, arousal) = labels::label(c);
                progress();
                Ok(vec![Excerpt {
                    rel_path,
                    cues: c.clone(),
                    valence,
                    arousal,
                    score: score.stats,
                    level_db: rendered.level_db,
                    peak_db: rendered.peak_db,
                    limited_share: rendered.limited_share,
                    section: 0,
                }])
            })
            .collect::<Result<Vec<_>, CorpusError>>()?;
        Ok::<_, CorpusError>(per_excerpt.into_iter().flatten().collect())
    })?;

    let manifest = cfg.out.join("manifest.csv");
    if cfg.sections > 1 {
        write_text(&manifest, &time_series_csv(&excerpts, cfg))?;
        write_text(&cfg.out.join("sections.csv"), &sections_csv(&excerpts, cfg))?;
    } else {
        write_text(&manifest, &manifest_csv(&excerpts, cfg.duration_s))?;
    }
    let meta = cfg.out.join("corpus.json");
    write_text(&meta, &metadata_json(cfg, renderer))?;
    Ok(CorpusSummary { manifest, excerpts })
}

/// Renders excerpt `i` as `cfg.sections` sections starting from cues `first`,
/// writes its WAV and returns one row per section.
fn sectioned_excerpt(
    cfg: &CorpusConfig,
    renderer: &Renderer,
    i: usize,
    first: &Cues,
) -> Result<Vec<Excerpt>, CorpusError> {
    let rel_path = format!("audio/{i:05}.wav");
    let path = cfg.out.join(&rel_path);
    let cues = sections::section_cues(first, cfg.seed, i as u64, cfg.sections);
    let (parts, samples) = sections::render_sections(renderer, &cues, cfg.seed, i as u64, cfg.duration_s)?;
    render::write_wav(&path, &samples).map_err(|source| CorpusError::Wav { path: path.clone(), source })?;
    Ok(cues
        .into_iter()
        .zip(parts)
        .enumerate()
        .map(|(k, (c, part))| {
            let (valence, arousal) = labels::label(&c);
            Excerpt {
                rel_path: rel_path.clone(),
                cues: c,
                valence,
                arousal,
                score: part.score.stats,
                level_db: part.rendered.level_db,
                peak_db: part.rendered.peak_db,
                limited_share: part.rendered.limited_share,
                section: k,
            }
        })
        .collect())
}

/// The time-series manifest of a sectioned corpus (rows: see the module docs).
fn time_series_csv(rows: &[Excerpt], cfg: &CorpusConfig) -> String {
    let mut s = String::from("path,time_s,valence,arousal,section\n");
    for excerpt in rows.chunks(cfg.sections) {
        for t in sections::rating_times(cfg.duration_s) {
            let k = sections::section_at(t, cfg.sections, cfg.duration_s);
            let r = &excerpt[k];
            let _ = writeln!(s, "{},{t:.1},{:.6},{:.6},{k}", r.rel_path, r.valence, r.arousal);
        }
    }
    s
}

/// One row per section: where it sits, its labels and its cue columns.
fn sections_csv(rows: &[Excerpt], cfg: &CorpusConfig) -> String {
    let mut s = format!("path,section,start_s,end_s,valence,arousal,{}\n", cue_header());
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{:.3},{:.3},{:.6},{:.6},{}",
            r.rel_path,
            r.section,
            sections::section_start_s(r.section, cfg.sections, cfg.duration_s),
            sections::section_start_s(r.section + 1, cfg.sections, cfg.duration_s),
            r.valence,
            r.arousal,
            cue_values(r, cfg.duration_s)
        );
    }
    s
}

/// Accepts a missing or empty output directory, or a previous corpus
/// (recognised by its `corpus.json`), whose numbered WAVs beyond the new
/// `count` are removed so the directory holds exactly the new corpus.
/// Anything else is refused rather than written into.
fn prepare_out_dir(out: &Path, count: usize) -> Result<(), CorpusError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CorpusError::Io { path, source }
    };
    if !out.exists() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(out).map_err(io(out))?;
    if entries.next().is_none() {
        return Ok(());
    }
    if !out.join("corpus.json").is_file() {
        return Err(CorpusError::InvalidArgument(format!(
            "--out {} is not empty and holds no previous corpus (corpus.json); choose an empty or new directory",
            out.display()
        )));
    }
    let audio = out.join("audio");
    if !audio.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(&audio).map_err(io(&audio))? {
        let path = entry.map_err(io(&audio))?.path();
        let stale = path.extension().is_some_and(|e| e == "wav")
            && path
                .file_stem()
                .and_then(|s| s.to_str())
                .filter(|s| s.len() >= 5 && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<usize>().ok())
                .is_some_and(|i| i >= count);
        if stale {
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}

fn write_text(path: &Path, text: &str) -> Result<(), CorpusError> {
    std::fs::write(path, text).map_err(|source| CorpusError::Io { path: path.to_path_buf(), source })
}

/// Manifest columns after `path,valence,arousal`, with their meaning.
pub const MANIFEST_COLUMNS: [(&str, &str); 32] = [
    ("mode", "major | minor | atonal"),
    ("key_pc", "tonic pitch class 0-11, 0 = C (nuisance)"),
    ("tempo_bpm", "tempo, beats per minute"),
    ("loudness", "loudness cue 0-1"),
    ("level_db", "target active level, dBFS (loudness mapped onto -36..-9)"),
    ("dynamics", "flat | crescendo | diminuendo"),
    ("articulation", "0 legato .. 1 staccato"),
    ("register", "register cue 0-1"),
    ("register_midi", "melody centre pitch, MIDI note"),
    ("brightness", "filter brightness cue 0-1"),
    ("cutoff_hz", "low-pass cutoff, Hz"),
    ("shelf_db", "high-shelf gain above 1.5 kHz, dB"),
    ("timbre_brightness", "brightness used by the label model: 0.6 filter + 0.4 instruments"),
    ("dissonance", "harmonic dissonance cue 0-1"),
    ("density_npb", "melody density cue, notes per beat"),
    ("melody_family", "instrument family of the melody"),
    ("melody_program", "GM program of the melody (0-based)"),
    ("accompaniment_family", "instrument family of chords and bass"),
    ("chord_program", "GM program of the chords (0-based)"),
    ("bass_program", "GM program of the bass (0-based)"),
    ("drums", "1 if a drum kit plays on channel 10"),
    ("beats_per_bar", "metre (nuisance)"),
    ("duration_s", "excerpt length, s"),
    ("realised_melody_npb", "melody notes per beat actually composed"),
    ("realised_onsets_per_s", "distinct onsets per second, all parts"),
    ("realised_melody_midi", "mean melody MIDI note"),
    ("realised_dissonance_index", "share of dissonant pitch-class pairs per chord (ic1/ic6 = 1, ic2 = 0.5)"),
    ("realised_chromatic_share", "share of melody notes outside the key"),
    ("rendered_level_db", "active level of the file, dBFS"),
    ("rendered_peak_db", "sample peak of the file, dBFS"),
    ("limited_share", "share of samples bent by the limiter"),
    ("label_model", "label model version"),
];

/// `,`-joined names of [`MANIFEST_COLUMNS`].
fn cue_header() -> String {
    MANIFEST_COLUMNS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(",")
}

/// The [`MANIFEST_COLUMNS`] values of `r`, `,`-joined.
fn cue_values(r: &Excerpt, duration_s: f64) -> String {
    let c = &r.cues;
    let st = &r.score;
    // Fixed precision keeps the file stable and diff-friendly.
    format!(
        "{},{},{:.3},{:.6},{:.3},{},{:.6},{:.6},{:.3},{:.6},{:.1},{:.2},{:.6},{:.6},{:.6},{},{},{},{},{},{},{},{:.3},{:.4},{:.4},{:.3},{:.4},{:.4},{:.3},{:.3},{:.6},{}",
        c.mode.name(),
        c.key_pc,
        c.tempo_bpm,
        c.loudness,
        c.level_db(),
        c.dynamics.name(),
        c.articulation,
        c.register,
        c.register_midi(),
        c.brightness,
        c.cutoff_hz(),
        c.shelf_db(),
        c.timbre_brightness(),
        c.dissonance,
        c.density_npb,
        c.melody.name(),
        c.melody.melody_program(),
        c.accompaniment.name(),
        c.accompaniment.chord_program(),
        c.accompaniment.bass_program(),
        c.drums as u8,
        c.meter.beats(),
        duration_s,
        st.melody_npb,
        st.onsets_per_s,
        st.melody_mean_midi,
        st.dissonance_index,
        st.chromatic_share,
        r.level_db,
        r.peak_db,
        r.limited_share,
        labels::LABEL_MODEL_VERSION,
    )
}

fn manifest_csv(rows: &[Excerpt], duration_s: f64) -> String {
    let mut s = format!("path,valence,arousal,{}\n", cue_header());
    for r in rows {
        let _ = writeln!(s, "{},{:.6},{:.6},{}", r.rel_path, r.valence, r.arousal, cue_values(r, duration_s));
    }
    s
}

fn metadata_json(cfg: &CorpusConfig, renderer: &Renderer) -> String {
    let columns: serde_json::Map<String, serde_json::Value> =
        MANIFEST_COLUMNS.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
    let v = serde_json::json!({
        "generator": "moodtap corpus",
        "generator_version": env!("CARGO_PKG_VERSION"),
        "label_model_version": labels::LABEL_MODEL_VERSION,
        "label_model_doc": "docs/corpus-label-model.md",
        "label_scale": [0.0, 1.0],
        "seed": cfg.seed,
        "count": cfg.count,
        "duration_s": cfg.duration_s,
        "sample_rate_hz": render::SAMPLE_RATE_HZ,
        "channels": 1,
        "bits_per_sample": 16,
        "soundfont": {
            "bytes": renderer.soundfont_bytes,
            "fnv1a64": format!("{:016x}", renderer.soundfont_fnv1a64),
        },
        "manifest": "manifest.csv",
        "columns": columns,
    });
    // Written only for sectioned corpora, so a one-section corpus stays byte-identical
    // to those of earlier versions (the default model's recipe).
    let mut v = v;
    if cfg.sections > 1 {
        v["sections"] = serde_json::Value::from(cfg.sections);
    }
    // serde_json's pretty printer is deterministic for a given map order
    // (json! builds a BTreeMap-ordered map without `preserve_order`).
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
