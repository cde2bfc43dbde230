//! Forward and backward pass of one training-mode CNN block, on plain `f32` slices:
//! 3×3 convolution (stride 1, zero padding 1, bias) → batch normalisation with the batch's own
//! statistics → ReLU → 2×2 max pool (stride 2, floor).
//!
//! This is the same function as [`super::network::ConvBlock`] computes out of burn tensor
//! operations, written as loops because burn records ~25 full-size tensor operations per
//! block under autodiff (pads, nine slices, a stack, the normalisation's reductions and
//! broadcasts, ReLU and pooling masks), each with its own full-size temporaries in the
//! backward pass; at our sizes (`[4, 4, 299, 94]`) those copies and their page faults were
//! most of a training step. [`super::conv_block_op`] wraps these loops as one burn operation
//! with a hand-written backward.
//!
//! Layouts are row-major: input `[batch, c_in, T, N]`, weight `[c_out, c_in, 3, 3]`,
//! output `[batch, c_out, T/2, N/2]`. Batch statistics are per output channel over
//! `batch × T × N` values, variance biased (as PyTorch and burn normalise).
//!
//! Backward (per channel, `M = batch·T·N`, `ẑ` the normalised convolution output,
//! `s = 1/√(σ² + ε)`): the pooled gradient goes to each window's maximum if that maximum is
//! positive (ReLU), giving `∂a`; then `∂γ = Σ ∂a·ẑ`, `∂β = Σ ∂a`,
//! `∂z = γ·s·(∂a − mean(∂a) − ẑ·mean(∂a·ẑ))` (Ioffe & Szegedy 2015), `∂bias = Σ ∂z`, and the
//! convolution's weight and input gradients are correlations of `∂z` with the padded input and
//! the weights.

use super::kernels::pad_planes;
use crate::dsp::simd::{self, SimdLevel};

/// Shapes of one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockDims {
    /// Batch size.
    pub batch: usize,
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Rows (time steps) of the input.
    pub rows: usize,
    /// Columns (features) of the input.
    pub cols: usize,
}

impl BlockDims {
    /// Pooled output rows `T/2` (floor).
    pub fn out_rows(&self) -> usize {
        self.rows / 2
    }
    /// Pooled output columns `N/2` (floor).
    pub fn out_cols(&self) -> usize {
        self.cols / 2
    }
    fn plane(&self) -> usize {
        self.rows * self.cols
    }
    fn padded_plane(&self) -> usize {
        (self.rows + 2) * (self.cols + 2)
    }
    /// Values in the input.
    pub fn input_len(&self) -> usize {
        self.batch * self.c_in * self.plane()
    }
    /// Values in the convolution output (and in the saved normalised activations).
    pub fn conv_len(&self) -> usize {
        self.batch * self.c_out * self.plane()
    }
    /// Values in the pooled output.
    pub fn output_len(&self) -> usize {
        self.batch * self.c_out * self.out_rows() * self.out_cols()
    }
    /// Values in the weight.
    pub fn weight_len(&self) -> usize {
        self.c_out * self.c_in * 9
    }
}

/// What the forward pass returns: the block output plus what backward and the running
/// statistics need.
#[derive(Debug, Clone)]
pub struct BlockForward {
    /// Pooled output `[batch, c_out, T/2, N/2]`.
    pub output: Vec<f32>,
    /// Normalised convolution output `ẑ` `[batch, c_out, T, N]` (kept for backward).
    pub normalised: Vec<f32>,
    /// Batch mean of the convolution output per channel `[c_out]`.
    pub mean: Vec<f32>,
    /// Biased batch variance per channel `[c_out]`.
    pub variance: Vec<f32>,
}

/// Gradients of one block.
#[derive(Debug, Clone)]
pub struct BlockGradients {
    /// `[batch, c_in, T, N]`, or empty when not requested.
    pub input: Vec<f32>,
    /// `[c_out, c_in, 3, 3]`.
    pub weight: Vec<f32>,
    /// `[c_out]`.
    pub bias: Vec<f32>,
    /// `[c_out]`.
    pub gamma: Vec<f32>,
    /// `[c_out]`.
    pub beta: Vec<f32>,
}

/// `input` with a zero border of one row/column: `[batch, c_in, T + 2, N + 2]`.
#[inline(always)]
fn pad(input: &[f32], dims: &BlockDims) -> Vec<f32> {
    let mut padded = vec![0.0f32; dims.batch * dims.c_in * dims.padded_plane()];
    pad_planes(input, dims.batch * dims.c_in, dims.rows, dims.cols, &mut padded);
    padded
}

/// `Σ aᵢ·bᵢ` with eight independent partial sums: a single running sum is a dependency
/// chain the compiler must keep in order, eight lanes let it vectorise.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (chunks_a, chunks_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = chunks_a.remainder().iter().zip(chunks_b.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in chunks_a.zip(chunks_b) {
        for k in 0..8 {
            lanes[k] += x[k] * y[k];
        }
    }
    tail + lanes.iter().sum::<f32>()
}

/// `Σ aᵢ`, vectorised as [`dot`].
#[inline(always)]
fn sum(a: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = a.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().sum();
    for x in chunks {
        for k in 0..8 {
            lanes[k] += x[k];
        }
    }
    tail + lanes.iter().sum::<f32>()
}

/// Index of the 3×3 tap `(ky, kx)` of weight `[co, ci]`.
#[inline(always)]
fn tap(dims: &BlockDims, co: usize, ci: usize, ky: usize, kx: usize) -> usize {
    ((co * dims.c_in + ci) * 3 + ky) * 3 + kx
}

/// Pooling window `(i, j)` of one normalised plane with `cols` columns: the index of its
/// largest `γ·ẑ + β` (first in row-major order on ties) and that value.
#[inline(always)]
fn window_max(z: &[f32], i: usize, j: usize, cols: usize, gamma: f32, beta: f32) -> (usize, f32) {
    let top = 2 * i * cols + 2 * j;
    let mut best = (top, gamma * z[top] + beta);
    for k in [top + 1, top + cols, top + cols + 1] {
        let a = gamma * z[k] + beta;
        if a > best.1 {
            best = (k, a);
        }
    }
    best
}

/// [`forward`]'s body, inlined into each SIMD variant.
#[inline(always)]
fn forward_impl(
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
    gamma: &[f32],
    beta: &[f32],
    epsilon: f64,
    dims: &BlockDims,
) -> BlockForward {
    let (rows, cols, plane) = (dims.rows, dims.cols, dims.plane());
    let padded = pad(input, dims);
    let mut conv = vec![0.0f32; dims.conv_len()]; // [batch, c_out, T, N]

    // Convolution: each output plane is its bias plus 9·c_in shifted, scaled input planes.
    for b in 0..dims.batch {
        for co in 0..dims.c_out {
            let out = &mut conv[(b * dims.c_out + co) * plane..][..plane];
            out.fill(bias[co]);
            for ci in 0..dims.c_in {
                let src = &padded[(b * dims.c_in + ci) * dims.padded_plane()..][..dims.padded_plane()];
                for ky in 0..3 {
                    for kx in 0..3 {
                        let w = weight[tap(dims, co, ci, ky, kx)];
                        for t in 0..rows {
                            let row_in = &src[(t + ky) * (cols + 2) + kx..][..cols];
                            let row_out = &mut out[t * cols..(t + 1) * cols];
                            for (o, &x) in row_out.iter_mut().zip(row_in) {
                                *o += w * x;
                            }
                        }
                    }
                }
            }
        }
    }

    // Batch statistics per channel (two passes: mean, then the centred sum of squares),
    // normalising in place: conv becomes ẑ.
    let count = (dims.batch * plane) as f64;
    let mut mean = vec![0.0f32; dims.c_out];
    let mut variance = vec![0.0f32; dims.c_out];
    for co in 0..dims.c_out {
        let planes = || (0..dims.batch).map(move |b| (b * dims.c_out + co) * plane);
        let mu = (planes().map(|s| sum(&conv[s..s + plane]) as f64).sum::<f64>() / count) as f32;
        let mut sq = 0.0f64;
        for s in planes() {
            let centred = &mut conv[s..s + plane];
            centred.iter_mut().for_each(|v| *v -= mu);
            sq += dot(centred, centred) as f64;
        }
        let var = sq / count;
        mean[co] = mu;
        variance[co] = var as f32;
        let inv_std = (1.0 / (var + epsilon).sqrt()) as f32;
        for s in planes() {
            conv[s..s + plane].iter_mut().for_each(|v| *v *= inv_std);
        }
    }

    // Affine, ReLU and 2×2 max pool: max(0, max over the window of γ·ẑ + β).
    let (out_rows, out_cols) = (dims.out_rows(), dims.out_cols());
    let mut output = vec![0.0f32; dims.output_len()];
    for b in 0..dims.batch {
        for co in 0..dims.c_out {
            let z = &conv[(b * dims.c_out + co) * plane..][..plane];
            let out = &mut output[(b * dims.c_out + co) * out_rows * out_cols..][..out_rows * out_cols];
            for i in 0..out_rows {
                for j in 0..out_cols {
                    let (_, a) = window_max(z, i, j, cols, gamma[co], beta[co]);
                    out[i * out_cols + j] = a.max(0.0);
                }
            }
        }
    }
    BlockForward { output, normalised: conv, mean, variance }
}

/// [`backward`]'s body, inlined into each SIMD variant.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn backward_impl(
    input: &[f32],
    weight: &[f32],
    gamma: &[f32],
    beta: &[f32],
    normalised: &[f32],
    variance: &[f32],
    epsilon: f64,
    output_grad: &[f32],
    input_grad: bool,
    dims: &BlockDims,
) -> BlockGradients {
    let (rows, cols, plane) = (dims.rows, dims.cols, dims.plane());
    let (out_rows, out_cols) = (dims.out_rows(), dims.out_cols());
    let count = (dims.batch * plane) as f64;

    // ∂a: each pooled gradient to its window's arg-max (first in row-major order), if the
    // window's maximum passed the ReLU.
    let mut grad = vec![0.0f32; dims.conv_len()]; // ∂a, later ∂z, [batch, c_out, T, N]
    for b in 0..dims.batch {
        for co in 0..dims.c_out {
            let z = &normalised[(b * dims.c_out + co) * plane..][..plane];
            let g_plane = &mut grad[(b * dims.c_out + co) * plane..][..plane];
            let g_out = &output_grad[(b * dims.c_out + co) * out_rows * out_cols..][..out_rows * out_cols];
            for i in 0..out_rows {
                for j in 0..out_cols {
                    let (best, a) = window_max(z, i, j, cols, gamma[co], beta[co]);
                    if a > 0.0 {
                        g_plane[best] = g_out[i * out_cols + j];
                    }
                }
            }
        }
    }

    // Batch norm: ∂γ, ∂β and ∂z, in place.
    let mut grad_gamma = vec![0.0f32; dims.c_out];
    let mut grad_beta = vec![0.0f32; dims.c_out];
    let mut grad_bias = vec![0.0f32; dims.c_out];
    for co in 0..dims.c_out {
        let planes = || (0..dims.batch).map(move |b| (b * dims.c_out + co) * plane);
        let (mut sum_g, mut sum_gz) = (0.0f64, 0.0f64);
        for s in planes() {
            sum_g += sum(&grad[s..s + plane]) as f64;
            sum_gz += dot(&grad[s..s + plane], &normalised[s..s + plane]) as f64;
        }
        grad_beta[co] = sum_g as f32;
        grad_gamma[co] = sum_gz as f32;
        let scale = (gamma[co] as f64 / (variance[co] as f64 + epsilon).sqrt()) as f32;
        let (mean_g, mean_gz) = ((sum_g / count) as f32, (sum_gz / count) as f32);
        let mut sum_dz = 0.0f64;
        for s in planes() {
            for (ga, &z) in grad[s..s + plane].iter_mut().zip(&normalised[s..s + plane]) {
                *ga = scale * (*ga - mean_g - z * mean_gz);
            }
            sum_dz += sum(&grad[s..s + plane]) as f64;
        }
        grad_bias[co] = sum_dz as f32;
    }

    // Convolution: ∂w = correlation of ∂z with the padded input; ∂x = ∂z spread back
    // through the taps (into a padded buffer, then cropped).
    let padded = pad(input, dims);
    let mut grad_weight = vec![0.0f32; dims.weight_len()];
    let mut grad_padded = if input_grad { vec![0.0f32; padded.len()] } else { Vec::new() };
    for b in 0..dims.batch {
        for co in 0..dims.c_out {
            let dz = &grad[(b * dims.c_out + co) * plane..][..plane];
            for ci in 0..dims.c_in {
                let base = (b * dims.c_in + ci) * dims.padded_plane();
                for ky in 0..3 {
                    for kx in 0..3 {
                        let k = tap(dims, co, ci, ky, kx);
                        let mut acc = 0.0f32;
                        for t in 0..rows {
                            let row_in = &padded[base + (t + ky) * (cols + 2) + kx..][..cols];
                            acc += dot(row_in, &dz[t * cols..(t + 1) * cols]);
                        }
                        grad_weight[k] += acc;
                        if input_grad {
                            let w = weight[k];
                            for t in 0..rows {
                                let row_out = &mut grad_padded[base + (t + ky) * (cols + 2) + kx..][..cols];
                                let row_dz = &dz[t * cols..(t + 1) * cols];
                                for (o, &d) in row_out.iter_mut().zip(row_dz) {
                                    *o += w * d;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let mut grad_input = Vec::new();
    if input_grad {
        grad_input = vec![0.0f32; dims.input_len()];
        for (plane_out, plane_in) in
            grad_input.chunks_exact_mut(plane).zip(grad_padded.chunks_exact(dims.padded_plane()))
        {
            for t in 0..rows {
                let start = (t + 1) * (cols + 2) + 1;
                plane_out[t * cols..(t + 1) * cols].copy_from_slice(&plane_in[start..start + cols]);
            }
        }
    }
    BlockGradients { input: grad_input, weight: grad_weight, bias: grad_bias, gamma: grad_gamma, beta: grad_beta }
}

simd::dispatch! {
    /// [`forward`] at a given instruction-set level.
    fn forward_at = forward_impl(input: &[f32], weight: &[f32], bias: &[f32], gamma: &[f32], beta: &[f32], epsilon: f64, dims: &BlockDims) -> BlockForward
}

simd::dispatch! {
    /// [`backward`] at a given instruction-set level.
    fn backward_at = backward_impl(input: &[f32], weight: &[f32], gamma: &[f32], beta: &[f32], normalised: &[f32], variance: &[f32], epsilon: f64, output_grad: &[f32], input_grad: bool, dims: &BlockDims) -> BlockGradients
}

/// Forward pass. `input` `[batch, c_in, T, N]`, `weight` `[c_out, c_in, 3, 3]`, `bias`,
/// `gamma`, `beta` `[c_out]`; `epsilon` as burn's `BatchNorm` (1e-5). Runs at the widest
/// [`SimdLevel`] the CPU has; every level gives the same bits (no FMA, fixed eight-lane sums).
pub fn forward(
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
    gamma: &[f32],
    beta: &[f32],
    epsilon: f64,
    dims: &BlockDims,
) -> BlockForward {
    forward_at(SimdLevel::detect(), input, weight, bias, gamma, beta, epsilon, dims)
}

/// Backward pass. `output_grad` `[batch, c_out, T/2, N/2]`; `normalised`, `variance` from
/// [`forward`] on the same `input`, `weight`, `gamma`, `beta`. The input gradient is computed
/// only when `input_grad` is true (the first block's input is data).
#[allow(clippy::too_many_arguments)]
pub fn backward(
    input: &[f32],
    weight: &[f32],
    gamma: &[f32],
    beta: &[f32],
    normalised: &[f32],
    variance: &[f32],
    epsilon: f64,
    output_grad: &[f32],
    input_grad: bool,
    dims: &BlockDims,
) -> BlockGradients {
    let level = SimdLevel::detect();
    backward_at(level, input, weight, gamma, beta, normalised, variance, epsilon, output_grad, input_grad, dims)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every instruction-set level the CPU has gives the baseline's bits, as the module
    /// promises. Correctness against burn's composed block is `network.rs`'s
    /// `fused_conv_block_matches_the_composed_block`.
    #[test]
    fn simd_levels_agree_bit_for_bit() {
        let dims = BlockDims { batch: 2, c_in: 3, c_out: 4, rows: 17, cols: 21 };
        let wave = |n: usize, k: f32| (0..n).map(|i| ((i as f32 * k).sin() * 1.7).fract()).collect::<Vec<f32>>();
        let (input, weight) = (wave(dims.input_len(), 0.37), wave(dims.weight_len(), 1.3));
        let (bias, gamma, beta) = (wave(4, 0.5), vec![0.9, -0.4, 1.2, 0.3], wave(4, 2.1));
        let grad = wave(dims.output_len(), 0.77);
        let base = forward_impl(&input, &weight, &bias, &gamma, &beta, 1e-5, &dims);
        let (n, v) = (&base.normalised, &base.variance);
        let base_grads = backward_impl(&input, &weight, &gamma, &beta, n, v, 1e-5, &grad, true, &dims);
        for level in SimdLevel::available() {
            let f = forward_at(level, &input, &weight, &bias, &gamma, &beta, 1e-5, &dims);
            assert_eq!((&f.output, &f.normalised, &f.mean, &f.variance), (&base.output, n, &base.mean, v), "{level:?}");
            let g = backward_at(level, &input, &weight, &gamma, &beta, n, v, 1e-5, &grad, true, &dims);
            assert_eq!(
                (g.input, g.weight, g.bias),
                (base_grads.input.clone(), base_grads.weight.clone(), base_grads.bias.clone()),
                "{level:?}"
            );
            assert_eq!((g.gamma, g.beta), (base_grads.gamma.clone(), base_grads.beta.clone()), "{level:?}");
        }
    }
}
