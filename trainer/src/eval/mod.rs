//! `moodtap eval`: RMSE and R² per dimension (paper eq. 25–26) of a model
//! file (network or SVR baseline) on songs of a feature cache.
//!
//! Which songs: the test songs recorded in the model's provenance when the
//! cache is the one the model was trained on (same dataset path), else every
//! song of the cache (a different dataset is unseen as a whole). `train`
//! computes its reported test metrics through the same [`EvalModel`] code,
//! so `eval` reproduces them exactly. Sets labelled by class (quadrants)
//! get AUC, balanced accuracy and a confusion table too ([`classes`]).

pub mod ablation;
pub mod classes;
pub mod over_time;
pub mod table;

use std::path::Path;

use moodtap_core::model::file::{Metrics, MAGIC};
use moodtap_core::model::training::metrics;
use moodtap_core::model::{LoadedModel, ModelFileError, TrainingProvenance};

use crate::cache::{self, CacheError, CacheRequest, StepTable};
use crate::train::inputs::{song_input, song_mean, FeatureColumns, InputError};
use crate::train::svr::{SvrError, SvrModel};

/// Why evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The network model file was refused.
    #[error("model file {path}: {source}")]
    ModelFile {
        /// The file.
        path: String,
        /// Why.
        source: ModelFileError,
    },
    /// The SVR file was refused.
    #[error("model file {path}: {source}")]
    Svr {
        /// The file.
        path: String,
        /// Why.
        source: SvrError,
    },
    /// Neither format.
    #[error("{0} is neither a moodtap model file nor a moodtap SVR model (JSON)")]
    UnknownFormat(String),
    /// The cache could not be read.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The cache lacks a model input.
    #[error(transparent)]
    Inputs(#[from] InputError),
    /// Test songs recorded in the model are not in the cache.
    #[error("the model's provenance names {missing} test song(s) not in this cache (e.g. {example:?}); evaluate with --songs all, or on the cache it was trained on")]
    MissingTestSongs {
        /// How many.
        missing: usize,
        /// One of them.
        example: String,
    },
    /// No songs to evaluate.
    #[error("no songs to evaluate: {0}")]
    NoSongs(String),
}

/// A model of either kind, ready to predict songs.
#[derive(Debug)]
pub enum EvalModel {
    /// One of the four networks.
    Network(Box<LoadedModel>),
    /// The SVR baseline.
    Svr(Box<SvrModel>),
}

impl EvalModel {
    /// Loads a model file, telling the two formats apart by the first bytes
    /// (network files start with the moodtap magic, SVR files are JSON).
    pub fn from_path(path: &Path) -> Result<Self, EvalError> {
        let shown = path.display().to_string();
        let mut head = [0u8; 8];
        let n = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .map_err(|e| EvalError::ModelFile { path: shown.clone(), source: ModelFileError::Io(e) })?;
        if n == 8 && head == MAGIC {
            let m = LoadedModel::from_path(path).map_err(|source| EvalError::ModelFile { path: shown, source })?;
            Ok(Self::Network(Box::new(m)))
        } else if head[..n].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            Ok(Self::Svr(Box::new(SvrModel::from_path(path).map_err(|source| EvalError::Svr { path: shown, source })?)))
        } else {
            Err(EvalError::UnknownFormat(shown))
        }
    }

    /// Architecture name (`cbsa`, …, `svr`).
    pub fn kind(&self) -> String {
        match self {
            Self::Network(m) => m.metadata().model.architecture.name().to_string(),
            Self::Svr(_) => "svr".to_string(),
        }
    }

    /// Ordered input feature names.
    pub fn feature_names(&self) -> &[String] {
        match self {
            Self::Network(m) => &m.metadata().feature_names,
            Self::Svr(s) => &s.feature_names,
        }
    }

    /// The cache configuration this model's inputs come from.
    pub fn cache_request(&self) -> CacheRequest {
        let (t, c, w) = match self {
            Self::Network(m) => (m.metadata().t_steps, m.metadata().context_s, m.metadata().window_s),
            Self::Svr(s) => (s.t_steps, s.context_s, s.window_s),
        };
        CacheRequest { steps: u32::try_from(t).ok(), context_s: Some(c), window_s: Some(w) }
    }

    /// Steps per input `T`.
    pub fn t_steps(&self) -> usize {
        match self {
            Self::Network(m) => m.metadata().t_steps,
            Self::Svr(s) => s.t_steps,
        }
    }

    /// Training provenance.
    pub fn provenance(&self) -> &TrainingProvenance {
        match self {
            Self::Network(m) => &m.metadata().training,
            Self::Svr(s) => &s.training,
        }
    }

    /// `[valence, arousal]` pairs for `songs` of `table`, in order.
    pub fn predict_songs(&mut self, table: &StepTable, songs: &[usize]) -> Result<Vec<f32>, EvalError> {
        let cols = FeatureColumns::from_names(table, self.feature_names().to_vec(), String::new())?;
        let t = self.t_steps();
        let mut out = Vec::with_capacity(songs.len() * 2);
        match self {
            Self::Network(m) => {
                let fusion = m.metadata().fusion(table.feature_names()).map_err(InputError::from)?;
                let mut input = Vec::with_capacity(m.input_len());
                for &s in songs {
                    input.clear();
                    song_input(&table.songs[s], &fusion, t, &mut input);
                    // The input is T × N by construction, so the length check cannot fail.
                    let e =
                        m.predict(&input).unwrap_or(moodtap_core::model::ValenceArousal { valence: 0.5, arousal: 0.5 });
                    out.extend([e.valence, e.arousal]);
                }
            }
            Self::Svr(svr) => {
                for &s in songs {
                    out.extend(svr.predict(&song_mean(&table.songs[s], &cols, t)));
                }
            }
        }
        Ok(out)
    }
}

/// Which songs of the cache to score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SongScope {
    /// The model's recorded test songs if this is its training cache, else all.
    #[default]
    Auto,
    /// The test songs recorded in the model (error if absent from the cache).
    Test,
    /// Every song of the cache.
    All,
}

/// Result of [`evaluate`].
#[derive(Debug, Clone)]
pub struct EvalReport {
    /// Architecture.
    pub kind: String,
    /// Songs scored.
    pub songs: usize,
    /// Which songs, in words.
    pub scope: String,
    /// Metrics.
    pub metrics: Metrics,
    /// Metrics recorded at training time, if any.
    pub recorded: Option<Metrics>,
    /// How the model was trained when not on one label per song
    /// ([`moodtap_core::model::TrainingRun::labels`]): its recorded metrics are then per time point.
    pub recorded_labels: Option<String>,
    /// The estimates, `[valence, arousal]` per song scored.
    pub predictions: Vec<f32>,
    /// The labels, same layout.
    pub targets: Vec<f32>,
}

/// Indices of the songs `scope` selects.
pub fn scope_songs(model: &EvalModel, table: &StepTable, scope: SongScope) -> Result<(Vec<usize>, String), EvalError> {
    let run = model.provenance().run.as_ref();
    let same_dataset = run.is_some_and(|r| r.dataset_path == table.meta.dataset_path);
    let use_test = match scope {
        SongScope::All => false,
        SongScope::Test => true,
        SongScope::Auto => same_dataset,
    };
    if !use_test {
        return Ok(((0..table.songs.len()).collect(), format!("all {} songs of the cache", table.songs.len())));
    }
    let Some(run) = run.filter(|r| !r.test_song_ids.is_empty()) else {
        return Err(EvalError::NoSongs("the model records no test songs; use --songs all".into()));
    };
    let index: std::collections::HashMap<&str, usize> =
        table.songs.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let mut songs = Vec::with_capacity(run.test_song_ids.len());
    let mut missing = Vec::new();
    for id in &run.test_song_ids {
        match index.get(id.as_str()) {
            Some(&i) => songs.push(i),
            None => missing.push(id.clone()),
        }
    }
    if let Some(example) = missing.first() {
        return Err(EvalError::MissingTestSongs { missing: missing.len(), example: example.clone() });
    }
    Ok((songs, format!("the {} held-out test songs recorded in the model", run.test_song_ids.len())))
}

/// Scores `model` on the songs `scope` picks from `table`.
pub fn evaluate(model: &mut EvalModel, table: &StepTable, scope: SongScope) -> Result<EvalReport, EvalError> {
    let (songs, scope_text) = scope_songs(model, table, scope)?;
    if songs.is_empty() {
        return Err(EvalError::NoSongs(scope_text));
    }
    let pred = model.predict_songs(table, &songs)?;
    let target: Vec<f32> = songs.iter().flat_map(|&s| [table.songs[s].valence, table.songs[s].arousal]).collect();
    Ok(EvalReport {
        kind: model.kind(),
        songs: songs.len(),
        scope: scope_text,
        metrics: metrics(&pred, &target),
        recorded: model.provenance().metrics,
        recorded_labels: model.provenance().run.as_ref().and_then(|r| r.labels.clone()),
        predictions: pred,
        targets: target,
    })
}

/// Loads `model_path` and the matching configuration of the cache at
/// `cache_dir`, and evaluates.
pub fn evaluate_files(model_path: &Path, cache_dir: &Path, scope: SongScope) -> Result<EvalReport, EvalError> {
    let mut model = EvalModel::from_path(model_path)?;
    let table = cache::read(cache_dir, &model.cache_request())?;
    evaluate(&mut model, &table, scope)
}
