//! `moodtap eval`: scores a model file on a feature cache (the work is in
//! [`crate::eval`]).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::progress::metrics_line;
use crate::dataset::{dynamic, DatasetKind};
use crate::eval::{self, classes, over_time, table, EvalModel, SongScope};
use crate::output::write_atomically;

/// Arguments of `moodtap eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Feature cache (root or step-configuration directory).
    #[arg(long)]
    pub cache: PathBuf,
    /// Model file to evaluate (network .moodtap or SVR JSON).
    #[arg(long)]
    pub model: PathBuf,
    /// Songs to score: auto (recorded test songs on the training cache, else all), test, all.
    #[arg(long, value_enum, default_value_t = SongScope::Auto)]
    pub songs: SongScope,
    /// Also write the markdown table here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also score the labels as classes by their sign around 0.5 (EMOPIA-style
    /// quadrants, or any V/A signs): AUC, balanced accuracy and the quadrant
    /// confusion table. On by itself when every label is 0 or 1.
    #[arg(long)]
    pub classes: bool,
    /// Score the estimate at every step against the dataset's dynamic (per-time)
    /// labels instead of one estimate per song: RMSE and r over all time points,
    /// the within-song r and the lag that maximises it (DEAM and EmoMusic caches).
    #[arg(long, conflicts_with = "classes")]
    pub over_time: bool,
    /// With --over-time: the dataset root holding the dynamic annotations, when it
    /// is no longer where the cache was extracted from (default: the cache's record).
    #[arg(long, requires = "over_time")]
    pub dataset: Option<PathBuf>,
    /// With --over-time: show the model only the last K steps of each window (older
    /// positions zeros, as while its context fills): a short-context reading of the same
    /// network, for responsiveness experiments (docs/responsiveness.md). 1..T.
    #[arg(long, requires = "over_time", value_parser = clap::value_parser!(u32).range(1..))]
    pub context_steps: Option<u32>,
    /// With --over-time: one PNG per song in this directory (created if missing):
    /// the dynamic ratings and the estimate at every step, valence and arousal.
    #[arg(long, requires = "over_time")]
    pub plot: Option<PathBuf>,
}

/// `moodtap eval`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    if args.over_time {
        return run_over_time(args);
    }
    let model = &args.model;
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
    match (report.recorded, &report.recorded_labels) {
        (Some(r), None) => text.push_str(&format!("\nRecorded at training time: {}\n", metrics_line(&r))),
        (Some(r), Some(how)) => text.push_str(&format!(
            "\nRecorded at training time, over every rated time point ({how}; the table above is per song, \
             `moodtap eval --over-time` scores every step): {}\n",
            metrics_line(&r)
        )),
        (None, _) => {}
    }
    if args.classes || classes::labels_are_classes(&report.targets) {
        let c = classes::ClassReport::compute(&report.predictions, &report.targets);
        text.push_str(&format!("\nAs classes (label above / below 0.5):\n\n{}", c.markdown()));
    }
    println!("{text}");
    if let Some(out) = &args.out {
        write_atomically(out, |w| w.write_all(text.as_bytes()))
            .with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}

/// `moodtap eval --over-time`.
fn run_over_time(args: &EvalArgs) -> anyhow::Result<()> {
    let context = || format!("evaluating {} over time on {}", args.model.display(), args.cache.display());
    let eval_model = EvalModel::from_path(&args.model).with_context(context)?;
    let table = crate::cache::read(&args.cache, &eval_model.cache_request()).with_context(context)?;
    let (songs, scope) = eval::scope_songs(&eval_model, &table, args.songs).with_context(context)?;
    let EvalModel::Network(mut model) = eval_model else {
        anyhow::bail!("--over-time needs a network model: the SVR baseline gives one value per song");
    };
    let t = model.metadata().t_steps;
    if let Some(k) = args.context_steps.filter(|&k| k as usize > t) {
        anyhow::bail!("--context-steps {k} is more than the model's T = {t}: give 1..{t}");
    }
    let kind: DatasetKind = table.meta.dataset_kind.parse().map_err(anyhow::Error::msg).with_context(context)?;
    let root = args.dataset.clone().unwrap_or_else(|| PathBuf::from(&table.meta.dataset_path));
    let labels = dynamic::load(kind, &root, &table.meta.load_options())
        .with_context(|| format!("reading the dynamic labels of {}", root.display()))?;
    // Check the output locations before the work starts.
    if let Some(dir) = &args.plot {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the plot directory {}", dir.display()))?;
    }
    let visible = args.context_steps.map(|k| k as usize);
    let bar = indicatif::ProgressBar::new(songs.len() as u64);
    bar.set_style(super::progress::bar_style("estimating every step [{bar:30}] {pos}/{len} songs ({elapsed})"));
    let (report, tracks) =
        over_time::evaluate(&mut model, &table, &songs, &labels, visible, || bar.inc(1)).with_context(context)?;
    bar.finish_and_clear();
    if report.songs == 0 {
        anyhow::bail!(
            "none of the {} songs scored ({scope}) has dynamic labels in {}: is --dataset the right dataset?",
            songs.len(),
            root.display()
        );
    }
    let text = format!(
        "Model `{}` ({}) on {scope} of `{}`, every step{}:\n\n{}",
        args.model.display(),
        model.metadata().model.architecture.name(),
        args.cache.display(),
        visible.map_or(String::new(), |k| format!(", the model seeing only the last {k} of its {t} steps")),
        over_time::markdown(&report)
    );
    println!("{text}");
    if let Some(out) = &args.out {
        write_atomically(out, |w| w.write_all(text.as_bytes()))
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if let Some(dir) = &args.plot {
        for track in &tracks {
            let name: String =
                track.id.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
            over_time::write_song_plot(&dir.join(format!("{name}.png")), track)?;
        }
        eprintln!("{} plots in {}", tracks.len(), dir.display());
    }
    Ok(())
}
