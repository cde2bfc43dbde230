//! Inference API shared by the plugin and the CLI.
//!
//! [`LoadedModel`] owns a validated model file: its metadata (feature order, normalisation,
//! time base), the burn [`Network`] and the allocation-free [`FastNetwork`] built from it.
//! [`LoadedModel::predict`] uses the fast path; [`LoadedModel::predict_burn`] runs burn and
//! exists for cross-checks and benchmarks. [`LoadedModel::predict_now`] runs a second fast
//! path of the same weights on the last `K` steps only ([`super::now`]).

use std::path::Path;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use super::config::ModelConfig;
use super::fast::FastNetwork;
use super::file::{ModelFile, ModelFileError, ModelMetadata};
use super::network::Network;
use super::now::now_t_steps;

use crate::fusion::bounded_z;

/// One prediction of the network: both values in `[0, 1]` (DEAM/EmoMusic labels rescaled from 1–9).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValenceArousal {
    /// Valence (negative → positive).
    pub valence: f32,
    /// Arousal (calm → excited).
    pub arousal: f32,
}

/// Errors of a single inference call (the model itself is valid by construction).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InferenceError {
    /// The input is not `T × N` values.
    #[error("input has {got} values, the model expects T × N = {expected}")]
    InputLength {
        /// Values given.
        got: usize,
        /// `t_steps × n_features`.
        expected: usize,
    },
}

/// A model ready to run; see the module docs.
#[derive(Debug)]
pub struct LoadedModel {
    metadata: ModelMetadata,
    network: Network,
    device: Device,
    fast: FastNetwork,
    /// The same weights on `K` = [`now_t_steps`] steps ([`super::now`]).
    now: FastNetwork,
    /// Sanitised copy of the input (`T × N`; `K × N` for `predict_now`), so prediction
    /// never allocates.
    input: Vec<f32>,
}

impl LoadedModel {
    /// Loads a model from memory (e.g. `include_bytes!`), burn network on [`Device::flex`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelFileError> {
        Self::from_file(ModelFile::from_bytes(bytes)?, Device::flex())
    }

    /// Loads a model file from disk, burn network on [`Device::flex`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, ModelFileError> {
        Self::from_file(ModelFile::from_path(path)?, Device::flex())
    }

    /// Builds the network of a parsed file on `device` and the fast path from it.
    pub fn from_file(file: ModelFile, device: Device) -> Result<Self, ModelFileError> {
        let network = file.network(&device)?;
        Self::from_network(file.metadata, network, device)
    }

    /// Wraps an in-memory network (e.g. right after training) with its metadata.
    pub fn from_network(metadata: ModelMetadata, network: Network, device: Device) -> Result<Self, ModelFileError> {
        metadata.validate()?;
        // `valid` drops autodiff, puts BatchNorm in inference mode and folds pending
        // running-statistics updates (burn keeps them per thread until synced).
        let network = network.valid();
        let fast = FastNetwork::new(&metadata.model, &network)?;
        let now_config =
            ModelConfig { t_steps: now_t_steps(metadata.t_steps, metadata.hop_s), ..metadata.model.clone() };
        let now = FastNetwork::new(&now_config, &network)?;
        let input = vec![0.0; fast.input_len()];
        Ok(Self { metadata, network, device, fast, now, input })
    }

    /// Metadata: feature names and order, normalisation, `T`, time base, provenance.
    pub fn metadata(&self) -> &ModelMetadata {
        &self.metadata
    }

    /// The burn network (inference mode on [`device`](Self::device)).
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Device of the burn network.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Number of input values `T × N`.
    pub fn input_len(&self) -> usize {
        self.fast.input_len()
    }

    /// Estimates valence and arousal from `T × N` z-scored steps (row-major, oldest step
    /// first; [`crate::fusion`] builds them). Fast path, no allocation. Non-finite inputs
    /// count as the mean (0) and values are clamped to ±[`crate::fusion::MAX_ABS_Z`] (as
    /// fusion does), so the result is always finite and in `[0, 1]`.
    pub fn predict(&mut self, steps: &[f32]) -> Result<ValenceArousal, InferenceError> {
        self.check_len(steps)?;
        sanitize(steps, &mut self.input);
        let [valence, arousal] = self.fast.forward(&self.input);
        Ok(finite_estimate(valence, arousal))
    }

    /// Steps `K` of the "now" reading ([`now_t_steps`]).
    pub fn now_t_steps(&self) -> usize {
        self.now.config().t_steps
    }

    /// Number of input values of [`predict_now`](Self::predict_now), `K × N`.
    pub fn now_input_len(&self) -> usize {
        self.now.input_len()
    }

    /// The raw "now" estimate: the same network on only the last `K` steps (`K × N`, oldest
    /// first; [`crate::fusion::FusionRing::write_recent`]), before the reading's smoothing
    /// ([`super::now`]). Same sanitising as [`predict`](Self::predict); no allocation.
    pub fn predict_now(&mut self, steps: &[f32]) -> Result<ValenceArousal, InferenceError> {
        let expected = self.now_input_len();
        if steps.len() != expected {
            return Err(InferenceError::InputLength { got: steps.len(), expected });
        }
        let input = &mut self.input[..expected];
        sanitize(steps, input);
        let [valence, arousal] = self.now.forward(input);
        Ok(finite_estimate(valence, arousal))
    }

    /// [`predict`](Self::predict) through burn (allocates; for checks and benchmarks).
    pub fn predict_burn(&mut self, steps: &[f32]) -> Result<ValenceArousal, InferenceError> {
        self.check_len(steps)?;
        sanitize(steps, &mut self.input);
        let (t, n) = (self.metadata.model.t_steps, self.metadata.model.n_features);
        let x = Tensor::<4>::from_data(TensorData::new(self.input.clone(), [1, 1, t, n]), &self.device);
        let out = self.network.forward(x).try_into_vec_as::<f32>().unwrap_or_default();
        match out.as_slice() {
            [v, a] => Ok(finite_estimate(*v, *a)),
            _ => Ok(finite_estimate(f32::NAN, f32::NAN)),
        }
    }

    fn check_len(&self, steps: &[f32]) -> Result<(), InferenceError> {
        if steps.len() == self.input_len() {
            Ok(())
        } else {
            Err(InferenceError::InputLength { got: steps.len(), expected: self.input_len() })
        }
    }
}

fn sanitize(src: &[f32], dst: &mut [f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = bounded_z(*s);
    }
}

/// Sigmoid outputs are in (0, 1) unless a weight overflowed; fall back to the midpoint.
fn finite_estimate(valence: f32, arousal: f32) -> ValenceArousal {
    let fix = |v: f32| {
        if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.5
        }
    };
    ValenceArousal { valence: fix(valence), arousal: fix(arousal) }
}
