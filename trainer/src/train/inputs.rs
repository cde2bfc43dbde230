//! From cache rows to model inputs: the fused feature columns
//! (docs/design.md §3.3: the 88 eGeMAPS functionals, then the selected MIR
//! descriptors), z-score statistics from the training songs, and one `T × N`
//! matrix per song (its last `T` steps, docs/design.md §2).

use std::path::{Path, PathBuf};

use moodtap_core::features::egemaps::functionals::N_FUNCTIONALS;
use moodtap_core::features::mir::MIR_NAMES;

use crate::cache::{SongSteps, StepTable, N_FEATURES, SELECTION_FILE};
use crate::select::{read_selection, SelectError};

/// Which MIR descriptors join the 88 eGeMAPS functionals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureChoice {
    /// The cache's `_selection.json` if `moodtap select` wrote one, else all
    /// eleven MIR descriptors.
    Default,
    /// A selection file written by `moodtap select`.
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

/// Why the inputs could not be built.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The selection file could not be read.
    #[error(transparent)]
    Selection(#[from] SelectError),
    /// A feature the model needs is not a cache column.
    #[error("feature {0:?} is not a column of the feature cache (cache written by another moodtap version?)")]
    MissingColumn(String),
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
        let columns = names
            .iter()
            .map(|n| table.feature_index(n).ok_or_else(|| InputError::MissingColumn(n.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        let selected_mir = names.iter().filter(|n| MIR_NAMES.contains(&n.as_str())).cloned().collect();
        Ok(Self { names, selected_mir, columns, source })
    }

    /// The columns `choice` asks for on `table` (see [`FeatureChoice`]).
    pub fn choose(table: &StepTable, choice: &FeatureChoice) -> Result<Self, InputError> {
        let egemaps = || table.feature_names()[..N_FUNCTIONALS.min(N_FEATURES)].to_vec();
        let from_file = |path: &Path| -> Result<Self, InputError> {
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

/// Per-feature z-score statistics (population standard deviation; a
/// constant feature gets std 1 so it maps to 0 instead of dividing by 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Normalization {
    /// Mean per input feature.
    pub mean: Vec<f32>,
    /// Standard deviation per input feature (> 0).
    pub std: Vec<f32>,
}

/// Standard deviations below this (relative to the mean's magnitude, or
/// absolute near 0) count as a constant feature: f32 rows of a constant
/// carry rounding noise of about 1e-7 relative.
const CONSTANT_REL_STD: f64 = 1e-6;

impl Normalization {
    /// Statistics over every step row of the `songs` (the training songs
    /// only, so nothing of the validation or test songs leaks in).
    pub fn fit(table: &StepTable, songs: &[usize], cols: &FeatureColumns) -> Self {
        let n = cols.len();
        let (mut sum, mut count) = (vec![0.0f64; n], 0usize);
        for &s in songs {
            for row in table.songs[s].rows() {
                for (acc, &c) in sum.iter_mut().zip(&cols.columns) {
                    *acc += f64::from(row[c]);
                }
                count += 1;
            }
        }
        let mean: Vec<f64> = sum.iter().map(|v| v / count.max(1) as f64).collect();
        let mut sq = vec![0.0f64; n];
        for &s in songs {
            for row in table.songs[s].rows() {
                for ((acc, &c), m) in sq.iter_mut().zip(&cols.columns).zip(&mean) {
                    *acc += (f64::from(row[c]) - m).powi(2);
                }
            }
        }
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(v, m)| {
                let sd = (v / count.max(1) as f64).sqrt();
                if sd > CONSTANT_REL_STD * m.abs().max(1.0) && sd.is_finite() {
                    sd as f32
                } else {
                    1.0
                }
            })
            .collect();
        Self { mean: mean.iter().map(|m| *m as f32).collect(), std }
    }
}

/// The model input of one song: its last `t` steps (oldest first), the
/// chosen columns z-scored, row-major `t × N`. A song with fewer steps is
/// padded at the start with zeros, the normalised mean (docs/design.md §2).
/// Appends to `out` so a batch is built without extra copies.
pub fn song_input(song: &SongSteps, cols: &FeatureColumns, norm: &Normalization, t: usize, out: &mut Vec<f32>) {
    let n = cols.len();
    let have = song.n_steps().min(t);
    out.extend(std::iter::repeat_n(0.0, (t - have) * n));
    for i in song.n_steps() - have..song.n_steps() {
        let row = song.row(i);
        out.extend(cols.columns.iter().zip(norm.mean.iter().zip(&norm.std)).map(|(&c, (m, s))| (row[c] - m) / s));
    }
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
