//! Small statistics every part of moodtap uses (feature selection, dataset
//! checks, evaluation, tests), defined once.

/// Pearson correlation of `x` and `y` over their common length, clamped to
/// [−1, 1]. `None` when it is undefined: fewer than two pairs, either side
/// constant, or non-finite values. Callers decide what undefined means for
/// them (feature selection: no correlation).
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let (x, y) = (&x[..n], &y[..n]);
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    let d = (sxx * syy).sqrt();
    (d > 0.0 && d.is_finite() && sxy.is_finite()).then(|| (sxy / d).clamp(-1.0, 1.0))
}

/// Root mean square of `x − y` over their common length (NaN when empty).
pub fn rmse(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    (x.iter().zip(y).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / n as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_known_values_and_undefined_cases() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-12);
        let r = pearson(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((r - 0.8).abs() < 1e-12, "{r}");
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None, "constant side");
        assert_eq!(pearson(&[1.0], &[1.0]), None, "one pair");
        assert_eq!(pearson(&[], &[]), None, "empty");
        assert_eq!(pearson(&[1.0, f64::NAN, 3.0], &[1.0, 2.0, 3.0]), None, "NaN");
        assert!((pearson(&[1.0, 2.0, 3.0, 99.0], &[2.0, 4.0, 6.0]).unwrap() - 1.0).abs() < 1e-12, "common length");
    }

    #[test]
    fn rmse_known_values() {
        assert_eq!(rmse(&[1.0, 2.0], &[1.0, 4.0]), 2f64.sqrt());
        assert!(rmse(&[], &[]).is_nan());
    }
}
