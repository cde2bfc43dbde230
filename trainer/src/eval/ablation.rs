//! `moodtap ablate`: trains and tests the four networks and the SVR
//! baseline at each sequence length `T` (paper §4.4, Tables 3–4, Figures
//! 3–4) on one cache root holding a step configuration per `T` (`moodtap
//! extract --steps 99,199,299`). Every model uses the same seed, split and
//! input columns, so rows differ only in the model and `T`.
//!
//! Output directory: `ablation.md` (one table, plus the mean-label baseline
//! per `T`), `rmse_vs_steps.png` (Figure 3: test RMSE against `T`, one line
//! per model, a panel per dimension), `training_time.png` (Figure 4:
//! training time per model, a bar per `T`) and every trained model under
//! `T<steps>/`.

use std::path::{Path, PathBuf};

use super::table::{markdown, ResultRow};
use crate::cache::{self, CacheRequest};
use crate::plot::{self, Panel, Series};
use crate::train::{self, ModelKind, TrainOptions, TrainProgress};

/// Why the ablation stopped.
#[derive(Debug, thiserror::Error)]
pub enum AblationError {
    /// A cache configuration is missing or unreadable.
    #[error("cache for T = {steps}: {source}")]
    Cache {
        /// T.
        steps: u32,
        /// Why.
        source: cache::CacheError,
    },
    /// A run failed.
    #[error("{model} at T = {steps}: {source}")]
    Train {
        /// Model.
        model: &'static str,
        /// T.
        steps: u32,
        /// Why (boxed: a training error carries a whole report's worth of context).
        source: Box<train::TrainError>,
    },
    /// An output could not be written.
    #[error("{path}: {reason}")]
    Write {
        /// File.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Result of [`run`].
#[derive(Debug, Clone)]
pub struct AblationResult {
    /// Every model row (and one mean-baseline row per `T`), in run order.
    pub rows: Vec<ResultRow>,
    /// The markdown written to `ablation.md`.
    pub markdown: String,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// Events for the command line.
#[derive(Debug, Clone, Copy)]
pub enum AblationProgress<'a> {
    /// A model starts at a `T`.
    Model {
        /// Model.
        kind: ModelKind,
        /// T.
        steps: u32,
    },
    /// Inner training progress.
    Train(TrainProgress<'a>),
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), AblationError> {
    std::fs::write(path, bytes).map_err(|e| AblationError::Write { path: path.to_path_buf(), reason: e.to_string() })
}

/// Runs the grid `steps × ModelKind::ALL` with `base` options (its `kind`
/// and `split` are overridden per row / kept) and writes the outputs into
/// `out_dir`.
pub fn run(
    cache_root: &Path,
    steps: &[u32],
    base: &TrainOptions,
    out_dir: &Path,
    progress: &mut dyn FnMut(AblationProgress<'_>),
) -> Result<AblationResult, AblationError> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| AblationError::Write { path: out_dir.to_path_buf(), reason: e.to_string() })?;
    let mut rows = Vec::new();
    let mut files = Vec::new();
    for &t in steps {
        let table = cache::read(cache_root, &CacheRequest { steps: Some(t), ..Default::default() })
            .map_err(|source| AblationError::Cache { steps: t, source })?;
        let dir = out_dir.join(format!("T{t:03}"));
        std::fs::create_dir_all(&dir).map_err(|e| AblationError::Write { path: dir.clone(), reason: e.to_string() })?;
        let mut baseline = None;
        for kind in ModelKind::ALL {
            progress(AblationProgress::Model { kind, steps: t });
            let opts = TrainOptions { kind, ..base.clone() };
            let report = train::train(&table, &opts, &mut |p| progress(AblationProgress::Train(p)))
                .map_err(|source| AblationError::Train { model: kind.name(), steps: t, source: Box::new(source) })?;
            let path = dir.join(match kind {
                ModelKind::Svr => "svr.json".to_string(),
                ModelKind::Network(a) => format!("{}.moodtap", a.name()),
            });
            write(&path, &report.bytes)?;
            files.push(path);
            let first = &report.folds[0];
            baseline.get_or_insert_with(|| report.mean_metrics(|f| f.mean_baseline));
            rows.push(ResultRow {
                model: kind.name().to_string(),
                t_steps: Some(t as usize),
                metrics: report.mean_metrics(|f| f.test),
                train_s: Some(report.folds.iter().map(|f| f.train_s).sum::<f64>() / report.folds.len() as f64),
                epochs: (kind != ModelKind::Svr).then_some((first.curve.len(), first.best_epoch)),
            });
        }
        if let Some(m) = baseline {
            rows.push(ResultRow {
                model: "mean label (reference)".into(),
                t_steps: Some(t as usize),
                metrics: m,
                train_s: None,
                epochs: None,
            });
        }
    }
    let table = markdown(&rows);
    let split = match base.split {
        train::SplitSpec::Holdout(f) => format!("hold-out split {:.2}/{:.2}/{:.2} by song", f[0], f[1], f[2]),
        train::SplitSpec::Folds(k) => format!("{k}-fold cross-validation by song (mean over folds)"),
    };
    let text = format!(
        "# Ablation: CBSA vs. its parts and the SVR baseline\n\n\
         Cache `{}`; {split}; seed {}; Adam lr {}, batch {}, at most {} epochs, early stopping patience {}.\n\
         Test metrics on held-out songs, labels in [0, 1]; training time is wall clock of the fit on this machine.\n\n{table}",
        cache_root.display(),
        base.seed,
        base.learning_rate,
        base.batch_size,
        base.max_epochs,
        base.patience
    );
    let md = out_dir.join("ablation.md");
    write(&md, text.as_bytes())?;
    files.push(md);
    let model_rows = |kind: ModelKind| rows.iter().filter(move |r| r.model == kind.name());
    let series = |pick: fn(&ResultRow) -> f64| -> Vec<Series> {
        ModelKind::ALL
            .iter()
            .map(|&k| Series {
                name: k.name().to_string(),
                points: model_rows(k).map(|r| (r.t_steps.unwrap_or(0) as f64, pick(r))).collect(),
            })
            .collect()
    };
    let fig3 = out_dir.join("rmse_vs_steps.png");
    plot::line_panels(
        &fig3,
        &[
            Panel {
                title: "Arousal: test RMSE vs. sequence length".into(),
                x_label: "sequence length T (steps)".into(),
                y_label: "RMSE".into(),
                series: series(|r| r.metrics.arousal.rmse),
                marker: None,
            },
            Panel {
                title: "Valence: test RMSE vs. sequence length".into(),
                x_label: "sequence length T (steps)".into(),
                y_label: "RMSE".into(),
                series: series(|r| r.metrics.valence.rmse),
                marker: None,
            },
        ],
    )
    .map_err(|e| AblationError::Write { path: fig3.clone(), reason: e.to_string() })?;
    files.push(fig3);
    let fig4 = out_dir.join("training_time.png");
    let groups: Vec<String> = ModelKind::ALL.iter().map(|k| k.name().to_string()).collect();
    let bars: Vec<(String, Vec<f64>)> = steps
        .iter()
        .map(|&t| {
            let vals = ModelKind::ALL
                .iter()
                .map(|&k| {
                    model_rows(k).find(|r| r.t_steps == Some(t as usize)).and_then(|r| r.train_s).unwrap_or(f64::NAN)
                })
                .collect();
            (format!("T = {t}"), vals)
        })
        .collect();
    plot::grouped_bars(&fig4, "Training time per model", "training time (s)", &groups, &bars)
        .map_err(|e| AblationError::Write { path: fig4.clone(), reason: e.to_string() })?;
    files.push(fig4);
    Ok(AblationResult { rows, markdown: text, files })
}
