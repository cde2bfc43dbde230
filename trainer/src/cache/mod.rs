//! The feature cache `moodtap extract` writes and `select`/`train`/`eval`
//! read: Apache Parquet, one row per song step (docs/design.md §2, §6).
//!
//! Layout of a cache directory `DIR`:
//!
//! ```text
//! DIR/
//!   _summary.json                      skipped/broken files of the last run (sharded: _summary.shard-K-of-N.json)
//!   T099_w1.0_c45/                     one directory per step configuration (T, window_s, context_s)
//!     _moodtap_cache.json              the configuration ([`CacheMeta`]); resume and readers check it
//!     part-<song>-<hash>.parquet       one part per song, written atomically (temp file + rename)
//!     part-merged.parquet              what `moodtap cache merge` makes of the parts
//!     _selection.json                  `moodtap select`'s result (see [`crate::mir_selection`])
//! ```
//!
//! A step-configuration directory is one dataset for pandas, polars, DuckDB
//! or Spark (`pd.read_parquet("DIR/T099_w1.0_c45")`,
//! `read_parquet('DIR/T099_w1.0_c45/*.parquet')`): every part has the same
//! schema, and the side files start with `_` (temp files with `.`), which
//! those readers skip.
//!
//! Columns ([`fixed_columns`] then [`raw_step_names`]): `song_id` (utf8),
//! `step` (u32, k ≥ 1), `time_s` (f64, k · hop_s, the end of the step's
//! window), `valence`, `arousal` (f32, scaled to [0, 1]), then the
//! [`RAW_STEP_LEN`] raw step features (f32): openSMILE's 88 eGeMAPS v02
//! functional names in order, then the 11 MIR descriptors. Steps cover the
//! whole clip (k · hop_s ≤ duration), so a 45 s clip has T steps at hop 45/T s.
//!
//! Every part also carries the configuration as file key-value metadata
//! (`moodtap.steps`, `moodtap.hop_s`, … see [`CacheMeta::to_key_values`]).

pub mod merge;
pub mod parquet_io;
pub mod read;

use std::path::{Path, PathBuf};

use moodtap_core::steps::{raw_step_names, StepConfig, RAW_STEP_LEN};
use moodtap_core::ANALYSIS_RATE_HZ;
use serde::{Deserialize, Serialize};

pub use read::{read, CacheRequest, SongSteps, StepTable};

pub use moodtap_core::steps::FEATURE_SCHEMA_VERSION;

/// moodtap's version, recorded in every part.
pub const MOODTAP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Name of the configuration file in a step-configuration directory.
pub const META_FILE: &str = "_moodtap_cache.json";

/// Name of `moodtap select`'s result in a step-configuration directory.
pub const SELECTION_FILE: &str = "_selection.json";

/// Name of the merged part `moodtap cache merge` writes.
pub const MERGED_PART: &str = "part-merged.parquet";

/// Columns before the features, in order.
pub fn fixed_columns() -> [&'static str; 5] {
    ["song_id", "step", "time_s", "valence", "arousal"]
}

/// Why the cache could not be written or read. Messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// File system error.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// Parquet/Arrow error: the part file is damaged or not a cache part.
    #[error(
        "Parquet file {path}: {message}; this part file is unreadable: delete it and run `moodtap extract` \
         again to re-extract its songs (the rest of the cache is kept)"
    )]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
    /// The cache on disk was written with another configuration than requested.
    #[error("{path} holds {field} = {cached}, but {requested} was requested; {hint}")]
    ConfigMismatch {
        /// Directory or file.
        path: PathBuf,
        /// The differing field.
        field: &'static str,
        /// Value in the cache.
        cached: String,
        /// Value requested.
        requested: String,
        /// What to do.
        hint: &'static str,
    },
    /// No step-configuration directory matched.
    #[error("{0}")]
    NotFound(String),
    /// Caches being merged give the same songs different labels.
    #[error(
        "{count} songs have different labels in the caches being merged ({examples}); \
         pass --prefer first or --prefer last to keep the labels of the first or last source given, \
         or fix the labels and re-extract"
    )]
    LabelConflict {
        /// How many songs conflict.
        count: usize,
        /// Up to ten of them: `id (V a / A b in <part> vs V c / A d in <part>)`.
        examples: String,
    },
    /// A part's content breaks the cache's rules.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl CacheError {
    pub(crate) fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Self + 'a {
        move |source| Self::Io { what, path: path.to_path_buf(), source }
    }
}

/// The configuration of one step-configuration directory: everything a
/// reader must agree with before using the numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheMeta {
    /// [`FEATURE_SCHEMA_VERSION`] of the writer.
    pub feature_schema_version: u32,
    /// moodtap version of the writer (informational).
    pub moodtap_version: String,
    /// Steps per context, T.
    pub steps: u32,
    /// Seconds a model sees (T steps).
    pub context_s: f64,
    /// Seconds summarised by each step.
    pub window_s: f64,
    /// Seconds between steps, `context_s / steps`.
    pub hop_s: f64,
    /// Analysis sample rate, Hz.
    pub analysis_rate_hz: u32,
    /// Dataset layout (`deam`, `emomusic`, `manifest`).
    pub dataset_kind: String,
    /// Dataset root or manifest as given to `extract` (informational: shards
    /// on different machines may mount it elsewhere).
    pub dataset_path: String,
    /// Label scale of the source `[min, max]`; the cache stores labels mapped
    /// from it to [0, 1].
    pub label_scale: [f32; 2],
    /// Whether valence and arousal were swapped on the user's request.
    pub swap_va: bool,
    /// Feature column names, in order (the [`RAW_STEP_LEN`] raw step names).
    pub feature_names: Vec<String>,
}

impl CacheMeta {
    /// Metadata for a new cache of step count `steps`.
    pub fn new(
        steps: u32,
        context_s: f64,
        window_s: f64,
        dataset_kind: &str,
        dataset_path: &Path,
        label_scale: [f32; 2],
        swap_va: bool,
    ) -> Self {
        Self {
            feature_schema_version: FEATURE_SCHEMA_VERSION,
            moodtap_version: MOODTAP_VERSION.to_string(),
            steps,
            context_s,
            window_s,
            hop_s: context_s / steps.max(1) as f64,
            analysis_rate_hz: ANALYSIS_RATE_HZ,
            dataset_kind: dataset_kind.to_string(),
            dataset_path: dataset_path.display().to_string(),
            label_scale,
            swap_va,
            feature_names: raw_step_names().map(str::to_string).collect(),
        }
    }

    /// The dataset options the cache was extracted with (label scale, swap), to
    /// read the same dataset's labels again (e.g. its dynamic ones).
    pub fn load_options(&self) -> crate::dataset::LoadOptions {
        let [lo, hi] = self.label_scale;
        crate::dataset::LoadOptions { swap_va: self.swap_va, scale: Some((lo, hi)) }
    }

    /// The step timing for `moodtap_core::steps::StepExtractor`.
    pub fn step_config(&self) -> StepConfig {
        StepConfig { window_s: self.window_s, hop_s: self.hop_s }
    }

    /// Directory name of this configuration, e.g. `T099_w1.0_c45`.
    pub fn dir_name(&self) -> String {
        config_dir_name(self.steps, self.window_s, self.context_s)
    }

    /// The key-value pairs written into every part's footer.
    pub fn to_key_values(&self) -> Vec<(String, String)> {
        let kv = |k: &str, v: String| (format!("moodtap.{k}"), v);
        vec![
            kv("feature_schema_version", self.feature_schema_version.to_string()),
            kv("version", self.moodtap_version.clone()),
            kv("steps", self.steps.to_string()),
            kv("context_s", self.context_s.to_string()),
            kv("window_s", self.window_s.to_string()),
            kv("hop_s", self.hop_s.to_string()),
            kv("analysis_rate_hz", self.analysis_rate_hz.to_string()),
            kv("dataset_kind", self.dataset_kind.clone()),
            kv("dataset_path", self.dataset_path.clone()),
            kv("label_scale", format!("{},{}", self.label_scale[0], self.label_scale[1])),
            kv("labels", "valence and arousal mapped from label_scale to [0, 1]".to_string()),
            kv("swap_va", self.swap_va.to_string()),
        ]
    }

    /// Checks that `other` (found on disk at `path`) describes the same
    /// numbers as `self`: schema version, T, context, window, rate, feature
    /// names, dataset kind, label scale and V/A swap. The dataset path and
    /// moodtap version may differ.
    pub fn check_same(&self, other: &CacheMeta, path: &Path) -> Result<(), CacheError> {
        let hint = "use another --cache directory, or delete this one to rebuild it";
        let mismatch = |field, cached: String, requested: String| {
            Err(CacheError::ConfigMismatch { path: path.to_path_buf(), field, cached, requested, hint })
        };
        if other.feature_schema_version != self.feature_schema_version {
            return mismatch(
                "feature_schema_version",
                other.feature_schema_version.to_string(),
                self.feature_schema_version.to_string(),
            );
        }
        if other.steps != self.steps {
            return mismatch("steps (T)", other.steps.to_string(), self.steps.to_string());
        }
        if !close(other.context_s, self.context_s) {
            return mismatch("context_s", other.context_s.to_string(), self.context_s.to_string());
        }
        if !close(other.window_s, self.window_s) {
            return mismatch("window_s", other.window_s.to_string(), self.window_s.to_string());
        }
        if !close(other.hop_s, self.hop_s) {
            return mismatch("hop_s", other.hop_s.to_string(), self.hop_s.to_string());
        }
        if other.analysis_rate_hz != self.analysis_rate_hz {
            return mismatch("analysis_rate_hz", other.analysis_rate_hz.to_string(), self.analysis_rate_hz.to_string());
        }
        if other.feature_names != self.feature_names {
            return mismatch(
                "feature_names",
                format!("{} names", other.feature_names.len()),
                format!("{} names (different order or spelling)", self.feature_names.len()),
            );
        }
        if other.dataset_kind != self.dataset_kind {
            return mismatch("dataset_kind", other.dataset_kind.clone(), self.dataset_kind.clone());
        }
        if other.label_scale != self.label_scale {
            return mismatch("label_scale", format!("{:?}", other.label_scale), format!("{:?}", self.label_scale));
        }
        if other.swap_va != self.swap_va {
            return mismatch("swap_va", other.swap_va.to_string(), self.swap_va.to_string());
        }
        Ok(())
    }

    /// Reads `dir/_moodtap_cache.json`.
    pub fn load(dir: &Path) -> Result<Self, CacheError> {
        let path = dir.join(META_FILE);
        let text = std::fs::read_to_string(&path).map_err(CacheError::io("cannot read", &path))?;
        serde_json::from_str(&text).map_err(|e| CacheError::Invalid {
            path,
            reason: format!(
                "not a moodtap cache configuration ({e}); it only records the step settings: delete it and \
                 run `moodtap extract` with the same --steps/--window-s/--context-s to write it again \
                 (the part files are kept and checked against it)"
            ),
        })
    }

    /// Creates `dir` with its configuration file, or checks that an existing
    /// one matches. Safe when several shards start on the same directory.
    pub fn create_or_check(&self, dir: &Path) -> Result<(), CacheError> {
        std::fs::create_dir_all(dir).map_err(CacheError::io("cannot create", dir))?;
        if dir.join(META_FILE).is_file() {
            let on_disk = Self::load(dir)?;
            return self.check_same(&on_disk, dir);
        }
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| CacheError::Invalid { path: dir.join(META_FILE), reason: e.to_string() })?;
        write_atomically(&dir.join(META_FILE), text.as_bytes())
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Directory name of a step configuration: `T{steps:03}_w{window_s}_c{context_s}`
/// (`T099_w1.0_c45`; the window always shows a decimal point).
pub fn config_dir_name(steps: u32, window_s: f64, context_s: f64) -> String {
    format!("T{steps:03}_w{window_s:?}_c{context_s}")
}

/// Writes `bytes` to `path` through a hidden temp file in the same directory
/// and a rename, so readers never see a partial file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let tmp = temp_path(path);
    std::fs::write(&tmp, bytes).map_err(CacheError::io("cannot write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(CacheError::io("cannot rename into place", path))
}

/// Hidden temp-file name beside `path`, unique per process and call:
/// `.<name>.<pid>.<n>.tmp` (skipped by Parquet dataset readers).
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Age after which a hidden temp file counts as left over by a killed run
/// (writing one part takes well under a second).
pub const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes temp files (`.<name>.tmp`, see [`temp_path`]) older than
/// `min_age` from `dir`; a killed run leaves its in-flight one behind.
/// Returns how many were removed. Files of runs still writing are younger.
pub fn remove_stale_temps(dir: &Path, min_age: std::time::Duration) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    for e in rd.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(name.starts_with('.') && name.ends_with(".tmp")) {
            continue;
        }
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age >= min_age);
        if old && std::fs::remove_file(&p).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// 64-bit FNV-1a of `bytes`: a hash that never changes between runs,
/// platforms or Rust versions (shard assignment, part names).
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Part file name of one song: `part-<id, file-safe, ≤ 64 chars>-<hash>.parquet`.
/// The hash of the exact id keeps names distinct when sanitising merges ids.
pub fn part_name(song_id: &str) -> String {
    let safe: String = song_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') { c } else { '_' })
        .take(64)
        .collect();
    format!("part-{safe}-{:016x}.parquet", stable_hash(song_id.as_bytes()))
}

/// Parquet part files in a step-configuration directory (names ending in
/// `.parquet` and not starting with `.` or `_`), sorted by name.
pub fn list_parts(dir: &Path) -> Result<Vec<PathBuf>, CacheError> {
    let rd = std::fs::read_dir(dir).map_err(CacheError::io("cannot list", dir))?;
    let mut parts: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".parquet") && !name.starts_with('.') && !name.starts_with('_') && p.is_file()
        })
        .collect();
    parts.sort();
    Ok(parts)
}

/// Step-configuration directories under a cache root (or `dir` itself when
/// it is one), sorted by name.
pub fn config_dirs(dir: &Path) -> Result<Vec<PathBuf>, CacheError> {
    if dir.join(META_FILE).is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let rd = std::fs::read_dir(dir).map_err(CacheError::io("cannot list", dir))?;
    let mut out: Vec<PathBuf> = rd.flatten().map(|e| e.path()).filter(|p| p.join(META_FILE).is_file()).collect();
    out.sort();
    Ok(out)
}

/// Finds the step-configuration directory to use: `dir` itself if it is
/// one, else the one under `dir` with `steps` (or the only one when `steps`
/// is `None`).
pub fn resolve_config_dir(dir: &Path, steps: Option<u32>) -> Result<PathBuf, CacheError> {
    let all = config_dirs(dir)?;
    let mut matching = Vec::new();
    for d in &all {
        let meta = CacheMeta::load(d)?;
        if steps.is_none_or(|t| t == meta.steps) {
            matching.push(d.clone());
        }
    }
    let names = || {
        all.iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match matching.len() {
        1 => Ok(matching.remove(0)),
        0 if all.is_empty() => Err(CacheError::NotFound(format!(
            "{} is not a moodtap feature cache (no {META_FILE} in it or its subdirectories); run `moodtap extract --cache {}` first",
            dir.display(),
            dir.display()
        ))),
        0 => Err(CacheError::NotFound(format!(
            "{} has no cache for T = {}; it holds: {}",
            dir.display(),
            steps.map(|t| t.to_string()).unwrap_or_default(),
            names()
        ))),
        _ => Err(CacheError::NotFound(format!(
            "{} holds several step configurations ({}); choose one with --steps or give its directory",
            dir.display(),
            names()
        ))),
    }
}

/// Number of feature columns.
pub const N_FEATURES: usize = RAW_STEP_LEN;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_hash_are_stable() {
        assert_eq!(config_dir_name(99, 1.0, 45.0), "T099_w1.0_c45");
        assert_eq!(config_dir_name(299, 0.5, 30.5), "T299_w0.5_c30.5");
        // FNV-1a 64 test vectors (Fowler/Noll/Vo reference: "" and "a").
        assert_eq!(stable_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(part_name("12"), format!("part-12-{:016x}.parquet", stable_hash(b"12")));
        assert!(part_name("a/b c").starts_with("part-a_b_c-"));
        assert_ne!(part_name("a/b"), part_name("a_b"));
    }

    #[test]
    fn meta_mismatch_names_the_field() {
        let a = CacheMeta::new(99, 45.0, 1.0, "manifest", Path::new("x"), [0.0, 1.0], false);
        let mut b = a.clone();
        b.dataset_path = "elsewhere".into();
        b.moodtap_version = "9.9.9".into();
        assert!(a.check_same(&b, Path::new("d")).is_ok());
        b.window_s = 2.0;
        let e = a.check_same(&b, Path::new("d")).unwrap_err().to_string();
        assert!(e.contains("window_s") && e.contains('2'), "{e}");
        let mut c = a.clone();
        c.feature_schema_version += 1;
        assert!(a.check_same(&c, Path::new("d")).unwrap_err().to_string().contains("feature_schema_version"));
    }
}
