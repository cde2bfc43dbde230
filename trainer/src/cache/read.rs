//! Reading a step-configuration directory back into per-song matrices, for
//! `select`, `train` and `eval`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::parquet_io::{check_footer, f32_col, f64_col, read_part, schema, string_col, u32_col};
use super::{list_parts, resolve_config_dir, CacheError, CacheMeta, N_FEATURES};

/// What the caller needs the cache to be. `None` accepts what is there.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CacheRequest {
    /// Steps per context, T (also picks the directory under a cache root).
    pub steps: Option<u32>,
    /// Context length, s.
    pub context_s: Option<f64>,
    /// Step window, s.
    pub window_s: Option<f64>,
}

/// One song's step matrix and labels, as read from a cache and as written
/// to one ([`super::parquet_io::write_part`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SongSteps {
    /// Song id.
    pub id: String,
    /// Valence in [0, 1].
    pub valence: f32,
    /// Arousal in [0, 1].
    pub arousal: f32,
    /// Step numbers 1, 2, …, n (consecutive; checked on read).
    pub steps: Vec<u32>,
    /// Step times `k · hop_s`, s.
    pub times_s: Vec<f64>,
    /// Features, row-major `n × N_FEATURES` (finite; checked on read), in
    /// [`StepTable::feature_names`] order.
    pub features: Vec<f32>,
}

impl SongSteps {
    /// Number of steps (rows).
    pub fn n_steps(&self) -> usize {
        self.steps.len()
    }

    /// Feature row of step index `i` (0-based), `N_FEATURES` values.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.features[i * N_FEATURES..(i + 1) * N_FEATURES]
    }

    /// Feature rows in step order.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f32> {
        self.features.chunks_exact(N_FEATURES)
    }

    /// Mean over the song's steps of each feature column in `cols`.
    pub fn column_means(&self, cols: &[usize]) -> Vec<f64> {
        let n = self.n_steps().max(1) as f64;
        cols.iter().map(|&j| self.rows().map(|r| r[j] as f64).sum::<f64>() / n).collect()
    }
}

/// A whole step-configuration directory in memory.
#[derive(Debug, Clone)]
pub struct StepTable {
    /// The step-configuration directory read.
    pub dir: PathBuf,
    /// Its configuration.
    pub meta: CacheMeta,
    /// Songs in natural id order ("2" before "10").
    pub songs: Vec<SongSteps>,
    /// Rows of songs found in more than one part and skipped (an
    /// interrupted merge leaves such copies; the first part by name wins).
    pub duplicate_rows_skipped: usize,
}

impl StepTable {
    /// Feature column names, in order.
    pub fn feature_names(&self) -> &[String] {
        &self.meta.feature_names
    }

    /// Index of a feature column by name.
    pub fn feature_index(&self, name: &str) -> Option<usize> {
        self.meta.feature_names.iter().position(|n| n == name)
    }

    /// Total step rows.
    pub fn n_rows(&self) -> usize {
        self.songs.iter().map(SongSteps::n_steps).sum()
    }
}

/// Reads the step-configuration directory `dir` (or the one under the cache
/// root `dir` matching `req.steps`), checking its configuration against
/// `req`, every part's schema and footer against the configuration, and
/// every song's rows (consecutive steps from 1, times `k · hop_s`, constant
/// labels in [0, 1], finite features).
pub fn read(dir: &Path, req: &CacheRequest) -> Result<StepTable, CacheError> {
    let dir = resolve_config_dir(dir, req.steps)?;
    let meta = CacheMeta::load(&dir)?;
    let hint = "run `moodtap extract` with the settings you want (each T/window/context gets its own directory)";
    let mismatch = |field, cached: String, requested: String| CacheError::ConfigMismatch {
        path: dir.clone(),
        field,
        cached,
        requested,
        hint,
    };
    if let Some(t) = req.steps {
        if t != meta.steps {
            return Err(mismatch("steps (T)", meta.steps.to_string(), t.to_string()));
        }
    }
    if let Some(c) = req.context_s {
        if (c - meta.context_s).abs() > 1e-9 {
            return Err(mismatch("context_s", meta.context_s.to_string(), c.to_string()));
        }
    }
    if let Some(w) = req.window_s {
        if (w - meta.window_s).abs() > 1e-9 {
            return Err(mismatch("window_s", meta.window_s.to_string(), w.to_string()));
        }
    }
    if meta.feature_schema_version != super::FEATURE_SCHEMA_VERSION {
        return Err(CacheError::ConfigMismatch {
            path: dir.clone(),
            field: "feature_schema_version",
            cached: meta.feature_schema_version.to_string(),
            requested: super::FEATURE_SCHEMA_VERSION.to_string(),
            hint: "this moodtap computes features differently; extract again into a new --cache directory",
        });
    }
    if meta.feature_names.len() != N_FEATURES {
        return Err(CacheError::Invalid {
            path: dir.join(super::META_FILE),
            reason: format!("{} feature names, expected {N_FEATURES}", meta.feature_names.len()),
        });
    }
    let expected = schema(&meta.feature_names);
    let mut songs: Vec<SongSteps> = Vec::new();
    let mut index: HashMap<String, (usize, usize)> = HashMap::new(); // id → (song slot, part number)
    let mut duplicate_rows_skipped = 0;
    let parts = list_parts(&dir)?;
    for (part_no, path) in parts.iter().enumerate() {
        let (kv, batches) = read_part(path, &expected)?;
        check_footer(&kv, &meta, path)?;
        for batch in &batches {
            let ids = string_col(batch, 0, path)?;
            let steps = u32_col(batch, 1, path)?;
            let times = f64_col(batch, 2, path)?;
            let val = f32_col(batch, 3, path)?;
            let aro = f32_col(batch, 4, path)?;
            let feats: Vec<_> = (0..N_FEATURES).map(|j| f32_col(batch, 5 + j, path)).collect::<Result<_, _>>()?;
            for r in 0..batch.num_rows() {
                let id = ids.value(r);
                let slot = match index.get(id) {
                    Some(&(slot, p)) if p == part_no => slot,
                    Some(_) => {
                        duplicate_rows_skipped += 1;
                        continue;
                    }
                    None => {
                        songs.push(SongSteps {
                            id: id.to_string(),
                            valence: val.value(r),
                            arousal: aro.value(r),
                            steps: Vec::new(),
                            times_s: Vec::new(),
                            features: Vec::new(),
                        });
                        index.insert(id.to_string(), (songs.len() - 1, part_no));
                        songs.len() - 1
                    }
                };
                let s = &mut songs[slot];
                if s.valence != val.value(r) || s.arousal != aro.value(r) {
                    return Err(CacheError::Invalid {
                        path: path.clone(),
                        reason: format!("song {id}: labels differ between its steps"),
                    });
                }
                s.steps.push(steps.value(r));
                s.times_s.push(times.value(r));
                for (j, col) in feats.iter().enumerate() {
                    let v = col.value(r);
                    if !v.is_finite() {
                        return Err(CacheError::Invalid {
                            path: path.clone(),
                            reason: format!(
                                "song {id}, step {}: feature {} is {v} (features must be finite)",
                                steps.value(r),
                                meta.feature_names[j]
                            ),
                        });
                    }
                    s.features.push(v);
                }
            }
        }
    }
    for s in &mut songs {
        validate_song(s, &meta, &dir)?;
    }
    if songs.is_empty() {
        return Err(CacheError::NotFound(format!(
            "{} holds no songs yet; run `moodtap extract` into it",
            dir.display()
        )));
    }
    songs.sort_by_key(|s| crate::dataset::natural_key(&s.id));
    Ok(StepTable { dir, meta, songs, duplicate_rows_skipped })
}

/// Sorts a song's rows by step and checks steps 1..=n, times and labels.
fn validate_song(s: &mut SongSteps, meta: &CacheMeta, dir: &Path) -> Result<(), CacheError> {
    let bad =
        |reason: String| CacheError::Invalid { path: dir.to_path_buf(), reason: format!("song {}: {reason}", s.id) };
    if !(0.0..=1.0).contains(&s.valence) || !(0.0..=1.0).contains(&s.arousal) {
        return Err(bad(format!("labels ({}, {}) outside [0, 1]", s.valence, s.arousal)));
    }
    if !s.steps.windows(2).all(|w| w[0] < w[1]) {
        let mut order: Vec<usize> = (0..s.steps.len()).collect();
        order.sort_by_key(|&i| s.steps[i]);
        let steps = order.iter().map(|&i| s.steps[i]).collect();
        let times = order.iter().map(|&i| s.times_s[i]).collect();
        let feats =
            order.iter().flat_map(|&i| s.features[i * N_FEATURES..(i + 1) * N_FEATURES].iter().copied()).collect();
        (s.steps, s.times_s, s.features) = (steps, times, feats);
    }
    for (i, (&k, &t)) in s.steps.iter().zip(&s.times_s).enumerate() {
        if k as usize != i + 1 {
            return Err(bad(format!("steps are not 1, 2, … (row {i} is step {k})")));
        }
        if (t - k as f64 * meta.hop_s).abs() > 1e-6 {
            return Err(bad(format!("step {k} at {t} s, expected {} s", k as f64 * meta.hop_s)));
        }
    }
    Ok(())
}
