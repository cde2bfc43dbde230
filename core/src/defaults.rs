//! The paper's training settings (Cao & Liu 2025, §4.1), the defaults of
//! every trainer path (`moodtap train`, `ablate`, `select`, `corpus`, the
//! burn training config): change them here and nowhere else.

/// Seed of splits, folds, weight initialisation, batch order and corpus draws.
pub const SEED: u64 = 66;
/// Adam learning rate.
pub const LEARNING_RATE: f64 = 1e-3;
/// Songs per batch.
pub const BATCH_SIZE: usize = 4;
/// Most epochs per training run.
pub const MAX_EPOCHS: usize = 100;
/// Early stopping: epochs without a better validation RMSE before stopping.
pub const PATIENCE: usize = 10;
/// Song split train / validation / test.
pub const SPLIT: [f64; 3] = [0.7, 0.15, 0.15];
/// Cross-validation folds of feature selection's wrapper.
pub const SELECTION_FOLDS: usize = 5;
