//! The work behind `moodtap select`: the MIR-feature selection of docs/design.md §3.3 on a
//! feature cache. Song-level means of the 11 MIR columns (over all of a
//! song's steps) go through [`moodtap_core::selection::select`]; the result
//! is written as JSON beside the cache (`_selection.json`), where `train`
//! reads the chosen subset ([`read_selection`]).

use std::path::{Path, PathBuf};

use moodtap_core::features::egemaps::functionals::N_FUNCTIONALS;
use moodtap_core::features::mir::MIR_NAMES;
use moodtap_core::selection::{select, Search, Selection, SelectionConfig, SelectionError};
use serde::{Deserialize, Serialize};

use crate::cache::{self, CacheError, CacheRequest, StepTable, SELECTION_FILE};

/// Why selection failed.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// The cache could not be read.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The selection itself refused.
    #[error(transparent)]
    Selection(#[from] SelectionError),
    /// The cache lacks a MIR column.
    #[error("the cache has no column {0}; it was not written by this moodtap's extract")]
    MissingColumn(String),
    /// The selection file could not be written or read.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// One filter-table row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterRow {
    /// MIR feature.
    pub name: String,
    /// Pearson r of its song-level mean with valence.
    pub r_valence: f64,
    /// Pearson r with arousal.
    pub r_arousal: f64,
}

/// One scored subset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubsetRow {
    /// Feature names in the subset, in MIR order.
    pub features: Vec<String>,
    /// Out-of-fold RMSE, valence, label units ([0, 1] scale).
    pub rmse_valence: f64,
    /// Out-of-fold RMSE, arousal.
    pub rmse_arousal: f64,
    /// Mean of the two (the criterion).
    pub rmse_mean: f64,
}

/// The JSON `moodtap select` writes and `train` reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionFile {
    /// moodtap version.
    pub moodtap_version: String,
    /// Cache feature schema version the selection was made on.
    pub feature_schema_version: u32,
    /// Step-configuration directory the selection was made on.
    pub cache_dir: String,
    /// T of that cache.
    pub steps: u32,
    /// Context of that cache, s.
    pub context_s: f64,
    /// Window of that cache, s.
    pub window_s: f64,
    /// Songs used.
    pub songs: usize,
    /// Search (`exhaustive` or `forward`).
    pub search: String,
    /// Cross-validation folds.
    pub folds: usize,
    /// Fold shuffle seed.
    pub seed: u64,
    /// SVR C.
    pub c: f64,
    /// SVR ε.
    pub epsilon: f64,
    /// Parsimony tolerance (relative RMSE).
    pub parsimony: f64,
    /// Filter threshold on |r|.
    pub min_abs_r: f64,
    /// The chosen MIR features, in MIR order.
    pub selected: Vec<String>,
    /// The model input columns: the 88 eGeMAPS functionals then `selected`
    /// (the fusion of docs/design.md §3.3), all names of cache columns.
    pub fused_feature_names: Vec<String>,
    /// Scores of the chosen subset.
    pub chosen_score: SubsetRow,
    /// Filter table, MIR order.
    pub filter: Vec<FilterRow>,
    /// Every subset scored, best mean RMSE first.
    pub subsets: Vec<SubsetRow>,
}

/// Settings of `moodtap select` beyond the core's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelectOptions {
    /// Which cache configuration.
    pub request: CacheRequest,
    /// Selection settings.
    pub config: SelectionConfig,
}

/// Song-level table: one row of values per song, valence, arousal.
pub type SongLevel = (Vec<Vec<f64>>, Vec<f64>, Vec<f64>);

/// Song-level means of the MIR columns: one row per song, MIR order, plus
/// the labels.
pub fn mir_song_means(table: &StepTable) -> Result<SongLevel, SelectError> {
    let cols: Vec<usize> = MIR_NAMES
        .iter()
        .map(|n| table.feature_index(n).ok_or_else(|| SelectError::MissingColumn((*n).to_string())))
        .collect::<Result<_, _>>()?;
    let rows = table.songs.iter().map(|s| s.column_means(&cols)).collect();
    let valence = table.songs.iter().map(|s| s.valence as f64).collect();
    let arousal = table.songs.iter().map(|s| s.arousal as f64).collect();
    Ok((rows, valence, arousal))
}

/// Runs the selection on the cache at `dir` and returns the file content
/// (not yet written) and the core's result.
pub fn run(dir: &Path, opts: &SelectOptions) -> Result<(SelectionFile, Selection), SelectError> {
    let table = cache::read(dir, &opts.request)?;
    let (rows, valence, arousal) = mir_song_means(&table)?;
    let names: Vec<&str> = MIR_NAMES.to_vec();
    let sel = select(&names, &rows, &valence, &arousal, &opts.config)?;
    let row = |s: &moodtap_core::selection::SubsetScore| SubsetRow {
        features: s.features.iter().map(|&i| sel.names[i].clone()).collect(),
        rmse_valence: s.rmse_valence,
        rmse_arousal: s.rmse_arousal,
        rmse_mean: s.rmse_mean(),
    };
    let selected: Vec<String> = sel.chosen_names().into_iter().map(str::to_string).collect();
    let cfg = &opts.config;
    let file = SelectionFile {
        moodtap_version: cache::MOODTAP_VERSION.to_string(),
        feature_schema_version: table.meta.feature_schema_version,
        cache_dir: table.dir.display().to_string(),
        steps: table.meta.steps,
        context_s: table.meta.context_s,
        window_s: table.meta.window_s,
        songs: table.songs.len(),
        search: match cfg.search {
            Search::Exhaustive => "exhaustive".into(),
            Search::Forward => "forward".into(),
        },
        folds: cfg.folds,
        seed: cfg.seed,
        c: cfg.c,
        epsilon: cfg.epsilon,
        parsimony: cfg.parsimony,
        min_abs_r: cfg.min_abs_r,
        fused_feature_names: table.meta.feature_names[..N_FUNCTIONALS]
            .iter()
            .cloned()
            .chain(selected.iter().cloned())
            .collect(),
        selected,
        chosen_score: row(&sel.chosen_score),
        filter: sel
            .filter
            .iter()
            .map(|f| FilterRow { name: f.name.clone(), r_valence: f.r_valence, r_arousal: f.r_arousal })
            .collect(),
        subsets: sel.subsets.iter().map(row).collect(),
    };
    Ok((file, sel))
}

/// Default location of the selection file of a step-configuration directory.
pub fn selection_path(config_dir: &Path) -> PathBuf {
    config_dir.join(SELECTION_FILE)
}

/// Writes the selection JSON atomically.
pub fn write_selection(file: &SelectionFile, path: &Path) -> Result<(), SelectError> {
    let text = serde_json::to_string_pretty(file)
        .map_err(|e| SelectError::File { path: path.to_path_buf(), reason: e.to_string() })?;
    cache::write_atomically(path, text.as_bytes())?;
    Ok(())
}

/// Reads a selection JSON (for `train`), checking it names only MIR
/// features and that its fused names are the 88 eGeMAPS names plus them.
pub fn read_selection(path: &Path) -> Result<SelectionFile, SelectError> {
    let text = std::fs::read_to_string(path).map_err(|e| SelectError::File {
        path: path.to_path_buf(),
        reason: format!("cannot read: {e}; run `moodtap select` first"),
    })?;
    let f: SelectionFile = serde_json::from_str(&text).map_err(|e| SelectError::File {
        path: path.to_path_buf(),
        reason: format!("not a moodtap selection file: {e}"),
    })?;
    if f.selected.is_empty() || f.selected.iter().any(|n| !MIR_NAMES.contains(&n.as_str())) {
        return Err(SelectError::File {
            path: path.to_path_buf(),
            reason: format!("selected features {:?} are not a non-empty subset of {:?}", f.selected, MIR_NAMES),
        });
    }
    if f.fused_feature_names.len() != N_FUNCTIONALS + f.selected.len() {
        return Err(SelectError::File {
            path: path.to_path_buf(),
            reason: "fused_feature_names is not the 88 eGeMAPS names plus the selected ones".into(),
        });
    }
    Ok(f)
}

/// A readable table of the filter scores and the best subsets.
pub fn describe(file: &SelectionFile, top: usize) -> String {
    let mut s = format!(
        "feature selection on {} songs (T = {}, {}-fold ε-SVR, {} search, seed {})\n\n{:<16} {:>10} {:>10}  chosen\n",
        file.songs, file.steps, file.folds, file.search, file.seed, "MIR feature", "r valence", "r arousal"
    );
    for f in &file.filter {
        let mark = if file.selected.contains(&f.name) { "*" } else { "" };
        s.push_str(&format!("{:<16} {:>10.3} {:>10.3}  {mark}\n", f.name, f.r_valence, f.r_arousal));
    }
    s.push_str(&format!("\n{:>5} {:>9} {:>9} {:>9}  subset\n", "rank", "rmse V", "rmse A", "mean"));
    for (i, r) in file.subsets.iter().take(top).enumerate() {
        s.push_str(&format!(
            "{:>5} {:>9.4} {:>9.4} {:>9.4}  {}\n",
            i + 1,
            r.rmse_valence,
            r.rmse_arousal,
            r.rmse_mean,
            r.features.join(",")
        ));
    }
    let c = &file.chosen_score;
    s.push_str(&format!(
        "\nchosen ({} features): {}  (RMSE valence {:.4}, arousal {:.4}, mean {:.4})",
        file.selected.len(),
        file.selected.join(", "),
        c.rmse_valence,
        c.rmse_arousal,
        c.rmse_mean
    ));
    s
}
