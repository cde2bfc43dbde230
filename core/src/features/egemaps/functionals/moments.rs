//! Mean and moments: the summary `cFunctionals::doProcess` computes for every
//! functional (`src/functionals/functionals.cpp`) and `cFunctionalMoments`
//! (`src/functionals/functionalMoments.cpp`) with `amean = 1`,
//! `stddevNorm = 2`, `doRatioLimit = 0`.

/// Minimum, maximum and arithmetic mean of a non-empty contour, as
/// `cFunctionals::doProcess` computes them: the mean is accumulated in `f64`
/// starting from `x[0]`, divided by `N`, and handed on as `f32`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Smallest value.
    pub min: f32,
    /// Largest value.
    pub max: f32,
    /// Arithmetic mean (`*_amean`).
    pub mean: f32,
}

/// [`Summary`] of `x`; `None` for an empty contour (openSMILE then writes 0
/// for every functional of the contour).
pub fn summary(x: &[f32]) -> Option<Summary> {
    let (&first, rest) = x.split_first()?;
    let (mut min, mut max, mut sum) = (first, first, f64::from(first));
    for &v in rest {
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
        sum += f64::from(v);
    }
    Some(Summary { min, max, mean: (sum / x.len() as f64) as f32 })
}

/// `stddevNorm = 2`: population standard deviation divided by the signed
/// mean (`mean` as passed on by [`summary`]), both in `f64`; a zero mean
/// divides by 1; a zero variance gives 0. `x` must be non-empty.
pub fn stddev_norm(x: &[f32], mean: f32) -> f32 {
    let m = f64::from(mean);
    let mut m2 = 0.0f64;
    for &v in x {
        let d = f64::from(v) - m;
        m2 += d * d;
    }
    m2 /= x.len() as f64;
    if m2 > 0.0 {
        let denom = if m == 0.0 { 1.0 } else { m };
        (m2.sqrt() / denom) as f32
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_and_stddev_norm() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let s = summary(&x).unwrap();
        assert_eq!((s.min, s.max, s.mean), (1.0, 4.0, 2.5));
        let want = (1.25f64).sqrt() / 2.5;
        assert!((f64::from(stddev_norm(&x, s.mean)) - want).abs() < 1e-7);
        assert!(summary(&[]).is_none());
    }

    #[test]
    fn stddev_norm_of_constant_and_zero_mean() {
        assert_eq!(stddev_norm(&[3.0; 5], 3.0), 0.0);
        // zero mean: divided by 1, i.e. the plain standard deviation
        let x = [-1.0, 1.0];
        assert_eq!(stddev_norm(&x, summary(&x).unwrap().mean), 1.0);
        // signed mean: negative contours give a negative stddevNorm
        assert!(stddev_norm(&[-1.0, -3.0], -2.0) < 0.0);
    }
}
