//! Dynamic (per-time) annotations: the MediaEval "Emotion in Music" form that
//! DEAM and EmoMusic ship, one wide CSV per dimension,
//! `song_id, sample_15000ms, sample_15500ms, …` (one rating every 0.5 s from
//! 15 s into the clip, the mean over annotators, scale −1…1; DEAM's rows are
//! ragged because its songs differ in length).
//!
//! Values are mapped to [0, 1] by `(x + 1) / 2`, the same [0, 1] the static
//! labels and the model's outputs live on. A time point is kept when both
//! dimensions have a finite value there; empty or unparsable cells are skipped.
//!
//! The annotators moved a slider while listening, so a rating trails the music
//! by their reaction time (a few seconds, more at the start of a clip: the
//! datasets drop the first 15 s for that reason). The time axis is kept as
//! written; [`crate::eval::over_time`] measures the lag instead of assuming one.

use std::collections::HashMap;
use std::path::Path;

use super::csvutil::{field_f32, read_table};
use super::{DatasetError, DatasetKind, LoadOptions};

/// One song's dynamic labels, in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DynamicSeries {
    /// Time of each rating from the start of the clip, s.
    pub times_s: Vec<f64>,
    /// Valence in [0, 1] at each time.
    pub valence: Vec<f32>,
    /// Arousal in [0, 1] at each time.
    pub arousal: Vec<f32>,
}

impl DynamicSeries {
    /// Number of time points.
    pub fn len(&self) -> usize {
        self.times_s.len()
    }

    /// True without time points.
    pub fn is_empty(&self) -> bool {
        self.times_s.is_empty()
    }
}

/// Song id → its dynamic labels.
pub type SeriesById = HashMap<String, DynamicSeries>;

/// The dynamic annotation files (valence, arousal) of a dataset layout, if it
/// ships them: relative to the dataset root.
pub fn files(kind: DatasetKind) -> Option<(&'static str, &'static str)> {
    match kind {
        DatasetKind::Deam => super::deam::DYNAMIC,
        DatasetKind::EmoMusic => super::emomusic::DYNAMIC,
        DatasetKind::Manifest => None,
    }
}

/// Seconds of a `sample_<ms>ms` column name.
fn column_time_s(name: &str) -> Option<f64> {
    let ms = name.strip_prefix("sample_")?.strip_suffix("ms")?;
    ms.parse::<u64>().ok().map(|ms| ms as f64 / 1000.0)
}

/// One dimension: song id → `(time s, value in [0, 1])` in time order, finite
/// cells only; songs without one are left out (also the cross-check's input).
pub(super) fn read_dimension(path: &Path) -> Result<HashMap<String, Vec<(f64, f32)>>, DatasetError> {
    let t = read_table(path)?;
    let bad = |reason: &str| DatasetError::BadLabels { path: path.to_path_buf(), reason: reason.to_string() };
    let id = t.col(&["song_id"]).ok_or_else(|| bad("no song_id column"))?;
    let mut times: Vec<(usize, f64)> =
        t.columns.iter().filter_map(|(name, &j)| column_time_s(name).map(|s| (j, s))).collect();
    if times.is_empty() {
        return Err(bad("no sample_<ms>ms columns (expected the MediaEval dynamic-annotation layout)"));
    }
    times.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut out = HashMap::new();
    for (_, row) in &t.rows {
        let Some(sid) = row.get(id).filter(|s| !s.is_empty()) else { continue };
        let mut series: Vec<(f64, f32)> = Vec::with_capacity(times.len());
        for &(j, s) in &times {
            let Some(v) = field_f32(row, j).filter(|v| v.is_finite()) else { continue };
            // The MediaEval layout rates on −1…1; anything else would become a label
            // outside [0, 1] without a word (a static 1–9 file given by mistake, say).
            if !(-1.0..=1.0).contains(&v) {
                return Err(bad(&format!(
                    "song {sid}, {}: {v} is outside -1..1, the scale of dynamic ratings; is this a static (1-9) file?",
                    t.columns.iter().find(|(_, &k)| k == j).map_or("a sample column", |(name, _)| name.as_str())
                )));
            }
            series.push((s, (v + 1.0) / 2.0));
        }
        if !series.is_empty() {
            out.insert(sid.clone(), series);
        }
    }
    Ok(out)
}

/// Reads the valence and arousal files into per-song series on [0, 1],
/// keeping the time points where both are rated.
pub fn read(valence: &Path, arousal: &Path) -> Result<SeriesById, DatasetError> {
    let (v, a) = (read_dimension(valence)?, read_dimension(arousal)?);
    let mut out = HashMap::new();
    for (id, vs) in v {
        let Some(arousal_series) = a.get(&id) else { continue };
        let by_time: HashMap<u64, f32> = arousal_series.iter().map(|&(s, x)| (s.to_bits(), x)).collect();
        let mut series = DynamicSeries::default();
        for (s, x) in vs {
            if let Some(&y) = by_time.get(&s.to_bits()) {
                series.times_s.push(s);
                series.valence.push(x);
                series.arousal.push(y);
            }
        }
        if !series.is_empty() {
            out.insert(id, series);
        }
    }
    Ok(out)
}

/// The dynamic labels of the dataset of `kind` at `root` (for a manifest: the
/// CSV itself, read with `opts`' scale, its `time_s` rows; see
/// [`super::manifest`]): an error that says what to do when the layout has
/// none or its files are missing.
pub fn load(
    kind: DatasetKind,
    root: &Path,
    opts: &LoadOptions,
) -> Result<HashMap<String, DynamicSeries>, DatasetError> {
    let Some((v, a)) = files(kind) else {
        let (_, _, series) = super::manifest::load_with_series(root, opts)?;
        if series.is_empty() {
            return Err(DatasetError::Missing {
                what: "dynamic labels (a time_s column)",
                path: root.to_path_buf(),
                hint:
                    "per-time labels come from DEAM, EmoMusic or a manifest with columns path,time_s,valence,arousal \
                       (one row per rating); this manifest has one label per file",
            });
        }
        return Ok(series);
    };
    for f in [v, a] {
        let p = root.join(f);
        if !p.is_file() {
            return Err(DatasetError::Missing {
                what: "dynamic annotation file",
                path: p,
                hint: "pass the dataset's current root with --dataset (the cache records where it was extracted from)",
            });
        }
    }
    read(&root.join(v), &root.join(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_files_become_series_on_unit_scale() {
        let dir = tempfile::tempdir().unwrap();
        let (v, a) = (dir.path().join("v.csv"), dir.path().join("a.csv"));
        // Song 2 is ragged (its last cell missing) and has an unparsable cell; song 9 has
        // no arousal row; columns are out of time order.
        std::fs::write(&v, "song_id,sample_16000ms,sample_15000ms,sample_15500ms\n2,0.5,-1,x\n9,0,0,0\n").unwrap();
        std::fs::write(&a, "song_id,sample_15000ms,sample_15500ms,sample_16000ms\n2,1,0\n").unwrap();
        let d = read(&v, &a).unwrap();
        assert_eq!(d.len(), 1);
        let s = &d["2"];
        // 15.5 s: valence unparsable; 16 s: arousal missing; only 15 s has both.
        assert_eq!(s.times_s, vec![15.0]);
        assert_eq!((s.valence[0], s.arousal[0]), (0.0, 1.0));
    }

    #[test]
    fn files_without_time_columns_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.csv");
        std::fs::write(&p, "song_id,valence\n2,0.5\n").unwrap();
        let e = read(&p, &p).unwrap_err().to_string();
        assert!(e.contains("sample_<ms>ms"), "{e}");
        let static_manifest = dir.path().join("m.csv");
        std::fs::write(&static_manifest, "path,valence,arousal\nv.csv,0.5,0.5\n").unwrap();
        let e = load(DatasetKind::Manifest, &static_manifest, &LoadOptions::default()).unwrap_err().to_string();
        assert!(e.contains("path,time_s,valence,arousal"), "{e}");
    }

    #[test]
    fn ratings_outside_the_dynamic_scale_are_refused_by_song_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.csv");
        std::fs::write(&p, "song_id,sample_15000ms,sample_15500ms\n2,0.5,-1\n3,0.2,6.5\n").unwrap();
        let e = read(&p, &p).unwrap_err().to_string();
        assert!(
            e.contains("song 3") && e.contains("sample_15500ms") && e.contains("6.5") && e.contains("-1..1"),
            "{e}"
        );
        // The scale's ends themselves are fine.
        std::fs::write(&p, "song_id,sample_15000ms,sample_15500ms\n2,1,-1\n").unwrap();
        assert_eq!(read(&p, &p).unwrap()["2"].valence, vec![1.0, 0.0]);
    }
}
