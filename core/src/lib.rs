//! moodtap's analysis core, shared by the plugin and the `moodtap` CLI.
//!
//! Layout (see `ARCHITECTURE.md`):
//! - [`audio`]: decoding (symphonia), downmix to mono, resampling to the
//!   analysis rate of 22 050 Hz (rubato).
//! - [`dsp`]: the shared framing / windowing / FFT front end every extractor
//!   reads from.
//! - [`features`]: eGeMAPS v02 (openSMILE parity) and the MIR descriptors.
//! - [`steps`]: per-step feature vectors (88 eGeMAPS functionals + 11 MIR
//!   descriptors over a window) from one front end.
//! - `selection` (feature `selection`): filter + ε-SVR wrapper selection.
//! - [`fusion`]: raw steps → the model's `T × N` input (column choice,
//!   z-scores), one code path for training and inference.
//! - [`model`]: the CBSA network, its file format and inference.
//! - [`analyzer`]: audio in, continuous (valence, arousal, coverage) out —
//!   what the plugin and `moodtap analyze` run; [`estimate_smoothing`]: the
//!   one-pole smoothing both apply to that stream.
//! - [`stats`] (Pearson r, RMSE), [`defaults`] (the paper's training
//!   settings), [`rng`] (SplitMix64).
//!
//! Cargo features: `decode`, `train`, `selection`, `opus` (see Cargo.toml);
//! without them core is what the plugin needs, inference only.
//!
//! Nothing here depends on a plugin framework. Extractors follow one pattern:
//! `new(config)` allocates everything, per-frame processing never allocates.

pub mod analyzer;
pub mod audio;
pub mod defaults;
pub mod dsp;
pub mod estimate_smoothing;
pub mod features;
pub mod fusion;
pub mod model;
pub mod rng;
#[cfg(feature = "selection")]
pub mod selection;
pub mod stats;
pub mod steps;

/// Analysis sample rate in Hz (docs/design.md §2).
pub const ANALYSIS_RATE_HZ: u32 = 22_050;
