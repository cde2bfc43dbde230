//! One CNN block of the fast path ([`super::fast`]): 3×3 convolution (padding 1) with its
//! BatchNorm folded in, ReLU, 2×2/2 max pool, computed **by pooled output row**, so that a
//! caller can ask for only the rows it does not already have ([`super::sliding`]).
//!
//! Every output value is computed by the same expression whichever rows are asked for:
//! bias, then per input channel in order the nine taps summed left to right. Rows computed
//! alone are therefore bit-identical to the same rows of a full pass.

use std::ops::Range;

use super::file::ModelFileError;
use super::network::ConvBlock;

/// One conv block with its BatchNorm folded in: `relu(pool(conv'(x)))`.
#[derive(Debug, Clone)]
pub(super) struct FastConv {
    pub(super) c_in: usize,
    pub(super) c_out: usize,
    /// `[c_out, c_in, 3, 3]`, BatchNorm scale folded in.
    pub(super) weight: Vec<f32>,
    /// `[c_out]`, BatchNorm shift folded in.
    bias: Vec<f32>,
}

/// Where rows of a `[channels, rows, cols]` array live in a flat buffer: element
/// `(ch, row, col)` is at `offset + ch · plane + row · stride + col`.
#[derive(Debug, Clone, Copy)]
pub(super) struct RowLayout {
    plane: usize,
    stride: usize,
    offset: usize,
}

impl RowLayout {
    /// Dense `[channels, rows, cols]`.
    pub(super) fn dense(rows: usize, cols: usize) -> Self {
        Self { plane: rows * cols, stride: cols, offset: 0 }
    }

    /// Inside a zero border of one row and one column: `[channels, rows + 2, cols + 2]`, the
    /// input layout [`FastConv::pooled_rows`] reads.
    pub(super) fn bordered(rows: usize, cols: usize) -> Self {
        Self { plane: (rows + 2) * (cols + 2), stride: cols + 2, offset: cols + 3 }
    }
}

impl FastConv {
    /// Reads a burn block and folds its BatchNorm (running statistics) into the convolution.
    pub(super) fn from_block(block: &ConvBlock) -> Result<Self, ModelFileError> {
        use super::fast::{check_len, read};
        let [c_out, c_in, kh, kw] = block.conv.weight.val().dims();
        if [kh, kw] != [3, 3] {
            return Err(ModelFileError::Record(format!("conv kernel {kh}×{kw}, expected 3×3")));
        }
        let mut weight = read(block.conv.weight.val(), "conv.weight")?;
        let mut bias = read(block.conv.bias.val(), "conv.bias")?;
        let gamma = read(block.norm.gamma.val(), "norm.gamma")?;
        let beta = read(block.norm.beta.val(), "norm.beta")?;
        let mean = read(block.norm.running_mean.value_sync(), "norm.running_mean")?;
        let var = read(block.norm.running_var.value_sync(), "norm.running_var")?;
        for (v, name) in [
            (&bias, "conv.bias"),
            (&gamma, "norm.gamma"),
            (&beta, "norm.beta"),
            (&mean, "norm.running_mean"),
            (&var, "norm.running_var"),
        ] {
            check_len(v, c_out, name)?;
        }
        check_len(&weight, c_out * c_in * 9, "conv.weight")?;
        if var.iter().any(|v| *v < 0.0) {
            return Err(ModelFileError::Record("norm.running_var: negative variance".into()));
        }
        // BatchNorm (inference): y = (x − μ) / √(σ² + ε) · γ + β, folded into the conv:
        // w' = w·s, b' = (b − μ)·s + β with s = γ / √(σ² + ε). Computed in f64.
        let eps = block.norm.epsilon;
        for co in 0..c_out {
            let scale = f64::from(gamma[co]) / (f64::from(var[co]) + eps).sqrt();
            for w in &mut weight[co * c_in * 9..(co + 1) * c_in * 9] {
                *w = (f64::from(*w) * scale) as f32;
            }
            bias[co] = ((f64::from(bias[co]) - f64::from(mean[co])) * scale + f64::from(beta[co])) as f32;
        }
        if weight.iter().chain(&bias).any(|v| !v.is_finite()) {
            return Err(ModelFileError::NonFiniteWeight("conv (after BatchNorm folding)"));
        }
        Ok(Self { c_in, c_out, weight, bias })
    }

    /// Pooled output rows `rows` (of `t / 2`, floor) of this block for an input of `t × n`
    /// per channel held in `padded` with its zero border ([`RowLayout::bordered`]`(t, n)`):
    /// conv rows `2i` and `2i + 1` into `pair` (`[2n]` scratch), ReLU and 2×2 max pool,
    /// written to `out` in `layout` (`n / 2` columns). Reads padded rows `2·rows.start ..
    /// 2·rows.end + 2` only.
    #[inline(always)]
    pub(super) fn pooled_rows(
        &self,
        padded: &[f32],
        t: usize,
        n: usize,
        rows: Range<usize>,
        pair: &mut [f32],
        out: &mut [f32],
        layout: RowLayout,
    ) {
        let np = n + 2;
        let padded_plane = (t + 2) * np;
        let n2 = n / 2;
        let (first, second) = pair[..2 * n].split_at_mut(n);
        for i in rows {
            for co in 0..self.c_out {
                for (half, o_row) in [&mut *first, &mut *second].into_iter().enumerate() {
                    let row = 2 * i + half;
                    o_row.fill(self.bias[co]);
                    for ci in 0..self.c_in {
                        let k = &self.weight[(co * self.c_in + ci) * 9..][..9];
                        // Input rows row−1, row, row+1 are padded rows row, row+1, row+2; the
                        // three column shifts are kx = 0, 1, 2 (columns j−1, j, j+1).
                        let base = ci * padded_plane + row * np;
                        let r0 = &padded[base..base + np];
                        let r1 = &padded[base + np..base + 2 * np];
                        let r2 = &padded[base + 2 * np..base + 3 * np];
                        let (a0, a1, a2) = (&r0[..n], &r0[1..n + 1], &r0[2..n + 2]);
                        let (b0, b1, b2) = (&r1[..n], &r1[1..n + 1], &r1[2..n + 2]);
                        let (c0, c1, c2) = (&r2[..n], &r2[1..n + 1], &r2[2..n + 2]);
                        for j in 0..n {
                            o_row[j] += k[0] * a0[j]
                                + k[1] * a1[j]
                                + k[2] * a2[j]
                                + k[3] * b0[j]
                                + k[4] * b1[j]
                                + k[5] * b2[j]
                                + k[6] * c0[j]
                                + k[7] * c1[j]
                                + k[8] * c2[j];
                        }
                    }
                }
                // ReLU then 2×2/2 max pool (floor). relu(max(·)) = max(relu(·)): ReLU is monotone.
                let o = &mut out[layout.offset + co * layout.plane + i * layout.stride..][..n2];
                for (j, o) in o.iter_mut().enumerate() {
                    let m = first[2 * j].max(first[2 * j + 1]).max(second[2 * j]).max(second[2 * j + 1]);
                    *o = m.max(0.0);
                }
            }
        }
    }
}
