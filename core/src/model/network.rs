//! The CBSA network and its ablations in burn (Cao & Liu 2025, §3.4–3.7 and Table 2).
//!
//! One [`Network`] type covers all four [`Architecture`]s: the CNN front end and the
//! self-attention are optional parts, so every variant has the same input, output and
//! training code. Shapes for T = 99, N = 94 (CBSA):
//!
//! ```text
//! [B, 1, 99, 94] ─conv3×3→BN→ReLU→pool2×2─► [B, 4, 49, 47] ─same─► [B, 4, 24, 23]
//!   ─permute+reshape─► [B, 24, 92] ─BiLSTM 16+16─► [B, 24, 32] ─self-attention─► [B, 24, 32]
//!   ─mean over time─► [B, 32] ─linear─► [B, 2] ─sigmoid─► (valence, arousal)
//! ```

use burn::module::{Module, Param};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig};
use burn::prelude::s;
use burn::tensor::activation::{relu, sigmoid, softmax};
use burn::tensor::ops::PadMode;
use burn::tensor::{Device, Tensor};

use super::bilstm::FusedBiLstm;
use super::config::{Architecture, ModelConfig};

/// 3×3 convolution, stride 1, zero padding 1, computed as im2col + one matrix product.
///
/// Same function and parameter layout as `nn::conv::Conv2d` (`weight [c_out, c_in, 3, 3]`,
/// `bias [c_out]`, Kaiming-uniform init with gain 1/√3 as PyTorch), but its backward pass is
/// a matrix product too. burn 0.22 computes a conv's weight gradient as a convolution whose
/// *kernel* is the whole output gradient (99 × 94 here) over a 3 × 3 output; on flex that
/// one op took a third of a training step.
#[derive(Module, Debug)]
pub struct Conv3x3 {
    /// `[c_out, c_in, 3, 3]`.
    pub weight: Param<Tensor<4>>,
    /// `[c_out]`.
    pub bias: Param<Tensor<1>>,
}

impl Conv3x3 {
    fn new(channels_in: usize, channels_out: usize, device: &Device) -> Self {
        let init = Initializer::KaimingUniform { gain: 1.0 / 3f64.sqrt(), fan_out_only: false };
        let (fan_in, fan_out) = (channels_in * 9, channels_out * 9);
        Self {
            weight: init.init_with([channels_out, channels_in, 3, 3], Some(fan_in), Some(fan_out), device),
            bias: init.init_with([channels_out], Some(fan_in), Some(fan_out), device),
        }
    }

    /// `[batch, c_in, T, N]` → `[batch, c_out, T, N]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [batch, c_in, t, n] = x.dims();
        let [c_out, ..] = self.weight.dims();
        let padded = x.pad([(1, 1), (1, 1)], PadMode::Constant(0.0)); // [batch, c_in, T+2, N+2]
        let mut taps = Vec::with_capacity(9);
        for ky in 0..3 {
            for kx in 0..3 {
                taps.push(padded.clone().slice(s![.., .., ky..ky + t, kx..kx + n]));
                // [batch, c_in, T, N]
            }
        }
        // Column index c·9 + ky·3 + kx, matching the weight's [c_out, c_in, 3, 3] layout.
        let columns = Tensor::stack::<5>(taps, 2).reshape([batch, c_in * 9, t * n]); // [batch, 9·c_in, T·N]
        let weight = self.weight.val().reshape([1, c_out, c_in * 9]); // [1, c_out, 9·c_in]
        let out = weight.matmul(columns) // [batch, c_out, T·N]
            + self.bias.val().reshape([1, c_out, 1]);
        out.reshape([batch, c_out, t, n]) // [batch, c_out, T, N]
    }
}

/// 2×2 max pool, stride 2, floor (odd last row/column dropped), as two element-wise
/// maxima of strided halves. burn-flex's `max_pool2d` (with indices) and the `max_dim`
/// alternative both back-propagate through a scatter, which cost a fifth of a training step
/// at our sizes; `max_pair` back-propagates through an element-wise mask.
pub fn max_pool_2x2(x: Tensor<4>) -> Tensor<4> {
    let [batch, c, t, n] = x.dims();
    let (t2, n2) = (t / 2, n / 2);
    let x = if t % 2 == 1 || n % 2 == 1 {
        x.slice(s![.., .., 0..2 * t2, 0..2 * n2]) // [batch, c, 2·T/2, 2·N/2]
    } else {
        x
    };
    let x = x.reshape([batch, c, t2, 2, n2, 2]); // [batch, c, T/2, 2, N/2, 2]
    let rows = x.clone().narrow(3, 0, 1).max_pair(x.narrow(3, 1, 1)); // [batch, c, T/2, 1, N/2, 2]
    let cols = rows.clone().narrow(5, 0, 1).max_pair(rows.narrow(5, 1, 1)); // [batch, c, T/2, 1, N/2, 1]
    cols.reshape([batch, c, t2, n2]) // [batch, c, T/2, N/2]
}

/// One convolution block: Conv 3×3 (padding 1) → BatchNorm → ReLU → MaxPool 2×2.
#[derive(Module, Debug)]
pub struct ConvBlock {
    /// 3×3 convolution, stride 1, padding 1, with bias.
    pub conv: Conv3x3,
    /// Batch normalisation over channels (ε = 1e-5, momentum 0.1, as PyTorch).
    pub norm: BatchNorm,
}

impl ConvBlock {
    fn new(channels_in: usize, channels_out: usize, device: &Device) -> Self {
        Self {
            conv: Conv3x3::new(channels_in, channels_out, device),
            norm: BatchNormConfig::new(channels_out).init(device),
        }
    }

    /// `[batch, c_in, T, N]` → `[batch, c_out, T/2, N/2]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.conv.forward(x); // [batch, c_out, T, N]
        let x = self.norm.forward(x); // [batch, c_out, T, N]
        let x = relu(x); // [batch, c_out, T, N]
        max_pool_2x2(x) // [batch, c_out, T/2, N/2]
    }
}

/// Scaled dot-product self-attention with one head (paper §3.7, eq. 20–24):
/// `softmax(Q Kᵀ / √d) V` with `Q, K, V` linear maps `d → d` (with bias).
#[derive(Module, Debug)]
pub struct SelfAttention {
    /// Query map `E_Q`.
    pub query: Linear,
    /// Key map `E_K`.
    pub key: Linear,
    /// Value map `E_V`.
    pub value: Linear,
}

impl SelfAttention {
    fn new(d: usize, device: &Device) -> Self {
        Self {
            query: LinearConfig::new(d, d).init(device),
            key: LinearConfig::new(d, d).init(device),
            value: LinearConfig::new(d, d).init(device),
        }
    }

    /// `[batch, T', d]` → `[batch, T', d]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let [_, _, d] = x.dims();
        let q = self.query.forward(x.clone()); // [batch, T', d]
        let k = self.key.forward(x.clone()); // [batch, T', d]
        let v = self.value.forward(x); // [batch, T', d]
        let scores = q.matmul(k.swap_dims(1, 2)) / (d as f64).sqrt(); // [batch, T', T']
        let weights = softmax(scores, 2); // [batch, T', T'], rows sum to 1
        weights.matmul(v) // [batch, T', d]
    }
}

/// Any of the four networks; see the module docs.
#[derive(Module, Debug)]
pub struct Network {
    /// Two convolution blocks (`cnn-bilstm`, `cbsa`), else `None`.
    pub cnn: Option<[ConvBlock; 2]>,
    /// Bidirectional LSTM, `H` units per direction.
    pub bilstm: FusedBiLstm,
    /// Self-attention over the BiLSTM outputs (`bilstm-sa`, `cbsa`), else `None`.
    pub attention: Option<SelfAttention>,
    /// Regression head `2H → 2`.
    pub head: Linear,
}

/// Intermediate shapes recorded by [`Network::forward_traced`], batch dimension included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShapeTrace {
    /// `[batch, c, T/2, N/2]` after the first conv block.
    pub block1: Option<[usize; 4]>,
    /// `[batch, c, T/4, N/4]` after the second conv block.
    pub block2: Option<[usize; 4]>,
    /// `[batch, T', D]` into the BiLSTM.
    pub lstm_in: [usize; 3],
    /// `[batch, T', 2H]` out of the BiLSTM.
    pub lstm_out: [usize; 3],
    /// `[batch, T', 2H]` out of the attention, if any.
    pub attention_out: Option<[usize; 3]>,
    /// `[batch, 2H]` after the mean over time.
    pub pooled: [usize; 2],
    /// `[batch, 2]` output.
    pub output: [usize; 2],
}

impl ModelConfig {
    /// Builds the network with fresh weights (burn's defaults for conv/linear, PyTorch's
    /// uniform `±1/√H` for the LSTM). Call [`validate`](Self::validate) first on untrusted
    /// configs: this allocates the weights the sizes ask for.
    pub fn init(&self, device: &Device) -> Network {
        let shapes = self.shapes();
        let c = self.conv_channels;
        let cnn = self.architecture.has_cnn().then(|| [ConvBlock::new(1, c, device), ConvBlock::new(c, c, device)]);
        let d = 2 * self.lstm_hidden;
        Network {
            cnn,
            bilstm: FusedBiLstm::new(shapes.lstm_in[1], self.lstm_hidden, device),
            attention: self.architecture.has_attention().then(|| SelfAttention::new(d, device)),
            head: LinearConfig::new(d, self.n_outputs).init(device),
        }
    }
}

impl Network {
    /// The architecture this network was built as.
    pub fn architecture(&self) -> Architecture {
        match (self.cnn.is_some(), self.attention.is_some()) {
            (false, false) => Architecture::Bilstm,
            (true, false) => Architecture::CnnBilstm,
            (false, true) => Architecture::BilstmSa,
            (true, true) => Architecture::Cbsa,
        }
    }

    /// `[batch, 1, T, N]` (z-scored features) → `[batch, 2]` (valence, arousal) in `(0, 1)`.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<2> {
        self.forward_impl(input, None)
    }

    /// [`forward`](Self::forward) that also records every intermediate shape.
    pub fn forward_traced(&self, input: Tensor<4>) -> (Tensor<2>, ShapeTrace) {
        let mut trace = ShapeTrace::default();
        let out = self.forward_impl(input, Some(&mut trace));
        (out, trace)
    }

    fn forward_impl(&self, input: Tensor<4>, mut trace: Option<&mut ShapeTrace>) -> Tensor<2> {
        let [batch, _, t_steps, n_features] = input.dims(); // [batch, 1, T, N]
        let sequence = match &self.cnn {
            Some([block1, block2]) => {
                let x = block1.forward(input); // [batch, 4, T/2, N/2]   (T=99: [batch, 4, 49, 47])
                let dims1 = x.dims();
                let x = block2.forward(x); // [batch, 4, T/4, N/4]   (T=99: [batch, 4, 24, 23])
                let [_, c, t, n] = x.dims();
                if let Some(tr) = trace.as_deref_mut() {
                    tr.block1 = Some(dims1);
                    tr.block2 = Some([batch, c, t, n]);
                }
                // Time becomes the sequence axis; channels × features the per-step vector
                // (channel-major: index c·N' + n).
                x.swap_dims(1, 2).reshape([batch, t, c * n]) // [batch, 24, 92]
            }
            None => input.reshape([batch, t_steps, n_features]), // [batch, T, N]
        };
        let lstm_in = sequence.dims();
        let x = self.bilstm.forward(sequence); // [batch, T', 32]
        let lstm_out = x.dims();
        let (x, attention_out) = match &self.attention {
            Some(attention) => {
                let x = attention.forward(x); // [batch, T', 32]
                let dims = x.dims();
                (x, Some(dims))
            }
            None => (x, None),
        };
        let [_, _, d] = x.dims();
        let pooled = x.mean_dim(1).reshape([batch, d]); // [batch, 32]
        let out = sigmoid(self.head.forward(pooled.clone())); // [batch, 2]
        if let Some(tr) = trace {
            tr.lstm_in = lstm_in;
            tr.lstm_out = lstm_out;
            tr.attention_out = attention_out;
            tr.pooled = pooled.dims();
            tr.output = out.dims();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's Table 2 chain for T = 99 and the same arithmetic for 199 / 299, through
    /// burn's real layers (not just [`ModelConfig::shapes`]).
    #[test]
    fn cbsa_intermediate_shapes_match_table_2() {
        let device = Device::flex();
        let batch = 2;
        // (T, block1, block2, lstm_in) for N = 94.
        let cases = [
            (99, [4, 49, 47], [4, 24, 23], [24, 92]),
            (199, [4, 99, 47], [4, 49, 23], [49, 92]),
            (299, [4, 149, 47], [4, 74, 23], [74, 92]),
        ];
        for (t, b1, b2, lstm_in) in cases {
            let config = ModelConfig::cbsa(t, 94);
            let net = config.init(&device);
            let x = Tensor::<4>::zeros([batch, 1, t, 94], &device);
            let (y, tr) = net.forward_traced(x);
            assert_eq!(tr.block1, Some([batch, b1[0], b1[1], b1[2]]), "T={t}");
            assert_eq!(tr.block2, Some([batch, b2[0], b2[1], b2[2]]), "T={t}");
            assert_eq!(tr.lstm_in, [batch, lstm_in[0], lstm_in[1]], "T={t}");
            assert_eq!(tr.lstm_out, [batch, lstm_in[0], 32], "T={t}");
            assert_eq!(tr.attention_out, Some([batch, lstm_in[0], 32]), "T={t}");
            assert_eq!(tr.pooled, [batch, 32], "T={t}");
            assert_eq!(tr.output, [batch, 2], "T={t}");
            assert_eq!(y.dims(), [batch, 2]);
            // The config's own arithmetic agrees with burn's layers.
            let s = config.shapes();
            assert_eq!(s.block1, Some(b1));
            assert_eq!(s.block2, Some(b2));
            assert_eq!(s.lstm_in, lstm_in);
        }
    }

    /// `Conv3x3` and `max_pool_2x2` compute what burn's `Conv2d` (3×3, padding 1) and
    /// `MaxPool2d` (2×2) compute, odd sizes included. Tolerance 1e-5: f32 sums of 36 products
    /// of O(1) values in a different order.
    #[test]
    fn conv_and_pool_match_burn_modules() {
        use burn::nn::conv::Conv2dConfig;
        use burn::nn::pool::MaxPool2dConfig;
        use burn::nn::PaddingConfig2d;
        use burn::tensor::Distribution;
        let device = Device::flex();
        device.seed(5);
        let ours = Conv3x3::new(4, 3, &device);
        let mut reference =
            Conv2dConfig::new([4, 3], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(&device);
        reference.weight = Param::from_tensor(ours.weight.val());
        reference.bias = Some(Param::from_tensor(ours.bias.val()));
        let x = Tensor::<4>::random([2, 4, 11, 9], Distribution::Uniform(-1.0, 1.0), &device);
        let a = ours.forward(x.clone());
        let b = reference.forward(x);
        let diff = (a.clone() - b).abs().max().into_scalar::<f32>();
        assert!(diff < 1e-5, "conv differs by {diff}");

        let pool = MaxPool2dConfig::new([2, 2]).init();
        let diff = (max_pool_2x2(a.clone()) - pool.forward(a.clone())).abs().max().into_scalar::<f32>();
        assert_eq!(max_pool_2x2(a).dims(), [2, 3, 5, 4]);
        assert_eq!(diff, 0.0, "pool differs by {diff}");
    }

    #[test]
    fn ablations_have_the_same_interface() {
        let device = Device::flex();
        for arch in Architecture::ALL {
            let config = ModelConfig::new(arch, 99, 94);
            let net = config.init(&device);
            assert_eq!(net.architecture(), arch);
            let (y, tr) = net.forward_traced(Tensor::<4>::ones([3, 1, 99, 94], &device));
            assert_eq!(y.dims(), [3, 2], "{arch}");
            assert_eq!(tr.block1.is_some(), arch.has_cnn(), "{arch}");
            assert_eq!(tr.attention_out.is_some(), arch.has_attention(), "{arch}");
            let expected_steps = if arch.has_cnn() { 24 } else { 99 };
            assert_eq!(tr.lstm_out, [3, expected_steps, 32], "{arch}");
            let values = y.try_into_vec_as::<f32>().unwrap();
            assert!(values.iter().all(|v| *v > 0.0 && *v < 1.0), "{values:?}");
        }
    }
}
