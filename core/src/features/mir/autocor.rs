//! Autocorrelation helpers shared by pitch and tempo.

/// MIRToolbox's "enhanced" autocorrelation (`mirautocor(..., 'Enhanced', 2:max_factor)`,
/// after Tolonen & Karjalainen 2000): the curve is half-wave rectified, then for
/// each factor `m` a copy time-stretched by `m` (value at lag `τ/m`, linearly
/// interpolated) is subtracted and the result rectified again. This removes the
/// peaks at multiples 2T, 3T, … of a period T (and the broad zero-lag lobe),
/// so the fundamental period wins. In place; `curve[τ]` is the value at lag `τ`.
pub(crate) fn enhance(curve: &mut [f32], max_factor: usize) {
    for v in curve.iter_mut() {
        *v = if *v > 0.0 { *v } else { 0.0 };
    }
    let len = curve.len();
    if len < 2 {
        curve.iter_mut().for_each(|v| *v = 0.0);
        return;
    }
    for m in 2..=max_factor {
        let inv = 1.0 / m as f32;
        // Lag τ = i·m + j reads the stretched copy at τ/m = i + j/m. Descending
        // lags read only smaller, not yet rewritten lags (or τ itself), so the
        // update can run in place; (i, j) are stepped instead of dividing.
        let mut tau = len - 1;
        let (mut i, mut j) = (tau / m, tau % m);
        while tau >= 1 {
            let v = curve[tau];
            // A zero stays zero: the stretched copy is never negative.
            if v > 0.0 {
                let lo = curve[i];
                let hi = if i + 1 < len { curve[i + 1] } else { 0.0 };
                let d = v - (lo + j as f32 * inv * (hi - lo));
                curve[tau] = if d > 0.0 { d } else { 0.0 };
            }
            tau -= 1;
            if j == 0 {
                j = m - 1;
                i = i.wrapping_sub(1);
            } else {
                j -= 1;
            }
        }
        curve[0] = 0.0;
    }
}

/// Vertex of the parabola through `(i−1, i, i+1)` of `curve`, as a fractional
/// index offset in `[−0.5, 0.5]` (0 at the borders or on a flat top).
pub(crate) fn parabolic_offset(curve: &[f32], i: usize) -> f32 {
    if i == 0 || i + 1 >= curve.len() {
        return 0.0;
    }
    let (a, b, c) = (curve[i - 1], curve[i], curve[i + 1]);
    let denom = a - 2.0 * b + c;
    if denom < 0.0 {
        (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
    } else {
        0.0
    }
}

/// Biased autocorrelation `r[τ] = Σ_n x[n]·x[n+τ]` for `τ = 0..r.len()`
/// (lags past the signal length are 0). Eight partial sums per lag keep the
/// loop vectorisable; the summation order is fixed, so the result is
/// deterministic.
pub(crate) fn autocorrelation(x: &[f32], r: &mut [f32]) {
    for (tau, out) in r.iter_mut().enumerate() {
        if tau >= x.len() {
            *out = 0.0;
            continue;
        }
        let a = &x[..x.len() - tau];
        let b = &x[tau..];
        let mut acc = [0.0f32; 8];
        let chunks = a.len() / 8;
        for c in 0..chunks {
            let (pa, pb) = (&a[c * 8..c * 8 + 8], &b[c * 8..c * 8 + 8]);
            for j in 0..8 {
                acc[j] += pa[j] * pb[j];
            }
        }
        let mut s: f32 = acc.iter().sum();
        for j in chunks * 8..a.len() {
            s += a[j] * b[j];
        }
        *out = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhancement_removes_the_double_period_peak() {
        // Peaks at 10 (period) and 20 (twice the period).
        let mut c = vec![0.0f32; 30];
        c[0] = 1.0;
        for (t, v) in c.iter_mut().enumerate().skip(1) {
            let d1 = (t as f32 - 10.0).abs();
            let d2 = (t as f32 - 20.0).abs();
            *v = (0.9 - 0.3 * d1).max(0.0) + (0.8 - 0.3 * d2).max(0.0);
        }
        enhance(&mut c, 4);
        assert!(c[10] > 0.5, "{c:?}");
        assert!(c[20] < 0.05, "{c:?}");
    }

    #[test]
    fn autocorrelation_matches_naive_sum() {
        let x: Vec<f32> = (0..37).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
        let mut r = vec![0.0; 40];
        autocorrelation(&x, &mut r);
        for (tau, &v) in r.iter().enumerate() {
            let naive: f32 = (0..x.len().saturating_sub(tau)).map(|n| x[n] * x[n + tau]).sum();
            assert!((v - naive).abs() < 1e-3, "lag {tau}: {v} vs {naive}");
        }
    }

    #[test]
    fn parabola_finds_vertex() {
        let c = [0.0, 3.0, 4.0, 3.5];
        let d = parabolic_offset(&c, 2);
        assert!(d > 0.0 && d < 0.5);
        assert_eq!(parabolic_offset(&c, 0), 0.0);
    }
}
