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
#[cfg(feature = "train")]
use super::conv_block_op::conv_block_train;

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
    ///
    /// In training (an autodiff device and a batch norm that trains) on a CPU backend this is
    /// one operation with a hand-written backward (`conv_block_train`, cargo feature `train`);
    /// elsewhere, and in inference, it is composed from burn operations
    /// ([`Self::forward_composed`]).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        #[cfg(feature = "train")]
        if x.device().is_autodiff() && self.norm.training.is_enabled() {
            if let Some(out) = self.forward_fused(x.clone()) {
                return out;
            }
        }
        self.forward_composed(x)
    }

    /// The block as one [`conv_block_train`] operation, updating the batch norm's running
    /// statistics as `BatchNorm::forward` does (momentum, biased variance); `None` where that
    /// operation does not run.
    #[cfg(feature = "train")]
    fn forward_fused(&self, x: Tensor<4>) -> Option<Tensor<4>> {
        let norm = &self.norm;
        let (out, mean, variance) = conv_block_train(
            x,
            self.conv.weight.val(),
            self.conv.bias.val(),
            norm.gamma.val(),
            norm.beta.val(),
            norm.epsilon,
        )?;
        let device = out.device();
        let momentum = norm.momentum;
        let running_mean = norm.running_mean.value_sync().to_device(&device);
        let running_var = norm.running_var.value_sync().to_device(&device);
        norm.running_mean.update(running_mean.mul_scalar(1.0 - momentum).add(mean.mul_scalar(momentum)).detach());
        norm.running_var.update(running_var.mul_scalar(1.0 - momentum).add(variance.mul_scalar(momentum)).detach());
        Some(out)
    }

    /// The block composed from burn operations (any device, training or inference).
    pub fn forward_composed(&self, x: Tensor<4>) -> Tensor<4> {
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

    #[cfg(feature = "train")]
    fn values(t: Tensor<1>) -> Vec<f32> {
        t.try_into_vec_as::<f32>().unwrap()
    }

    #[cfg(feature = "train")]
    fn assert_close(name: &str, got: &[f32], want: &[f32], tol: f32) {
        assert_eq!(got.len(), want.len(), "{name}: length");
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-3);
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= tol * scale, "{name}[{i}]: fused {g} vs composed {w} (scale {scale})");
        }
    }

    /// The fused training block ([`conv_block_train`]) against the same block composed from
    /// burn operations: output, running statistics and the gradients of input, weight, bias,
    /// γ and β, on odd sizes (the pool drops a row and a column) and with one negative γ
    /// (the window maximum then comes from the smallest normalised value). Tolerance 1e-4 of
    /// each tensor's largest magnitude: both sides sum in different orders in f32.
    #[test]
    #[cfg(feature = "train")]
    fn fused_conv_block_matches_the_composed_block() {
        use rand::{Rng, SeedableRng};
        let device = Device::flex().autodiff();
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for (batch, c_in, c_out, rows, cols) in [(2, 1, 4, 13, 11), (3, 4, 4, 10, 9)] {
            let mut block = ConvBlock::new(c_in, c_out, &device);
            let gamma: Vec<f32> = (0..c_out).map(|c| if c == 1 { -0.7 } else { 0.5 + 0.3 * c as f32 }).collect();
            let beta: Vec<f32> = (0..c_out).map(|c| 0.1 * c as f32 - 0.1).collect();
            block.norm.gamma = Param::from_tensor(Tensor::<1>::from_floats(gamma.as_slice(), &device));
            block.norm.beta = Param::from_tensor(Tensor::<1>::from_floats(beta.as_slice(), &device));
            let len = batch * c_in * rows * cols;
            let input: Vec<f32> = (0..len).map(|_| rng.random_range(-2.0..2.0)).collect();
            let out_len = batch * c_out * (rows / 2) * (cols / 2);
            let probe: Vec<f32> = (0..out_len).map(|_| rng.random_range(-1.0..1.0)).collect();
            let probe = Tensor::<4>::from_data(
                burn::tensor::TensorData::new(probe, [batch, c_out, rows / 2, cols / 2]),
                &device,
            );

            // Clones share running state; each run gets its own block from a record.
            let record = block.clone().into_record();
            let run = |fused: bool| {
                let block = ConvBlock::new(c_in, c_out, &device).load_record(record.clone());
                let x = Tensor::<4>::from_data(
                    burn::tensor::TensorData::new(input.clone(), [batch, c_in, rows, cols]),
                    &device,
                )
                .require_grad();
                let y = if fused {
                    block.forward_fused(x.clone()).expect("flex runs the fused block")
                } else {
                    block.forward_composed(x.clone())
                };
                let out = y.clone().try_into_vec_as::<f32>().unwrap();
                let grads = (y * probe.clone()).sum().backward();
                let g = |p: &Param<Tensor<1>>| values(p.val().grad(&grads).unwrap());
                (
                    out,
                    values(block.norm.running_mean.value_sync()),
                    values(block.norm.running_var.value_sync()),
                    x.grad(&grads).unwrap().try_into_vec_as::<f32>().unwrap(),
                    block.conv.weight.val().grad(&grads).unwrap().try_into_vec_as::<f32>().unwrap(),
                    g(&block.conv.bias),
                    g(&block.norm.gamma),
                    g(&block.norm.beta),
                )
            };
            let fused = run(true);
            let composed = run(false);
            let tag = |what: &str| format!("{what} ({batch}×{c_in}→{c_out}, {rows}×{cols})");
            assert_close(&tag("output"), &fused.0, &composed.0, 1e-4);
            assert_close(&tag("running mean"), &fused.1, &composed.1, 1e-4);
            assert_close(&tag("running var"), &fused.2, &composed.2, 1e-4);
            assert_close(&tag("input grad"), &fused.3, &composed.3, 1e-4);
            assert_close(&tag("weight grad"), &fused.4, &composed.4, 1e-4);
            // The conv bias's true gradient is 0 (batch norm removes the mean); both sides
            // leave only rounding noise, so compare on the scale of the weight gradient.
            let noise = composed.4.iter().fold(0f32, |m, v| m.max(v.abs())) * 1e-4;
            assert!(
                fused.5.iter().chain(&composed.5).all(|v| v.abs() <= noise),
                "bias grads {:?} {:?}",
                fused.5,
                composed.5
            );
            assert_close(&tag("gamma grad"), &fused.6, &composed.6, 1e-4);
            assert_close(&tag("beta grad"), &fused.7, &composed.7, 1e-4);
            assert!(
                fused.3.iter().any(|v| *v != 0.0) && fused.4.iter().any(|v| *v != 0.0),
                "gradients reached the inputs"
            );
        }
    }
}
