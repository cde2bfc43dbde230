//! Generic manifest: a CSV with columns `path,valence,arousal` (any further
//! columns ignored), paths relative to the manifest's directory, labels on
//! the scale given by `--scale min,max` (default 0,1).

use std::path::Path;

use super::csvutil::{field_f32, read_table};
use super::{scale_label, DatasetError, LoadOptions, LoadReport, Song};

/// Loads a manifest file.
pub fn load(manifest: &Path, opts: &LoadOptions) -> Result<(Vec<Song>, LoadReport), DatasetError> {
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
    let (pc, vc, ac) =
        (need(&["path", "file"], "path")?, need(&["valence"], "valence")?, need(&["arousal"], "arousal")?);
    let (lo, hi) = opts.scale.unwrap_or((0.0, 1.0));
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut report = LoadReport { swapped: opts.swap_va, ..Default::default() };
    let mut songs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (line, row) in &t.rows {
        let Some(rel) = row.get(pc).filter(|s| !s.is_empty()) else {
            report.bad_rows.push((manifest.to_path_buf(), *line, "empty path".into()));
            continue;
        };
        let (v, a) = match (field_f32(row, vc), field_f32(row, ac)) {
            (Some(v), Some(a)) => (v, a),
            _ => {
                report.bad_rows.push((manifest.to_path_buf(), *line, "valence/arousal missing or not a number".into()));
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
        let audio = base.join(rel);
        if !audio.is_file() {
            report.missing_audio.push(rel.clone());
            continue;
        }
        let id = audio.file_stem().and_then(|s| s.to_str()).unwrap_or(rel).to_string();
        let id = if seen.insert(id.clone()) { id } else { rel.clone() };
        songs.push(Song { id, audio, valence: v, arousal: a });
    }
    Ok((songs, report))
}
