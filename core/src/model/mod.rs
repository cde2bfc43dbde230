//! The CBSA valence/arousal model (Cao & Liu 2025; docs/design.md §4–5).
//!
//! - [`config`]: [`Architecture`] (the four ablations) and [`ModelConfig`] (sizes).
//! - [`network`]: the burn [`Network`] with shape comments; [`bilstm`] its fused BiLSTM;
//!   with cargo feature `train`, `conv_block_op` its CNN block as one training operation
//!   (`conv_block_kernel`), `lstm_op` the BiLSTM recurrence as one operation (`lstm_kernel`).
//! - [`file`]: the validated model file ([`ModelFile`], [`ModelMetadata`]).
//! - `kernels` (private): the CPU arithmetic the fast path and the training operations share.
//! - [`fast`]: the allocation-free forward pass the plugin uses; `fast_conv` (private) its CNN
//!   blocks by pooled row, `sliding` (private) what successive windows of a stream share.
//! - [`inference`]: [`LoadedModel`], the API for plugin and CLI.
//! - [`now`]: the short-context "now" reading of the same network.
//! - [`default`]: the embedded default model (`models/default.moodtap`).
//! - `training` (feature `train`): one Adam step / epoch on a batch for the trainer.

pub mod bilstm;
pub mod config;
#[cfg(feature = "train")]
mod conv_block_kernel;
#[cfg(feature = "train")]
mod conv_block_op;
#[cfg(feature = "train")]
mod cpu_op;
pub mod default;
pub mod fast;
mod fast_conv;
pub mod file;
pub mod inference;
mod kernels;
#[cfg(feature = "train")]
mod lstm_kernel;
#[cfg(feature = "train")]
mod lstm_op;
pub mod network;
pub mod now;
mod sliding;
#[cfg(feature = "train")]
pub mod training;

pub use config::{Architecture, ModelConfig};
pub use default::{default_model, default_model_metadata, DEFAULT_MODEL_BYTES};
pub use fast::FastNetwork;
pub use file::{ModelFile, ModelFileError, ModelMetadata, TrainingProvenance, TrainingRun};
pub use inference::{InferenceError, LoadedModel, ValenceArousal};
pub use network::Network;
#[cfg(feature = "train")]
pub use training::{Trainer, TrainingConfig};

#[cfg(test)]
mod ensemble_tests;
#[cfg(test)]
mod file_tests;
