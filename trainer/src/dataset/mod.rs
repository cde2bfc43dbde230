//! Labelled datasets the trainer reads (docs/design.md §6): DEAM, EmoMusic
//! ("1000 Songs") and a generic `path,valence,arousal` manifest.
//!
//! Every loader returns the songs it could pair with audio and labels, with
//! labels scaled to [0, 1], plus a [`LoadReport`] of everything it skipped
//! (missing audio, unlabelled audio, malformed rows). Where a dataset ships
//! dynamic annotations, the static labels are cross-checked against the mean
//! of the dynamic ones ([`crosscheck`]) because the public DEAM and EmoMusic
//! static files name valence and arousal the other way round for the same
//! numbers; a swap stops loading unless the user confirms with `--swap-va`.

pub mod crosscheck;
pub mod csvutil;
pub mod deam;
pub mod dynamic;
pub mod emomusic;
pub mod manifest;

use std::path::{Path, PathBuf};

pub use crosscheck::CrossCheck;

/// Which layout to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetKind {
    /// DEAM (MediaEval 2015–2017): `MEMD_audio/`, `annotations/annotations averaged per song/`.
    Deam,
    /// EmoMusic / "1000 Songs" (MediaEval 2013): `clips_45seconds/`, `annotations/`.
    EmoMusic,
    /// A CSV manifest `path,valence,arousal` (paths relative to the manifest).
    Manifest,
}

impl std::str::FromStr for DatasetKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "deam" => Ok(Self::Deam),
            "emomusic" | "1000songs" => Ok(Self::EmoMusic),
            "manifest" | "generic" | "csv" => Ok(Self::Manifest),
            other => Err(format!("unknown dataset kind '{other}' (use deam, emomusic or manifest)")),
        }
    }
}

/// Options shared by all loaders.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Treat the static file's valence column as arousal and vice versa
    /// (after the user has checked the cross-check message).
    pub swap_va: bool,
    /// Label scale `(min, max)` for manifests (DEAM/EmoMusic are 1–9).
    pub scale: Option<(f32, f32)>,
}

/// One labelled song with its audio file.
#[derive(Debug, Clone, PartialEq)]
pub struct Song {
    /// Dataset's song id (file stem for manifests).
    pub id: String,
    /// Audio file.
    pub audio: PathBuf,
    /// Valence in [0, 1].
    pub valence: f32,
    /// Arousal in [0, 1].
    pub arousal: f32,
}

/// What a loader skipped and why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadReport {
    /// Labelled songs whose audio file is missing.
    pub missing_audio: Vec<String>,
    /// Audio files with no label row.
    pub unlabelled_audio: Vec<PathBuf>,
    /// Label rows that could not be used: (file, line number, reason).
    pub bad_rows: Vec<(PathBuf, usize, String)>,
    /// Manifest rows naming a file an earlier row already named, with the
    /// same labels, merged into it: (line, first line, path as written).
    pub merged_duplicates: Vec<(usize, usize, String)>,
    /// Static-vs-dynamic cross-check, when dynamic annotations exist.
    pub crosscheck: Option<CrossCheck>,
    /// Whether valence/arousal were swapped on the user's request.
    pub swapped: bool,
}

impl LoadReport {
    /// A short human summary for the CLI.
    pub fn summary(&self, usable: usize) -> String {
        let mut s = format!(
            "{usable} songs usable; {} labelled songs without audio; {} audio files without labels; {} malformed label rows",
            self.missing_audio.len(),
            self.unlabelled_audio.len(),
            self.bad_rows.len()
        );
        if !self.merged_duplicates.is_empty() {
            let first = &self.merged_duplicates[0];
            s.push_str(&format!(
                "\n{} manifest rows name a file an earlier row names, with the same labels, and were merged into it (e.g. line {} = line {}: {})",
                self.merged_duplicates.len(),
                first.0,
                first.1,
                first.2
            ));
        }
        if let Some(c) = &self.crosscheck {
            s.push_str(&format!("\n{}", c.describe()));
        }
        if self.swapped {
            s.push_str("\nvalence/arousal columns swapped on request (--swap-va)");
        }
        s
    }
}

/// A loaded dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Layout it was read as.
    pub kind: DatasetKind,
    /// Root directory (or manifest file).
    pub root: PathBuf,
    /// Songs with audio and labels, sorted by id.
    pub songs: Vec<Song>,
    /// What was skipped.
    pub report: LoadReport,
}

/// Why a dataset could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A required file or directory is missing.
    #[error("{what} not found at {path}; {hint}")]
    Missing {
        /// What was looked for.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// What to do.
        hint: &'static str,
    },
    /// A label file could not be read or lacks required columns.
    #[error("cannot use label file {path}: {reason}")]
    BadLabels {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Two manifest rows name the same audio file with different labels.
    #[error(
        "{manifest}: line {line} and line {first_line} name the same audio file {audio} with different labels \
         ({labels} vs {first_labels}); one recording must have one label: remove or fix one of the rows"
    )]
    ConflictingDuplicate {
        /// The manifest.
        manifest: PathBuf,
        /// The later row.
        line: usize,
        /// The earlier row.
        first_line: usize,
        /// The file both name (canonical path).
        audio: PathBuf,
        /// Labels of the later row, as written.
        labels: String,
        /// Labels of the earlier row, as written.
        first_labels: String,
    },
    /// The static labels look swapped against the dynamic ones.
    #[error("{0}")]
    LooksSwapped(String),
    /// Nothing usable was found.
    #[error("no usable songs in {path}: {summary}")]
    Empty {
        /// Dataset root.
        path: PathBuf,
        /// The load report's summary.
        summary: String,
    },
}

/// Loads a dataset of `kind` from `root` (a directory, or the manifest CSV).
pub fn load(kind: DatasetKind, root: &Path, opts: &LoadOptions) -> Result<Dataset, DatasetError> {
    let (mut songs, report) = match kind {
        DatasetKind::Deam => deam::load(root, opts)?,
        DatasetKind::EmoMusic => emomusic::load(root, opts)?,
        DatasetKind::Manifest => manifest::load(root, opts)?,
    };
    songs.sort_by_key(|s| natural_key(&s.id));
    if songs.is_empty() {
        return Err(DatasetError::Empty { path: root.to_path_buf(), summary: report.summary(0) });
    }
    Ok(Dataset { kind, root: root.to_path_buf(), songs, report })
}

/// Sort key putting numeric ids in numeric order ("2" < "10").
pub fn natural_key(id: &str) -> (u64, String) {
    (id.parse::<u64>().unwrap_or(u64::MAX), id.to_string())
}

/// Maps a label on `[lo, hi]` to [0, 1]; `None` when not finite or outside
/// the scale by more than 1 % of its span (a wrong `--scale`).
pub fn scale_label(x: f32, lo: f32, hi: f32) -> Option<f32> {
    let span = hi - lo;
    if !x.is_finite() || !(span > 0.0) {
        return None;
    }
    let t = (x - lo) / span;
    if !(-0.01..=1.01).contains(&t) {
        return None;
    }
    Some(t.clamp(0.0, 1.0))
}

/// Pairs labelled ids with audio files `<dir>/<id>.<ext>` and lists audio
/// without labels. Shared by the DEAM and EmoMusic layouts.
pub(crate) fn pair_with_audio(labels: Vec<(String, f32, f32)>, audio_dir: &Path, report: &mut LoadReport) -> Vec<Song> {
    let mut by_stem = std::collections::BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(audio_dir) {
        for e in rd.flatten() {
            let p = e.path();
            let is_audio = p
                .extension()
                .and_then(|x| x.to_str())
                .map(|x| {
                    matches!(x.to_ascii_lowercase().as_str(), "mp3" | "wav" | "flac" | "ogg" | "opus" | "aif" | "aiff")
                })
                .unwrap_or(false);
            if is_audio {
                if let Some(stem) = p.file_stem().and_then(|s| s.to_str()) {
                    by_stem.insert(stem.trim().to_string(), p.clone());
                }
            }
        }
    }
    let mut songs = Vec::new();
    let mut labelled = std::collections::BTreeSet::new();
    for (id, valence, arousal) in labels {
        labelled.insert(id.clone());
        match by_stem.get(&id) {
            Some(p) => songs.push(Song { id, audio: p.clone(), valence, arousal }),
            None => report.missing_audio.push(id),
        }
    }
    for (stem, p) in by_stem {
        if !labelled.contains(&stem) {
            report.unlabelled_audio.push(p);
        }
    }
    songs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_label_maps_and_rejects() {
        assert_eq!(scale_label(1.0, 1.0, 9.0), Some(0.0));
        assert_eq!(scale_label(9.0, 1.0, 9.0), Some(1.0));
        assert_eq!(scale_label(5.0, 1.0, 9.0), Some(0.5));
        assert_eq!(scale_label(12.0, 1.0, 9.0), None);
        assert_eq!(scale_label(f32::NAN, 1.0, 9.0), None);
        assert_eq!(scale_label(0.5, 1.0, 1.0), None);
    }

    #[test]
    fn kind_parses() {
        assert_eq!("DEAM".parse::<DatasetKind>().unwrap(), DatasetKind::Deam);
        assert!("foo".parse::<DatasetKind>().is_err());
    }
}

/// Column names (alternatives, lower case) of a static-label file.
#[derive(Debug, Clone, Copy)]
pub struct StaticColumns {
    /// Song id column.
    pub id: &'static [&'static str],
    /// Valence mean column.
    pub valence: &'static [&'static str],
    /// Arousal mean column.
    pub arousal: &'static [&'static str],
}

/// Reads static labels `(id, valence, arousal)` scaled from `scale` to [0, 1]
/// from one or more files, honouring `--swap-va`. Malformed rows go to the
/// report; a file lacking a required column is an error. Later files win on
/// duplicate ids.
pub(crate) fn read_static(
    files: &[PathBuf],
    cols: &StaticColumns,
    scale: (f32, f32),
    swap_va: bool,
    report: &mut LoadReport,
) -> Result<Vec<(String, f32, f32)>, DatasetError> {
    let mut out: std::collections::BTreeMap<String, (f32, f32)> = Default::default();
    for path in files {
        let t = csvutil::read_table(path)?;
        let need = |names: &[&str]| {
            t.col(names).ok_or_else(|| DatasetError::BadLabels {
                path: path.clone(),
                reason: format!("missing column (one of {names:?}); found {:?}", t.columns.keys().collect::<Vec<_>>()),
            })
        };
        let (ic, vc, ac) = (need(cols.id)?, need(cols.valence)?, need(cols.arousal)?);
        for (line, row) in &t.rows {
            let id = row.get(ic).cloned().unwrap_or_default();
            let parsed = (csvutil::field_f32(row, vc), csvutil::field_f32(row, ac));
            let (Some(v), Some(a)) = parsed else {
                report.bad_rows.push((path.clone(), *line, "valence/arousal missing or not a number".into()));
                continue;
            };
            if id.is_empty() {
                report.bad_rows.push((path.clone(), *line, "empty song id".into()));
                continue;
            }
            let (v, a) = if swap_va { (a, v) } else { (v, a) };
            match (scale_label(v, scale.0, scale.1), scale_label(a, scale.0, scale.1)) {
                (Some(v), Some(a)) => {
                    out.insert(id, (v, a));
                }
                _ => report.bad_rows.push((path.clone(), *line, format!("label outside {}..{}", scale.0, scale.1))),
            }
        }
    }
    report.swapped = swap_va;
    Ok(out.into_iter().map(|(id, (v, a))| (id, v, a)).collect())
}

/// Where a published dataset keeps its files, relative to its root: what
/// [`load_layout`] needs to load DEAM or EmoMusic (and any other set shipped
/// as static label CSVs, one audio directory and optional dynamic means).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    /// The label files and the audio directory as messages name them
    /// ("DEAM static annotations", "DEAM audio directory").
    pub what: (&'static str, &'static str),
    /// Static label files; those present are read in order (later win), at
    /// least the first must exist.
    pub static_files: &'static [&'static str],
    /// Their label columns.
    pub columns: StaticColumns,
    /// Audio directory holding `<song_id>.<ext>`.
    pub audio_dir: &'static str,
    /// Per-song dynamic means (valence file, arousal file) for the
    /// static/dynamic cross-check, if the dataset ships them.
    pub dynamic: Option<(&'static str, &'static str)>,
    /// What to tell a user whose `--dataset` lacks the label files.
    pub root_hint: &'static str,
    /// What to tell a user whose dataset lacks the audio directory.
    pub audio_hint: &'static str,
}

/// Loads a dataset laid out as `layout` says: static labels on 1–9 scaled to
/// [0, 1], the static/dynamic cross-check when the dynamic files exist (it
/// refuses swapped valence/arousal unless `--swap-va`), songs paired with
/// their audio.
pub(crate) fn load_layout(
    root: &Path,
    layout: &Layout,
    opts: &LoadOptions,
) -> Result<(Vec<Song>, LoadReport), DatasetError> {
    let files: Vec<PathBuf> = layout.static_files.iter().map(|f| root.join(f)).filter(|p| p.is_file()).collect();
    if files.is_empty() {
        return Err(DatasetError::Missing {
            what: layout.what.0,
            path: root.join(layout.static_files[0]),
            hint: layout.root_hint,
        });
    }
    let audio_dir = root.join(layout.audio_dir);
    if !audio_dir.is_dir() {
        return Err(DatasetError::Missing { what: layout.what.1, path: audio_dir, hint: layout.audio_hint });
    }
    let mut report = LoadReport::default();
    let labels = read_static(&files, &layout.columns, (1.0, 9.0), opts.swap_va, &mut report)?;
    if let Some((dv, da)) = layout.dynamic {
        let (dv, da) = (root.join(dv), root.join(da));
        if dv.is_file() && da.is_file() {
            // Dynamic files are on −1…1; correlation is scale-free.
            let (dv, da) = (crosscheck::read_dynamic_means(&dv)?, crosscheck::read_dynamic_means(&da)?);
            if let Some(c) = crosscheck::CrossCheck::compute(&labels, &dv, &da) {
                crosscheck::enforce(&c, opts.swap_va)?;
                report.crosscheck = Some(c);
            }
        }
    }
    let songs = pair_with_audio(labels, &audio_dir, &mut report);
    Ok((songs, report))
}
