//! `novelty`: music state change, following MIRToolbox's `mirnovelty`
//! (Foote 2000: a Gaussian-tapered checkerboard kernel slid along the
//! diagonal of a self-similarity matrix, cosine similarity).
//!
//! - Features: per 10 ms frame, the mel band powers of the shared 20 ms
//!   Hamming spectrum (`spec25`; private filterbank in [`super::mel`],
//!   applied once per block to the summed power spectrum) are averaged over
//!   blocks of `BLOCK_FRAMES` frames (≈ 100 ms); each block
//!   becomes an MFCC vector c1…c12, scaled to unit length (an all-silent
//!   block gives the zero vector, similar to nothing).
//! - Similarity: `S(i, j) = v_i · v_j` (cosine).
//! - Kernel: `K(u, v) = sign(u)·sign(v)·g(u)·g(v)` over block offsets
//!   `u, v ∈ {−H … H−1}` (offset `+½`), `g` a Gaussian with σ = H/2, with
//!   `H` = `half_kernel_s` (default 1 s, so the kernel spans 2 s; MIRToolbox's
//!   default kernel spans about 3 s). Novelty at the boundary before block `c`
//!   is `Σ K·S / (½·Σ|K|)`: the weighted mean similarity within the two
//!   halves minus the one across them, in [−2, 2]; negative values (which
//!   carry no change) are clamped to 0. Dimensionless.
//! - Latency: the kernel needs `H` seconds after its centre, so the novelty
//!   of a boundary is known `H` seconds later. A step at time `t` with window
//!   `w` reports the mean novelty of the boundaries in `[t − H − w, t − H)`
//!   ([`super::MirExtractor::novelty_lag_s`]); 0 before the first complete
//!   kernel (inputs shorter than 2·H).

use super::mel::{BlockBands, N_CEPS};
use super::ring::Ring;

/// Frames per similarity block (≈ 100 ms at a 10 ms hop).
pub const BLOCK_FRAMES: usize = 10;

/// Cepstral vector norm below which a block counts as spectrally flat
/// (nats of log power; a 1 dB ripple across the bands is ≈ 0.1).
const FLAT_CEPSTRUM_NORM: f32 = 1e-3;

/// A novelty value with the frame index of its kernel centre.
#[derive(Debug, Clone, Copy, Default)]
struct Point {
    centre_frame: u64,
    value: f32,
}

/// Streaming Foote novelty.
#[derive(Debug, Clone)]
pub(crate) struct Novelty {
    /// Mel band powers per block of [`BLOCK_FRAMES`] frames.
    bands: BlockBands,
    /// Half-kernel in blocks.
    half: usize,
    kernel: Vec<f32>,
    kernel_half_abs: f32,
    blocks_done: u64,
    vectors: Ring<[f32; N_CEPS]>,
    /// Flattened copy of the vectors in the kernel span, oldest first.
    span: Vec<[f32; N_CEPS]>,
    curve: Ring<Point>,
}

impl Novelty {
    /// For `spec25` spectra (`n_fft` points, window sum `window_sum`) at
    /// `fps` frames per second; `half_kernel_s` as above; keeps novelty
    /// values covering `history_frames` frames.
    pub(crate) fn new(
        sample_rate_hz: u32,
        n_fft: usize,
        window_sum: f64,
        fps: f64,
        half_kernel_s: f64,
        history_frames: usize,
    ) -> Self {
        let half = ((half_kernel_s.max(0.0) * fps / BLOCK_FRAMES as f64).round() as usize).max(1);
        let width = 2 * half;
        let sigma = half as f64 / 2.0;
        let g = |u: usize| {
            let x = u as f64 - half as f64 + 0.5;
            (-0.5 * (x / sigma) * (x / sigma)).exp()
        };
        let mut kernel = vec![0.0f32; width * width];
        for u in 0..width {
            for v in 0..width {
                let sign = if (u < half) == (v < half) { 1.0 } else { -1.0 };
                kernel[u * width + v] = (sign * g(u) * g(v)) as f32;
            }
        }
        let kernel_half_abs = 0.5 * kernel.iter().map(|k| k.abs()).sum::<f32>();
        Self {
            bands: BlockBands::new(sample_rate_hz, n_fft, window_sum, BLOCK_FRAMES),
            half,
            kernel,
            kernel_half_abs,
            blocks_done: 0,
            vectors: Ring::new(width),
            span: vec![[0.0; N_CEPS]; width],
            curve: Ring::new(history_frames / BLOCK_FRAMES + 2),
        }
    }

    /// Latency of the novelty curve in frames (the half-kernel).
    pub(crate) fn lag_frames(&self) -> u64 {
        (self.half * BLOCK_FRAMES) as u64
    }

    /// Adds one `spec25` magnitude spectrum.
    pub(crate) fn push(&mut self, mag25: &[f32]) {
        let Some(bands) = self.bands.push(mag25) else {
            return;
        };
        let mut v = [0.0f32; N_CEPS];
        self.bands.mel().cepstrum(&bands, &mut v);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        // A flat log spectrum (silence at the power floor) has a cepstrum of
        // rounding noise only; real spectra have norms of order 1 and above.
        if norm > FLAT_CEPSTRUM_NORM && norm.is_finite() {
            v.iter_mut().for_each(|x| *x /= norm);
        } else {
            v = [0.0; N_CEPS];
        }
        self.vectors.push(v);
        self.blocks_done += 1;
        let width = 2 * self.half;
        if self.vectors.len() < width {
            return;
        }
        for (d, s) in self.span.iter_mut().zip(self.vectors.iter_last(width)) {
            *d = *s;
        }
        let mut sum = 0.0f32;
        for u in 0..width {
            for w in u..width {
                let sim: f32 = self.span[u].iter().zip(&self.span[w]).map(|(a, b)| a * b).sum();
                let k = self.kernel[u * width + w];
                sum += if u == w { k * sim } else { 2.0 * k * sim };
            }
        }
        let value = (sum / self.kernel_half_abs).max(0.0);
        let centre_block = self.blocks_done - self.half as u64;
        self.curve.push(Point {
            centre_frame: centre_block * BLOCK_FRAMES as u64,
            value: if value.is_finite() { value } else { 0.0 },
        });
    }

    /// Mean novelty of the boundaries with centre frame in `[lo, hi)`; 0 if none.
    pub(crate) fn summary(&self, lo: i64, hi: i64) -> f32 {
        let (mut sum, mut n) = (0.0f64, 0u32);
        for p in self.curve.iter_last(usize::MAX) {
            let c = p.centre_frame as i64;
            if c >= lo && c < hi {
                sum += p.value as f64;
                n += 1;
            }
        }
        if n > 0 {
            (sum / n as f64) as f32
        } else {
            0.0
        }
    }

    /// The novelty curve held now: (centre frame, value), oldest first.
    pub(crate) fn curve(&self) -> impl Iterator<Item = (u64, f32)> + '_ {
        self.curve.iter_last(usize::MAX).map(|p| (p.centre_frame, p.value))
    }

    pub(crate) fn clear(&mut self) {
        self.bands.clear();
        self.blocks_done = 0;
        self.vectors.clear();
        self.curve.clear();
    }
}
