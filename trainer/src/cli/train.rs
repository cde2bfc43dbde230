//! `moodtap train`: one model on a feature cache (the work is in
//! [`crate::train`]).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use super::args::TrainingArgs;
use super::progress::{bar_style, epoch_bar, metrics_line, on_progress};
use crate::cache::{self, CacheRequest};
use crate::dataset::{dynamic, DatasetKind};
use crate::eval::EvalModel;
use crate::output::{check_outputs, write_atomically, OutputFile};
use crate::plot::{self, Panel, Series};
use crate::train::teacher;
use crate::train::windows::{DynamicTargets, DEFAULT_LAG_S};
use crate::train::{self, ModelKind, SplitSpec, TrainOptions, TrainReport};

/// Arguments of `moodtap train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Feature cache: a cache root or one of its step-configuration directories.
    #[arg(long)]
    pub cache: PathBuf,
    /// Model: cbsa, bilstm, cnn-bilstm, bilstm-sa (networks) or svr (baseline).
    #[arg(long, default_value = "cbsa", value_parser = parse_kind)]
    pub model: ModelKind,
    /// Sequence length T (picks the cache configuration; default: the only one).
    #[arg(long)]
    pub steps: Option<u32>,
    /// Output model file (networks: binary .moodtap; svr: JSON). Default: <model>.moodtap / svr.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Song split TRAIN,VALIDATION,TEST fractions.
    #[arg(long, default_value = "0.7,0.15,0.15", value_parser = parse_split, conflicts_with = "folds", allow_hyphen_values = true)]
    pub split: [f64; 3],
    /// k-fold cross-validation instead of one split (fold 1's model is written).
    #[arg(long, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub folds: Option<usize>,
    /// Targets: `static` (one label per song, the paper's setup) or `dynamic` (every
    /// per-time rating of DEAM, EmoMusic or a manifest with a time_s column, one input
    /// window each; see docs/training.md, "Dynamic labels").
    #[arg(long, value_enum, default_value_t = LabelKind::Static)]
    pub labels: LabelKind,
    /// With --labels dynamic: the dataset root (or manifest) holding the per-time labels,
    /// if it has moved since `extract` (default: the path the cache records).
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// With --labels dynamic: the annotators' reaction lag, s; a rating at time τ is the
    /// target of the music heard up to τ − lag [default: 2].
    #[arg(long, allow_hyphen_values = true)]
    pub label_lag_s: Option<f64>,
    /// With --labels dynamic: steps per training window W (default: the cache's T;
    /// e.g. 20 steps = 3 s at the default hop, for a model that follows changes quickly).
    #[arg(long, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub window_steps: Option<usize>,
    /// With --labels dynamic: inputs drawn at random per song and epoch (default: all of a
    /// song's rated time points every epoch); a few per song let early stopping look after
    /// every pass over the songs.
    #[arg(long, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub windows_per_song: Option<usize>,
    /// Distillation: a trained model (e.g. an ensemble) whose estimates on the cache's
    /// songs replace their labels as training targets, so one network learns what the
    /// teacher computes (static labels only; see docs/training.md, "Distilling an ensemble").
    /// The test metrics printed and recorded are then agreement with the teacher.
    #[arg(long)]
    pub teacher: Option<PathBuf>,
    /// Hyper-parameters.
    #[command(flatten)]
    pub training: TrainingArgs,
    /// Learning-curve PNG (training loss and validation RMSE per epoch).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// What the songs are, in words (e.g. "DEAM 2015, 1802 songs, 45 s excerpts"): written
    /// into the model's provenance, which the plugin shows as "trained on …" (default: the
    /// dataset kind of the cache).
    #[arg(long)]
    pub description: Option<String>,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// `--labels`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LabelKind {
    /// One label per song.
    Static,
    /// Per-time ratings.
    Dynamic,
}

/// The dynamic targets `args` ask for, read from the cache's dataset; `None` for static labels.
fn dynamic_targets(args: &TrainArgs, table: &cache::StepTable) -> anyhow::Result<Option<DynamicTargets>> {
    if args.labels == LabelKind::Static {
        let only_dynamic = [
            (args.dataset.is_some(), "--dataset"),
            (args.label_lag_s.is_some(), "--label-lag-s"),
            (args.window_steps.is_some(), "--window-steps"),
            (args.windows_per_song.is_some(), "--windows-per-song"),
        ];
        if let Some((_, flag)) = only_dynamic.iter().find(|f| f.0) {
            anyhow::bail!("{flag} applies to per-time training only: add --labels dynamic");
        }
        return Ok(None);
    }
    let kind: DatasetKind = table.meta.dataset_kind.parse().map_err(anyhow::Error::msg)?;
    let root = args.dataset.clone().unwrap_or_else(|| PathBuf::from(&table.meta.dataset_path));
    let series = dynamic::load(kind, &root, &table.meta.load_options())
        .with_context(|| format!("reading the dynamic labels of {}", root.display()))?;
    Ok(Some(DynamicTargets {
        series: std::sync::Arc::new(series),
        lag_s: args.label_lag_s.unwrap_or(DEFAULT_LAG_S),
        window_steps: args.window_steps,
        windows_per_song: args.windows_per_song,
    }))
}

fn parse_kind(s: &str) -> Result<ModelKind, String> {
    ModelKind::parse(s)
        .ok_or_else(|| format!("unknown model '{s}': expected cbsa, bilstm, cnn-bilstm, bilstm-sa or svr"))
}

fn parse_split(s: &str) -> Result<[f64; 3], String> {
    let bad = || {
        format!(
            "--split '{s}': expected three positive TRAIN,VALIDATION,TEST fractions summing to 1 (e.g. 0.7,0.15,0.15)"
        )
    };
    let v: Vec<f64> = s.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| bad())?;
    let v = <[f64; 3]>::try_from(v).map_err(|_| bad())?;
    if v.iter().any(|f| !(f.is_finite() && *f > 0.0)) || (v.iter().sum::<f64>() - 1.0).abs() > 1e-6 {
        return Err(bad());
    }
    Ok(v)
}

fn write_curve(path: &Path, report: &TrainReport, kind: ModelKind) -> anyhow::Result<()> {
    let file = OutputFile::create(path)?;
    draw_curve(file.temp_path(), report, kind)?;
    file.commit()?;
    Ok(())
}

fn draw_curve(path: &Path, report: &TrainReport, kind: ModelKind) -> anyhow::Result<()> {
    let fold = &report.folds[0];
    let pts = |f: fn(&train::fit::EpochRecord) -> f64| fold.curve.iter().map(|r| (r.epoch as f64, f(r))).collect();
    let marker = Some((fold.best_epoch as f64, format!("kept epoch {}", fold.best_epoch)));
    plot::line_panels(
        path,
        &[
            Panel {
                title: format!("{}: training loss", kind.name()),
                x_label: "epoch".into(),
                y_label: "MSE".into(),
                series: vec![Series { name: "training loss (MSE)".into(), points: pts(|r| r.train_loss) }],
                marker: marker.clone(),
            },
            Panel {
                title: format!("{}: validation RMSE", kind.name()),
                x_label: "epoch".into(),
                y_label: "RMSE".into(),
                series: vec![
                    Series { name: "valence".into(), points: pts(|r| r.val_rmse_valence) },
                    Series { name: "arousal".into(), points: pts(|r| r.val_rmse_arousal) },
                    Series { name: "mean (early stopping)".into(), points: pts(|r| r.val_rmse()) },
                ],
                marker,
            },
        ],
    )?;
    Ok(())
}

/// `--teacher`: the teacher's estimates become the songs' labels; returns the note for
/// the provenance.
fn relabel_with_teacher(table: &mut cache::StepTable, path: &Path, quiet: bool) -> anyhow::Result<String> {
    let mut teacher = EvalModel::from_path(path)?;
    let what = teacher::describe(path, &teacher);
    let bar =
        if quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(table.songs.len() as u64) };
    bar.set_style(bar_style("teacher [{bar:30}] {pos}/{len} songs ({elapsed})"));
    let moved = teacher::relabel(table, &mut teacher, &mut |done| bar.set_position(done as u64))
        .with_context(|| format!("labelling the cache's songs with the teacher {}", path.display()))?;
    bar.finish_and_clear();
    eprintln!(
        "moodtap train: targets are the estimates of {what} on all {} songs (RMS distance from the cache's labels: valence {:.4}, arousal {:.4})",
        table.songs.len(),
        moved[0],
        moved[1]
    );
    Ok(format!("the estimates of teacher {what}"))
}

/// `moodtap train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let out = args.out.clone().unwrap_or_else(|| train::default_out(args.model));
    // Before anything else: can the model file (and the plot) be written?
    let planned: Vec<&Path> = std::iter::once(out.as_path()).chain(args.plot.as_deref()).collect();
    let inputs: Vec<&Path> = std::iter::once(args.cache.as_path()).chain(args.teacher.as_deref()).collect();
    check_outputs(&planned, &inputs)?;
    if args.teacher.is_some() && args.labels == LabelKind::Dynamic {
        anyhow::bail!("--teacher gives one target per song: it works with --labels static only");
    }
    let mut table = cache::read(&args.cache, &CacheRequest { steps: args.steps, ..Default::default() })
        .with_context(|| format!("reading the feature cache {}", args.cache.display()))?;
    let targets_from = match &args.teacher {
        Some(path) => Some(relabel_with_teacher(&mut table, path, args.quiet)?),
        None => None,
    };
    let opts = args.training.options(TrainOptions {
        kind: args.model,
        split: args.folds.map_or(SplitSpec::Holdout(args.split), SplitSpec::Folds),
        description: args.description.clone().filter(|d| !d.trim().is_empty()),
        dynamic: dynamic_targets(args, &table)?,
        targets_from,
        ..TrainOptions::default()
    });
    if args.model == ModelKind::Svr && args.plot.is_some() {
        eprintln!("note: the SVR has no epochs; --plot is ignored");
    }
    let bar = epoch_bar(args.quiet || args.model == ModelKind::Svr);
    let report = train::train(&table, &opts, &mut |p| on_progress(&bar, args.model.name(), p))
        .with_context(|| format!("training {} on {}", args.model.name(), table.dir.display()))?;
    bar.finish_and_clear();
    write_atomically(&out, |w| w.write_all(&report.bytes)).with_context(|| format!("writing {}", out.display()))?;
    let f = &report.folds[0];
    eprintln!(
        "moodtap train: {} on {} ({} songs: {} train / {} validation / {} test; T = {}, N = {} inputs from {})",
        args.model.name(),
        table.dir.display(),
        table.songs.len(),
        f.counts[0],
        f.counts[1],
        f.counts[2],
        table.meta.steps,
        report.n_features,
        report.features
    );
    if args.model != ModelKind::Svr {
        eprintln!(
            "  epochs run {}, kept epoch {} (best validation RMSE), {:.1} s",
            f.curve.len(),
            f.best_epoch,
            f.train_s
        );
    } else {
        eprintln!("  fitted in {:.2} s", f.train_s);
    }
    if let (Some(w), Some(d)) = (f.windows, &opts.dynamic) {
        eprintln!(
            "  {}: {} / {} / {} rated time points{}",
            d.describe(table.meta.steps as usize),
            w[0],
            w[1],
            w[2],
            if f.unusable_songs > 0 {
                format!(" ({} songs without usable ratings left out)", f.unusable_songs)
            } else {
                String::new()
            }
        );
        eprintln!("  test and baseline below: every rated time point of the test songs");
    }
    eprintln!("  test:          {}", metrics_line(&f.test));
    eprintln!("  mean baseline: {}", metrics_line(&f.mean_baseline));
    if let Some(report) = &f.over_time {
        eprintln!("\nTest songs, every step as the analyzer runs (what `moodtap eval --over-time` reports):\n");
        eprintln!("{}", crate::eval::over_time::markdown(report));
    }
    if report.folds.len() > 1 {
        eprintln!(
            "  {}-fold mean:   {} (mean baseline {})",
            report.folds.len(),
            metrics_line(&report.mean_metrics(|f| f.test)),
            metrics_line(&report.mean_metrics(|f| f.mean_baseline))
        );
    }
    if let (Some(p), false) = (&args.plot, args.model == ModelKind::Svr) {
        write_curve(p, &report, args.model).with_context(|| format!("writing the learning curve {}", p.display()))?;
        eprintln!("  learning curve: {}", p.display());
    }
    eprintln!("  model: {}", out.display());
    Ok(())
}
