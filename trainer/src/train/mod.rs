//! `moodtap train`: a network (CBSA or an ablation) or the SVR baseline on a
//! feature cache, written as a model file with full metadata.
//!
//! Steps: read the cache configuration for `T` → choose the input columns
//! ([`inputs::FeatureColumns`]: 88 eGeMAPS + selected MIR) → split by song
//! ([`split`]) → z-score statistics from the training songs' rows
//! ([`inputs::fit_fusion`]) → fit ([`fit`] for networks, [`svr`] for the
//! baseline) → test metrics through [`crate::eval::EvalModel`], the code
//! `moodtap eval` runs, so both report the same numbers.
//!
//! Determinism: split, initial weights and batch order depend only on the
//! seed, and burn-flex is built without its `rayon` feature (the workspace
//! turns burn's default features off), so every kernel runs on the calling
//! thread in a fixed order and two runs write byte-identical files. The
//! date in the provenance honours `SOURCE_DATE_EPOCH` for that reason.

pub mod backend;
pub mod fit;
pub mod inputs;
pub mod split;
pub mod svr;
pub mod teacher;
pub mod windows;

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;
use moodtap_core::defaults;
use moodtap_core::model::file::{DimensionMetrics, Metrics};
use moodtap_core::model::training::metrics;
use moodtap_core::model::{
    Architecture, LoadedModel, ModelConfig, ModelFile, ModelFileError, ModelMetadata, TrainingProvenance, TrainingRun,
};

use crate::cache::StepTable;
use crate::eval::EvalModel;
use backend::{Backend, BackendUnavailable};
use fit::{EpochRecord, FitConfig, FitError, SongSet};
use inputs::{fit_fusion, labels, song_mean, FeatureChoice, FeatureColumns, InputError};
use split::{Split, SplitError};
use svr::{SvrError, SvrModel};
use windows::{dynamic_set, static_set, DynamicTargets};

use crate::eval::over_time::{self, OverTimeReport};

/// What to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// One of the four networks.
    Network(Architecture),
    /// ε-SVR on song-level means.
    Svr,
}

impl ModelKind {
    /// Parses `cbsa|bilstm|cnn-bilstm|bilstm-sa|svr`.
    pub fn parse(s: &str) -> Option<Self> {
        if s == "svr" {
            Some(Self::Svr)
        } else {
            Architecture::from_name(s).map(Self::Network)
        }
    }

    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Network(a) => a.name(),
            Self::Svr => "svr",
        }
    }

    /// All five, in the order of the paper's ablation table.
    pub const ALL: [ModelKind; 5] = [
        ModelKind::Network(Architecture::Bilstm),
        ModelKind::Network(Architecture::CnnBilstm),
        ModelKind::Network(Architecture::BilstmSa),
        ModelKind::Network(Architecture::Cbsa),
        ModelKind::Svr,
    ];
}

/// How songs are divided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SplitSpec {
    /// Train/validation/test fractions.
    Holdout([f64; 3]),
    /// k-fold cross-validation (the model of fold 1 is written).
    Folds(usize),
}

/// Settings of a run.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// What to train.
    pub kind: ModelKind,
    /// Split.
    pub split: SplitSpec,
    /// Most epochs.
    pub max_epochs: usize,
    /// Early-stopping patience, epochs.
    pub patience: usize,
    /// Seed of weights, batch order and, unless `split_seed` is set, the split (paper: 66).
    pub seed: u64,
    /// Seed of the split alone; `None`: `seed`.
    pub split_seed: Option<u64>,
    /// Songs per batch (paper: 4).
    pub batch_size: usize,
    /// Adam learning rate (paper: 1e-3).
    pub learning_rate: f64,
    /// Input columns.
    pub features: FeatureChoice,
    /// burn backend.
    pub backend: Backend,
    /// What the data is, in words, for the model's provenance (the plugin shows
    /// it as "trained on …"); `None` records the dataset kind (`deam`, `manifest`, …).
    pub description: Option<String>,
    /// Per-time targets (`--labels dynamic`, [`windows`]); `None`: one static
    /// label per song.
    pub dynamic: Option<DynamicTargets>,
    /// Where static targets came from when not the dataset's labels (distillation,
    /// [`teacher`]: "the estimates of teacher X"), for the provenance notes.
    pub targets_from: Option<String>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            kind: ModelKind::Network(Architecture::Cbsa),
            split: SplitSpec::Holdout(defaults::SPLIT),
            max_epochs: defaults::MAX_EPOCHS,
            patience: defaults::PATIENCE,
            seed: defaults::SEED,
            split_seed: None,
            batch_size: defaults::BATCH_SIZE,
            learning_rate: defaults::LEARNING_RATE,
            features: FeatureChoice::Default,
            backend: Backend::Flex,
            description: None,
            dynamic: None,
            targets_from: None,
        }
    }
}

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Split impossible.
    #[error(transparent)]
    Split(#[from] SplitError),
    /// Inputs could not be built.
    #[error(transparent)]
    Inputs(#[from] InputError),
    /// Backend missing.
    #[error(transparent)]
    Backend(#[from] BackendUnavailable),
    /// Network fit failed.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// SVR failed.
    #[error(transparent)]
    Svr(#[from] SvrError),
    /// Model file could not be built.
    #[error("building the model file: {0}")]
    ModelFile(#[from] ModelFileError),
    /// Evaluation of the fitted model failed.
    #[error(transparent)]
    Eval(#[from] crate::eval::EvalError),
    /// Bad option.
    #[error("{0}")]
    Options(String),
    /// The model's columns do not fit the cache (over-time evaluation).
    #[error(transparent)]
    Fusion(#[from] moodtap_core::fusion::FusionError),
}

/// Progress events of a training run, for the command line.
#[derive(Debug, Clone, Copy)]
pub enum TrainProgress<'a> {
    /// A fold (or the single hold-out run) starts.
    Start {
        /// 1-based fold.
        fold: usize,
        /// Folds in total.
        folds: usize,
        /// Epoch limit (0 for the SVR).
        max_epochs: usize,
    },
    /// An epoch finished.
    Epoch {
        /// Its record.
        record: &'a EpochRecord,
        /// Best epoch so far.
        best_epoch: usize,
    },
}

/// Result of one fold.
#[derive(Debug, Clone)]
pub struct FoldResult {
    /// Songs per part.
    pub counts: [usize; 3],
    /// Test metrics of the model.
    pub test: Metrics,
    /// Test metrics of predicting the training songs' mean labels.
    pub mean_baseline: Metrics,
    /// Learning curve (empty for the SVR).
    pub curve: Vec<EpochRecord>,
    /// Kept epoch (0 for the SVR).
    pub best_epoch: usize,
    /// Wall-clock fitting time, s.
    pub train_s: f64,
    /// Dynamic labels: training inputs (rated time points) per part.
    pub windows: Option<[usize; 3]>,
    /// Dynamic labels: songs of the split left out for want of usable ratings.
    pub unusable_songs: usize,
    /// Dynamic labels: the test songs scored over time, both readings
    /// (what `moodtap eval --over-time` reports).
    pub over_time: Option<OverTimeReport>,
}

/// Result of [`train`].
#[derive(Debug)]
pub struct TrainReport {
    /// The model file bytes (binary network file, or SVR JSON).
    pub bytes: Vec<u8>,
    /// One entry per fold (one for hold-out); the first is the written model.
    pub folds: Vec<FoldResult>,
    /// Where the input columns came from.
    pub features: String,
    /// Number of inputs `N`.
    pub n_features: usize,
}

impl TrainReport {
    /// Mean over folds of a metric extractor.
    pub fn mean_metrics(&self, pick: impl Fn(&FoldResult) -> Metrics) -> Metrics {
        let n = self.folds.len().max(1) as f64;
        let avg = |f: &dyn Fn(&Metrics) -> DimensionMetrics| DimensionMetrics {
            rmse: self.folds.iter().map(|r| f(&pick(r)).rmse).sum::<f64>() / n,
            r2: self.folds.iter().map(|r| f(&pick(r)).r2).sum::<f64>() / n,
        };
        Metrics { valence: avg(&|m| m.valence), arousal: avg(&|m| m.arousal) }
    }
}

/// Today's date (UTC, ISO 8601), or that of `SOURCE_DATE_EPOCH` when set
/// (reproducible builds convention), so repeated runs can give identical files.
pub fn provenance_date() -> String {
    let secs =
        std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
        });
    // Days since 1970-01-01 to a civil date (H. Hinnant, "chrono-Compatible
    // Low-Level Date Algorithms", days_from_civil inverse).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn targets(table: &StepTable, songs: &[usize]) -> Vec<f32> {
    songs.iter().flat_map(|&s| labels(&table.songs[s])).collect()
}

/// Metrics of predicting the training songs' mean labels for every test song.
fn mean_baseline(table: &StepTable, split: &Split) -> Metrics {
    let n = split.train.len().max(1) as f64;
    let mv = split.train.iter().map(|&s| f64::from(table.songs[s].valence)).sum::<f64>() / n;
    let ma = split.train.iter().map(|&s| f64::from(table.songs[s].arousal)).sum::<f64>() / n;
    let pred: Vec<f32> = split.test.iter().flat_map(|_| [mv as f32, ma as f32]).collect();
    metrics(&pred, &targets(table, &split.test))
}

struct RunContext<'a> {
    table: &'a StepTable,
    cols: &'a FeatureColumns,
    opts: &'a TrainOptions,
    device: Device,
    split_text: String,
}

impl RunContext<'_> {
    fn provenance(&self, split: &Split, best_epoch: usize, epochs: usize, train_songs: usize) -> TrainingProvenance {
        let meta = &self.table.meta;
        TrainingProvenance {
            dataset: self.opts.description.clone().unwrap_or_else(|| meta.dataset_kind.clone()),
            song_count: train_songs,
            seed: self.opts.seed,
            metrics: None,
            date: provenance_date(),
            trainer_version: crate::cache::MOODTAP_VERSION.to_string(),
            notes: format!(
                "moodtap train --model {}; {}; features: {}; cache {}; lr {}, batch {}, patience {}",
                self.opts.kind.name(),
                match (&self.opts.dynamic, &self.opts.targets_from) {
                    (Some(d), _) => d.describe(meta.steps as usize),
                    (None, Some(from)) => format!("static targets: {from}"),
                    (None, None) => "static labels".to_string(),
                },
                self.cols.source,
                self.table.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                self.opts.learning_rate,
                self.opts.batch_size,
                self.opts.patience
            ),
            run: Some(TrainingRun {
                dataset_path: meta.dataset_path.clone(),
                split: self.split_text.clone(),
                train_songs,
                validation_songs: split.validation.len(),
                test_songs: split.test.len(),
                test_song_ids: split.test.iter().map(|&s| self.table.songs[s].id.clone()).collect(),
                epochs,
                best_epoch,
                labels: self.opts.dynamic.as_ref().map(|d| d.describe(meta.steps as usize)),
            }),
        }
    }

    /// Fits one fold; returns the file bytes and the fold's result.
    fn run_fold(
        &self,
        split: &Split,
        progress: &mut dyn FnMut(TrainProgress<'_>),
    ) -> Result<(Vec<u8>, FoldResult), TrainError> {
        let (table, cols, opts) = (self.table, self.cols, self.opts);
        let t = table.meta.steps as usize;
        let fusion = fit_fusion(table, &split.train, cols);
        let started = Instant::now();
        let mut dynamic_parts: Option<DynamicParts> = None;
        let (mut model, curve, best_epoch, train_s, mut provenance) = match opts.kind {
            ModelKind::Network(architecture) => {
                let (train, validation, w) = match &opts.dynamic {
                    None => (
                        static_set(table, &split.train, &fusion, t),
                        static_set(table, &split.validation, &fusion, t),
                        t,
                    ),
                    Some(d) => {
                        let w = d.window(t);
                        let tr = dynamic_set(table, &split.train, &fusion, d, w);
                        let va = dynamic_set(table, &split.validation, &fusion, d, w);
                        let te = dynamic_set(table, &split.test, &fusion, d, w);
                        for (part, set) in [("training", &tr), ("validation", &va), ("test", &te)] {
                            if set.set.is_empty() {
                                return Err(TrainError::Options(format!(
                                    "no {part} song has a dynamic rating inside its audio (after the {:.1} s lag): \
                                     are these the dataset's dynamic labels (--dataset), and is --label-lag-s \
                                     shorter than the clips?",
                                    d.lag_s
                                )));
                            }
                        }
                        let n = tr.set.len() as f64;
                        let mean = [0, 1].map(|k| {
                            tr.set.targets().iter().skip(k).step_by(2).map(|&x| f64::from(x)).sum::<f64>() / n
                        });
                        dynamic_parts = Some(DynamicParts {
                            windows: [tr.set.len(), va.set.len(), te.set.len()],
                            mean,
                            unusable: tr.unusable.len() + va.unusable.len() + te.unusable.len(),
                            train_songs: tr.songs.len(),
                            test: te.set,
                        });
                        (tr.set, va.set, w)
                    }
                };
                let cfg = FitConfig {
                    architecture,
                    t_steps: w,
                    n_features: cols.len(),
                    max_epochs: opts.max_epochs,
                    patience: opts.patience.max(1),
                    batch_size: opts.batch_size.max(1),
                    learning_rate: opts.learning_rate,
                    seed: opts.seed,
                    windows_per_song: opts.dynamic.as_ref().and_then(|d| d.windows_per_song),
                };
                let fitted = fit::fit(&cfg, self.device.clone(), &train, &validation, |record, best_epoch| {
                    progress(TrainProgress::Epoch { record, best_epoch })
                })?;
                let train_s = started.elapsed().as_secs_f64();
                // With dynamic labels, the songs that gave training inputs.
                let fitted_songs = dynamic_parts.as_ref().map_or(split.train.len(), |p| p.train_songs);
                let provenance = self.provenance(split, fitted.best_epoch, fitted.curve.len(), fitted_songs);
                let metadata = ModelMetadata {
                    feature_schema_version: table.meta.feature_schema_version,
                    feature_names: cols.names.clone(),
                    selected_mir_features: cols.selected_mir.clone(),
                    norm_mean: fusion.mean().to_vec(),
                    norm_std: fusion.std().to_vec(),
                    t_steps: t,
                    context_s: table.meta.context_s,
                    window_s: table.meta.window_s,
                    hop_s: table.meta.context_s / t as f64,
                    analysis_rate_hz: table.meta.analysis_rate_hz,
                    model: ModelConfig::new(architecture, t, cols.len()),
                    training: provenance.clone(),
                };
                let loaded = LoadedModel::from_network(metadata, fitted.network, self.device.clone())?;
                (EvalModel::Network(Box::new(loaded)), fitted.curve, fitted.best_epoch, train_s, provenance)
            }
            ModelKind::Svr => {
                let rows: Vec<Vec<f64>> = split.train.iter().map(|&s| song_mean(&table.songs[s], cols, t)).collect();
                let v: Vec<f64> = split.train.iter().map(|&s| f64::from(table.songs[s].valence)).collect();
                let a: Vec<f64> = split.train.iter().map(|&s| f64::from(table.songs[s].arousal)).collect();
                let f = svr::fit(&rows, &v, &a)?;
                let train_s = started.elapsed().as_secs_f64();
                let provenance = self.provenance(split, 0, 0, split.train.len());
                let m = SvrModel {
                    format: svr::SVR_FORMAT.to_string(),
                    version: svr::SVR_VERSION,
                    feature_schema_version: table.meta.feature_schema_version,
                    feature_names: cols.names.clone(),
                    selected_mir_features: cols.selected_mir.clone(),
                    norm_mean: f.norm_mean,
                    norm_std: f.norm_std,
                    t_steps: t,
                    context_s: table.meta.context_s,
                    window_s: table.meta.window_s,
                    hop_s: table.meta.hop_s,
                    analysis_rate_hz: table.meta.analysis_rate_hz,
                    c: svr::SVR_C,
                    epsilon: svr::SVR_EPSILON,
                    gamma: f.gamma,
                    valence: f.valence,
                    arousal: f.arousal,
                    training: provenance.clone(),
                };
                (EvalModel::Svr(Box::new(m)), Vec::new(), 0, train_s, provenance)
            }
        };
        let (test, baseline, over_time) = match (&opts.dynamic, &mut model, &dynamic_parts) {
            (Some(d), EvalModel::Network(loaded), Some(parts)) => {
                let (test, baseline) = dynamic_test(parts, loaded, &self.device)?;
                let (report, _) = over_time::evaluate(loaded, table, &split.test, &d.series, None, || ())?;
                (test, baseline, Some(report))
            }
            _ => {
                let pred = model.predict_songs(table, &split.test)?;
                (metrics(&pred, &targets(table, &split.test)), mean_baseline(table, split), None)
            }
        };
        provenance.metrics = Some(test);
        let bytes = match model {
            EvalModel::Network(loaded) => {
                let mut metadata = loaded.metadata().clone();
                metadata.training = provenance;
                ModelFile::to_bytes(&metadata, loaded.network())?
            }
            EvalModel::Svr(mut m) => {
                m.training = provenance;
                m.to_bytes()?
            }
        };
        let result = FoldResult {
            counts: [split.train.len(), split.validation.len(), split.test.len()],
            test,
            mean_baseline: baseline,
            curve,
            best_epoch,
            train_s,
            windows: dynamic_parts.as_ref().map(|p| p.windows),
            unusable_songs: dynamic_parts.as_ref().map_or(0, |p| p.unusable),
            over_time,
        };
        Ok((bytes, result))
    }
}

/// What a fold with dynamic labels keeps beside the fit.
struct DynamicParts {
    /// Inputs (rated time points) per part.
    windows: [usize; 3],
    /// Mean training target `[valence, arousal]` (the baseline's prediction).
    mean: [f64; 2],
    /// Songs of the split left out for want of usable ratings.
    unusable: usize,
    /// Training songs that gave inputs.
    train_songs: usize,
    /// The test inputs.
    test: SongSet,
}

/// Test metrics over every rated time point of the test songs (one window
/// each, as in training) and those of predicting the mean training target
/// everywhere. The network is run on `W`-step inputs, as it was trained.
fn dynamic_test(parts: &DynamicParts, loaded: &LoadedModel, device: &Device) -> Result<(Metrics, Metrics), TrainError> {
    let (set, mean) = (&parts.test, parts.mean);
    let meta = loaded.metadata();
    let w = set.shape().0;
    let mut windowed = meta.clone();
    windowed.t_steps = w;
    windowed.context_s = meta.hop_s * w as f64;
    windowed.model = ModelConfig { t_steps: w, ..meta.model.clone() };
    let mut model = LoadedModel::from_network(windowed, loaded.network().clone(), device.clone())?;
    let mut input = Vec::with_capacity(model.input_len());
    let mut pred = Vec::with_capacity(set.len() * 2);
    for i in 0..set.len() {
        input.clear();
        set.write_input(i, &mut input);
        // `input` is W × N by construction.
        let e = model.predict(&input).map_err(|e| TrainError::Options(e.to_string()))?;
        pred.extend([e.valence, e.arousal]);
    }
    let baseline: Vec<f32> = (0..set.len()).flat_map(|_| [mean[0] as f32, mean[1] as f32]).collect();
    Ok((metrics(&pred, set.targets()), metrics(&baseline, set.targets())))
}

/// Trains on `table` as `opts` says. `progress` sees every fold start and epoch.
pub fn train(
    table: &StepTable,
    opts: &TrainOptions,
    progress: &mut dyn FnMut(TrainProgress<'_>),
) -> Result<TrainReport, TrainError> {
    if opts.max_epochs == 0 {
        return Err(TrainError::Options("--epochs must be at least 1".into()));
    }
    if let Some(d) = &opts.dynamic {
        if opts.kind == ModelKind::Svr {
            return Err(TrainError::Options(
                "--labels dynamic trains the networks; the SVR baseline fits one value per song (use --labels static)"
                    .into(),
            ));
        }
        let t = table.meta.steps as usize;
        let w = d.window(t);
        if !(moodtap_core::model::config::MIN_T_STEPS..=t).contains(&w) {
            return Err(TrainError::Options(format!(
                "--window-steps {w}: give {}..{t} (the cache's T)",
                moodtap_core::model::config::MIN_T_STEPS
            )));
        }
        if d.windows_per_song == Some(0) {
            return Err(TrainError::Options("--windows-per-song 0: give 1 or more".into()));
        }
        if !(d.lag_s.is_finite() && d.lag_s >= 0.0) {
            return Err(TrainError::Options(format!("--label-lag-s {}: give 0 or more seconds", d.lag_s)));
        }
    }
    let device = opts.backend.device()?;
    let cols = FeatureColumns::choose(table, &opts.features)?;
    let n = table.songs.len();
    let split_seed = opts.split_seed.unwrap_or(opts.seed);
    let (splits, mut split_text) = match opts.split {
        SplitSpec::Holdout(f) => {
            (vec![split::holdout(n, f, split_seed)?], format!("holdout {:.2}/{:.2}/{:.2}", f[0], f[1], f[2]))
        }
        SplitSpec::Folds(k) => (split::kfold(n, k, split_seed)?, format!("{k}-fold cross-validation, fold 1 written")),
    };
    if let Some(s) = opts.split_seed {
        split_text.push_str(&format!(", split seed {s}"));
    }
    let ctx = RunContext { table, cols: &cols, opts, device, split_text };
    let max_epochs = if opts.kind == ModelKind::Svr { 0 } else { opts.max_epochs };
    let mut bytes = Vec::new();
    let mut folds = Vec::with_capacity(splits.len());
    for (i, split) in splits.iter().enumerate() {
        progress(TrainProgress::Start { fold: i + 1, folds: splits.len(), max_epochs });
        let (b, r) = ctx.run_fold(split, progress)?;
        if i == 0 {
            bytes = b;
        }
        folds.push(r);
    }
    Ok(TrainReport { bytes, folds, features: cols.source.clone(), n_features: cols.len() })
}

/// Default `--out` when none is given: `<model>.moodtap` (`svr.json` for the SVR).
pub fn default_out(kind: ModelKind) -> PathBuf {
    match kind {
        ModelKind::Svr => PathBuf::from("svr.json"),
        ModelKind::Network(a) => PathBuf::from(format!("{}.moodtap", a.name())),
    }
}
