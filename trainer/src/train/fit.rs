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
/// Stream constant for the per-epoch window draws ([`FitConfig::windows_per_song`]).
const WINDOW_STREAM: u64 = 0x57_494E_444F; // "WINDO"

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
    /// Per-time training: inputs drawn per song and epoch (`None`: every input every
    /// epoch). Windows of one song overlap almost completely, so an epoch of all of
    /// them mostly repeats itself; drawing a few per song gives early stopping a look
    /// after every pass over the songs instead of after dozens.
    pub windows_per_song: Option<usize>,
}

/// Model inputs as the network sees them: fused (z-scored) step rows of the
/// set's songs, and windows into them. Input `i` is the last `T` rows of
/// window `i`, with zero rows in front when the window has fewer (as while
/// the analyzer's context fills), and its target pair `[valence, arousal]`.
///
/// With static labels every song gives one window, its last `T` steps; with
/// dynamic labels a song gives one window per rated time point
/// ([`super::windows`]). Rows are stored once per song, so thousands of
/// overlapping windows cost no more memory than the songs themselves.
#[derive(Debug, Clone, Default)]
pub struct SongSet {
    /// Fused rows of every song, song after song, `N` values each.
    rows: Vec<f32>,
    /// Per input: the rows `start..end` it may show (the last `T` of them).
    windows: Vec<(usize, usize)>,
    /// `len() × 2` labels in [0, 1].
    targets: Vec<f32>,
    /// Steps per input `T`.
    t: usize,
    /// Inputs per step `N`.
    n: usize,
}

impl SongSet {
    /// An empty set of `t × n` inputs.
    pub fn new(t: usize, n: usize) -> Self {
        Self { t, n, ..Self::default() }
    }

    /// Appends a song's fused rows (`N` values each); returns the index of its
    /// first row, for [`push_window`](Self::push_window).
    pub fn push_rows(&mut self, rows: &[f32]) -> usize {
        debug_assert_eq!(rows.len() % self.n.max(1), 0);
        let first = self.rows.len() / self.n.max(1);
        self.rows.extend_from_slice(rows);
        first
    }

    /// Rows stored so far.
    pub fn n_rows(&self) -> usize {
        self.rows.len() / self.n.max(1)
    }

    /// Adds an input showing rows `start..end` (the last `T` of them) with `target`.
    pub fn push_window(&mut self, start: usize, end: usize, target: [f32; 2]) {
        debug_assert!(start < end && end <= self.n_rows());
        self.windows.push((start, end));
        self.targets.extend(target);
    }

    /// Number of inputs.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// True without inputs.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// `len() × 2` targets.
    pub fn targets(&self) -> &[f32] {
        &self.targets
    }

    /// `(T, N)` of the inputs.
    pub fn shape(&self) -> (usize, usize) {
        (self.t, self.n)
    }

    /// Inputs grouped by song (songs in the order they were added, inputs in order).
    pub fn by_song(&self) -> Vec<Vec<usize>> {
        let mut out: Vec<Vec<usize>> = Vec::new();
        let mut last = None;
        for (i, &(start, _)) in self.windows.iter().enumerate() {
            // A song's windows all start at its first row.
            if last != Some(start) {
                out.push(Vec::new());
                last = Some(start);
            }
            if let Some(g) = out.last_mut() {
                g.push(i);
            }
        }
        out
    }

    /// Appends input `i` (`T × N` values, row-major) to `out`.
    pub fn write_input(&self, i: usize, out: &mut Vec<f32>) {
        let (start, end) = self.windows[i];
        let have = (end - start).min(self.t);
        out.extend(std::iter::repeat_n(0.0, (self.t - have) * self.n));
        out.extend_from_slice(&self.rows[(end - have) * self.n..end * self.n]);
    }
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

/// Predictions `len() × 2` of `network` (inference mode) for `set`, in
/// chunks of [`VALIDATION_CHUNK`] inputs.
fn predict(trainer: &Trainer, set: &SongSet) -> Result<Vec<f32>, FitError> {
    let mut out = Vec::with_capacity(set.len() * 2);
    let mut chunk = Vec::new();
    for first in (0..set.len()).step_by(VALIDATION_CHUNK) {
        let last = (first + VALIDATION_CHUNK).min(set.len());
        chunk.clear();
        (first..last).for_each(|i| set.write_input(i, &mut chunk));
        out.extend(trainer.predict(&chunk, last - first).map_err(|e| FitError::Shape(e.to_string()))?);
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
    for (what, set) in [("training", train), ("validation", validation)] {
        if set.is_empty() || set.shape() != (config.t_steps, config.n_features) {
            return Err(FitError::Shape(format!(
                "{what} set: {} inputs of {:?} (T, N) for T = {}, N = {}",
                set.len(),
                set.shape(),
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
    let songs = train.by_song();
    let mut order: Vec<usize> = Vec::with_capacity(train.len());
    let (mut x_buf, mut y_buf) = (Vec::new(), Vec::new());
    let mut curve = Vec::new();
    let mut best: Option<(f64, usize, Network)> = None;
    for epoch in 1..=config.max_epochs {
        order.clear();
        match config.windows_per_song {
            None => order.extend(0..train.len()),
            Some(k) => {
                let mut draw = SplitMix64::for_item(config.seed, WINDOW_STREAM, epoch as u64);
                for song in &songs {
                    let mut pool = song.clone();
                    // A partial Fisher–Yates shuffle: the first k are a uniform draw.
                    for j in 0..k.min(pool.len()) {
                        let pick = j + draw.below_exact((pool.len() - j) as u64) as usize;
                        pool.swap(j, pick);
                    }
                    pool.truncate(k);
                    order.extend(pool);
                }
                order.sort_unstable();
            }
        }
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
                train.write_input(s, &mut x_buf);
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
        let pred = predict(&trainer, validation)?;
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
