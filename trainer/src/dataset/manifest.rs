//! Generic manifest: a CSV with columns `path,valence,arousal` (any further
//! columns ignored), paths relative to the manifest's directory, labels on
//! the scale given by `--scale min,max` (default 0,1).
//!
//! Class-labelled sets may give `path,quadrant` instead (`Q1`…`Q4` or
//! `1`…`4`, EMOPIA's convention: Q1 = V+A+, Q2 = V−A+, Q3 = V−A−,
//! Q4 = V+A−): each quadrant becomes labels 0/1 on both dimensions, which
//! `moodtap eval` scores as classes (AUC, balanced accuracy, confusion).
//!
//! Rows are keyed by the audio file itself (canonical path), so `x.wav`,
//! `./x.wav` and `audio/../x.wav` are one song: repeated rows with the same
//! labels are merged (and reported), repeated rows with different labels
//! are refused — otherwise one recording could sit in train and test with
//! two labels.
//!
//! **Time series** (dynamic labels): with a `time_s` column, each row is one
//! rating of the file at `time_s` seconds from its start, and the rows of one
//! file form its series (`path,time_s,valence,arousal`, any row order, same
//! scale as static labels). The song's static label is the mean of its series
//! (what DEAM's and EmoMusic's static files approximate too); the series is
//! what `moodtap train --labels dynamic` and `moodtap eval --over-time` read.
//! Here a repeated file is expected; a repeated `(file, time_s)` is merged if
//! its labels agree and refused if they do not.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::csvutil::{field_f32, read_table};
use super::dynamic::{DynamicSeries, SeriesById};
use super::{scale_label, DatasetError, LoadOptions, LoadReport, Song};

/// Where a manifest's labels are.
#[derive(Debug, Clone, Copy)]
enum Labels {
    /// Valence and arousal columns.
    Continuous(usize, usize),
    /// A quadrant column.
    Quadrant(usize),
}

/// `(valence, arousal)` on [0, 1] of a quadrant `Q1`…`Q4` / `1`…`4`
/// (case-insensitive): the class extremes 0 and 1.
pub fn quadrant_labels(q: &str) -> Option<(f32, f32)> {
    let q = q.trim();
    let digit = q.strip_prefix(['q', 'Q']).unwrap_or(q);
    match digit {
        "1" => Some((1.0, 1.0)),
        "2" => Some((0.0, 1.0)),
        "3" => Some((0.0, 0.0)),
        "4" => Some((1.0, 0.0)),
        _ => None,
    }
}

/// Loads a manifest file.
pub fn load(manifest: &Path, opts: &LoadOptions) -> Result<(Vec<Song>, LoadReport), DatasetError> {
    load_with_series(manifest, opts).map(|(songs, report, _)| (songs, report))
}

/// Loads a manifest file with its dynamic labels: song id → series, empty
/// unless the manifest has a `time_s` column (see the module docs).
pub fn load_with_series(
    manifest: &Path,
    opts: &LoadOptions,
) -> Result<(Vec<Song>, LoadReport, SeriesById), DatasetError> {
    if manifest.is_dir() {
        let inside = manifest.join("manifest.csv");
        return Err(DatasetError::Missing {
            what: "manifest CSV (this is a directory)",
            path: manifest.to_path_buf(),
            hint: if inside.is_file() {
                "--kind manifest takes the CSV file itself: give DIR/manifest.csv"
            } else {
                "--kind manifest takes the CSV file itself (columns path,valence,arousal), not its directory"
            },
        });
    }
    if !manifest.is_file() {
        return Err(DatasetError::Missing {
            what: "manifest CSV",
            path: manifest.to_path_buf(),
            hint: "give a CSV file with columns path,valence,arousal",
        });
    }
    let t = read_table(manifest)?;
    let need = |names: &[&str], what: &str| {
        t.col(names).ok_or_else(|| DatasetError::BadLabels {
            path: manifest.to_path_buf(),
            reason: format!("missing column '{what}' (need path,valence,arousal)"),
        })
    };
    let pc = need(&["path", "file"], "path")?;
    // Either continuous labels or a quadrant per row.
    let labels = match (t.col(&["valence"]), t.col(&["arousal"]), t.col(&["quadrant"])) {
        (Some(vc), Some(ac), _) => Labels::Continuous(vc, ac),
        (_, _, Some(qc)) => Labels::Quadrant(qc),
        _ => {
            return Err(DatasetError::BadLabels {
                path: manifest.to_path_buf(),
                reason: "need columns path,valence,arousal (or path,quadrant with Q1-Q4)".into(),
            })
        }
    };
    let time_col = t.col(&["time_s"]);
    if let (Some(_), Labels::Quadrant(_)) = (time_col, labels) {
        return Err(DatasetError::BadLabels {
            path: manifest.to_path_buf(),
            reason: "a time_s column needs valence,arousal ratings, not quadrants".into(),
        });
    }
    let (lo, hi) = opts.scale.unwrap_or((0.0, 1.0));
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut report = LoadReport { swapped: opts.swap_va, ..Default::default() };
    let mut songs: Vec<Song> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // Canonical audio path → (line, labels as written, index into `songs`).
    let mut by_file: HashMap<PathBuf, (usize, String, usize)> = HashMap::new();
    // Time series: (canonical audio path, time bits) → (line, labels as written);
    // the points of `songs[k]` in `points[k]`.
    let mut by_point: HashMap<(PathBuf, u64), (usize, String)> = HashMap::new();
    let mut points: Vec<Vec<(f64, f32, f32)>> = Vec::new();
    for (line, row) in &t.rows {
        let Some(rel) = row.get(pc).filter(|s| !s.is_empty()) else {
            report.bad_rows.push((manifest.to_path_buf(), *line, "empty path".into()));
            continue;
        };
        let (v, a) = match labels {
            Labels::Continuous(vc, ac) => {
                let (v, a) = match (field_f32(row, vc), field_f32(row, ac)) {
                    (Some(v), Some(a)) => (v, a),
                    _ => {
                        report.bad_rows.push((
                            manifest.to_path_buf(),
                            *line,
                            "valence/arousal missing or not a number".into(),
                        ));
                        continue;
                    }
                };
                let (v, a) = if opts.swap_va { (a, v) } else { (v, a) };
                let (Some(v), Some(a)) = (scale_label(v, lo, hi), scale_label(a, lo, hi)) else {
                    report.bad_rows.push((
                        manifest.to_path_buf(),
                        *line,
                        format!("label outside the scale {lo}..{hi} (set --scale)"),
                    ));
                    continue;
                };
                (v, a)
            }
            Labels::Quadrant(qc) => match row.get(qc).and_then(|q| quadrant_labels(q)) {
                Some(va) => va,
                None => {
                    report.bad_rows.push((manifest.to_path_buf(), *line, "quadrant is not Q1-Q4 (or 1-4)".into()));
                    continue;
                }
            },
        };
        let time_s = match time_col {
            None => None,
            Some(tc) => {
                match row.get(tc).and_then(|x| x.trim().parse::<f64>().ok()).filter(|x| x.is_finite() && *x >= 0.0) {
                    Some(x) => Some(x),
                    None => {
                        report.bad_rows.push((
                            manifest.to_path_buf(),
                            *line,
                            "time_s missing, negative or not a number".into(),
                        ));
                        continue;
                    }
                }
            }
        };
        let audio = base.join(rel);
        if !audio.is_file() {
            report.missing_audio.push(rel.clone());
            continue;
        }
        let key = audio.canonicalize().unwrap_or_else(|_| audio.clone());
        let written = match labels {
            Labels::Continuous(vc, ac) => {
                format!("{},{}", row.get(vc).map_or("", |s| s.as_str()), row.get(ac).map_or("", |s| s.as_str()))
            }
            Labels::Quadrant(qc) => row.get(qc).cloned().unwrap_or_default(),
        };
        if let Some(time_s) = time_s {
            match by_point.get(&(key.clone(), time_s.to_bits())) {
                Some((first_line, first_labels)) if *first_labels != written => {
                    return Err(DatasetError::ConflictingDuplicate {
                        manifest: manifest.to_path_buf(),
                        line: *line,
                        first_line: *first_line,
                        audio: key,
                        labels: format!("{written} at {time_s} s"),
                        first_labels: first_labels.clone(),
                    });
                }
                Some((first_line, _)) => {
                    report.merged_duplicates.push((*line, *first_line, format!("{rel} at {time_s} s")));
                    continue;
                }
                None => {
                    by_point.insert((key.clone(), time_s.to_bits()), (*line, written.clone()));
                }
            }
            if let Some((_, _, k)) = by_file.get(&key) {
                points[*k].push((time_s, v, a));
                continue;
            }
            points.resize(songs.len() + 1, Vec::new());
            points[songs.len()].push((time_s, v, a));
        } else if let Some((first_line, first_labels, k)) = by_file.get(&key) {
            let same = songs[*k].valence == v && songs[*k].arousal == a;
            if !same {
                return Err(DatasetError::ConflictingDuplicate {
                    manifest: manifest.to_path_buf(),
                    line: *line,
                    first_line: *first_line,
                    audio: key,
                    labels: written,
                    first_labels: first_labels.clone(),
                });
            }
            report.merged_duplicates.push((*line, *first_line, rel.clone()));
            continue;
        }
        let id = audio.file_stem().and_then(|s| s.to_str()).unwrap_or(rel).to_string();
        let id = if seen.insert(id.clone()) { id } else { rel.clone() };
        by_file.insert(key, (*line, written, songs.len()));
        songs.push(Song { id, audio, valence: v, arousal: a });
    }
    let mut series = HashMap::new();
    for (song, mut pts) in songs.iter_mut().zip(points) {
        pts.sort_by(|x, y| x.0.total_cmp(&y.0));
        let n = pts.len() as f64;
        song.valence = (pts.iter().map(|p| f64::from(p.1)).sum::<f64>() / n) as f32;
        song.arousal = (pts.iter().map(|p| f64::from(p.2)).sum::<f64>() / n) as f32;
        series.insert(
            song.id.clone(),
            DynamicSeries {
                times_s: pts.iter().map(|p| p.0).collect(),
                valence: pts.iter().map(|p| p.1).collect(),
                arousal: pts.iter().map(|p| p.2).collect(),
            },
        );
    }
    Ok((songs, report, series))
}
