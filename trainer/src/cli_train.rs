//! Command-line glue of `moodtap train` and `moodtap eval` (argument
//! definitions, progress bars, printed summaries). The work is in
//! [`crate::train`] and [`crate::eval`].

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use moodtap_core::model::file::Metrics;

use crate::cache::{self, CacheRequest};
use crate::eval::{self, ablation, table, SongScope};
use crate::output::{check_outputs, write_atomically, OutputFile};
use crate::plot::{self, Panel, Series};
use crate::train::backend::Backend;
use crate::train::inputs::FeatureChoice;
use crate::train::{self, ModelKind, Progress, SplitSpec, TrainOptions, TrainReport};

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
    /// Most epochs.
    #[arg(long, default_value_t = 100, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub epochs: usize,
    /// Early stopping: epochs without a better validation RMSE before stopping.
    #[arg(long, default_value_t = 10, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub patience: usize,
    /// Seed of split, weights and batch order (paper: 66).
    #[arg(long, default_value_t = 66)]
    pub seed: u64,
    /// Songs per batch (paper: 4).
    #[arg(long, default_value_t = 4, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub batch_size: usize,
    /// Adam learning rate (paper: 1e-3).
    #[arg(long, default_value_t = 1e-3, value_parser = crate::arg_values::positive_number, allow_hyphen_values = true)]
    pub lr: f64,
    /// Input MIR features: a selection file, `all` (every MIR descriptor) or `egemaps` (none).
    /// Default: the cache's _selection.json if `moodtap select` wrote one, else all.
    #[arg(long)]
    pub selection: Option<String>,
    /// burn backend (ndarray, wgpu and cuda need the cargo feature of that name).
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    pub backend: Backend,
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

/// Arguments of `moodtap eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Feature cache (root or step-configuration directory).
    #[arg(long)]
    pub cache: PathBuf,
    /// Model file to evaluate (network .moodtap or SVR JSON).
    #[arg(long, required_unless_present = "ablation")]
    pub model: Option<PathBuf>,
    /// Songs to score: auto (recorded test songs on the training cache, else all), test, all.
    #[arg(long, value_enum, default_value_t = SongScope::Auto)]
    pub songs: SongScope,
    /// Also write the markdown table here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Train and test all five models at each --steps (paper Tables 3–4, Figures 3–4).
    #[arg(long)]
    pub ablation: bool,
    /// --ablation: sequence lengths (each needs its cache configuration).
    #[arg(long, value_delimiter = ',', default_value = "99,199,299")]
    pub steps: Vec<u32>,
    /// --ablation: output directory (table, figures, models).
    #[arg(long, default_value = "ablation")]
    pub out_dir: PathBuf,
    /// --ablation: most epochs per network.
    #[arg(long, default_value_t = 100, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub epochs: usize,
    /// --ablation: early-stopping patience.
    #[arg(long, default_value_t = 10, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub patience: usize,
    /// --ablation: seed.
    #[arg(long, default_value_t = 66)]
    pub seed: u64,
    /// --ablation: input MIR features (as `train --selection`).
    #[arg(long)]
    pub selection: Option<String>,
    /// --ablation: burn backend.
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    pub backend: Backend,
    /// Do not draw progress bars.
    #[arg(long)]
    pub quiet: bool,
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

fn epoch_bar(quiet: bool) -> indicatif::ProgressBar {
    let bar = if quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(0) };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] epoch {pos}/{len} {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Progress callback that drives `bar` (fold prefix, epoch count, losses).
fn on_progress(bar: &indicatif::ProgressBar, label: &str, p: Progress<'_>) {
    match p {
        Progress::Start { fold, folds, max_epochs } => {
            bar.reset();
            bar.set_length(max_epochs as u64);
            bar.set_prefix(if folds > 1 { format!("{label} fold {fold}/{folds}") } else { label.to_string() });
            bar.set_message("");
        }
        Progress::Epoch { record, best_epoch } => {
            bar.set_position(record.epoch as u64);
            bar.set_message(format!(
                "loss {:.5}, val RMSE {:.4} (best epoch {best_epoch})",
                record.train_loss,
                record.val_rmse()
            ));
        }
    }
}

fn metrics_line(m: &Metrics) -> String {
    format!(
        "RMSE arousal {:.4} valence {:.4}, R² arousal {} valence {}",
        m.arousal.rmse,
        m.valence.rmse,
        table::r2_text(m.arousal.r2),
        table::r2_text(m.valence.r2)
    )
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

/// `moodtap train`.
pub fn run_train(args: &TrainArgs) -> anyhow::Result<()> {
    let out = args.out.clone().unwrap_or_else(|| train::default_out(args.model));
    // Before anything else: can the model file (and the plot) be written?
    let planned: Vec<&Path> = std::iter::once(out.as_path()).chain(args.plot.as_deref()).collect();
    check_outputs(&planned, &[args.cache.as_path()])?;
    let table = cache::read(&args.cache, &CacheRequest { steps: args.steps, ..Default::default() })
        .with_context(|| format!("reading the feature cache {}", args.cache.display()))?;
    let opts = TrainOptions {
        kind: args.model,
        split: args.folds.map_or(SplitSpec::Holdout(args.split), SplitSpec::Folds),
        max_epochs: args.epochs,
        patience: args.patience,
        seed: args.seed,
        batch_size: args.batch_size,
        learning_rate: args.lr,
        features: args.selection.as_deref().map_or(FeatureChoice::Default, FeatureChoice::parse),
        backend: args.backend,
        description: args.description.clone().filter(|d| !d.trim().is_empty()),
    };
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
    eprintln!("  test:          {}", metrics_line(&f.test));
    eprintln!("  mean baseline: {}", metrics_line(&f.mean_baseline));
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

/// `moodtap eval` (with or without `--ablation`).
pub fn run_eval(args: &EvalArgs) -> anyhow::Result<()> {
    if args.ablation {
        return run_ablation(args);
    }
    let Some(model) = &args.model else { anyhow::bail!("--model is required (or use --ablation)") };
    let report = eval::evaluate_files(model, &args.cache, args.songs)
        .with_context(|| format!("evaluating {} on {}", model.display(), args.cache.display()))?;
    let mut text = format!(
        "Model `{}` ({}) on {} of `{}`:\n\n{}",
        model.display(),
        report.kind,
        report.scope,
        args.cache.display(),
        table::markdown(&[table::ResultRow {
            model: report.kind.clone(),
            t_steps: None,
            metrics: report.metrics,
            train_s: None,
            epochs: None
        }])
    );
    if let Some(r) = report.recorded {
        text.push_str(&format!("\nRecorded at training time: {}\n", metrics_line(&r)));
    }
    println!("{text}");
    if let Some(out) = &args.out {
        write_atomically(out, |w| w.write_all(text.as_bytes()))
            .with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}

fn run_ablation(args: &EvalArgs) -> anyhow::Result<()> {
    let base = TrainOptions {
        max_epochs: args.epochs,
        patience: args.patience,
        seed: args.seed,
        features: args.selection.as_deref().map_or(FeatureChoice::Default, FeatureChoice::parse),
        backend: args.backend,
        ..TrainOptions::default()
    };
    let bar = epoch_bar(args.quiet);
    let label = std::cell::RefCell::new(String::new());
    let result = ablation::run(&args.cache, &args.steps, &base, &args.out_dir, &mut |p| match p {
        ablation::AblationProgress::Model { kind, steps } => {
            *label.borrow_mut() = format!("{} T={steps}", kind.name());
        }
        ablation::AblationProgress::Train(p) => {
            on_progress(&bar, &label.borrow(), p);
        }
    })
    .with_context(|| format!("ablation on {}", args.cache.display()))?;
    bar.finish_and_clear();
    println!("{}", result.markdown);
    for f in &result.files {
        eprintln!("wrote {}", f.display());
    }
    if let Some(out) = &args.out {
        write_atomically(out, |w| w.write_all(result.markdown.as_bytes()))
            .with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}
