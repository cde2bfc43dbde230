//! Network configuration: which architecture and at which input size.
//!
//! [`ModelConfig`] is stored in the model file's metadata (see [`super::file`]) so that a
//! network is rebuilt from the file alone: `config.init(&device)` followed by loading the
//! record. Shapes follow Cao & Liu 2025, Table 2, and docs/design.md §4.

use burn::config::Config;
use serde::{Deserialize, Serialize};

/// Smallest accepted number of time steps `T`.
///
/// Two 2×2 max pools need at least 4 rows to leave one step for the BiLSTM.
pub const MIN_T_STEPS: usize = 4;
/// Largest accepted number of time steps `T` (the paper and `moodtap ablate` use
/// 99/199/299, docs/design.md §4; this bounds the attention matrix and scratch buffers a
/// file can make us allocate: `(T/4)²` floats).
pub const MAX_T_STEPS: usize = 4096;
/// Smallest accepted number of features `N` per step (two 2×2 pools need 4 columns).
pub const MIN_FEATURES: usize = 4;
/// Largest accepted number of features `N` per step (the paper fuses 94).
pub const MAX_FEATURES: usize = 4096;
/// Largest accepted hidden size per LSTM direction and CNN channel count.
pub const MAX_WIDTH: usize = 1024;

/// The four networks of the paper's ablation study (§4.4), one interface.
///
/// Serialised by [`name`](Self::name) (`"cnn-bilstm"`); burn's `#[derive(Config)]` on enums
/// would serialise the Rust variant name instead, so serde is derived directly and
/// [`Config`] implemented by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Architecture {
    /// BiLSTM on the raw `T × N` input → mean over time → linear.
    #[serde(rename = "bilstm")]
    Bilstm,
    /// Two CNN blocks → BiLSTM → mean over time → linear (no attention).
    #[serde(rename = "cnn-bilstm")]
    CnnBilstm,
    /// BiLSTM on the raw input → self-attention → mean → linear (no CNN).
    #[serde(rename = "bilstm-sa")]
    BilstmSa,
    /// The paper's CBSA: CNN → BiLSTM → self-attention → mean → linear.
    #[serde(rename = "cbsa")]
    Cbsa,
}

impl Config for Architecture {}

impl Architecture {
    /// All architectures, in the order of the paper's ablation table.
    pub const ALL: [Architecture; 4] =
        [Architecture::Bilstm, Architecture::CnnBilstm, Architecture::BilstmSa, Architecture::Cbsa];

    /// Whether the two convolution blocks run before the BiLSTM.
    pub fn has_cnn(self) -> bool {
        matches!(self, Architecture::CnnBilstm | Architecture::Cbsa)
    }

    /// Whether self-attention runs after the BiLSTM.
    pub fn has_attention(self) -> bool {
        matches!(self, Architecture::BilstmSa | Architecture::Cbsa)
    }

    /// The name used on the command line and in model files (`cbsa`, `bilstm-sa`, …).
    pub fn name(self) -> &'static str {
        match self {
            Architecture::Bilstm => "bilstm",
            Architecture::CnnBilstm => "cnn-bilstm",
            Architecture::BilstmSa => "bilstm-sa",
            Architecture::Cbsa => "cbsa",
        }
    }

    /// Parses [`name`](Self::name) back.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything needed to build a network of the right shape.
///
/// Defaults are the paper's (§4.2, Table 2): 4 convolution channels, 16 LSTM units per
/// direction (so the BiLSTM emits 32), attention width = BiLSTM width, 2 outputs
/// (valence, arousal).
#[derive(Config, Debug, PartialEq)]
pub struct ModelConfig {
    /// Which of the four networks.
    pub architecture: Architecture,
    /// Number of time steps `T` the network sees (paper: 99, 199, 299).
    pub t_steps: usize,
    /// Number of fused features `N` per step (paper: 88 eGeMAPS + 6 MIR = 94).
    pub n_features: usize,
    /// Output channels of both 3×3 convolutions.
    #[config(default = 4)]
    pub conv_channels: usize,
    /// LSTM hidden units per direction; the BiLSTM output has twice this width.
    #[config(default = 16)]
    pub lstm_hidden: usize,
    /// Number of regression outputs (valence, arousal).
    #[config(default = 2)]
    pub n_outputs: usize,
}

/// Configuration values a file or a caller may not use (see [`ModelConfig::validate`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `t_steps` outside [`MIN_T_STEPS`]`..=`[`MAX_T_STEPS`].
    #[error("t_steps = {0} is outside {MIN_T_STEPS}..={MAX_T_STEPS}")]
    TSteps(usize),
    /// `n_features` outside [`MIN_FEATURES`]`..=`[`MAX_FEATURES`].
    #[error("n_features = {0} is outside {MIN_FEATURES}..={MAX_FEATURES}")]
    NFeatures(usize),
    /// A layer width is zero or above [`MAX_WIDTH`].
    #[error("{name} = {value} is outside 1..={MAX_WIDTH}")]
    Width {
        /// Field name.
        name: &'static str,
        /// Offending value.
        value: usize,
    },
    /// The network must predict exactly valence and arousal.
    #[error("n_outputs = {0}, expected 2 (valence, arousal)")]
    NOutputs(usize),
}

/// Sizes of every intermediate tensor for one input (batch dimension left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shapes {
    /// After the first conv block: `[channels, T/2, N/2]` (paper: `[4, 49, 47]`).
    pub block1: Option<[usize; 3]>,
    /// After the second conv block: `[channels, T/4, N/4]` (paper: `[4, 24, 23]`).
    pub block2: Option<[usize; 3]>,
    /// BiLSTM input: `[T', D]` (paper: `[24, 92]`; `[T, N]` without CNN).
    pub lstm_in: [usize; 2],
    /// BiLSTM output and attention output: `[T', 2·hidden]` (paper: `[24, 32]`).
    pub lstm_out: [usize; 2],
    /// After the mean over time: `[2·hidden]` (paper: `[32]`).
    pub pooled: usize,
    /// Network output: `[n_outputs]`.
    pub output: usize,
}

impl ModelConfig {
    /// The paper's default CBSA for `t_steps × n_features` inputs.
    pub fn cbsa(t_steps: usize, n_features: usize) -> Self {
        Self::new(Architecture::Cbsa, t_steps, n_features)
    }

    /// Checks that every size is in a sane range, so [`init`](Self::init) never panics and a
    /// model file can't make us allocate without bound.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(MIN_T_STEPS..=MAX_T_STEPS).contains(&self.t_steps) {
            return Err(ConfigError::TSteps(self.t_steps));
        }
        if !(MIN_FEATURES..=MAX_FEATURES).contains(&self.n_features) {
            return Err(ConfigError::NFeatures(self.n_features));
        }
        for (name, value) in [("conv_channels", self.conv_channels), ("lstm_hidden", self.lstm_hidden)] {
            if !(1..=MAX_WIDTH).contains(&value) {
                return Err(ConfigError::Width { name, value });
            }
        }
        if self.n_outputs != 2 {
            return Err(ConfigError::NOutputs(self.n_outputs));
        }
        Ok(())
    }

    /// Intermediate shapes (conv: padding 1 keeps the size, each 2×2 pool floors it by half).
    pub fn shapes(&self) -> Shapes {
        let d = 2 * self.lstm_hidden;
        if self.architecture.has_cnn() {
            let (t1, n1) = (self.t_steps / 2, self.n_features / 2);
            let (t2, n2) = (t1 / 2, n1 / 2);
            Shapes {
                block1: Some([self.conv_channels, t1, n1]),
                block2: Some([self.conv_channels, t2, n2]),
                lstm_in: [t2, self.conv_channels * n2],
                lstm_out: [t2, d],
                pooled: d,
                output: self.n_outputs,
            }
        } else {
            Shapes {
                block1: None,
                block2: None,
                lstm_in: [self.t_steps, self.n_features],
                lstm_out: [self.t_steps, d],
                pooled: d,
                output: self.n_outputs,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_table_2_shapes_for_t99() {
        let s = ModelConfig::cbsa(99, 94).shapes();
        assert_eq!(s.block1, Some([4, 49, 47]));
        assert_eq!(s.block2, Some([4, 24, 23]));
        assert_eq!(s.lstm_in, [24, 92]);
        assert_eq!(s.lstm_out, [24, 32]);
        assert_eq!(s.pooled, 32);
        assert_eq!(s.output, 2);
    }

    #[test]
    fn architecture_names_round_trip_and_serde_uses_them() {
        for a in Architecture::ALL {
            assert_eq!(Architecture::from_name(a.name()), Some(a));
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.name()));
        }
        assert_eq!(Architecture::from_name("cnn"), None);
    }

    #[test]
    fn validate_rejects_out_of_range_sizes() {
        assert!(ModelConfig::cbsa(99, 94).validate().is_ok());
        assert_eq!(ModelConfig::cbsa(3, 94).validate(), Err(ConfigError::TSteps(3)));
        assert_eq!(ModelConfig::cbsa(99, 1_000_000).validate(), Err(ConfigError::NFeatures(1_000_000)));
        assert!(ModelConfig::cbsa(99, 94).with_lstm_hidden(0).validate().is_err());
        assert!(ModelConfig::cbsa(99, 94).with_n_outputs(1).validate().is_err());
    }
}
