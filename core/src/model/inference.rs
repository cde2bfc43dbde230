//! Inference API shared by the plugin and the CLI.
//!
//! [`LoadedModel`] owns a validated model file: its metadata (feature order, normalisation,
//! time base), the burn [`Network`] and the allocation-free [`FastNetwork`] built from it.
//! [`LoadedModel::predict`] uses the fast path; [`LoadedModel::predict_burn`] runs burn and
//! exists for cross-checks and benchmarks. [`LoadedModel::predict_now`] runs a second fast
//! path of the same weights on the last `K` steps only ([`super::now`]).
//!
//! An ensemble file ([`super::file`], format version 2) loads as one [`LoadedModel`] whose
//! estimates are its members' weighted per dimension; callers see no difference. The input
//! is z-scored with the first member's statistics ([`LoadedModel::metadata`]); a member
//! trained with other statistics gets it re-standardised per feature,
//! `z_k = z · σ₀/σ_k + (μ₀ − μ_k)/σ_k`, which equals z-scoring the raw value with its own
//! statistics up to f32 rounding. A row of zeros is every feature at its mean, which is how
//! steps not heard yet are given (the context of a stream that started less than `T` steps
//! ago, [`crate::fusion::FusionRing`]); it stays zeros for every member, so each sees those
//! steps at its own mean as it would alone. The two differ only where the first member's z
//! was clamped to ±[`crate::fusion::MAX_ABS_Z`], or a single raw value was not finite and
//! counted as the first member's mean.

use std::path::Path;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use super::config::ModelConfig;
use super::fast::FastNetwork;
use super::file::{MemberWeights, ModelFile, ModelFileError, ModelMetadata};
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
    device: Device,
    /// One per network; a single model has one member of weight 1.
    members: Vec<Member>,
    /// Sanitised copy of the input (`T × N`; `K × N` for `predict_now`), so prediction
    /// never allocates.
    input: Vec<f32>,
    /// Inputs re-standardised for members trained with other statistics (module docs), one per
    /// distinct set of statistics, so members that share theirs share the work.
    restandardised: Vec<Restandardised>,
}

/// One re-standardisation of the input (module docs) and its result.
#[derive(Debug)]
struct Restandardised {
    /// Per feature, from the first member's z to this set's.
    scale: Vec<f32>,
    offset: Vec<f32>,
    /// The last re-standardised input (`T × N`; the first `K × N` after `predict_now`).
    input: Vec<f32>,
    /// Whether a member that counts in the long / the now reading reads it (else it is not
    /// computed for that reading).
    used: [bool; 2],
}

/// One network of a [`LoadedModel`].
#[derive(Debug)]
struct Member {
    network: Network,
    fast: FastNetwork,
    /// The same weights on `K` = [`now_t_steps`] steps ([`super::now`]).
    now: FastNetwork,
    /// Weights in the long reading.
    weights: MemberWeights,
    /// Weights in the now reading.
    now_weights: MemberWeights,
    /// Index of this member's input in [`LoadedModel::restandardised`]; `None` when its
    /// statistics are the first member's.
    input: Option<usize>,
}

impl Member {
    /// The member of `network` with `metadata`; if its statistics differ from `first`'s, its
    /// re-standardisation is found in (or added to) `restandardised`.
    fn new(
        metadata: &ModelMetadata,
        first: &ModelMetadata,
        network: Network,
        [weights, now_weights]: [MemberWeights; 2],
        restandardised: &mut Vec<Restandardised>,
    ) -> Result<Self, ModelFileError> {
        // `valid` drops autodiff, puts BatchNorm in inference mode and folds pending
        // running-statistics updates (burn keeps them per thread until synced).
        let network = network.valid();
        let fast = FastNetwork::new(&metadata.model, &network)?;
        let now_config =
            ModelConfig { t_steps: now_t_steps(metadata.t_steps, metadata.hop_s), ..metadata.model.clone() };
        let now = FastNetwork::new(&now_config, &network)?;
        let same = metadata.norm_mean == first.norm_mean && metadata.norm_std == first.norm_std;
        let input = (!same).then(|| {
            let pairs =
                first.norm_mean.iter().zip(&first.norm_std).zip(metadata.norm_mean.iter().zip(&metadata.norm_std));
            let (scale, offset): (Vec<f32>, Vec<f32>) = pairs
                .map(|((m0, s0), (mk, sk))| {
                    let (m0, s0, mk, sk) = (f64::from(*m0), f64::from(*s0), f64::from(*mk), f64::from(*sk));
                    ((s0 / sk) as f32, ((m0 - mk) / sk) as f32)
                })
                .unzip();
            restandardised.iter().position(|r| r.scale == scale && r.offset == offset).unwrap_or_else(|| {
                restandardised.push(Restandardised {
                    scale,
                    offset,
                    input: vec![0.0; fast.input_len()],
                    used: [false; 2],
                });
                restandardised.len() - 1
            })
        });
        Ok(Self { network, fast, now, weights, now_weights, input })
    }

    /// This member's estimate: of `input` (sanitised, `T × N` or, with `now`, `K × N`), or of
    /// its re-standardised copy in `restandardised`.
    fn forward(&mut self, input: &[f32], restandardised: &[Restandardised], now: bool) -> ValenceArousal {
        let input = match self.input {
            None => input,
            Some(k) => &restandardised[k].input[..input.len()],
        };
        let [valence, arousal] = if now { self.now.forward(input) } else { self.fast.forward(input) };
        finite_estimate(valence, arousal)
    }
}

/// `dst = bounded_z(src · scale + offset)` per feature over rows of `scale.len()` features;
/// a row of zeros stays zeros (module docs: a step not heard yet).
fn restandardise(src: &[f32], scale: &[f32], offset: &[f32], dst: &mut [f32]) {
    for (src_row, dst_row) in src.chunks_exact(scale.len()).zip(dst.chunks_exact_mut(scale.len())) {
        if src_row.iter().all(|v| *v == 0.0) {
            dst_row.fill(0.0);
            continue;
        }
        for (((d, s), a), b) in dst_row.iter_mut().zip(src_row).zip(scale).zip(offset) {
            *d = bounded_z(s * a + b);
        }
    }
}

/// The members' estimates weighted per dimension (each dimension's weights sum to 1).
fn weighted(estimates: impl Iterator<Item = (ValenceArousal, MemberWeights)>) -> ValenceArousal {
    let (mut valence, mut arousal) = (0.0f32, 0.0f32);
    for (e, w) in estimates {
        valence += w.valence * e.valence;
        arousal += w.arousal * e.arousal;
    }
    finite_estimate(valence, arousal)
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

    /// Builds the network(s) of a parsed file on `device` and the fast paths from them.
    pub fn from_file(file: ModelFile, device: Device) -> Result<Self, ModelFileError> {
        let first = &file.members()[0].metadata;
        let mut restandardised = Vec::new();
        let members = file
            .members()
            .iter()
            .map(|m| {
                Member::new(&m.metadata, first, m.network(&device)?, [m.weights, m.now_weights], &mut restandardised)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_members(file.metadata, members, restandardised, device)
    }

    /// Wraps an in-memory network (e.g. right after training) with its metadata.
    pub fn from_network(metadata: ModelMetadata, network: Network, device: Device) -> Result<Self, ModelFileError> {
        metadata.validate()?;
        let member = Member::new(&metadata, &metadata, network, [MemberWeights::ONE; 2], &mut Vec::new())?;
        Self::from_members(metadata, vec![member], Vec::new(), device)
    }

    fn from_members(
        metadata: ModelMetadata,
        members: Vec<Member>,
        mut restandardised: Vec<Restandardised>,
        device: Device,
    ) -> Result<Self, ModelFileError> {
        let input = vec![0.0; members[0].fast.input_len()];
        for m in &members {
            if let Some(k) = m.input {
                restandardised[k].used[0] |= !m.weights.is_zero();
                restandardised[k].used[1] |= !m.now_weights.is_zero();
            }
        }
        Ok(Self { metadata, device, members, input, restandardised })
    }

    /// The members' weighted estimate of the first `len` values of the sanitised input
    /// (`T × N`, or `K × N` with `now`), each input re-standardised once. Members that do not
    /// count in this reading are not run.
    fn weighted_forward(&mut self, len: usize, now: bool) -> ValenceArousal {
        let input = &self.input[..len];
        for r in self.restandardised.iter_mut().filter(|r| r.used[usize::from(now)]) {
            restandardise(input, &r.scale, &r.offset, &mut r.input[..len]);
        }
        let restandardised = &self.restandardised;
        weighted(self.members.iter_mut().filter_map(|m| {
            let w = if now { m.now_weights } else { m.weights };
            (!w.is_zero()).then(|| (m.forward(input, restandardised, now), w))
        }))
    }

    /// Metadata: feature names and order, normalisation, `T`, time base, provenance. An
    /// ensemble's is its first member's with the ensemble's provenance.
    pub fn metadata(&self) -> &ModelMetadata {
        &self.metadata
    }

    /// Distinct re-standardisations run per prediction (members sharing statistics share one).
    #[cfg(test)]
    pub(crate) fn restandardised_inputs(&self) -> usize {
        self.restandardised.len()
    }

    /// Number of networks: 1, or an ensemble's members.
    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// The burn network (inference mode on [`device`](Self::device)); an ensemble's first
    /// member ([`member_count`](Self::member_count) tells whether there are more).
    pub fn network(&self) -> &Network {
        &self.members[0].network
    }

    /// Device of the burn network.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Number of input values `T × N`.
    pub fn input_len(&self) -> usize {
        self.input.len()
    }

    /// Estimates valence and arousal from `T × N` z-scored steps (row-major, oldest step
    /// first; [`crate::fusion`] builds them). Fast path, no allocation. Non-finite inputs
    /// count as the mean (0) and values are clamped to ±[`crate::fusion::MAX_ABS_Z`] (as
    /// fusion does), so the result is always finite and in `[0, 1]`.
    pub fn predict(&mut self, steps: &[f32]) -> Result<ValenceArousal, InferenceError> {
        self.check_len(steps)?;
        sanitize(steps, &mut self.input);
        Ok(self.weighted_forward(steps.len(), false))
    }

    /// Steps `K` of the "now" reading ([`now_t_steps`]).
    pub fn now_t_steps(&self) -> usize {
        self.members[0].now.config().t_steps
    }

    /// Number of input values of [`predict_now`](Self::predict_now), `K × N`.
    pub fn now_input_len(&self) -> usize {
        self.members[0].now.input_len()
    }

    /// The raw "now" estimate: the same network on only the last `K` steps (`K × N`, oldest
    /// first; [`crate::fusion::FusionRing::write_recent`]), before the reading's smoothing
    /// ([`super::now`]). Same sanitising as [`predict`](Self::predict); no allocation.
    pub fn predict_now(&mut self, steps: &[f32]) -> Result<ValenceArousal, InferenceError> {
        let expected = self.now_input_len();
        if steps.len() != expected {
            return Err(InferenceError::InputLength { got: steps.len(), expected });
        }
        sanitize(steps, &mut self.input[..expected]);
        Ok(self.weighted_forward(expected, true))
    }

    /// [`predict`](Self::predict) through burn (allocates; for checks and benchmarks).
    pub fn predict_burn(&mut self, steps: &[f32]) -> Result<ValenceArousal, InferenceError> {
        self.check_len(steps)?;
        sanitize(steps, &mut self.input);
        let (t, n) = (self.metadata.model.t_steps, self.metadata.model.n_features);
        let mut estimates = Vec::with_capacity(self.members.len());
        for member in self.members.iter().filter(|m| !m.weights.is_zero()) {
            let mut input = self.input.clone();
            if let Some(k) = member.input {
                let r = &self.restandardised[k];
                restandardise(&self.input, &r.scale, &r.offset, &mut input);
            }
            let x = Tensor::<4>::from_data(TensorData::new(input, [1, 1, t, n]), &self.device);
            let out = member.network.forward(x).try_into_vec_as::<f32>().unwrap_or_default();
            let estimate = match out.as_slice() {
                [v, a] => finite_estimate(*v, *a),
                _ => finite_estimate(f32::NAN, f32::NAN),
            };
            estimates.push((estimate, member.weights));
        }
        Ok(weighted(estimates.into_iter()))
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
