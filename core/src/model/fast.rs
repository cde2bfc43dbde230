//! Allocation-free forward pass of [`Network`] on plain `f32` slices.
//!
//! burn spends most of a single small inference on per-operation dispatch (≈ 1 ms for
//! T = 99 against ≈ 0.3 ms in PyTorch; BENCHMARKS.md, "CBSA inference and training step vs
//! PyTorch"). This module reads the weights out of a burn [`Network`] once, folds each
//! BatchNorm (inference mode, running statistics) into the convolution before it, and runs
//! the same function with loops over preallocated scratch: [`FastNetwork::new`] allocates,
//! [`FastNetwork::forward`] never does.
//!
//! Equality with burn's forward is tested to 1e-5 for every architecture and T = 99/199/299
//! (tests below). Differences come only from summation order and the BatchNorm folding.
//!
//! A stream of windows that slide by one step (the analyzer's long and now readings) reuses the
//! CNN rows and BiLSTM input projections it shares with earlier calls (`sliding.rs`);
//! the CNN is computed by pooled row for that (`fast_conv.rs`). Outputs are bit-identical
//! to a fresh network's (tested).

use burn::tensor::Tensor;

use super::config::ModelConfig;
use super::fast_conv::{FastConv, RowLayout};
use super::file::ModelFileError;
use super::kernels::{add_vec_mat, fast_exp, fast_sigmoid, fast_tanh, lstm_activate, lstm_cell, pad_planes, sigmoid};
use super::network::{Network, SelfAttention};
use super::sliding::SlideTracker;
use crate::dsp::simd::{self, SimdLevel};

/// Fused BiLSTM weights in the layout of [`super::bilstm::FusedBiLstm`].
#[derive(Debug, Clone)]
struct FastLstm {
    hidden: usize,
    /// `[d_input, 8H]`.
    input_weight: Vec<f32>,
    /// `[8H]`.
    bias: Vec<f32>,
    /// `[2, H, 4H]`.
    hidden_weight: Vec<f32>,
}

/// `[d, d]` row layout (`y = x W + b`), as burn's `Linear`.
#[derive(Debug, Clone)]
struct FastLinear {
    d_in: usize,
    d_out: usize,
    weight: Vec<f32>,
    bias: Vec<f32>,
}

#[derive(Debug, Clone)]
struct FastAttention {
    query: FastLinear,
    key: FastLinear,
    value: FastLinear,
}

/// Preallocated buffers, sized for the config at construction.
#[derive(Debug, Clone)]
struct Scratch {
    /// Zero-bordered input of the first conv block `[1, T + 2, N + 2]`.
    padded: Vec<f32>,
    /// First block output inside a zero border `[c, T/2 + 2, N/2 + 2]` (the second block's
    /// input; only the inner part is ever written, so the border stays zero).
    block1: Vec<f32>,
    /// Two conv rows before pooling `[2, N]`.
    pair: Vec<f32>,
    /// Second block output `[c, T/4, N/4]`.
    block2: Vec<f32>,
    /// One BiLSTM input row `[D]` when it is not a raw input row.
    lstm_row: Vec<f32>,
    /// Input projections of the last `period` calls, `[period, T', 8H]` ([`SlideTracker`]).
    proj: Vec<f32>,
    /// Gate pre-activations `[2, 4H]` (one per direction).
    gates: Vec<f32>,
    /// Hidden and cell state `[2, H]` (one per direction).
    hidden: Vec<f32>,
    cell: Vec<f32>,
    /// BiLSTM output `[T', 2H]`.
    lstm_out: Vec<f32>,
    /// Attention Q, K, V `[T', d]`.
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    /// K transposed `[d, T']`, so a row of scores is a sum over `d` vectorised across keys.
    kt: Vec<f32>,
    /// One row of attention scores `[T']`.
    scores: Vec<f32>,
    /// Column means of the attention matrix `[T']`.
    col_mean: Vec<f32>,
    /// Time-pooled features `[d]`.
    pooled: Vec<f32>,
}

/// The network as plain arrays; see the module docs.
#[derive(Debug, Clone)]
pub struct FastNetwork {
    config: ModelConfig,
    /// Widest vector instruction set of this CPU ([`SimdLevel::detect`]).
    level: SimdLevel,
    conv: Option<[FastConv; 2]>,
    lstm: FastLstm,
    attention: Option<FastAttention>,
    head: FastLinear,
    scratch: Scratch,
    /// What of the previous calls' work the next call may reuse.
    slides: SlideTracker,
}

pub(super) fn read<const D: usize>(tensor: Tensor<D>, name: &'static str) -> Result<Vec<f32>, ModelFileError> {
    let values = tensor.try_into_vec_as::<f32>().map_err(|e| ModelFileError::Record(format!("{name}: {e:?}")))?;
    if values.iter().any(|v| !v.is_finite()) {
        return Err(ModelFileError::NonFiniteWeight(name));
    }
    Ok(values)
}

pub(super) fn check_len(values: &[f32], expected: usize, name: &'static str) -> Result<(), ModelFileError> {
    if values.len() == expected {
        Ok(())
    } else {
        Err(ModelFileError::Record(format!("{name}: {} values, expected {expected}", values.len())))
    }
}

impl FastLinear {
    fn from_linear(linear: &burn::nn::Linear, name: &'static str) -> Result<Self, ModelFileError> {
        let [d_in, d_out] = linear.weight.val().dims();
        let weight = read(linear.weight.val(), name)?;
        let bias = match &linear.bias {
            Some(b) => read(b.val(), name)?,
            None => vec![0.0; d_out],
        };
        check_len(&bias, d_out, name)?;
        Ok(Self { d_in, d_out, weight, bias })
    }

    /// `y[rows, d_out] = x[rows, d_in] · W + b`, row by row ([`add_vec_mat`]).
    #[inline(always)]
    fn forward(&self, x: &[f32], rows: usize, y: &mut [f32]) {
        let (d_in, d_out) = (self.d_in, self.d_out);
        for (y_row, x_row) in y[..rows * d_out].chunks_exact_mut(d_out).zip(x.chunks_exact(d_in)) {
            y_row.copy_from_slice(&self.bias);
            add_vec_mat(y_row, x_row, &self.weight);
        }
    }
}

impl FastAttention {
    fn from_attention(a: &SelfAttention) -> Result<Self, ModelFileError> {
        Ok(Self {
            query: FastLinear::from_linear(&a.query, "attention.query")?,
            key: FastLinear::from_linear(&a.key, "attention.key")?,
            value: FastLinear::from_linear(&a.value, "attention.value")?,
        })
    }
}

impl FastLstm {
    /// Input projections of both directions for one BiLSTM input row: `proj = b + x · W_in`
    /// (`[8H]`).
    #[inline(always)]
    fn project(&self, x: &[f32], proj: &mut [f32]) {
        proj.copy_from_slice(&self.bias);
        add_vec_mat(proj, x, &self.input_weight);
    }

    /// The recurrence over `proj [T, 8H]` → `out [T, 2H]` (forward ‖ reverse), using
    /// `gates`, `h`, `c` (`[2, ·]`: one per direction). The two directions are independent
    /// chains, stepped side by side so the CPU overlaps them; each direction's arithmetic
    /// is the same as alone.
    #[inline(always)]
    fn recur(&self, steps: usize, s: &mut LstmScratch<'_>) {
        let h = self.hidden;
        let g8 = 8 * h;
        s.hidden.fill(0.0);
        s.cell.fill(0.0);
        for step in 0..steps {
            for dir in 0..2 {
                let t = if dir == 0 { step } else { steps - 1 - step };
                let w_h = &self.hidden_weight[dir * h * 4 * h..(dir + 1) * h * 4 * h];
                let gates = &mut s.gates[dir * 4 * h..(dir + 1) * 4 * h];
                let hidden = &mut s.hidden[dir * h..(dir + 1) * h];
                let cell = &mut s.cell[dir * h..(dir + 1) * h];
                gates.copy_from_slice(&s.proj[t * g8 + dir * 4 * h..t * g8 + (dir + 1) * 4 * h]);
                add_vec_mat(gates, hidden, w_h);
                // Gate order i, f, o, g (see bilstm.rs).
                lstm_activate(gates, fast_sigmoid, fast_tanh);
                let out = &mut s.out[t * 2 * h + dir * h..t * 2 * h + (dir + 1) * h];
                lstm_cell(gates, cell, out, fast_tanh);
                hidden.copy_from_slice(out);
            }
        }
    }
}

struct LstmScratch<'a> {
    proj: &'a [f32],
    gates: &'a mut [f32],
    hidden: &'a mut [f32],
    cell: &'a mut [f32],
    out: &'a mut [f32],
}

impl FastNetwork {
    /// Reads the weights of `network` (built from `config`) into plain arrays and allocates
    /// all scratch. Fails if a weight is non-finite or a shape disagrees with `config`.
    pub fn new(config: &ModelConfig, network: &Network) -> Result<Self, ModelFileError> {
        config.validate()?;
        if network.architecture() != config.architecture {
            return Err(ModelFileError::Record(format!(
                "network is {} but config says {}",
                network.architecture(),
                config.architecture
            )));
        }
        let shapes = config.shapes();
        let conv = match &network.cnn {
            Some([b1, b2]) => Some([FastConv::from_block(b1)?, FastConv::from_block(b2)?]),
            None => None,
        };
        if let Some([c1, c2]) = &conv {
            let c = config.conv_channels;
            if (c1.c_in, c1.c_out, c2.c_in, c2.c_out) != (1, c, c, c) {
                return Err(ModelFileError::Record("conv channel counts differ from config".into()));
            }
            check_len(&c1.weight, c * 9, "cnn.0.conv.weight")?;
            check_len(&c2.weight, c * c * 9, "cnn.1.conv.weight")?;
        }
        let h = config.lstm_hidden;
        let [steps, d_in] = shapes.lstm_in;
        let lstm = FastLstm {
            hidden: h,
            input_weight: read(network.bilstm.input_weight.val(), "bilstm.input_weight")?,
            bias: read(network.bilstm.bias.val(), "bilstm.bias")?,
            hidden_weight: read(network.bilstm.hidden_weight.val(), "bilstm.hidden_weight")?,
        };
        check_len(&lstm.input_weight, d_in * 8 * h, "bilstm.input_weight")?;
        check_len(&lstm.bias, 8 * h, "bilstm.bias")?;
        check_len(&lstm.hidden_weight, 2 * h * 4 * h, "bilstm.hidden_weight")?;
        let d = 2 * h;
        let attention = match &network.attention {
            Some(a) => Some(FastAttention::from_attention(a)?),
            None => None,
        };
        if let Some(a) = &attention {
            for l in [&a.query, &a.key, &a.value] {
                if (l.d_in, l.d_out) != (d, d) {
                    return Err(ModelFileError::Record("attention width differs from config".into()));
                }
                check_len(&l.weight, d * d, "attention weight")?;
            }
        }
        let head = FastLinear::from_linear(&network.head, "head")?;
        if (head.d_in, head.d_out) != (d, config.n_outputs) {
            return Err(ModelFileError::Record("head size differs from config".into()));
        }
        check_len(&head.weight, d * config.n_outputs, "head.weight")?;

        let (t, n, c) = (config.t_steps, config.n_features, config.conv_channels);
        let has_cnn = conv.is_some();
        let has_attention = attention.is_some();
        let sized = |cond: bool, len: usize| if cond { vec![0.0; len] } else { Vec::new() };
        let slides = SlideTracker::new(t, n, steps, has_cnn);
        let scratch = Scratch {
            padded: sized(has_cnn, (t + 2) * (n + 2)),
            block1: sized(has_cnn, c * (t / 2 + 2) * (n / 2 + 2)),
            pair: sized(has_cnn, 2 * n),
            block2: sized(has_cnn, c * (t / 4) * (n / 4)),
            lstm_row: sized(has_cnn, d_in),
            proj: vec![0.0; slides.period() * steps * 8 * h],
            gates: vec![0.0; 2 * 4 * h],
            hidden: vec![0.0; 2 * h],
            cell: vec![0.0; 2 * h],
            lstm_out: vec![0.0; steps * d],
            q: sized(has_attention, steps * d),
            k: sized(has_attention, steps * d),
            v: sized(has_attention, steps * d),
            kt: sized(has_attention, steps * d),
            scores: sized(has_attention, steps),
            col_mean: sized(has_attention, steps),
            pooled: vec![0.0; d],
        };
        Ok(Self { config: config.clone(), level: SimdLevel::detect(), conv, lstm, attention, head, scratch, slides })
    }

    /// The config this network was built for.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Number of input values, `T × N`.
    pub fn input_len(&self) -> usize {
        self.config.t_steps * self.config.n_features
    }

    /// One inference: `input` is `T × N` row-major (z-scored), returns the two sigmoid
    /// outputs (valence, arousal). Never allocates.
    ///
    /// # Panics
    /// If `input.len() != self.input_len()` (callers check; [`super::LoadedModel::predict`]
    /// returns an error instead).
    pub fn forward(&mut self, input: &[f32]) -> [f32; 2] {
        assert_eq!(input.len(), self.input_len(), "input must be T × N");
        forward_at(self.level, self, input)
    }

    /// [`Self::forward`] at a given instruction-set level (every level gives the same bits).
    pub fn forward_with(&mut self, level: SimdLevel, input: &[f32]) -> [f32; 2] {
        assert_eq!(input.len(), self.input_len(), "input must be T × N");
        forward_at(level, self, input)
    }

    /// The forward pass; compiled once per [`SimdLevel`] by [`forward_at`]. Its loops are
    /// element-wise or sequential sums, so wider vectors change nothing but speed.
    #[inline(always)]
    fn forward_body(&mut self, input: &[f32]) -> [f32; 2] {
        let (t, n) = (self.config.t_steps, self.config.n_features);
        let s = &mut self.scratch;
        let [steps, d_in] = self.config.shapes().lstm_in;
        let g8 = 8 * self.lstm.hidden;
        // This call's slot of the projection ring; rows the sliding window lets us keep
        // are moved up from the slot's previous contents (the call `period` ago).
        let reuse = self.slides.observe(input);
        let proj = &mut s.proj[reuse.slot * steps * g8..(reuse.slot + 1) * steps * g8];
        if !reuse.rows.is_empty() {
            proj.copy_within((reuse.rows.start + 1) * g8..(reuse.rows.end + 1) * g8, reuse.rows.start * g8);
        }
        let fresh = [0..reuse.rows.start, reuse.rows.end.max(reuse.rows.start)..steps];
        match &self.conv {
            Some([c1, c2]) => {
                let (t1, n1) = (t / 2, n / 2);
                let (t2, n2) = (t1 / 2, n1 / 2);
                pad_planes(input, 1, t, n, &mut s.padded); // [1, T + 2, N + 2]
                for rows in fresh.into_iter().filter(|r| !r.is_empty()) {
                    // Second-block rows j need first-block rows 2j − 1 ..= 2j + 2.
                    let block1_rows = (2 * rows.start).saturating_sub(1)..(2 * rows.end + 1).min(t1);
                    c1.pooled_rows(
                        &s.padded,
                        t,
                        n,
                        block1_rows,
                        &mut s.pair,
                        &mut s.block1,
                        RowLayout::bordered(t1, n1),
                    );
                    c2.pooled_rows(
                        &s.block1,
                        t1,
                        n1,
                        rows.clone(),
                        &mut s.pair,
                        &mut s.block2,
                        RowLayout::dense(t2, n2),
                    );
                    for i in rows {
                        // [c, T', N'] → one row [c·N'] (channel-major per step, as the burn reshape).
                        for ch in 0..c2.c_out {
                            s.lstm_row[ch * n2..(ch + 1) * n2].copy_from_slice(&s.block2[(ch * t2 + i) * n2..][..n2]);
                        }
                        self.lstm.project(&s.lstm_row, &mut proj[i * g8..(i + 1) * g8]);
                    }
                }
            }
            None => {
                for i in fresh.into_iter().flatten() {
                    self.lstm.project(&input[i * d_in..(i + 1) * d_in], &mut proj[i * g8..(i + 1) * g8]);
                }
            }
        }
        self.lstm.recur(
            steps,
            &mut LstmScratch {
                proj,
                gates: &mut s.gates,
                hidden: &mut s.hidden,
                cell: &mut s.cell,
                out: &mut s.lstm_out,
            },
        ); // [T', 2H]
        let d = 2 * self.lstm.hidden;
        s.pooled.fill(0.0);
        let inv_steps = 1.0 / steps as f32;
        match &self.attention {
            Some(a) => {
                a.query.forward(&s.lstm_out, steps, &mut s.q); // [T', d]
                a.key.forward(&s.lstm_out, steps, &mut s.k); // [T', d]
                a.value.forward(&s.lstm_out, steps, &mut s.v); // [T', d]
                                                               // mean_t(softmax(QKᵀ/√d) V) = (column means of the softmax matrix) · V.
                let scale = 1.0 / (d as f32).sqrt();
                for (j, k_row) in s.k.chunks_exact(d).enumerate() {
                    for (c, kv) in k_row.iter().enumerate() {
                        s.kt[c * steps + j] = *kv;
                    }
                }
                s.col_mean.fill(0.0);
                for i in 0..steps {
                    let q = &s.q[i * d..(i + 1) * d];
                    // scores[j] = Σ_c q[c]·k[j][c], summed in c order for every j (the bits of
                    // a per-key dot product), with the independent keys in the vector lanes.
                    s.scores.fill(-0.0);
                    for (c, qv) in q.iter().enumerate() {
                        for (sc, kv) in s.scores.iter_mut().zip(&s.kt[c * steps..(c + 1) * steps]) {
                            *sc += qv * kv;
                        }
                    }
                    let mut max = f32::NEG_INFINITY;
                    for sc in s.scores.iter_mut() {
                        *sc *= scale;
                        max = max.max(*sc);
                    }
                    // The exponentials vectorise on their own; the sum stays sequential
                    // (its order fixes the bits).
                    for sc in s.scores.iter_mut() {
                        *sc = fast_exp(*sc - max);
                    }
                    let mut sum = 0.0;
                    for sc in s.scores.iter() {
                        sum += *sc;
                    }
                    let norm = inv_steps / sum;
                    for (m, sc) in s.col_mean.iter_mut().zip(s.scores.iter()) {
                        *m += sc * norm;
                    }
                }
                for (j, m) in s.col_mean.iter().enumerate() {
                    for (p, v) in s.pooled.iter_mut().zip(&s.v[j * d..(j + 1) * d]) {
                        *p += m * v;
                    }
                }
            }
            None => {
                for row in s.lstm_out.chunks_exact(d) {
                    for (p, v) in s.pooled.iter_mut().zip(row) {
                        *p += v;
                    }
                }
                for p in s.pooled.iter_mut() {
                    *p *= inv_steps;
                }
            }
        }
        let mut out = [0.0f32; 2];
        self.head.forward(&s.pooled, 1, &mut out); // [2]
        out.map(sigmoid)
    }
}

#[inline(always)]
fn forward_body_of(net: &mut FastNetwork, input: &[f32]) -> [f32; 2] {
    net.forward_body(input)
}

simd::dispatch! {
    /// [`FastNetwork::forward`] at a given instruction-set level.
    fn forward_at = forward_body_of(net: &mut FastNetwork, input: &[f32]) -> [f32; 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Architecture;
    use burn::module::{Module, ModuleMapper, Param};
    use burn::tensor::{Device, Distribution};
    use rand::{Rng, SeedableRng};

    /// Replaces every float parameter (weights and BatchNorm running stats) with uniform
    /// noise in [−0.5, 0.5]; running variances are then reset to [0.5, 1.5].
    struct Randomize;
    impl ModuleMapper for Randomize {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let shape = param.lazy_shape();
            let device = param.lazy_device();
            let t = Tensor::<D>::random(shape, Distribution::Uniform(-0.5, 0.5), &device);
            Param::initialized(param.id, t)
        }
    }

    fn random_network(config: &ModelConfig, device: &Device) -> Network {
        let net = config.init(device).map(&mut Randomize);
        if let Some(blocks) = &net.cnn {
            for b in blocks {
                let c = config.conv_channels;
                b.norm.running_var.update(Tensor::<1>::random([c], Distribution::Uniform(0.5, 1.5), device));
            }
        }
        // `valid` folds pending running-state updates into the value burn's inference reads.
        net.valid()
    }

    /// burn (flex, inference mode) and the fast path agree to 1e-5 absolute on the sigmoid
    /// outputs for all architectures and T = 99/199/299 with random weights and inputs.
    /// 1e-5: f32 summation-order differences over ≤ 300-step recurrences and softmax sums
    /// stay around 1e-6 on outputs in (0, 1); a layout or gate-order bug moves them by ≫ 1e-3.
    #[test]
    fn fast_path_matches_burn() {
        let device = Device::flex();
        device.seed(7);
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for arch in Architecture::ALL {
            for t in [99, 199, 299] {
                let config = ModelConfig::new(arch, t, 94);
                let net = random_network(&config, &device);
                let mut fast = FastNetwork::new(&config, &net).unwrap();
                let batch = 2;
                let input: Vec<f32> = (0..batch * t * 94).map(|_| rng.random_range(-2.0..2.0)).collect();
                let x =
                    Tensor::<4>::from_data(burn::tensor::TensorData::new(input.clone(), [batch, 1, t, 94]), &device);
                let expected = net.forward(x).try_into_vec_as::<f32>().unwrap();
                for b in 0..batch {
                    let got = fast.forward(&input[b * t * 94..(b + 1) * t * 94]);
                    for k in 0..2 {
                        let e = expected[b * 2 + k];
                        assert!(
                            (got[k] - e).abs() <= 1e-5,
                            "{arch} T={t} batch {b} out {k}: fast {} vs burn {e}",
                            got[k]
                        );
                    }
                }
                // The outputs actually vary with the input (not a constant network).
                assert!((expected[0] - expected[2]).abs() > 1e-6 || (expected[1] - expected[3]).abs() > 1e-6);
            }
        }
    }

    /// A stream of windows sliding by one row (with a jump and a changed old value in
    /// between) gives, bit for bit, what a fresh network gives on each window alone: the
    /// reuse of [`super::super::sliding`] never changes an output. All architectures; `T`
    /// from the smallest allowed to the default, odd and even, so the reused band ranges from
    /// empty to all but two rows.
    #[test]
    fn sliding_windows_give_the_bits_of_fresh_passes() {
        let device = Device::flex();
        device.seed(17);
        let mut rng = rand::rngs::StdRng::seed_from_u64(23);
        let n = 13;
        for arch in Architecture::ALL {
            for t in [4, 7, 12, 20, 23, 40, 299] {
                let config = ModelConfig::new(arch, t, n);
                let net = random_network(&config, &device);
                let mut streaming = FastNetwork::new(&config, &net).unwrap();
                let mut signal: Vec<f32> = (0..(t + 30) * n).map(|_| rng.random_range(-2.0..2.0)).collect();
                let starts = (0..12).chain([14]).chain(15..30);
                for (call, start) in starts.enumerate() {
                    if call == 20 {
                        // An older row changes: no longer a slide of the previous window.
                        signal[(start + 1) * n + 2] += 0.5;
                    }
                    let window = &signal[start * n..(start + t) * n];
                    let got = streaming.forward(window);
                    let expected = FastNetwork::new(&config, &net).unwrap().forward(window);
                    assert_eq!(
                        got.map(f32::to_bits),
                        expected.map(f32::to_bits),
                        "{arch} T={t} call {call} (window from row {start})"
                    );
                }
            }
        }
    }

    /// Every instruction-set level gives the portable level's bits (the analyzer's output
    /// must not depend on the CPU it runs on).
    #[test]
    fn every_simd_level_gives_the_same_bits() {
        let device = Device::flex();
        device.seed(3);
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for arch in Architecture::ALL {
            let config = ModelConfig::new(arch, 99, 97);
            let net = random_network(&config, &device);
            let mut fast = FastNetwork::new(&config, &net).unwrap();
            let input: Vec<f32> = (0..99 * 97).map(|_| rng.random_range(-3.0..3.0)).collect();
            let reference = fast.forward_with(SimdLevel::Portable, &input);
            for level in SimdLevel::available() {
                let got = fast.forward_with(level, &input);
                assert_eq!(got.map(f32::to_bits), reference.map(f32::to_bits), "{arch} at {level:?}");
            }
        }
    }
}
