//! `moodtap adapt`: re-standardise a network model for other recordings (the
//! work is in [`crate::adapt`]).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::eval::EvalModel;
use crate::output::{check_outputs, write_atomically};

/// Below this much music (steps × hop, minutes) the statistics are noted as thin.
const MIN_MINUTES: f64 = 10.0;

/// Arguments of `moodtap adapt`.
#[derive(Debug, Args)]
pub struct AdaptArgs {
    /// The network model to adapt (a moodtap model file).
    #[arg(long)]
    pub model: PathBuf,
    /// Feature cache of recordings like those the model will hear (labels are not
    /// used: a manifest with any labels will do), at the model's time base.
    #[arg(long)]
    pub cache: PathBuf,
    /// How far to move the statistics: 0 keeps the model's, 1 takes the cache's.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub blend: f32,
    /// Adapted model file.
    #[arg(long)]
    pub out: PathBuf,
}

/// `moodtap adapt`.
pub fn run(args: &AdaptArgs) -> anyhow::Result<()> {
    check_outputs(&[args.out.as_path()], &[args.model.as_path(), args.cache.as_path()])?;
    let context = || format!("adapting {} to {}", args.model.display(), args.cache.display());
    let model = EvalModel::from_path(&args.model).with_context(context)?;
    let table = crate::cache::read(&args.cache, &model.cache_request()).with_context(context)?;
    let EvalModel::Network(model) = model else {
        anyhow::bail!("adapt needs a network model: the SVR baseline keeps its statistics inside its support vectors");
    };
    let a = crate::adapt::adapt(&model, &table, args.blend).with_context(context)?;
    let minutes = a.steps as f64 * table.meta.hop_s / 60.0;
    if minutes < MIN_MINUTES {
        eprintln!(
            "note: statistics of {minutes:.1} min of music describe these recordings more than a kind of music; \
             for a model that should hear many pieces, give it at least {MIN_MINUTES} min of varied ones"
        );
    }
    write_atomically(&args.out, |w| w.write_all(&a.bytes))
        .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "moodtap adapt: statistics of {} steps of {} songs, blend {}; the cache's music sat {:.2} training standard deviations \
         from the model's on average per input; wrote {}",
        a.steps,
        a.songs,
        args.blend,
        a.mean_shift_sd,
        args.out.display()
    );
    Ok(())
}
