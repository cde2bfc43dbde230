//! From cache rows to model inputs: which feature columns the model reads
//! (docs/design.md §3.3: the 88 eGeMAPS functionals, then the selected MIR
//! descriptors) and z-score statistics fitted on the training songs. The
//! `T × N` matrices themselves come from [`moodtap_core::fusion`], the code
//! the analyzer runs at inference, so training and serving cannot drift.

use std::path::{Path, PathBuf};

use moodtap_core::features::egemaps::functionals::N_FUNCTIONALS;
use moodtap_core::features::mir::MIR_NAMES;
use moodtap_core::fusion::{fit_statistics, resolve_columns, Fusion, FusionError};

use moodtap_core::model::{ModelFile, ModelFileError};

use crate::cache::{SongSteps, StepTable, N_FEATURES, SELECTION_FILE};
use crate::mir_selection::{read_selection, SelectError};

/// Which MIR descriptors join the 88 eGeMAPS functionals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureChoice {
    /// The cache's `_selection.json` if `moodtap select` wrote one, else all
    /// eleven MIR descriptors.
    Default,
    /// A selection file written by `moodtap select`, or a network model file
    /// (`.moodtap`): then the model's own input columns.
    File(PathBuf),
    /// All eleven MIR descriptors (88 + 11 = 99 inputs).
    AllMir,
    /// eGeMAPS only (88 inputs).
    EgemapsOnly,
}

impl FeatureChoice {
    /// Parses `--selection`: `all`, `egemaps`, or a file path.
    pub fn parse(s: &str) -> Self {
        match s {
            "all" => Self::AllMir,
            "egemaps" => Self::EgemapsOnly,
            path => Self::File(PathBuf::from(path)),
        }
    }
}

/// True when `path` starts with the model-file magic (then `--selection` means "the columns
/// of this model").
fn is_model_file(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 8];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok()
        && magic == moodtap_core::model::file::MAGIC
}

/// Why the inputs could not be built.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The selection file could not be read.
    #[error(transparent)]
    Selection(#[from] SelectError),
    /// `--selection` names a model file that cannot be read.
    #[error("--selection {0}: a moodtap model file, but it cannot be read: {1}")]
    ModelColumns(PathBuf, ModelFileError),
    /// A feature the model needs is not a cache column.
    #[error("feature {0:?} is not a column of the feature cache (cache written by another moodtap version?)")]
    MissingColumn(String),
    /// Statistics and columns disagree (a model file's metadata).
    #[error("{0}")]
    Fusion(FusionError),
}

impl From<FusionError> for InputError {
    fn from(e: FusionError) -> Self {
        match e {
            FusionError::UnknownFeature(name) => Self::MissingColumn(name),
            other => Self::Fusion(other),
        }
    }
}

/// The model's input columns and where they sit in the cache rows.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureColumns {
    /// Ordered input feature names (`N` of them).
    pub names: Vec<String>,
    /// The MIR descriptors among them.
    pub selected_mir: Vec<String>,
    /// Cache column of each name.
    pub columns: Vec<usize>,
    /// Where the choice came from (for messages and provenance).
    pub source: String,
}

impl FeatureColumns {
    /// Resolves `names` against the cache's columns.
    pub fn from_names(table: &StepTable, names: Vec<String>, source: String) -> Result<Self, InputError> {
        let columns = resolve_columns(&names, table.feature_names())?;
        let selected_mir = names.iter().filter(|n| MIR_NAMES.contains(&n.as_str())).cloned().collect();
        Ok(Self { names, selected_mir, columns, source })
    }

    /// The columns `choice` asks for on `table` (see [`FeatureChoice`]).
    pub fn choose(table: &StepTable, choice: &FeatureChoice) -> Result<Self, InputError> {
        let egemaps = || table.feature_names()[..N_FUNCTIONALS.min(N_FEATURES)].to_vec();
        let from_file = |path: &Path| -> Result<Self, InputError> {
            if is_model_file(path) {
                let file = ModelFile::from_path(path).map_err(|e| InputError::ModelColumns(path.to_path_buf(), e))?;
                return Self::from_names(
                    table,
                    file.metadata.feature_names,
                    format!("the input columns of model {}", path.display()),
                );
            }
            let sel = read_selection(path)?;
            Self::from_names(table, sel.fused_feature_names, format!("selection {}", path.display()))
        };
        let all_mir = || {
            let mut names = egemaps();
            names.extend(MIR_NAMES.iter().map(|s| (*s).to_string()));
            Self::from_names(table, names, "all MIR descriptors".to_string())
        };
        match choice {
            FeatureChoice::File(p) => from_file(p),
            FeatureChoice::EgemapsOnly => Self::from_names(table, egemaps(), "eGeMAPS only".to_string()),
            FeatureChoice::AllMir => all_mir(),
            FeatureChoice::Default => {
                let p = table.dir.join(SELECTION_FILE);
                if p.is_file() {
                    from_file(&p)
                } else {
                    all_mir()
                }
            }
        }
    }

    /// Number of inputs `N`.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// True when no column is chosen.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

/// The fusion of `cols` with z-score statistics over every step row of
/// `songs` (the training songs only, so nothing of the validation or test
/// songs leaks in).
pub fn fit_fusion(table: &StepTable, songs: &[usize], cols: &FeatureColumns) -> Fusion {
    let rows = songs.iter().flat_map(|&s| table.songs[s].rows());
    let (mean, std) = fit_statistics(rows, &cols.columns);
    // The names were resolved against this table when `cols` was built.
    Fusion::new(cols.names.clone(), table.feature_names(), mean, std).expect("columns resolved against this table")
}

/// The model input of one song: its last `t` steps, fused
/// ([`Fusion::fuse_last_steps`]), appended to `out`.
pub fn song_input(song: &SongSteps, fusion: &Fusion, t: usize, out: &mut Vec<f32>) {
    fusion.fuse_last_steps(song.rows(), t, out);
}

/// Song-level features for the SVR baseline: the mean of each chosen column
/// over the song's last `t` steps (the same audio the networks see).
pub fn song_mean(song: &SongSteps, cols: &FeatureColumns, t: usize) -> Vec<f64> {
    let have = song.n_steps().min(t).max(1);
    let first = song.n_steps().saturating_sub(t);
    cols.columns
        .iter()
        .map(|&c| (first..song.n_steps()).map(|i| f64::from(song.row(i)[c])).sum::<f64>() / have as f64)
        .collect()
}

/// Labels of a song as the network's output pair `[valence, arousal]`.
pub fn labels(song: &SongSteps) -> [f32; 2] {
    [song.valence, song.arousal]
}
