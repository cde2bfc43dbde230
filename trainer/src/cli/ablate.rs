//! `moodtap ablate`: trains and tests the four networks and the SVR at
//! several sequence lengths (the work is in [`crate::eval::ablation`]).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::args::TrainingArgs;
use super::progress::{epoch_bar, on_progress};
use crate::eval::ablation;
use crate::output::write_atomically;
use crate::train::TrainOptions;

/// Arguments of `moodtap ablate`.
#[derive(Debug, Args)]
pub struct AblateArgs {
    /// Feature cache root (one step configuration per --steps).
    #[arg(long)]
    pub cache: PathBuf,
    /// Sequence lengths (each needs its cache configuration).
    #[arg(long, value_delimiter = ',', default_value = "99,199,299")]
    pub steps: Vec<u32>,
    /// Output directory (table, figures, models).
    #[arg(long, default_value = "ablation")]
    pub out_dir: PathBuf,
    /// Also write the markdown table here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Hyper-parameters of every network.
    #[command(flatten)]
    pub training: TrainingArgs,
    /// Do not draw progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// `moodtap ablate`.
pub fn run(args: &AblateArgs) -> anyhow::Result<()> {
    let base = args.training.options(TrainOptions::default());
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
