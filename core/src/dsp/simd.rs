//! Runtime-selected vector widths for the few hot loops of the eGeMAPS
//! extractors that are plain arithmetic over contiguous slices.
//!
//! Each kernel here is written once as portable Rust whose result does not
//! depend on the vector width (element-wise operations, or sums split into a
//! fixed number of interleaved partial sums with a fixed reduction order),
//! and compiled three times: for the baseline target (SSE2 on x86-64), with
//! AVX2 and with AVX-512F enabled. [`SimdLevel::detect`] picks the widest the
//! running CPU supports. No kernel enables FMA: a fused multiply-add rounds
//! once where openSMILE rounds twice, so every level gives the same bits,
//! which the tests check against the portable version.

/// Instruction-set level for the kernels of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimdLevel {
    /// The compilation target's baseline (SSE2 on x86-64, anything elsewhere).
    Portable,
    /// x86-64 with AVX2 (256-bit vectors).
    Avx2,
    /// x86-64 with AVX-512F (512-bit vectors).
    Avx512,
}

impl SimdLevel {
    /// The widest level the running CPU supports.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Self::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Self::Avx2;
            }
        }
        Self::Portable
    }

    /// Every level the running CPU supports (for tests comparing them).
    pub fn available() -> Vec<Self> {
        let best = Self::detect();
        [Self::Portable, Self::Avx2, Self::Avx512].into_iter().filter(|&l| l as u8 <= best as u8).collect()
    }
}

/// Defines `$name(level, args…)` that runs the `#[inline(always)]` portable
/// body `$body_fn` compiled for the requested [`SimdLevel`]. The body must
/// give the same result whatever the vector width (see the module docs).
macro_rules! dispatch {
    ($(#[$doc:meta])* $vis:vis fn $name:ident = $body_fn:ident($($arg:ident : $ty:ty),*) -> $ret:ty) => {
        $(#[$doc])*
        $vis fn $name(level: SimdLevel, $($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                /// # Safety
                /// The CPU must support AVX2.
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) -> $ret {
                    $body_fn($($arg),*)
                }
                /// # Safety
                /// The CPU must support AVX-512F.
                #[target_feature(enable = "avx512f")]
                unsafe fn avx512($($arg: $ty),*) -> $ret {
                    $body_fn($($arg),*)
                }
                match level {
                    // SAFETY: `level` comes from `SimdLevel::detect` (or
                    // `available`), so the running CPU has the feature.
                    SimdLevel::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: as above.
                    SimdLevel::Avx2 => return unsafe { avx2($($arg),*) },
                    SimdLevel::Portable => {}
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = level;
            $body_fn($($arg),*)
        }
    };
}

pub(crate) use dispatch;

/// Partial sums of [`dot_f64`].
const DOT_LANES: usize = 8;

#[inline(always)]
fn dot_f64_body(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; DOT_LANES];
    let (ca, cb) = (a.chunks_exact(DOT_LANES), b.chunks_exact(DOT_LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..DOT_LANES {
            acc[k] += x[k] * y[k];
        }
    }
    for (k, (&x, &y)) in ra.iter().zip(rb).enumerate() {
        acc[k] += x * y;
    }
    // Halving reduction: lanes k and k + 4, then k and k + 2, then 0 and 1.
    let h: [f64; 4] = std::array::from_fn(|k| acc[k] + acc[k + 4]);
    let q: [f64; 2] = std::array::from_fn(|k| h[k] + h[k + 2]);
    q[0] + q[1]
}

dispatch! {
    /// `Σ a[i]·b[i]` over the common length, in f64, as eight interleaved
    /// partial sums (sum `k` adds the products with `i ≡ k (mod 8)` in
    /// increasing `i`) reduced pairwise: the same bits at every level.
    pub fn dot_f64 = dot_f64_body(a: &[f64], b: &[f64]) -> f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn every_level_gives_the_portable_bits() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(29);
        for n in [0usize, 1, 3, 7, 8, 9, 15, 16, 17, 100, 257, 1000] {
            let a: Vec<f64> =
                (0..n).map(|_| rng.random_range(-1.0..1.0) * 10f64.powi(rng.random_range(-8..3))).collect();
            let b: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let want = dot_f64_body(&a, &b);
            // The reference order, written out.
            let mut acc = [0.0f64; 8];
            for i in 0..n {
                acc[i % 8] += a[i] * b[i];
            }
            let tree = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
            assert_eq!(want.to_bits(), tree.to_bits(), "n {n}");
            for level in SimdLevel::available() {
                assert_eq!(dot_f64(level, &a, &b).to_bits(), want.to_bits(), "{level:?}, n {n}");
            }
        }
    }

    #[test]
    fn detection_is_consistent() {
        let all = SimdLevel::available();
        assert_eq!(all[0], SimdLevel::Portable);
        assert_eq!(*all.last().unwrap(), SimdLevel::detect());
    }
}
