//! The moodtap model file (docs/design.md §5): one self-describing, validated file.
//!
//! # Layout (all integers little-endian)
//!
//! | offset        | size | content                                                     |
//! |---------------|------|-------------------------------------------------------------|
//! | 0             | 8    | magic `b"MOODTAP\x1a"`                                       |
//! | 8             | 4    | format version `u32` (= [`FORMAT_VERSION`])                  |
//! | 12            | 4    | metadata length `M` (`u32`, ≤ [`MAX_METADATA_LEN`])          |
//! | 16            | M    | metadata: UTF-8 JSON of [`ModelMetadata`]                    |
//! | 16 + M        | 8    | record length `R` (`u64`, ≤ [`MAX_RECORD_LEN`])              |
//! | 24 + M        | R    | burn record: burnpack bytes of `Network::into_record()`      |
//! | 24 + M + R    | 4    | CRC-32 (IEEE) of every preceding byte                        |
//!
//! # Ensembles (format version 2)
//!
//! An ensemble is `K` (2 ≤ `K` ≤ [`MAX_MEMBERS`]) single-model files (version 1, each complete
//! with its own metadata, normalisation and checksum) and how much each one's estimate counts
//! per dimension ([`MemberWeights`]; each dimension's weights sum to 1). The members read the
//! same features on the same time base; each keeps the normalisation and architecture it was
//! trained with. Single models are still written as version 1, so older builds read them.
//!
//! | offset        | size | content                                                     |
//! |---------------|------|-------------------------------------------------------------|
//! | 0             | 8    | magic `b"MOODTAP\x1a"`                                       |
//! | 8             | 4    | format version `u32` (= [`ENSEMBLE_FORMAT_VERSION`])         |
//! | 12            | 4    | header length `H` (`u32`, ≤ [`MAX_METADATA_LEN`])            |
//! | 16            | H    | header: UTF-8 JSON of [`EnsembleHeader`]                     |
//! | 16 + H        | 4    | member count `K` (`u32`, equals the header's weights)        |
//! | then, `K` ×   | 8    | member length `L` (`u64`)                                    |
//! |               | L    | a complete version-1 model file                              |
//! | end − 4       | 4    | CRC-32 (IEEE) of every preceding byte                        |
//!
//! # Ensembles with a weighting per reading (format version 3)
//!
//! The same layout as version 2, with the header's `now_weights`: how much each member counts
//! in the "now" reading ([`super::now`]), which may differ from the long reading's `weights`
//! (e.g. the now reading from networks trained on short windows of changing music, the long
//! one from networks trained on whole pieces). A member whose weights in a reading are all
//! zero is not run for that reading. Version 3 is written only when the two weightings
//! differ, so version-2 readers still read every ensemble they can run.
//!
//! The ensemble's [`ModelFile::metadata`] is its first member's (feature order, the
//! normalisation its input is z-scored with, time base, architecture) with the header's
//! provenance.
//!
//! The file is untrusted input (a user picks it in the plugin). Loading never panics and
//! never allocates more than the buffer it was given plus the network the validated config
//! describes: every length is checked against the remaining bytes before anything is read,
//! the metadata is capped at 4 MiB, the config sizes are range-checked before the network is
//! built, and the burn record is applied with `try_load_record` inside `catch_unwind`.
//! The checksum catches accidental corruption (truncated download, bit rot); it is not a
//! signature, so everything behind it is validated as if it were hostile.

use std::collections::HashSet;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use super::config::{ConfigError, ModelConfig};
use super::network::Network;

/// First 8 bytes of every model file. `\x1a` (DOS EOF) stops text tools from printing on.
pub const MAGIC: [u8; 8] = *b"MOODTAP\x1a";
/// Format version of a single-model file (this build reads it and writes it for one model).
pub const FORMAT_VERSION: u32 = 1;
/// Format version of an ensemble of single-model files (module docs).
pub const ENSEMBLE_FORMAT_VERSION: u32 = 2;
/// Format version of an ensemble whose now reading weighs its members differently
/// ([`EnsembleHeader::now_weights`]; module docs).
pub const PER_READING_FORMAT_VERSION: u32 = 3;
/// Most members an ensemble may have (each one costs a forward pass per step).
pub const MAX_MEMBERS: usize = 8;
pub use crate::steps::FEATURE_SCHEMA_VERSION;
/// Upper bound on the JSON metadata (ordered names and two stats vectors for a few thousand
/// features fit in well under 1 MiB).
pub const MAX_METADATA_LEN: usize = 4 << 20;
/// Upper bound on the burn record; the paper's CBSA is ~45 kB, the largest config
/// [`ModelConfig::validate`] admits stays below this.
pub const MAX_RECORD_LEN: usize = 256 << 20;
/// Upper bound on a whole file read from disk (an ensemble's members together included).
pub const MAX_FILE_LEN: usize = 16 + MAX_METADATA_LEN + 8 + MAX_RECORD_LEN + 4;
/// Longest accepted context in seconds (one hour).
pub const MAX_CONTEXT_S: f64 = 3600.0;

const HEADER_LEN: usize = 16;

/// Why a model file was refused. Each variant names the field that did not fit.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// The file could not be read.
    #[error("cannot read model file: {0}")]
    Io(#[from] std::io::Error),
    /// The file is larger than [`MAX_FILE_LEN`].
    #[error("model file is {len} bytes, more than the {max} allowed")]
    FileTooLarge {
        /// Actual length.
        len: u64,
        /// Limit.
        max: usize,
    },
    /// The first 8 bytes are not [`MAGIC`].
    #[error("not a moodtap model file (bad magic bytes)")]
    BadMagic,
    /// The format version is not [`FORMAT_VERSION`].
    #[error("model format version {found} is not supported (this build reads versions 1 to {supported})")]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Newest version this build reads.
        supported: u32,
    },
    /// The buffer ends before a section it announces.
    #[error("model file truncated: {what} needs {needed} bytes, {available} left")]
    Truncated {
        /// Section being read.
        what: &'static str,
        /// Bytes the section needs.
        needed: u64,
        /// Bytes left in the buffer.
        available: usize,
    },
    /// The metadata length field exceeds [`MAX_METADATA_LEN`].
    #[error("metadata length {len} exceeds the {max}-byte limit")]
    MetadataTooLarge {
        /// Declared length.
        len: u64,
        /// Limit.
        max: usize,
    },
    /// The record length field exceeds [`MAX_RECORD_LEN`].
    #[error("record length {len} exceeds the {max}-byte limit")]
    RecordTooLarge {
        /// Declared length.
        len: u64,
        /// Limit.
        max: usize,
    },
    /// Bytes follow the checksum.
    #[error("{extra} unexpected bytes after the end of the model")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// The CRC-32 does not match the content.
    #[error("checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): file corrupted")]
    Checksum {
        /// CRC in the file.
        stored: u32,
        /// CRC of the content.
        computed: u32,
    },
    /// The metadata is not valid JSON for [`ModelMetadata`].
    #[error("metadata JSON invalid: {0}")]
    MetadataJson(String),
    /// The features were computed with other definitions.
    #[error("feature schema version {found} is not supported (this build computes {supported})")]
    FeatureSchema {
        /// Version in the file.
        found: u32,
        /// Version this build computes.
        supported: u32,
    },
    /// Architecture/sizes out of range.
    #[error("model config: {0}")]
    Config(#[from] ConfigError),
    /// `feature_names.len()` differs from the network's input width.
    #[error("{names} feature names but the network expects n_features = {n_features}")]
    FeatureCount {
        /// Number of names.
        names: usize,
        /// Network input width.
        n_features: usize,
    },
    /// A normalisation vector has the wrong length.
    #[error("normalisation {which} has {len} values, expected {expected} (one per feature)")]
    NormLength {
        /// `"mean"` or `"std"`.
        which: &'static str,
        /// Its length.
        len: usize,
        /// Number of features.
        expected: usize,
    },
    /// A normalisation value is NaN or infinite.
    #[error("normalisation {which}[{index}] ({feature}) is not finite")]
    NonFiniteNorm {
        /// `"mean"` or `"std"`.
        which: &'static str,
        /// Feature index.
        index: usize,
        /// Feature name.
        feature: String,
    },
    /// A standard deviation is zero or negative.
    #[error("normalisation std[{index}] ({feature}) = {value} must be > 0")]
    NonPositiveStd {
        /// Feature index.
        index: usize,
        /// Feature name.
        feature: String,
        /// The value.
        value: f32,
    },
    /// A feature name is empty or repeated.
    #[error("feature name {index} ({name:?}) is empty or repeated")]
    BadFeatureName {
        /// Feature index.
        index: usize,
        /// The name.
        name: String,
    },
    /// A selected MIR feature is not among the feature names.
    #[error("selected MIR feature {0:?} is not among the model's feature names")]
    UnknownMirFeature(String),
    /// The metadata's `t_steps` differs from the model config's.
    #[error("t_steps = {metadata} but the model config has t_steps = {config}")]
    TStepsMismatch {
        /// Metadata value.
        metadata: usize,
        /// Config value.
        config: usize,
    },
    /// A time-base value is not finite, not positive or out of range.
    #[error("{field} = {value} s is not a valid duration")]
    Timing {
        /// Field name.
        field: &'static str,
        /// The value.
        value: f64,
    },
    /// `hop_s` is not `context_s / t_steps` (docs/design.md §2).
    #[error("hop_s = {hop_s} but context_s / t_steps = {expected}")]
    HopMismatch {
        /// Stored hop.
        hop_s: f64,
        /// `context_s / t_steps`.
        expected: f64,
    },
    /// The features were computed at another sample rate.
    #[error("analysis rate {found} Hz is not supported (features are computed at {supported} Hz)")]
    AnalysisRate {
        /// Rate in the file.
        found: u32,
        /// Our analysis rate.
        supported: u32,
    },
    /// A training metric is not finite or impossible (RMSE < 0, R² > 1).
    #[error("training metric {field} = {value} is invalid")]
    Metric {
        /// Field name.
        field: &'static str,
        /// The value.
        value: f64,
    },
    /// The burn record could not be decoded or does not fit the config (missing tensor,
    /// shape mismatch, unexpected tensor).
    #[error("weights do not fit the model config: {0}")]
    Record(String),
    /// burn panicked while applying the record (caught; reported instead of crashing).
    #[error("weights could not be loaded (the loader panicked on malformed data)")]
    RecordPanicked,
    /// A weight is NaN or infinite.
    #[error("weight {0} contains a non-finite value")]
    NonFiniteWeight(&'static str),
    /// An ensemble's members or weights do not fit together (module docs), or an ensemble
    /// was given where one network is needed.
    #[error("ensemble: {0}")]
    Ensemble(String),
}

/// Quality on held-out songs for one dimension (paper eq. 25–26), labels in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionMetrics {
    /// Root-mean-square error.
    pub rmse: f64,
    /// Coefficient of determination; NaN when undefined (held-out labels
    /// without variance), stored as JSON `null`.
    #[serde(with = "undefined_as_null")]
    pub r2: f64,
}

/// serde for a metric that may be undefined: NaN ⇄ JSON `null` (JSON has no NaN).
mod undefined_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
        if value.is_nan() {
            s.serialize_none()
        } else {
            s.serialize_f64(*value)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// Held-out metrics per dimension.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// Valence.
    pub valence: DimensionMetrics,
    /// Arousal.
    pub arousal: DimensionMetrics,
}

/// Where a model came from. Free text is informative only and never interpreted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TrainingProvenance {
    /// Dataset name (`deam`, `emomusic`, `manifest:<file>`, …).
    pub dataset: String,
    /// Number of songs used for training.
    pub song_count: usize,
    /// Random seed of the run (paper: 66).
    pub seed: u64,
    /// Held-out metrics, absent for untrained or test models.
    pub metrics: Option<Metrics>,
    /// Date of training, ISO 8601.
    pub date: String,
    /// Version of the trainer that wrote the file.
    pub trainer_version: String,
    /// Free-text notes.
    pub notes: String,
    /// How the trainer divided the songs and which ones it held out; absent in files
    /// written before `moodtap train` existed and in test models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<TrainingRun>,
}

/// The split and length of a `moodtap train` run, so `moodtap eval` can score the model on
/// exactly the songs it never saw. Informative only for inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TrainingRun {
    /// Dataset root or manifest the feature cache was extracted from.
    pub dataset_path: String,
    /// How the songs were divided (`holdout 0.70/0.15/0.15`, `5-fold, fold 1 written`).
    pub split: String,
    /// Songs the weights were fitted on.
    pub train_songs: usize,
    /// Songs early stopping watched.
    pub validation_songs: usize,
    /// Songs the metrics were measured on.
    pub test_songs: usize,
    /// Ids of the test songs, as in the feature cache.
    pub test_song_ids: Vec<String>,
    /// Epochs run (0 for models without epochs, e.g. the SVR baseline).
    pub epochs: usize,
    /// Epoch whose weights were kept (best validation RMSE), 1-based; 0 if none.
    pub best_epoch: usize,
    /// Per-time training (`moodtap train --labels dynamic`): its settings in words
    /// (annotator lag, window); the recorded metrics are then over every rated time
    /// point, not per song. `None` (and absent from the file, so files of static
    /// training are unchanged): one label per song.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<String>,
}

/// Everything about a model except its weights (docs/design.md §5). Nothing about the time
/// base or the features is hard-coded elsewhere: the plugin and the CLI read it from here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelMetadata {
    /// [`FEATURE_SCHEMA_VERSION`] of the features the model was trained on.
    pub feature_schema_version: u32,
    /// Ordered names of the `N` input features (eGeMAPS names as openSMILE prints them,
    /// then the selected MIR names).
    pub feature_names: Vec<String>,
    /// The MIR features chosen by selection (docs/design.md §3.3), a subset of `feature_names`.
    pub selected_mir_features: Vec<String>,
    /// Per-feature training-set mean used for z-scoring, same order as `feature_names`.
    pub norm_mean: Vec<f32>,
    /// Per-feature training-set standard deviation (> 0), same order.
    pub norm_std: Vec<f32>,
    /// Steps per model input `T` (equals `model.t_steps`).
    pub t_steps: usize,
    /// Seconds of audio one model input covers.
    pub context_s: f64,
    /// Seconds of audio each step summarises (ending at the step time).
    pub window_s: f64,
    /// Seconds between steps, `context_s / t_steps`.
    pub hop_s: f64,
    /// Sample rate the features were computed at, Hz.
    pub analysis_rate_hz: u32,
    /// Network architecture and sizes.
    pub model: ModelConfig,
    /// Training provenance.
    pub training: TrainingProvenance,
}

impl ModelMetadata {
    /// The fusion this model reads raw steps with, over `available` columns
    /// (a feature cache's layout; [`Self::live_fusion`] for live steps).
    pub fn fusion<S: AsRef<str>>(
        &self,
        available: impl IntoIterator<Item = S>,
    ) -> Result<crate::fusion::Fusion, crate::fusion::FusionError> {
        crate::fusion::Fusion::new(self.feature_names.clone(), available, self.norm_mean.clone(), self.norm_std.clone())
    }

    /// The fusion over live raw steps ([`crate::steps::raw_step_names`] layout).
    pub fn live_fusion(&self) -> Result<crate::fusion::Fusion, crate::fusion::FusionError> {
        self.fusion(crate::steps::raw_step_names())
    }

    /// Checks every field and their consistency; the loader calls this on every file and
    /// the writer before writing one.
    pub fn validate(&self) -> Result<(), ModelFileError> {
        if self.feature_schema_version != FEATURE_SCHEMA_VERSION {
            return Err(ModelFileError::FeatureSchema {
                found: self.feature_schema_version,
                supported: FEATURE_SCHEMA_VERSION,
            });
        }
        self.model.validate()?;
        let n = self.model.n_features;
        if self.feature_names.len() != n {
            return Err(ModelFileError::FeatureCount { names: self.feature_names.len(), n_features: n });
        }
        let mut seen = HashSet::with_capacity(n);
        for (index, name) in self.feature_names.iter().enumerate() {
            if name.is_empty() || !seen.insert(name.as_str()) {
                return Err(ModelFileError::BadFeatureName { index, name: name.clone() });
            }
        }
        for name in &self.selected_mir_features {
            if !seen.contains(name.as_str()) {
                return Err(ModelFileError::UnknownMirFeature(name.clone()));
            }
        }
        for (which, values) in [("mean", &self.norm_mean), ("std", &self.norm_std)] {
            if values.len() != n {
                return Err(ModelFileError::NormLength { which, len: values.len(), expected: n });
            }
            if let Some(index) = values.iter().position(|v| !v.is_finite()) {
                return Err(ModelFileError::NonFiniteNorm { which, index, feature: self.feature_names[index].clone() });
            }
        }
        if let Some(index) = self.norm_std.iter().position(|v| *v <= 0.0) {
            return Err(ModelFileError::NonPositiveStd {
                index,
                feature: self.feature_names[index].clone(),
                value: self.norm_std[index],
            });
        }
        if self.t_steps != self.model.t_steps {
            return Err(ModelFileError::TStepsMismatch { metadata: self.t_steps, config: self.model.t_steps });
        }
        let valid_duration = |v: f64| v.is_finite() && v > 0.0 && v <= MAX_CONTEXT_S;
        for (field, value) in [("context_s", self.context_s), ("window_s", self.window_s), ("hop_s", self.hop_s)] {
            if !valid_duration(value) {
                return Err(ModelFileError::Timing { field, value });
            }
        }
        let expected = self.context_s / self.t_steps as f64;
        // Relative 1e-6: both sides are f64 divisions of the same decimal inputs; anything
        // larger is a different time base, not rounding.
        if (self.hop_s - expected).abs() > 1e-6 * expected {
            return Err(ModelFileError::HopMismatch { hop_s: self.hop_s, expected });
        }
        if self.analysis_rate_hz != crate::ANALYSIS_RATE_HZ {
            return Err(ModelFileError::AnalysisRate {
                found: self.analysis_rate_hz,
                supported: crate::ANALYSIS_RATE_HZ,
            });
        }
        if let Some(m) = &self.training.metrics {
            for (field, value, ok) in [
                ("valence.rmse", m.valence.rmse, m.valence.rmse >= 0.0),
                ("arousal.rmse", m.arousal.rmse, m.arousal.rmse >= 0.0),
                ("valence.r2", m.valence.r2, m.valence.r2.is_nan() || m.valence.r2 <= 1.0),
                ("arousal.r2", m.arousal.r2, m.arousal.r2.is_nan() || m.arousal.r2 <= 1.0),
            ] {
                // NaN is an undefined R² (allowed); infinities never are.
                if value.is_infinite() || !ok {
                    return Err(ModelFileError::Metric { field, value });
                }
            }
        }
        Ok(())
    }
}

/// How much one ensemble member's estimate counts, per dimension: the ensemble's valence is
/// `Σ valence_k · v_k` over its members, likewise arousal. Each dimension's weights are finite,
/// ≥ 0 and sum to 1 (± [`WEIGHT_SUM_TOLERANCE`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberWeights {
    /// Weight of this member's valence.
    pub valence: f32,
    /// Weight of this member's arousal.
    pub arousal: f32,
}

impl MemberWeights {
    /// A single model: its own estimate in both dimensions.
    pub const ONE: Self = Self { valence: 1.0, arousal: 1.0 };
    /// Not counted in either dimension (the member is not run for that reading).
    pub const ZERO: Self = Self { valence: 0.0, arousal: 0.0 };

    /// Whether the member counts in neither dimension.
    pub fn is_zero(&self) -> bool {
        self.valence == 0.0 && self.arousal == 0.0
    }
}

/// How far each dimension's weights may sum from 1 (f32 rounding of `1/K` sums, not intent).
pub const WEIGHT_SUM_TOLERANCE: f32 = 1e-4;

/// The JSON header of an ensemble file (module docs): its provenance and its members' weights
/// in file order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnsembleHeader {
    /// Where the ensemble came from (the members' own provenance stays in their metadata).
    pub training: TrainingProvenance,
    /// One entry per member, in file order: the long reading (and the now reading unless
    /// `now_weights` is given).
    pub weights: Vec<MemberWeights>,
    /// The now reading's weights, one entry per member, when they differ from `weights`
    /// (format version 3); `None`: the same as `weights` (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now_weights: Option<Vec<MemberWeights>>,
}

/// One network of a model file: its metadata, weight in the estimate and encoded weights.
#[derive(Debug, Clone)]
pub struct FileMember {
    /// The member's own validated metadata (its normalisation, architecture, provenance).
    pub metadata: ModelMetadata,
    /// How much its estimate counts in the long reading ([`MemberWeights::ONE`] in a
    /// single-model file).
    pub weights: MemberWeights,
    /// How much it counts in the now reading (equal to `weights` unless the file is version 3).
    pub now_weights: MemberWeights,
    record: Vec<u8>,
}

impl FileMember {
    /// Builds the member's network on `device` and loads its weights into it.
    pub fn network(&self, device: &Device) -> Result<Network, ModelFileError> {
        load_record(&self.metadata.model, &self.record, device)
    }
}

/// A parsed and validated model file: metadata plus the still-encoded weights of its one
/// network, or of each member of an ensemble (module docs).
///
/// [`ModelFile::from_bytes`] checks the container and the metadata;
/// [`FileMember::network`] decodes the weights into a burn [`Network`] (checked against the
/// config). [`super::LoadedModel`] does both and builds the fast inference path.
#[derive(Debug, Clone)]
pub struct ModelFile {
    /// Validated metadata; an ensemble's is its first member's with the ensemble's provenance.
    pub metadata: ModelMetadata,
    members: Vec<FileMember>,
}

/// Reads `N` bytes at `*pos`, advancing it, or reports what was being read.
fn take<'a>(bytes: &'a [u8], pos: &mut usize, len: u64, what: &'static str) -> Result<&'a [u8], ModelFileError> {
    let available = bytes.len() - *pos;
    let len_usize = usize::try_from(len).ok().filter(|l| *l <= available);
    let Some(len_usize) = len_usize else {
        return Err(ModelFileError::Truncated { what, needed: len, available });
    };
    let out = &bytes[*pos..*pos + len_usize];
    *pos += len_usize;
    Ok(out)
}

fn take_array<const N: usize>(bytes: &[u8], pos: &mut usize, what: &'static str) -> Result<[u8; N], ModelFileError> {
    let slice = take(bytes, pos, N as u64, what)?;
    let mut out = [0u8; N];
    out.copy_from_slice(slice);
    Ok(out)
}

/// Reads the length-prefixed JSON section at `*pos` (≤ [`MAX_METADATA_LEN`]).
fn take_json<'a>(bytes: &'a [u8], pos: &mut usize, what: &'static str) -> Result<&'a [u8], ModelFileError> {
    let len = u64::from(u32::from_le_bytes(take_array(bytes, pos, "metadata length")?));
    if len > MAX_METADATA_LEN as u64 {
        return Err(ModelFileError::MetadataTooLarge { len, max: MAX_METADATA_LEN });
    }
    take(bytes, pos, len, what)
}

/// Checks that the CRC-32 at `*pos` covers `bytes[..*pos]` and ends the buffer.
fn check_crc(bytes: &[u8], pos: &mut usize) -> Result<(), ModelFileError> {
    let content_end = *pos;
    let stored = u32::from_le_bytes(take_array(bytes, pos, "checksum")?);
    if *pos != bytes.len() {
        return Err(ModelFileError::TrailingBytes { extra: bytes.len() - *pos });
    }
    let computed = crc32(&bytes[..content_end]);
    if stored != computed {
        return Err(ModelFileError::Checksum { stored, computed });
    }
    Ok(())
}

/// Magic, version and the JSON section after them, as `(version, json, position after it)`.
fn read_header(bytes: &[u8]) -> Result<(u32, &[u8], usize), ModelFileError> {
    let mut pos = 0;
    let magic: [u8; 8] = take_array(bytes, &mut pos, "magic")?;
    if magic != MAGIC {
        return Err(ModelFileError::BadMagic);
    }
    let version = u32::from_le_bytes(take_array(bytes, &mut pos, "format version")?);
    if !(FORMAT_VERSION..=PER_READING_FORMAT_VERSION).contains(&version) {
        return Err(ModelFileError::UnsupportedVersion { found: version, supported: PER_READING_FORMAT_VERSION });
    }
    let what = if version == FORMAT_VERSION { "metadata" } else { "ensemble header" };
    let json = take_json(bytes, &mut pos, what)?;
    Ok((version, json, pos))
}

/// Checks that `member` reads the same inputs on the same time base as `first`.
fn check_compatible(first: &ModelMetadata, member: &ModelMetadata, index: usize) -> Result<(), ModelFileError> {
    let differs = |what: &str| {
        Err(ModelFileError::Ensemble(format!(
            "member {} has other {what} than member 1; members must read the same features on the same time base",
            index + 1
        )))
    };
    if member.feature_names != first.feature_names {
        return differs("input features");
    }
    if (member.t_steps, member.context_s, member.window_s, member.hop_s)
        != (first.t_steps, first.context_s, first.window_s, first.hop_s)
    {
        return differs("steps, context, window or hop");
    }
    Ok(())
}

/// Checks an ensemble header's weightings against `members` members: for each reading
/// count, range and sums, and that every member counts somewhere.
fn check_header_weights(header: &EnsembleHeader, members: usize) -> Result<(), ModelFileError> {
    check_weights(&header.weights, members, "")?;
    let Some(now) = &header.now_weights else {
        if let Some(index) = header.weights.iter().position(MemberWeights::is_zero) {
            return Err(ModelFileError::Ensemble(format!("member {} counts in neither dimension", index + 1)));
        }
        return Ok(());
    };
    check_weights(now, members, "now ")?;
    if let Some(index) = header.weights.iter().zip(now).position(|(w, n)| w.is_zero() && n.is_zero()) {
        return Err(ModelFileError::Ensemble(format!("member {} counts in neither reading", index + 1)));
    }
    Ok(())
}

/// Checks one reading's `K` weights against `members` members: count, range, sums;
/// `reading` prefixes the messages ("" or "now ").
fn check_weights(weights: &[MemberWeights], members: usize, reading: &str) -> Result<(), ModelFileError> {
    if !(2..=MAX_MEMBERS).contains(&weights.len()) {
        return Err(ModelFileError::Ensemble(format!(
            "{} members; an ensemble has 2 to {MAX_MEMBERS} (one model is written as a single-model file)",
            weights.len()
        )));
    }
    if weights.len() != members {
        return Err(ModelFileError::Ensemble(format!(
            "the header weighs {} members {reading}but the file holds {members}",
            weights.len()
        )));
    }
    for (index, w) in weights.iter().enumerate() {
        if !(w.valence.is_finite() && w.arousal.is_finite() && w.valence >= 0.0 && w.arousal >= 0.0) {
            return Err(ModelFileError::Ensemble(format!(
                "member {} has {reading}weights valence {} arousal {}; weights are finite and ≥ 0",
                index + 1,
                w.valence,
                w.arousal
            )));
        }
    }
    for (dimension, sum) in [
        ("valence", weights.iter().map(|w| w.valence).sum::<f32>()),
        ("arousal", weights.iter().map(|w| w.arousal).sum::<f32>()),
    ] {
        if (sum - 1.0).abs() > WEIGHT_SUM_TOLERANCE {
            return Err(ModelFileError::Ensemble(format!("the {reading}{dimension} weights sum to {sum}, not 1")));
        }
    }
    Ok(())
}

impl ModelFile {
    /// Parses and validates a model file held in memory (e.g. `include_bytes!`): one model
    /// (format version 1) or an ensemble (version 2).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelFileError> {
        let (version, json, pos) = read_header(bytes)?;
        if version == FORMAT_VERSION {
            let (metadata, record) = Self::parse_single(bytes, json, pos)?;
            let member = FileMember {
                metadata: metadata.clone(),
                weights: MemberWeights::ONE,
                now_weights: MemberWeights::ONE,
                record,
            };
            return Ok(Self { metadata, members: vec![member] });
        }
        Self::parse_ensemble(bytes, json, pos, version)
    }

    /// The rest of a version-1 file after its metadata JSON (at `pos`).
    fn parse_single(bytes: &[u8], meta: &[u8], mut pos: usize) -> Result<(ModelMetadata, Vec<u8>), ModelFileError> {
        let record_len = u64::from_le_bytes(take_array(bytes, &mut pos, "record length")?);
        if record_len > MAX_RECORD_LEN as u64 {
            return Err(ModelFileError::RecordTooLarge { len: record_len, max: MAX_RECORD_LEN });
        }
        let record = take(bytes, &mut pos, record_len, "record")?.to_vec();
        check_crc(bytes, &mut pos)?;
        let metadata: ModelMetadata =
            serde_json::from_slice(meta).map_err(|e| ModelFileError::MetadataJson(e.to_string()))?;
        metadata.validate()?;
        Ok((metadata, record))
    }

    /// The rest of a version-2 or -3 file after its header JSON (at `pos`).
    fn parse_ensemble(bytes: &[u8], header: &[u8], mut pos: usize, version: u32) -> Result<Self, ModelFileError> {
        let count = u32::from_le_bytes(take_array(bytes, &mut pos, "member count")?) as usize;
        if !(2..=MAX_MEMBERS).contains(&count) {
            return Err(ModelFileError::Ensemble(format!("{count} members; an ensemble has 2 to {MAX_MEMBERS}")));
        }
        let mut parts = Vec::with_capacity(count);
        for _ in 0..count {
            let len = u64::from_le_bytes(take_array(bytes, &mut pos, "member length")?);
            parts.push(take(bytes, &mut pos, len, "member")?);
        }
        check_crc(bytes, &mut pos)?;
        let header: EnsembleHeader =
            serde_json::from_slice(header).map_err(|e| ModelFileError::MetadataJson(e.to_string()))?;
        if header.now_weights.is_some() != (version == PER_READING_FORMAT_VERSION) {
            return Err(ModelFileError::Ensemble(format!(
                "a version-{version} ensemble {} now-reading weights",
                if version == PER_READING_FORMAT_VERSION { "needs" } else { "cannot have" }
            )));
        }
        check_header_weights(&header, count)?;
        let now_weights = header.now_weights.as_deref().unwrap_or(&header.weights);
        let mut members: Vec<FileMember> = Vec::with_capacity(count);
        for (index, ((part, weights), now_weights)) in
            parts.into_iter().zip(&header.weights).zip(now_weights).enumerate()
        {
            let (version, json, at) = read_header(part)?;
            if version != FORMAT_VERSION {
                return Err(ModelFileError::Ensemble(format!(
                    "member {} is itself an ensemble; list its members instead",
                    index + 1
                )));
            }
            let (metadata, record) = Self::parse_single(part, json, at)
                .map_err(|e| ModelFileError::Ensemble(format!("member {}: {e}", index + 1)))?;
            if let Some(first) = members.first() {
                check_compatible(&first.metadata, &metadata, index)?;
            }
            members.push(FileMember { metadata, weights: *weights, now_weights: *now_weights, record });
        }
        let metadata = ModelMetadata { training: header.training, ..members[0].metadata.clone() };
        metadata.validate()?;
        Ok(Self { metadata, members })
    }

    /// Reads and validates a model file from disk (size checked before reading).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, ModelFileError> {
        let file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        if len > MAX_FILE_LEN as u64 {
            return Err(ModelFileError::FileTooLarge { len, max: MAX_FILE_LEN });
        }
        let mut bytes = Vec::with_capacity(len as usize);
        // `take` guards against a file that grows between `metadata()` and the read.
        file.take(MAX_FILE_LEN as u64 + 1).read_to_end(&mut bytes)?;
        Self::from_bytes(&bytes)
    }

    /// Serialises `network` with `metadata` into the single-model layout (module docs).
    /// Validates the metadata and that the network has the architecture it names.
    pub fn to_bytes(metadata: &ModelMetadata, network: &Network) -> Result<Vec<u8>, ModelFileError> {
        metadata.validate()?;
        if network.architecture() != metadata.model.architecture {
            return Err(ModelFileError::Record(format!(
                "network is {} but metadata says {}",
                network.architecture(),
                metadata.model.architecture
            )));
        }
        let json = serde_json::to_vec(metadata).map_err(|e| ModelFileError::MetadataJson(e.to_string()))?;
        if json.len() > MAX_METADATA_LEN {
            return Err(ModelFileError::MetadataTooLarge { len: json.len() as u64, max: MAX_METADATA_LEN });
        }
        // `valid` folds pending BatchNorm running-statistics updates (burn keeps them per
        // thread until synced) so the record holds the statistics inference will use.
        let record = network.valid().into_record().into_bytes().map_err(|e| ModelFileError::Record(e.to_string()))?;
        let record = without_param_ids(record)?;
        if record.len() > MAX_RECORD_LEN {
            return Err(ModelFileError::RecordTooLarge { len: record.len() as u64, max: MAX_RECORD_LEN });
        }
        let mut out = Vec::with_capacity(HEADER_LEN + json.len() + 8 + record.len() + 4);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&(record.len() as u64).to_le_bytes());
        out.extend_from_slice(&record);
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        Ok(out)
    }

    /// Serialises an ensemble (module docs) of single-model files `members` (their bytes,
    /// as written by [`Self::to_bytes`]) with `header`'s provenance and weights, in the same
    /// order: version 2, or version 3 if the header has now-reading weights that differ from
    /// the long reading's (equal ones are dropped). What this writes loads: the reader's
    /// checks run on the result.
    pub fn ensemble_to_bytes(header: &EnsembleHeader, members: &[&[u8]]) -> Result<Vec<u8>, ModelFileError> {
        let mut header = header.clone();
        if header.now_weights.as_ref() == Some(&header.weights) {
            header.now_weights = None;
        }
        let version = if header.now_weights.is_some() { PER_READING_FORMAT_VERSION } else { ENSEMBLE_FORMAT_VERSION };
        let header = &header;
        // Before serialising: JSON has no NaN, so the reader could not name that mistake.
        check_header_weights(header, members.len())?;
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&version.to_le_bytes());
        let json = serde_json::to_vec(header).map_err(|e| ModelFileError::MetadataJson(e.to_string()))?;
        if json.len() > MAX_METADATA_LEN {
            return Err(ModelFileError::MetadataTooLarge { len: json.len() as u64, max: MAX_METADATA_LEN });
        }
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&(members.len() as u32).to_le_bytes());
        for member in members {
            out.extend_from_slice(&(member.len() as u64).to_le_bytes());
            out.extend_from_slice(member);
        }
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        if out.len() > MAX_FILE_LEN {
            return Err(ModelFileError::Ensemble(format!("{} bytes, more than a model file may have", out.len())));
        }
        Self::from_bytes(&out)?;
        Ok(out)
    }

    /// The networks of the file with their weights: one for a single model, `K` for an
    /// ensemble.
    pub fn members(&self) -> &[FileMember] {
        &self.members
    }

    /// Whether the file is an ensemble of several networks.
    pub fn is_ensemble(&self) -> bool {
        self.members.len() > 1
    }

    /// The encoded burn record (burnpack bytes) of the first network.
    pub fn record_bytes(&self) -> &[u8] {
        &self.members[0].record
    }

    /// Builds the network of a single-model file on `device` and loads the weights into it;
    /// an ensemble is refused ([`Self::members`] has each of its networks).
    pub fn network(&self, device: &Device) -> Result<Network, ModelFileError> {
        if self.is_ensemble() {
            return Err(ModelFileError::Ensemble(format!(
                "this file is an ensemble of {} networks, not one network",
                self.members.len()
            )));
        }
        self.members[0].network(device)
    }
}

/// Rewrites burnpack `record` bytes without parameter ids.
///
/// burn gives every parameter a random id from the OS RNG when a module is built
/// (`burn_std::id::IdGenerator`) and stores it in the record; it only keys optimizer state,
/// which a model file does not carry. Dropping the ids makes the file a function of the
/// weights alone, so a deterministic training run writes identical bytes (a loaded network
/// gets fresh ids, as when it is built).
fn without_param_ids(record: Bytes) -> Result<Bytes, ModelFileError> {
    let err = |e: burn_pack::Error| ModelFileError::Record(e.to_string());
    let tensors = burn_pack::Reader::from_bytes(record)
        .and_then(burn_pack::Reader::into_tensors)
        .map_err(err)?
        .into_iter()
        .map(|t| {
            let (name, dtype, shape, _, bytes) = t.into_parts()?;
            Ok(burn_pack::Tensor::new(name, dtype, shape, None, bytes))
        })
        .collect::<Result<Vec<_>, burn_pack::Error>>()
        .map_err(err)?;
    burn_pack::Writer::new(tensors).into_bytes().map_err(err)
}

/// Applies burnpack `record` bytes to a fresh network of `config`. The config must have been
/// validated. Separate from [`ModelFile`] so tests can feed it corrupted records that a
/// checksum would otherwise stop.
pub(crate) fn load_record(config: &ModelConfig, record: &[u8], device: &Device) -> Result<Network, ModelFileError> {
    config.validate()?;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(record.to_vec()))
            .map_err(|e| ModelFileError::Record(e.to_string()))?;
        // Any stored float dtype is cast to the network's f32; unknown or missing tensors
        // and shape mismatches are refused (burn's defaults: no partial, no unused).
        config
            .init(device)
            .try_load_record(record.cast_to_module_dtype())
            .map_err(|e| ModelFileError::Record(summarize_record_error(config, &e.to_string())))
    }));
    result.unwrap_or(Err(ModelFileError::RecordPanicked))
}

/// A short account of why burn refused a record: which groups of tensors are
/// unused, missing or misshapen (burn lists every tensor by name), for the
/// architecture the metadata names.
fn summarize_record_error(config: &ModelConfig, burn: &str) -> String {
    // Tensor names are the quoted strings in burn's message.
    let names: Vec<&str> = burn.split('"').skip(1).step_by(2).collect();
    let mut groups: Vec<&str> = names.iter().map(|n| n.split('.').next().unwrap_or(n)).collect();
    groups.dedup();
    groups.sort_unstable();
    groups.dedup();
    let what = if burn.contains("Unused") {
        "tensors the named architecture does not have"
    } else if burn.contains("Missing") {
        "the named architecture needs tensors the file lacks"
    } else {
        "tensor shapes differ"
    };
    let detail = if names.is_empty() {
        burn.chars().take(160).collect::<String>()
    } else {
        format!("{} {what} ({})", names.len(), groups.iter().map(|g| format!("{g}.*")).collect::<Vec<_>>().join(", "))
    };
    format!(
        "the weights are not those of a {} network with {} conv channels and {} LSTM units: {detail}; \
         the file was edited or damaged: use the file `moodtap train` wrote",
        config.architecture.name(),
        config.conv_channels,
        config.lstm_hidden
    )
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib's `crc32`.
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &b in bytes {
        crc = TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}
