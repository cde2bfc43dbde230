//! Training primitives the `moodtap train` command builds its loop from.
//!
//! Paper §4.2: MSE loss, Adam with lr 1e-3, batch 4, seed 66. The loop itself (shuffling,
//! epochs, early stopping on validation RMSE, learning curves) belongs to the trainer; this
//! module offers one optimisation [`Trainer::step`] on a batch, batched prediction without
//! autodiff, and the paper's metrics (eq. 25–26).
//!
//! Backend: [`default_training_device`] is `Device::flex().autodiff()`. There the CNN blocks
//! and the BiLSTM recurrence run as single operations with hand-written backward passes
//! ([`super::conv_block_op`], [`super::lstm_op`]). Measured with `scripts/bench_model.sh`
//! (criterion, one thread, BENCHMARKS.md): one CBSA step at batch 4 takes 1.5 / 3.0 / 4.4 ms
//! on flex against 4.4 / 8.7 / 12.9 ms on ndarray and 3.6 / 7.4 / 14.8 ms in PyTorch 2.15 for
//! T = 99 / 199 / 299. ndarray (deprecated in burn 0.22, behind moodtap-core's `burn-ndarray`
//! feature) stays selectable by passing its device; GPU devices use the composed operations.

use burn::config::Config;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};

use super::config::ModelConfig;
use super::file::{DimensionMetrics, Metrics};
use super::network::Network;

/// Hyper-parameters of a run; saved next to the model for provenance.
#[derive(Config, Debug)]
pub struct TrainingConfig {
    /// Network to train.
    pub model: ModelConfig,
    /// Adam settings (burn defaults: β₁ 0.9, β₂ 0.999, ε 1e-5).
    pub optimizer: AdamConfig,
    /// Learning rate (paper: [`crate::defaults::LEARNING_RATE`]).
    #[config(default = "crate::defaults::LEARNING_RATE")]
    pub learning_rate: f64,
    /// Songs per batch (paper: [`crate::defaults::BATCH_SIZE`]).
    #[config(default = "crate::defaults::BATCH_SIZE")]
    pub batch_size: usize,
    /// Seed for weight initialisation and shuffling (paper: [`crate::defaults::SEED`]).
    #[config(default = "crate::defaults::SEED")]
    pub seed: u64,
}

/// Errors of batch construction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrainingError {
    /// Inputs or targets do not hold `batch × T × N` / `batch × 2` values.
    #[error("batch of {batch}: got {inputs} input and {targets} target values, expected {expected_inputs} and {expected_targets}")]
    BatchShape {
        /// Batch size.
        batch: usize,
        /// Input values given.
        inputs: usize,
        /// Target values given.
        targets: usize,
        /// `batch × T × N`.
        expected_inputs: usize,
        /// `batch × 2`.
        expected_targets: usize,
    },
}

/// The device training runs on by default: flex with autodiff (≈ 2.9× faster than ndarray
/// per step here, see the module docs).
pub fn default_training_device() -> Device {
    Device::flex().autodiff()
}

/// A network being trained plus its Adam state.
pub struct Trainer {
    config: TrainingConfig,
    network: Network,
    optimizer: ModuleOptimizer,
    device: Device,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer").field("config", &self.config).field("device", &self.device).finish_non_exhaustive()
    }
}

impl Trainer {
    /// Seeds `device` with `config.seed` and builds fresh weights on its autodiff variant.
    pub fn new(config: TrainingConfig, device: Device) -> Self {
        let device = device.autodiff();
        device.seed(config.seed);
        let network = config.model.init(&device);
        let optimizer = config.optimizer.init();
        Self { config, network, optimizer, device }
    }

    /// The run's hyper-parameters.
    pub fn config(&self) -> &TrainingConfig {
        &self.config
    }

    /// The autodiff device the network lives on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Builds `[batch, 1, T, N]` inputs and `[batch, 2]` targets from row-major slices.
    pub fn batch_tensors(
        &self,
        inputs: &[f32],
        targets: &[f32],
        batch: usize,
    ) -> Result<(Tensor<4>, Tensor<2>), TrainingError> {
        let (t, n) = (self.config.model.t_steps, self.config.model.n_features);
        if inputs.len() != batch * t * n || targets.len() != batch * 2 || batch == 0 {
            return Err(TrainingError::BatchShape {
                batch,
                inputs: inputs.len(),
                targets: targets.len(),
                expected_inputs: batch * t * n,
                expected_targets: batch * 2,
            });
        }
        let x = Tensor::from_data(TensorData::new(inputs.to_vec(), [batch, 1, t, n]), &self.device);
        let y = Tensor::from_data(TensorData::new(targets.to_vec(), [batch, 2]), &self.device);
        Ok((x, y))
    }

    /// One Adam step on MSE over a batch: `x [batch, 1, T, N]`, `y [batch, 2]` (valence,
    /// arousal in [0, 1]), both on [`device`](Self::device). Returns the batch loss
    /// (before the update). BatchNorm uses batch statistics and updates its running ones.
    pub fn step(&mut self, x: Tensor<4>, y: Tensor<2>) -> f32 {
        let prediction = self.network.forward(x); // [batch, 2]
        let loss = (prediction - y).square().mean(); // [1]
        let loss_value = loss.clone().into_scalar::<f32>();
        let grads = GradientsParams::from_grads(loss.backward(), &self.network);
        self.network = self.optimizer.step(self.config.learning_rate, self.network.clone(), grads);
        loss_value
    }

    /// Runs [`step`](Self::step) over `batches` (one epoch in the caller's order) and returns
    /// the mean batch loss.
    pub fn epoch(&mut self, batches: impl IntoIterator<Item = (Tensor<4>, Tensor<2>)>) -> f32 {
        let (mut sum, mut count) = (0.0f64, 0usize);
        for (x, y) in batches {
            sum += f64::from(self.step(x, y));
            count += 1;
        }
        if count == 0 {
            0.0
        } else {
            (sum / count as f64) as f32
        }
    }

    /// The network without autodiff, BatchNorm in inference mode: for validation,
    /// [`super::LoadedModel::from_network`] and [`super::ModelFile::to_bytes`].
    pub fn inference_network(&self) -> Network {
        self.network.valid()
    }

    /// Predictions `[batch × 2]` for `inputs` (`batch × T × N`) with the inference network.
    pub fn predict(&self, inputs: &[f32], batch: usize) -> Result<Vec<f32>, TrainingError> {
        let (x, _) = self.batch_tensors(inputs, &vec![0.0; batch * 2], batch)?;
        let network = self.inference_network();
        let x = x.inner();
        Ok(network.forward(x).try_into_vec_as::<f32>().unwrap_or_default())
    }
}

/// RMSE and R² (paper eq. 25–26) for one dimension. R² is undefined (NaN)
/// when the targets have no variance — a single held-out song, or all labels
/// equal — because it divides by that variance; RMSE is 0 for no songs.
pub fn dimension_metrics(predicted: &[f32], target: &[f32]) -> DimensionMetrics {
    let n = predicted.len().min(target.len());
    if n == 0 {
        return DimensionMetrics { rmse: 0.0, r2: f64::NAN };
    }
    let mean = target[..n].iter().map(|v| f64::from(*v)).sum::<f64>() / n as f64;
    let (mut ss_res, mut ss_tot) = (0.0f64, 0.0f64);
    for (p, t) in predicted[..n].iter().zip(&target[..n]) {
        ss_res += (f64::from(*p) - f64::from(*t)).powi(2);
        ss_tot += (f64::from(*t) - mean).powi(2);
    }
    DimensionMetrics {
        rmse: (ss_res / n as f64).sqrt(),
        r2: if ss_tot > 0.0 { 1.0 - ss_res / ss_tot } else { f64::NAN },
    }
}

/// Metrics for interleaved `[valence, arousal]` pairs (the network's output layout).
pub fn metrics(predicted: &[f32], target: &[f32]) -> Metrics {
    let split = |v: &[f32], k: usize| v.iter().skip(k).step_by(2).copied().collect::<Vec<_>>();
    Metrics {
        valence: dimension_metrics(&split(predicted, 0), &split(target, 0)),
        arousal: dimension_metrics(&split(predicted, 1), &split(target, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Architecture;

    /// A few steps on a fixed batch must reduce the loss (the gradient reaches every part).
    #[test]
    fn steps_reduce_loss_on_a_fixed_batch() {
        for arch in [Architecture::Cbsa, Architecture::Bilstm] {
            let config =
                TrainingConfig::new(ModelConfig::new(arch, 16, 12), AdamConfig::new()).with_learning_rate(1e-2);
            let mut trainer = Trainer::new(config, Device::flex());
            let inputs: Vec<f32> = (0..4 * 16 * 12).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
            let targets = [0.1, 0.9, 0.8, 0.2, 0.5, 0.5, 0.3, 0.7];
            let (x, y) = trainer.batch_tensors(&inputs, &targets, 4).unwrap();
            let first = trainer.step(x.clone(), y.clone());
            let mut last = first;
            for _ in 0..30 {
                last = trainer.step(x.clone(), y.clone());
            }
            assert!(last < 0.5 * first, "{arch}: loss {first} → {last}");
            let pred = trainer.predict(&inputs, 4).unwrap();
            assert_eq!(pred.len(), 8);
        }
    }

    #[test]
    fn batch_shape_is_checked() {
        let config = TrainingConfig::new(ModelConfig::cbsa(16, 12), AdamConfig::new());
        let trainer = Trainer::new(config, Device::flex());
        assert!(trainer.batch_tensors(&[0.0; 10], &[0.0; 2], 1).is_err());
    }

    #[test]
    fn metrics_match_definitions() {
        let m = dimension_metrics(&[0.0, 1.0], &[0.0, 1.0]);
        assert_eq!((m.rmse, m.r2), (0.0, 1.0));
        let m = dimension_metrics(&[0.5, 0.5], &[0.0, 1.0]);
        assert!((m.rmse - 0.5).abs() < 1e-12 && m.r2.abs() < 1e-12);
        let both = metrics(&[0.0, 0.5, 1.0, 0.5], &[0.0, 0.0, 1.0, 1.0]);
        assert_eq!(both.valence.rmse, 0.0);
        assert!((both.arousal.rmse - 0.5).abs() < 1e-12);
        // One song, or constant labels: R² divides by zero, so it is undefined.
        let one = dimension_metrics(&[0.3], &[0.5]);
        assert!((one.rmse - 0.2).abs() < 1e-7 && one.r2.is_nan());
        assert!(dimension_metrics(&[0.1, 0.9], &[0.5, 0.5]).r2.is_nan());
    }
}
