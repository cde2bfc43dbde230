//! Parabolic peak interpolation: the vertex of the parabola through three
//! points, as openSMILE's `smileMath_quadFrom3pts` computes it (same
//! arithmetic, so the eGeMAPS extractors that refine peaks with it —
//! harmonics, jitter/shimmer, pitch by subharmonic summation — keep their
//! parity with openSMILE).

/// `smileMath_quadFrom3pts`: vertex `(x, y)` of the parabola through three
/// points and its curvature `a`; falls back to the largest point (a = 0)
/// when no parabola exists.
pub fn quad_from_3pts(x1: f64, y1: f64, x2: f64, y2: f64, x3: f64, y3: f64) -> (f64, f64, f64) {
    let den = x1 * x1 * x2 + x2 * x2 * x3 + x3 * x3 * x1 - x3 * x3 * x2 - x2 * x2 * x1 - x1 * x1 * x3;
    if den != 0.0 {
        let a = (y1 * x2 + y2 * x3 + y3 * x1 - y3 * x2 - y2 * x1 - y1 * x3) / den;
        let b = (x1 * x1 * y2 + x2 * x2 * y3 + x3 * x3 * y1 - x3 * x3 * y2 - x2 * x2 * y1 - x1 * x1 * y3) / den;
        let c = (x1 * x1 * x2 * y3 + x2 * x2 * x3 * y1 + x3 * x3 * x1 * y2
            - x3 * x3 * x2 * y1
            - x2 * x2 * x1 * y3
            - x1 * x1 * x3 * y2)
            / den;
        if a != 0.0 {
            let x = -b / (2.0 * a);
            return (x, c - a * x * x, a);
        }
    }
    if y1 > y2 && y1 > y3 {
        (x1, y1, 0.0)
    } else if y2 > y1 && y2 > y3 {
        (x2, y2, 0.0)
    } else if y3 > y1 && y3 > y2 {
        (x3, y3, 0.0)
    } else {
        (x1, y1, 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quad_vertex() {
        // y = −2(x − 1.25)² + 3 through x = 0, 1, 2.
        let f = |x: f64| -2.0 * (x - 1.25) * (x - 1.25) + 3.0;
        let (x, y, a) = quad_from_3pts(0.0, f(0.0), 1.0, f(1.0), 2.0, f(2.0));
        assert!((x - 1.25).abs() < 1e-12 && (y - 3.0).abs() < 1e-12 && (a + 2.0).abs() < 1e-12);
        assert_eq!(quad_from_3pts(0.0, 1.0, 1.0, 1.0, 2.0, 1.0), (0.0, 1.0, 0.0));
    }
}
