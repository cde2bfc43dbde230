//! `moodtap extract`: a labelled dataset → the Parquet step cache of
//! [`crate::cache`] (docs/design.md §2, §6).
//!
//! Each song is decoded packet by packet ([`Decoder`]), resampled as a
//! stream to 22 050 Hz ([`StreamResampler`]) and fed to one
//! [`StepExtractor`] per requested T (hop `context_s / T`), so one decode
//! serves every T and memory holds one song's step rows, never its audio.
//! Steps cover the whole clip (`k · hop_s ≤ duration`).
//!
//! Songs run in parallel on a rayon pool. Each song's rows go to their own
//! part file per configuration, written atomically, so an interrupted run
//! loses only the songs in flight and a re-run skips every song already in
//! the cache (found by reading the `song_id` column of the existing parts).
//! A song whose audio is missing, unreadable or too short, or whose
//! extraction panics, is recorded in the [`ExtractSummary`] and skipped;
//! nothing stops the run half-way.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use moodtap_core::audio::{Decoder, StreamResampler};
use moodtap_core::steps::{StepExtractor, RAW_STEP_LEN};
use moodtap_core::ANALYSIS_RATE_HZ;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cache::parquet_io::{song_ids, write_part};
use crate::cache::SongSteps;
use crate::cache::{list_parts, part_name, stable_hash, CacheError, CacheMeta, MOODTAP_VERSION};
use crate::dataset::{Dataset, DatasetKind, LoadOptions, Song};

/// Largest T accepted (a 45 s context at T = 4500 has 10 ms steps, the LLD hop).
pub const MAX_STEPS: u32 = 4500;

/// `--shard K/N`: this process handles the songs whose stable id hash
/// ([`stable_hash`], FNV-1a 64) modulo `count` equals `index` (0-based).
/// Shards `0/N … (N−1)/N` partition any catalogue exactly, independent of
/// song order, machine or run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, in `0..count`.
    pub index: u32,
    /// N ≥ 1.
    pub count: u32,
}

impl Shard {
    /// Whether song `id` belongs to this shard.
    pub fn contains(&self, id: &str) -> bool {
        stable_hash(id.as_bytes()) % self.count as u64 == self.index as u64
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}': expected K/N with 0 ≤ K < N (e.g. 0/4 … 3/4)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

/// Settings of one extraction run.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractConfig {
    /// Cache root directory.
    pub cache: PathBuf,
    /// Step counts T to compute (one cache directory each).
    pub steps: Vec<u32>,
    /// Context length, s (hop = context_s / T).
    pub context_s: f64,
    /// Seconds summarised per step.
    pub window_s: f64,
    /// Worker threads (0: one per core).
    pub jobs: usize,
    /// Only this shard of the songs.
    pub shard: Option<Shard>,
}

/// Why an extraction could not start (problems with single songs never stop it).
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// Bad settings.
    #[error("{0}")]
    Config(String),
    /// The cache directory is unusable.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// A file the run could not use, or used with a warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileIssue {
    /// Song id.
    pub song_id: String,
    /// Audio file.
    pub path: String,
    /// What happened (the decoder's message for unreadable audio).
    pub message: String,
}

/// A label row the loader could not use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BadRow {
    /// Label file.
    pub file: String,
    /// Line number (1 = header).
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// What a run did and skipped; written as `_summary.json` in the cache root.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtractSummary {
    /// moodtap version.
    pub moodtap_version: String,
    /// Dataset layout.
    pub dataset_kind: String,
    /// Dataset root or manifest.
    pub dataset_path: String,
    /// Step-configuration directories written (`T099_w1.0_c45`, …).
    pub configs: Vec<String>,
    /// `K/N` when sharded.
    pub shard: Option<String>,
    /// Songs with labels and an audio file.
    pub songs_usable: usize,
    /// Of those, songs in this shard.
    pub songs_in_shard: usize,
    /// Songs already in the cache for every configuration (skipped).
    pub songs_already_cached: usize,
    /// Songs extracted and written in this run.
    pub songs_extracted: usize,
    /// Seconds of audio decoded in this run.
    pub audio_seconds: f64,
    /// Wall-clock seconds of the extraction.
    pub elapsed_s: f64,
    /// Songs skipped: unreadable/corrupt/empty/too-short audio, with the reason.
    pub broken: Vec<FileIssue>,
    /// Songs extracted despite a decoding problem (damaged packets, truncation).
    pub warnings: Vec<FileIssue>,
    /// Songs whose rows could not be written to the cache.
    pub write_errors: Vec<FileIssue>,
    /// Labelled songs without an audio file.
    pub missing_audio: Vec<String>,
    /// Audio files without labels.
    pub unlabelled_audio: Vec<String>,
    /// Label rows the loader could not use.
    pub bad_label_rows: Vec<BadRow>,
    /// Static-vs-dynamic label cross-check, when the dataset has dynamic labels.
    pub crosscheck: Option<String>,
    /// Valence/arousal swapped on request.
    pub swapped_va: bool,
}

impl ExtractSummary {
    /// A readable multi-line summary; long lists are cut at `max_list` entries.
    pub fn describe(&self, max_list: usize) -> String {
        let mut s = format!(
            "{} songs extracted ({:.0} s of audio in {:.1} s, {:.1}× realtime), {} already cached, {} broken{}; {} labelled songs without audio, {} audio files without labels, {} unusable label rows",
            self.songs_extracted,
            self.audio_seconds,
            self.elapsed_s,
            self.audio_seconds / self.elapsed_s.max(1e-9),
            self.songs_already_cached,
            self.broken.len(),
            self.shard.as_ref().map(|k| format!(" (shard {k}: {} of {} usable songs)", self.songs_in_shard, self.songs_usable)).unwrap_or_default(),
            self.missing_audio.len(),
            self.unlabelled_audio.len(),
            self.bad_label_rows.len(),
        );
        let mut list = |title: &str, items: Vec<String>| {
            if items.is_empty() {
                return;
            }
            s.push_str(&format!("\n{title} ({}):", items.len()));
            for it in items.iter().take(max_list) {
                s.push_str(&format!("\n  {it}"));
            }
            if items.len() > max_list {
                s.push_str(&format!("\n  … and {} more (see _summary.json)", items.len() - max_list));
            }
        };
        list(
            "broken audio, skipped",
            self.broken.iter().map(|b| format!("{} ({}): {}", b.song_id, b.path, b.message)).collect(),
        );
        list(
            "cache write errors",
            self.write_errors.iter().map(|b| format!("{} ({}): {}", b.song_id, b.path, b.message)).collect(),
        );
        list(
            "extracted with warnings",
            self.warnings.iter().map(|b| format!("{} ({}): {}", b.song_id, b.path, b.message)).collect(),
        );
        list("labelled songs without audio", self.missing_audio.clone());
        list("audio files without labels", self.unlabelled_audio.clone());
        list(
            "unusable label rows",
            self.bad_label_rows.iter().map(|r| format!("{}:{}: {}", r.file, r.line, r.reason)).collect(),
        );
        if let Some(c) = &self.crosscheck {
            s.push('\n');
            s.push_str(c);
        }
        s
    }

    /// Combines the summaries of several shards/runs of the same dataset:
    /// counts add up, lists are united (first entry per song wins).
    pub fn combine(parts: &[ExtractSummary]) -> ExtractSummary {
        let mut out = parts.first().cloned().unwrap_or_default();
        out.shard = None;
        for p in parts.iter().skip(1) {
            out.songs_in_shard += p.songs_in_shard;
            out.songs_already_cached += p.songs_already_cached;
            out.songs_extracted += p.songs_extracted;
            out.audio_seconds += p.audio_seconds;
            out.elapsed_s = out.elapsed_s.max(p.elapsed_s);
            out.songs_usable = out.songs_usable.max(p.songs_usable);
            for (dst, src) in [
                (&mut out.broken, &p.broken),
                (&mut out.warnings, &p.warnings),
                (&mut out.write_errors, &p.write_errors),
            ] {
                for issue in src {
                    if !dst.iter().any(|d| d.song_id == issue.song_id) {
                        dst.push(issue.clone());
                    }
                }
            }
            for c in &p.configs {
                if !out.configs.contains(c) {
                    out.configs.push(c.clone());
                }
            }
        }
        out
    }

    /// Writes the summary as JSON (atomically).
    pub fn write(&self, path: &Path) -> Result<(), CacheError> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| CacheError::Invalid { path: path.to_path_buf(), reason: e.to_string() })?;
        crate::cache::write_atomically(path, text.as_bytes())
    }
}

/// Progress events of an extraction, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub enum ExtractProgress<'a> {
    /// Work found after the resume scan.
    Plan {
        /// Songs to extract in this run.
        to_extract: usize,
        /// Songs skipped because they are cached.
        cached: usize,
        /// Worker threads after capping `--jobs` ([`crate::jobs::effective`]).
        threads: usize,
        /// Why fewer threads than requested ("" if not).
        capped_by: &'static str,
    },
    /// One song finished (`ok`: written; else broken).
    Song {
        /// Its id.
        id: &'a str,
        /// Written to the cache.
        ok: bool,
        /// Seconds of audio it had.
        audio_s: f64,
    },
}

/// Source label scale `[min, max]` the dataset's labels were mapped from.
pub fn source_label_scale(kind: DatasetKind, opts: &LoadOptions) -> [f32; 2] {
    match kind {
        DatasetKind::Deam | DatasetKind::EmoMusic => [1.0, 9.0],
        DatasetKind::Manifest => {
            let (lo, hi) = opts.scale.unwrap_or((0.0, 1.0));
            [lo, hi]
        }
    }
}

/// Name of the dataset kind as written into the cache.
pub fn kind_name(kind: DatasetKind) -> &'static str {
    match kind {
        DatasetKind::Deam => "deam",
        DatasetKind::EmoMusic => "emomusic",
        DatasetKind::Manifest => "manifest",
    }
}

/// Summary file name for a run (`_summary.json`, or per shard).
pub fn summary_file_name(shard: Option<Shard>) -> String {
    match shard {
        None => "_summary.json".to_string(),
        Some(s) => format!("_summary.shard-{}-of-{}.json", s.index, s.count),
    }
}

/// One step as extracted: number, time (s), raw vector.
type StepRow = (u32, f64, [f32; RAW_STEP_LEN]);

/// One song's result.
struct Outcome {
    audio_s: f64,
    /// Per configuration: its rows, or `None` when it was already cached.
    rows: Vec<Option<Vec<StepRow>>>,
    warning: Option<String>,
}

/// A worker's extractors, reused song after song (one per configuration).
struct SongExtractor {
    extractors: Vec<StepExtractor>,
}

impl SongExtractor {
    fn new(metas: &[CacheMeta]) -> Result<Self, String> {
        let extractors = metas
            .iter()
            .map(|m| StepExtractor::new(ANALYSIS_RATE_HZ, m.step_config()).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        Ok(Self { extractors })
    }

    /// Decodes `audio` once and computes the steps of every configuration
    /// flagged in `needed`. `Err` carries the reason the song is unusable.
    fn run(&mut self, audio: &Path, needed: &[bool], metas: &[CacheMeta]) -> Result<Outcome, String> {
        let mut dec = Decoder::open(audio).map_err(|e| e.to_string())?;
        let mut rs = StreamResampler::new(dec.sample_rate_hz(), ANALYSIS_RATE_HZ).map_err(|e| e.to_string())?;
        let mut rows: Vec<Vec<StepRow>> = vec![Vec::new(); needed.len()];
        let mut n_out: u64 = 0;
        let extractors = &mut self.extractors;
        let mut feed = |block: &[f32]| {
            n_out += block.len() as u64;
            for ((ex, out), &need) in extractors.iter_mut().zip(rows.iter_mut()).zip(needed) {
                if need {
                    ex.push(block, |s| out.push((s.index as u32, s.time_s, s.values)));
                }
            }
        };
        while let Some(block) = dec.next_block() {
            rs.push(block, &mut feed);
        }
        rs.finish(&mut feed);
        for ((ex, out), &need) in self.extractors.iter_mut().zip(rows.iter_mut()).zip(needed) {
            if need {
                ex.finish(|s| out.push((s.index as u32, s.time_s, s.values)));
            } else {
                ex.reset();
            }
        }
        let stats = dec.stats();
        let audio_s = n_out as f64 / ANALYSIS_RATE_HZ as f64;
        if n_out == 0 {
            return Err(if stats.truncated || stats.skipped_packets > 0 {
                format!(
                    "no audio could be decoded ({} damaged packets, stream ended early: {})",
                    stats.skipped_packets, stats.truncated
                )
            } else {
                "contains no audio samples".to_string()
            });
        }
        for (i, m) in metas.iter().enumerate() {
            if needed[i] && rows[i].is_empty() {
                return Err(format!(
                    "{audio_s:.3} s of audio is shorter than one step ({:.3} s at T = {})",
                    m.hop_s, m.steps
                ));
            }
        }
        let warning = (stats.truncated || stats.skipped_packets > 0 || stats.nonfinite_samples > 0).then(|| {
            format!(
                "decoded {audio_s:.1} s with problems: {} damaged packets skipped, stream ended early: {}, {} non-finite samples set to 0",
                stats.skipped_packets, stats.truncated, stats.nonfinite_samples
            )
        });
        Ok(Outcome { audio_s, rows: rows.into_iter().zip(needed).map(|(r, &n)| n.then_some(r)).collect(), warning })
    }
}

/// Runs an extraction of `dataset` into `cfg.cache` and writes the summary
/// JSON into the cache root. Errors only for problems found before any song
/// is processed (bad settings, an unusable or mismatched cache).
pub fn extract(
    dataset: &Dataset,
    opts: &LoadOptions,
    cfg: &ExtractConfig,
    progress: &(dyn Fn(ExtractProgress<'_>) + Sync),
) -> Result<ExtractSummary, ExtractError> {
    let started = Instant::now();
    let metas = plan_configs(dataset, opts, cfg)?;
    std::fs::create_dir_all(&cfg.cache).map_err(CacheError::io("cannot create", &cfg.cache))?;
    let dirs: Vec<PathBuf> = metas.iter().map(|m| cfg.cache.join(m.dir_name())).collect();
    for (m, d) in metas.iter().zip(&dirs) {
        m.create_or_check(d)?;
        crate::cache::remove_stale_temps(d, crate::cache::STALE_TEMP_AGE);
    }
    // Resume: the songs each configuration already holds.
    let mut done: Vec<HashSet<String>> = Vec::new();
    for d in &dirs {
        let mut ids = HashSet::new();
        for part in list_parts(d)? {
            ids.extend(song_ids(&part)?);
        }
        done.push(ids);
    }
    let in_shard: Vec<&Song> = dataset.songs.iter().filter(|s| cfg.shard.is_none_or(|sh| sh.contains(&s.id))).collect();
    let mut todo: Vec<(&Song, Vec<bool>)> = Vec::new();
    for s in &in_shard {
        let needed: Vec<bool> = done.iter().map(|d| !d.contains(&s.id)).collect();
        if needed.iter().any(|&n| n) {
            todo.push((s, needed));
        }
    }
    let cached = in_shard.len() - todo.len();
    let jobs = crate::jobs::effective(cfg.jobs, todo.len());
    progress(ExtractProgress::Plan {
        to_extract: todo.len(),
        cached,
        threads: jobs.threads,
        capped_by: jobs.capped_by,
    });

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.threads)
        .build()
        .map_err(|e| ExtractError::Config(format!("cannot start {} worker threads: {e}", jobs.threads)))?;
    struct Acc {
        extracted: usize,
        audio_s: f64,
        broken: Vec<FileIssue>,
        warnings: Vec<FileIssue>,
        write_errors: Vec<FileIssue>,
    }
    let acc = Mutex::new(Acc {
        extracted: 0,
        audio_s: 0.0,
        broken: Vec::new(),
        warnings: Vec::new(),
        write_errors: Vec::new(),
    });
    let record = |f: &dyn Fn(&mut Acc)| {
        // A poisoned lock only means another song panicked while recording; the data is intact.
        let mut guard = acc.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard);
    };
    pool.install(|| {
        todo.par_iter().with_max_len(1).for_each_init(
            || SongExtractor::new(&metas),
            |worker, (song, needed)| {
                let issue = |message: String| FileIssue {
                    song_id: song.id.clone(),
                    path: song.audio.display().to_string(),
                    message,
                };
                let result = match worker {
                    Ok(w) => {
                        catch_unwind(AssertUnwindSafe(|| w.run(&song.audio, needed, &metas))).unwrap_or_else(|p| {
                            let msg = p
                                .downcast_ref::<&str>()
                                .map(|s| s.to_string())
                                .or_else(|| p.downcast_ref::<String>().cloned())
                                .unwrap_or_default();
                            Err(format!("internal error while extracting (please report): {msg}"))
                        })
                    }
                    Err(e) => Err(e.clone()),
                };
                let outcome = match result {
                    Ok(o) => o,
                    Err(msg) => {
                        // The extractors may be mid-stream after a panic: start afresh.
                        *worker = SongExtractor::new(&metas);
                        record(&|a| a.broken.push(issue(msg.clone())));
                        progress(ExtractProgress::Song { id: &song.id, ok: false, audio_s: 0.0 });
                        return;
                    }
                };
                let mut write_error = None;
                for ((rows, meta), dir) in outcome.rows.iter().zip(&metas).zip(&dirs) {
                    let Some(rows) = rows else { continue };
                    let song_rows = SongSteps {
                        id: song.id.clone(),
                        valence: song.valence,
                        arousal: song.arousal,
                        steps: rows.iter().map(|r| r.0).collect(),
                        times_s: rows.iter().map(|r| r.1).collect(),
                        features: rows.iter().flat_map(|r| r.2).collect(),
                    };
                    if let Err(e) = write_part(&dir.join(part_name(&song.id)), meta, &[song_rows]) {
                        write_error = Some(e.to_string());
                        break;
                    }
                }
                let ok = write_error.is_none();
                record(&|a| {
                    a.audio_s += outcome.audio_s;
                    match &write_error {
                        Some(e) => a.write_errors.push(issue(e.clone())),
                        None => a.extracted += 1,
                    }
                    if let Some(w) = &outcome.warning {
                        a.warnings.push(issue(w.clone()));
                    }
                });
                progress(ExtractProgress::Song { id: &song.id, ok, audio_s: outcome.audio_s });
            },
        )
    });
    let acc = acc.into_inner().unwrap_or_else(|p| p.into_inner());
    let order = |v: &mut Vec<FileIssue>| v.sort_by_key(|i| crate::dataset::natural_key(&i.song_id));
    let (mut broken, mut warnings, mut write_errors) = (acc.broken, acc.warnings, acc.write_errors);
    order(&mut broken);
    order(&mut warnings);
    order(&mut write_errors);
    let report = &dataset.report;
    let summary = ExtractSummary {
        moodtap_version: MOODTAP_VERSION.to_string(),
        dataset_kind: kind_name(dataset.kind).to_string(),
        dataset_path: dataset.root.display().to_string(),
        configs: metas.iter().map(CacheMeta::dir_name).collect(),
        shard: cfg.shard.map(|s| s.to_string()),
        songs_usable: dataset.songs.len(),
        songs_in_shard: in_shard.len(),
        songs_already_cached: cached,
        songs_extracted: acc.extracted,
        audio_seconds: acc.audio_s,
        elapsed_s: started.elapsed().as_secs_f64(),
        broken,
        warnings,
        write_errors,
        missing_audio: report.missing_audio.clone(),
        unlabelled_audio: report.unlabelled_audio.iter().map(|p| p.display().to_string()).collect(),
        bad_label_rows: report
            .bad_rows
            .iter()
            .map(|(f, l, r)| BadRow { file: f.display().to_string(), line: *l, reason: r.clone() })
            .collect(),
        crosscheck: report.crosscheck.as_ref().map(|c| c.describe()),
        swapped_va: report.swapped,
    };
    summary.write(&cfg.cache.join(summary_file_name(cfg.shard)))?;
    Ok(summary)
}

/// Validates the settings and builds the metadata of each configuration.
fn plan_configs(dataset: &Dataset, opts: &LoadOptions, cfg: &ExtractConfig) -> Result<Vec<CacheMeta>, ExtractError> {
    if cfg.steps.is_empty() {
        return Err(ExtractError::Config("--steps needs at least one T (e.g. --steps 99,199,299)".into()));
    }
    if !(cfg.context_s.is_finite() && cfg.context_s > 0.0) {
        return Err(ExtractError::Config(format!(
            "--context-s {} must be a positive number of seconds",
            cfg.context_s
        )));
    }
    let mut steps = cfg.steps.clone();
    steps.sort_unstable();
    steps.dedup();
    let mut metas = Vec::new();
    for t in steps {
        if !(1..=MAX_STEPS).contains(&t) {
            return Err(ExtractError::Config(format!("--steps {t}: T must be 1–{MAX_STEPS}")));
        }
        let meta = CacheMeta::new(
            t,
            cfg.context_s,
            cfg.window_s,
            kind_name(dataset.kind),
            &dataset.root,
            source_label_scale(dataset.kind, opts),
            opts.swap_va,
        );
        StepExtractor::new(ANALYSIS_RATE_HZ, meta.step_config()).map_err(|e| {
            ExtractError::Config(format!("T = {t}, --context-s {}, --window-s {}: {e}", cfg.context_s, cfg.window_s))
        })?;
        metas.push(meta);
    }
    Ok(metas)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_parses_and_partitions() {
        assert_eq!("1/4".parse::<Shard>().unwrap(), Shard { index: 1, count: 4 });
        assert!("4/4".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        let ids: Vec<String> = (0..500).map(|i| format!("song{i}")).collect();
        for n in 1..6u32 {
            for id in &ids {
                let owners = (0..n).filter(|&k| Shard { index: k, count: n }.contains(id)).count();
                assert_eq!(owners, 1, "{id} in {owners} of {n} shards");
            }
        }
    }
}
