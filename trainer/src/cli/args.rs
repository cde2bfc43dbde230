//! Argument groups several subcommands share (flattened into their args).

use clap::Args;
use moodtap_core::defaults;

use crate::train::backend::Backend;
use crate::train::inputs::FeatureChoice;
use crate::train::TrainOptions;

/// How networks are trained: `moodtap train` and `moodtap ablate`.
#[derive(Debug, Clone, Args)]
pub struct TrainingArgs {
    /// Most epochs.
    #[arg(long, default_value_t = defaults::MAX_EPOCHS, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub epochs: usize,
    /// Early stopping: epochs without a better validation RMSE before stopping.
    #[arg(long, default_value_t = defaults::PATIENCE, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub patience: usize,
    /// Seed of weights, batch order and (without --split-seed) the split (paper: 66).
    #[arg(long, value_parser = crate::arg_values::seed, allow_hyphen_values = true, default_value_t = defaults::SEED)]
    pub seed: u64,
    /// Seed of the train/validation/test split alone (default: --seed). Runs that differ only
    /// in --seed but share --split-seed train on the same songs, normalise alike and are
    /// tested on the same songs, so their metrics measure the seed's effect alone.
    #[arg(long, value_parser = crate::arg_values::seed, allow_hyphen_values = true)]
    pub split_seed: Option<u64>,
    /// Songs per batch (paper: 4).
    #[arg(long, default_value_t = defaults::BATCH_SIZE, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub batch_size: usize,
    /// Adam learning rate (paper: 1e-3).
    #[arg(long, default_value_t = defaults::LEARNING_RATE, value_parser = crate::arg_values::positive_number, allow_hyphen_values = true)]
    pub lr: f64,
    /// Input MIR features: a selection file, a model file (`.moodtap`: the same columns as that
    /// model), `all` (every MIR descriptor) or `egemaps` (none).
    /// Default: the cache's _selection.json if `moodtap select` wrote one, else all.
    #[arg(long)]
    pub selection: Option<String>,
    /// burn backend (ndarray, wgpu and cuda need the cargo feature of that name).
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    pub backend: Backend,
}

impl TrainingArgs {
    /// These settings on top of `base`.
    pub fn options(&self, base: TrainOptions) -> TrainOptions {
        TrainOptions {
            max_epochs: self.epochs,
            patience: self.patience,
            seed: self.seed,
            split_seed: self.split_seed,
            batch_size: self.batch_size,
            learning_rate: self.lr,
            features: self.selection.as_deref().map_or(FeatureChoice::Default, FeatureChoice::parse),
            backend: self.backend,
            ..base
        }
    }
}
