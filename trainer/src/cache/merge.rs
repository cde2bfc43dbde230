//! `moodtap cache merge`: combines the parts of one or more caches (shards
//! extracted on different machines, or one cache's per-song parts) into one
//! `part-merged.parquet` per step configuration.
//!
//! A song found in several parts with the same labels is taken once (the
//! duplicates are counted). With different labels the merge stops and names
//! the songs, unless `--prefer first|last` says whose labels to keep (the
//! first or last source on the command line); the resolved songs are listed.
//!
//! Merging streams part by part (memory holds one part), skips rows of songs
//! already taken from an earlier part, writes the result atomically and only
//! then deletes the parts it replaced inside the output directory (source
//! directories elsewhere are left untouched). Interrupted at any point, a
//! re-run finishes the job: a merged file plus leftover parts hold the same
//! songs twice, which merging dedups and [`super::read`] tolerates.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use arrow_array::BooleanArray;

use super::parquet_io::{
    check_footer, read_part, schema, song_ids, song_labels, string_col, PartWriter, MERGED_ROW_GROUP_ROWS,
};
use super::{config_dirs, list_parts, CacheError, CacheMeta, MERGED_PART};
use crate::extract::ExtractSummary;

/// What a merge did for one step configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedConfig {
    /// Output step-configuration directory.
    pub dir: PathBuf,
    /// Part files read.
    pub parts_read: usize,
    /// Songs in the merged file.
    pub songs: usize,
    /// Rows in the merged file.
    pub rows: usize,
    /// Rows skipped because their song came from an earlier part.
    pub duplicate_rows: usize,
    /// Part files deleted from the output directory after the merge.
    pub parts_removed: usize,
    /// Songs whose labels differed between sources, resolved by `--prefer`.
    pub conflicts: Vec<String>,
}

/// Whose labels win when caches disagree about a song.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Prefer {
    /// The first source on the command line.
    First,
    /// The last source on the command line.
    Last,
}

/// Merges the caches `sources` (cache roots or step-configuration
/// directories) into the cache root `out` (which may be one of them).
/// Also unites the sources' `_summary*.json` into `out/_summary.json`.
pub fn merge(sources: &[PathBuf], out: &Path, prefer: Option<Prefer>) -> Result<Vec<MergedConfig>, CacheError> {
    // Step-configuration name → its directories in the sources.
    let mut by_name: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for src in sources {
        let dirs = config_dirs(src)?;
        if dirs.is_empty() {
            return Err(CacheError::NotFound(format!(
                "{} is not a moodtap feature cache (no step-configuration directories)",
                src.display()
            )));
        }
        for d in dirs {
            let name = d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            by_name.entry(name).or_default().push(d);
        }
    }
    std::fs::create_dir_all(out).map_err(CacheError::io("cannot create", out))?;
    let mut results = Vec::new();
    for (name, dirs) in &by_name {
        results.push(merge_config(dirs, &out.join(name), prefer)?);
    }
    merge_summaries(sources, out)?;
    Ok(results)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn merge_config(dirs: &[PathBuf], out_dir: &Path, prefer: Option<Prefer>) -> Result<MergedConfig, CacheError> {
    let meta = CacheMeta::load(&dirs[0])?;
    for d in &dirs[1..] {
        meta.check_same(&CacheMeta::load(d)?, d)?;
    }
    meta.create_or_check(out_dir)?;
    super::remove_stale_temps(out_dir, super::STALE_TEMP_AGE);
    // Inputs: the sources' parts plus whatever the output already holds,
    // with the index of the source they came from (the output last).
    let mut inputs: Vec<PathBuf> = Vec::new();
    let mut source_of: Vec<usize> = Vec::new();
    for (k, d) in dirs.iter().map(PathBuf::as_path).chain(std::iter::once(out_dir)).enumerate() {
        for p in list_parts(d)? {
            if !inputs.iter().any(|q| same_file(q, &p)) {
                inputs.push(p);
                source_of.push(k);
            }
        }
    }
    let winners = label_winners(&inputs, &source_of, prefer)?;
    // Larger (already merged) parts first, then per-song parts in song order,
    // so a merge of per-song parts comes out sorted by song id.
    let mut keyed = Vec::new();
    for p in inputs {
        let ids = song_ids(&p)?;
        let first = ids.first().map(|s| crate::dataset::natural_key(s)).unwrap_or((u64::MAX, String::new()));
        keyed.push((std::cmp::Reverse(ids.len()), first, p));
    }
    keyed.sort();
    let expected = schema(&meta.feature_names);
    let target = out_dir.join(MERGED_PART);
    let mut writer = PartWriter::create(&target, &meta, MERGED_ROW_GROUP_ROWS)?;
    let mut taken: HashSet<String> = HashSet::new();
    let (mut rows, mut duplicate_rows) = (0usize, 0usize);
    for (_, _, path) in &keyed {
        let (kv, batches) = read_part(path, &expected)?;
        check_footer(&kv, &meta, path)?;
        let mut in_this_part: HashSet<String> = HashSet::new();
        for batch in &batches {
            let ids = string_col(batch, 0, path)?;
            let keep: BooleanArray = (0..batch.num_rows())
                .map(|r| {
                    let id = ids.value(r);
                    Some(match winners.get(id) {
                        Some((winner, _)) => same_file(winner, path),
                        None => in_this_part.contains(id) || !taken.contains(id),
                    })
                })
                .collect();
            for r in 0..batch.num_rows() {
                if keep.value(r) {
                    in_this_part.insert(ids.value(r).to_string());
                }
            }
            let kept = arrow_select::filter::filter_record_batch(batch, &keep)
                .map_err(|e| CacheError::Parquet { path: path.clone(), message: e.to_string() })?;
            duplicate_rows += batch.num_rows() - kept.num_rows();
            rows += kept.num_rows();
            if kept.num_rows() > 0 {
                writer.write(&kept)?;
            }
        }
        taken.extend(in_this_part);
    }
    writer.finish()?;
    // The merged file is in place: remove what it replaces in the output.
    let mut parts_removed = 0;
    for (_, _, p) in &keyed {
        if p.parent().is_some_and(|d| same_file(d, out_dir)) && !same_file(p, &target) {
            std::fs::remove_file(p).map_err(CacheError::io("cannot remove merged part", p))?;
            parts_removed += 1;
        }
    }
    Ok(MergedConfig {
        dir: out_dir.to_path_buf(),
        parts_read: keyed.len(),
        songs: taken.len(),
        rows,
        duplicate_rows,
        parts_removed,
        conflicts: winners.into_values().map(|(_, description)| description).collect(),
    })
}

/// Songs whose labels differ between parts: the part whose rows win
/// (by `prefer`) and a description, keyed by song id. Without `prefer`, any
/// such song is an error naming up to ten of them.
fn label_winners(
    inputs: &[PathBuf],
    source_of: &[usize],
    prefer: Option<Prefer>,
) -> Result<BTreeMap<String, (PathBuf, String)>, CacheError> {
    // Song id → (source index, part, valence, arousal) of every part holding it.
    let mut seen: BTreeMap<String, Vec<(usize, &PathBuf, f32, f32)>> = BTreeMap::new();
    for (path, &k) in inputs.iter().zip(source_of) {
        for (id, v, a) in song_labels(path)? {
            seen.entry(id).or_default().push((k, path, v, a));
        }
    }
    let differ = |x: &(usize, &PathBuf, f32, f32), y: &(usize, &PathBuf, f32, f32)| {
        (x.2 - y.2).abs() > 1e-6 || (x.3 - y.3).abs() > 1e-6
    };
    let mut winners = BTreeMap::new();
    let mut examples = Vec::new();
    let mut count = 0;
    for (id, copies) in &seen {
        if !copies.iter().any(|c| differ(c, &copies[0])) {
            continue;
        }
        count += 1;
        let list = copies
            .iter()
            .map(|(_, p, v, a)| format!("V {v} / A {a} in {}", p.display()))
            .collect::<Vec<_>>()
            .join(" vs ");
        let description = format!("{id} ({list})");
        if examples.len() < 10 {
            examples.push(description.clone());
        }
        if let Some(prefer) = prefer {
            let pick = match prefer {
                Prefer::First => copies.iter().min_by_key(|c| c.0),
                Prefer::Last => copies.iter().max_by_key(|c| c.0),
            };
            if let Some(w) = pick {
                winners.insert(id.clone(), (w.1.clone(), description));
            }
        }
    }
    if count > 0 && prefer.is_none() {
        return Err(CacheError::LabelConflict { count, examples: examples.join("; ") });
    }
    Ok(winners)
}

/// Unites `_summary*.json` of the sources (and the output) into `out/_summary.json`.
fn merge_summaries(sources: &[PathBuf], out: &Path) -> Result<(), CacheError> {
    let mut files: Vec<PathBuf> = Vec::new();
    for root in sources.iter().map(PathBuf::as_path).chain(std::iter::once(out)) {
        // A step-configuration directory given as a source: its summary is in the parent.
        let root = if root.join(super::META_FILE).is_file() { root.parent().unwrap_or(root) } else { root };
        let Ok(rd) = std::fs::read_dir(root) else { continue };
        let mut names: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("_summary") && n.ends_with(".json"))
            })
            .collect();
        names.sort();
        for p in names {
            if !files.iter().any(|q| same_file(q, &p)) {
                files.push(p);
            }
        }
    }
    let mut summaries = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(CacheError::io("cannot read", f))?;
        let s: ExtractSummary = serde_json::from_str(&text)
            .map_err(|e| CacheError::Invalid { path: f.clone(), reason: format!("not an extract summary: {e}") })?;
        summaries.push(s);
    }
    if summaries.is_empty() {
        return Ok(());
    }
    // A previous merged `_summary.json` in the output already counts the
    // shards it came from: prefer the shard files when both exist.
    let has_shards = files.iter().any(|f| f.file_name().is_some_and(|n| n.to_string_lossy().contains(".shard-")));
    let chosen: Vec<ExtractSummary> = files
        .iter()
        .zip(summaries)
        .filter(|(f, _)| !has_shards || f.file_name().is_some_and(|n| n.to_string_lossy().contains(".shard-")))
        .map(|(_, s)| s)
        .collect();
    ExtractSummary::combine(&chosen).write(&out.join("_summary.json"))
}
