//! `cFunctionalPercentiles` (`src/functionals/functionalPercentiles.cpp`)
//! with `interp = 1`: percentiles 0.2, 0.5, 0.8 and the range 0-2.

/// `getInterpPctl`: linear interpolation between `sorted[⌊p(N−1)⌋]` and
/// `sorted[⌈p(N−1)⌉]`, position in `f64`, weights and the sum in `f32`.
/// `sorted` must be non-empty and ascending.
pub fn interp_percentile(sorted: &[f32], p: f64) -> f32 {
    let n = sorted.len();
    let idx = p * (n as f64 - 1.0);
    let last = n.saturating_sub(1) as f64;
    let i1 = idx.floor().clamp(0.0, last) as usize;
    let i2 = idx.ceil().clamp(0.0, last) as usize;
    if i1 == i2 {
        return sorted[i1];
    }
    let w1 = (idx - i1 as f64) as f32;
    let w2 = (i2 as f64 - idx) as f32;
    sorted[i1] * w2 + sorted[i2] * w1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_like_opensmile() {
        let s = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(interp_percentile(&s, 0.5), 3.0);
        // 0.2 · 4 = 0.8 → 1·0.2 + 2·0.8
        assert!((interp_percentile(&s, 0.2) - 1.8).abs() < 1e-6);
        assert_eq!(interp_percentile(&[7.0], 0.8), 7.0);
    }
}
