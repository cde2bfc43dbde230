//! `moodtap eval`: scores a model file on a feature cache (the work is in
//! [`crate::eval`]).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::progress::metrics_line;
use crate::eval::{self, classes, table, SongScope};
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
}

/// `moodtap eval`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
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
    if let Some(r) = report.recorded {
        text.push_str(&format!("\nRecorded at training time: {}\n", metrics_line(&r)));
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
