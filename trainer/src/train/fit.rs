//! The epoch loop for the networks (paper §4.2): MSE, Adam (lr 1e-3),
//! batch 4, seeded; after every epoch the validation RMSE decides whether
//! these weights are the best so far, and training stops when it has not
//! improved for `patience` epochs (early stopping; the best weights are
//! kept, not the last).
//!
//! Batch order: the training songs are reshuffled every epoch with
//! `SplitMix64::for_item(seed, BATCH_STREAM, epoch)`, so the order, like the
//! initial weights (burn's device seed), is a pure function of the seed.

use burn::optim::AdamConfig;
use burn::tensor::Device;
use moodtap_core::model::training::metrics;
use moodtap_core::model::{Architecture, ModelConfig, Network, Trainer, TrainingConfig};
use moodtap_core::rng::SplitMix64;

/// Stream constant for the per-epoch batch shuffles.
const BATCH_STREAM: u64 = 0x42_4154_4348; // "BATCH"

/// Songs per validation forward pass (bounds the activations held at once).
const VALIDATION_CHUNK: usize = 32;

/// Settings of one network fit.
#[derive(Debug, Clone)]
pub struct FitConfig {
    /// Network.
    pub architecture: Architecture,
    /// Steps per input `T`.
    pub t_steps: usize,
    /// Inputs per step `N`.
    pub n_features: usize,
    /// Most epochs to run.
    pub max_epochs: usize,
    /// Stop after this many epochs without a better validation RMSE.
    pub patience: usize,
    /// Songs per batch (paper: 4).
    pub batch_size: usize,
    /// Adam learning rate (paper: 1e-3).
    pub learning_rate: f64,
    /// Seed of weights and batch order (paper: 66).
    pub seed: u64,
}

/// Songs as the network sees them: `count` inputs of `T × N` values and
/// `count` target pairs `[valence, arousal]`, both row-major.
#[derive(Debug, Clone, Default)]
pub struct SongSet {
    /// `count × T × N` z-scored inputs.
    pub inputs: Vec<f32>,
    /// `count × 2` labels in [0, 1].
    pub targets: Vec<f32>,
    /// Number of songs.
    pub count: usize,
}

/// One epoch of the learning curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training MSE over the epoch's batches.
    pub train_loss: f64,
    /// Validation RMSE, valence.
    pub val_rmse_valence: f64,
    /// Validation RMSE, arousal.
    pub val_rmse_arousal: f64,
}

impl EpochRecord {
    /// The early-stopping criterion: mean of the two RMSEs.
    pub fn val_rmse(&self) -> f64 {
        0.5 * (self.val_rmse_valence + self.val_rmse_arousal)
    }
}

/// Result of [`fit`].
#[derive(Debug)]
pub struct Fitted {
    /// The best epoch's network (inference mode).
    pub network: Network,
    /// Every epoch run.
    pub curve: Vec<EpochRecord>,
    /// Epoch whose weights [`network`](Self::network) holds (1-based).
    pub best_epoch: usize,
}

/// Why a fit could not run.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// Inputs inconsistent with the configuration.
    #[error("{0}")]
    Shape(String),
    /// The loss became NaN or infinite (diverged).
    #[error("training diverged at epoch {0} (loss is not finite)")]
    Diverged(usize),
}

/// Predictions `count × 2` of `network` (inference mode) for `set`, in
/// chunks of [`VALIDATION_CHUNK`] songs.
fn predict(trainer: &Trainer, set: &SongSet, per_song: usize) -> Result<Vec<f32>, FitError> {
    let mut out = Vec::with_capacity(set.count * 2);
    for chunk in set.inputs.chunks(VALIDATION_CHUNK * per_song) {
        let batch = chunk.len() / per_song;
        out.extend(trainer.predict(chunk, batch).map_err(|e| FitError::Shape(e.to_string()))?);
    }
    Ok(out)
}

/// Trains a fresh network of `config` on `train`, early-stopping on
/// `validation`. Calls `on_epoch` after every epoch with the record and the
/// best epoch so far.
pub fn fit(
    config: &FitConfig,
    device: Device,
    train: &SongSet,
    validation: &SongSet,
    mut on_epoch: impl FnMut(&EpochRecord, usize),
) -> Result<Fitted, FitError> {
    let per_song = config.t_steps * config.n_features;
    for (what, set) in [("training", train), ("validation", validation)] {
        if set.count == 0 || set.inputs.len() != set.count * per_song || set.targets.len() != set.count * 2 {
            return Err(FitError::Shape(format!(
                "{what} set: {} songs, {} input and {} target values for T = {}, N = {}",
                set.count,
                set.inputs.len(),
                set.targets.len(),
                config.t_steps,
                config.n_features
            )));
        }
    }
    let model = ModelConfig::new(config.architecture, config.t_steps, config.n_features);
    model.validate().map_err(|e| FitError::Shape(e.to_string()))?;
    let training = TrainingConfig::new(model, AdamConfig::new())
        .with_learning_rate(config.learning_rate)
        .with_batch_size(config.batch_size)
        .with_seed(config.seed);
    let mut trainer = Trainer::new(training, device);
    let mut order: Vec<usize> = (0..train.count).collect();
    let (mut x_buf, mut y_buf) = (Vec::new(), Vec::new());
    let mut curve = Vec::new();
    let mut best: Option<(f64, usize, Network)> = None;
    for epoch in 1..=config.max_epochs {
        order.sort_unstable();
        let mut rng = SplitMix64::for_item(config.seed, BATCH_STREAM, epoch as u64);
        for i in (1..order.len()).rev() {
            let j = rng.below_exact(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        let (mut loss_sum, mut batches) = (0.0f64, 0usize);
        for batch in order.chunks(config.batch_size.max(1)) {
            x_buf.clear();
            y_buf.clear();
            for &s in batch {
                x_buf.extend_from_slice(&train.inputs[s * per_song..(s + 1) * per_song]);
                y_buf.extend_from_slice(&train.targets[s * 2..s * 2 + 2]);
            }
            let (x, y) =
                trainer.batch_tensors(&x_buf, &y_buf, batch.len()).map_err(|e| FitError::Shape(e.to_string()))?;
            let loss = trainer.step(x, y);
            if !loss.is_finite() {
                return Err(FitError::Diverged(epoch));
            }
            loss_sum += f64::from(loss);
            batches += 1;
        }
        let pred = predict(&trainer, validation, per_song)?;
        let m = metrics(&pred, &validation.targets);
        let record = EpochRecord {
            epoch,
            train_loss: loss_sum / batches.max(1) as f64,
            val_rmse_valence: m.valence.rmse,
            val_rmse_arousal: m.arousal.rmse,
        };
        curve.push(record);
        if best.as_ref().is_none_or(|(rmse, _, _)| record.val_rmse() < *rmse) {
            best = Some((record.val_rmse(), epoch, trainer.inference_network()));
        }
        let best_epoch = best.as_ref().map_or(epoch, |b| b.1);
        on_epoch(&record, best_epoch);
        if epoch - best_epoch >= config.patience {
            break;
        }
    }
    let (_, best_epoch, network) = match best {
        Some(b) => b,
        None => (f64::NAN, 0, trainer.inference_network()),
    };
    Ok(Fitted { network, curve, best_epoch })
}
