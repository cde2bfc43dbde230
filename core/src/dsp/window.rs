//! Analysis windows, as openSMILE defines them (`src/smileutil/smileUtil.c`,
//! `smileDsp_winHam`, `smileDsp_winGau`).

/// Hamming window of `n` points: `0.54 − 0.46·cos(2πi/(n−1))`.
pub fn hamming(n: usize) -> Vec<f32> {
    if n <= 1 {
        return vec![1.0; n];
    }
    let nm1 = (n - 1) as f64;
    (0..n).map(|i| (0.54 - 0.46 * (2.0 * std::f64::consts::PI * i as f64 / nm1).cos()) as f32).collect()
}

/// Periodic Hann window of `n` points: `0.5 − 0.5·cos(2πi/n)` (for FFT
/// analysis frames that are not openSMILE's).
pub fn hann(n: usize) -> Vec<f32> {
    (0..n).map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n.max(1) as f64).cos()) as f32).collect()
}

/// Gaussian window of `n` points with standard deviation `sigma` relative to
/// half the window length: `exp(−½·((i − (n−1)/2) / (sigma·(n−1)/2))²)`.
/// `sigma` is clamped to openSMILE's range `(0, 0.5]` (0.01 if not positive).
pub fn gauss(n: usize, sigma: f64) -> Vec<f32> {
    if n <= 1 {
        return vec![1.0; n];
    }
    let sigma = if sigma <= 0.0 { 0.01 } else { sigma.min(0.5) };
    let nm1 = (n - 1) as f64;
    (0..n)
        .map(|i| {
            let t = (i as f64 - nm1 / 2.0) / (sigma * nm1 / 2.0);
            (-0.5 * t * t).exp() as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hamming_endpoints_and_peak() {
        let w = hamming(441);
        assert!((w[0] - 0.08).abs() < 1e-6);
        assert!((w[440] - 0.08).abs() < 1e-6);
        assert!((w[220] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn gauss_is_half_at_sigma_definition_point() {
        // At i = (n-1)/2 ± sigma·(n-1)/2 the exponent is −½, i.e. exp(−½).
        let n = 1323;
        let w = gauss(n, 0.4);
        let centre = (n - 1) / 2;
        assert!((w[centre] - 1.0).abs() < 1e-6);
        let off = (0.4 * (n - 1) as f64 / 2.0).round() as usize;
        assert!((w[centre + off] as f64 - (-0.5f64).exp()).abs() < 1e-3);
        assert!((w[0] - w[n - 1]).abs() < 1e-7);
    }
}
