//! `key_clarity` and `mode`: key strengths of the chromagram ([`super::chroma`])
//! against the Krumhansl–Kessler profiles, following MIRToolbox's
//! `mirkeystrength` (Pearson correlation of the chromagram with the 24
//! rotated major and minor profiles, Gómez 2006), `mirkey` (key clarity =
//! strength of the best key) and `mirmode` ('Best': strength of the best
//! major key minus that of the best minor key).
//!
//! Window: the chroma summed over the key context (default 15 s). Both are
//! dimensionless: key clarity in [−1, 1] (in practice 0…1), mode in [−2, 2],
//! positive for major. A chroma without energy or variation (silence, no
//! partials in 55–4186 Hz) gives 0 for both.

/// Krumhansl & Kessler (1982) probe-tone ratings for C major, C = index 0.
pub const KK_MAJOR: [f32; 12] = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
/// Krumhansl & Kessler (1982) probe-tone ratings for C minor, C = index 0.
pub const KK_MINOR: [f32; 12] = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];

/// Key analysis of one chroma vector.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KeyEstimate {
    /// Strength (correlation) of the best of the 24 keys.
    pub key_clarity: f32,
    /// Best major strength minus best minor strength.
    pub mode: f32,
    /// Tonic pitch class of the best key (0 = C).
    pub tonic: u8,
    /// Whether the best key is major.
    pub major: bool,
}

/// Pearson correlation of `x` with `profile` rotated to `tonic` (profile index
/// `i` applies to pitch class `(tonic + i) mod 12`); 0 when either is constant.
fn correlation(x: &[f64; 12], profile: &[f32; 12], tonic: usize) -> f64 {
    let mx = x.iter().sum::<f64>() / 12.0;
    let mp = profile.iter().map(|&v| v as f64).sum::<f64>() / 12.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (i, &p) in profile.iter().enumerate() {
        let dx = x[(tonic + i) % 12] - mx;
        let dy = p as f64 - mp;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let d = (sxx * syy).sqrt();
    if d > 1e-12 && d.is_finite() {
        sxy / d
    } else {
        0.0
    }
}

/// Key clarity, mode and best key of a chroma vector (any non-negative scale).
pub fn estimate(chroma: &[f32; 12]) -> KeyEstimate {
    let x = chroma.map(|v| if v.is_finite() { v as f64 } else { 0.0 });
    let (mut best_major, mut best_minor) = ((f64::NEG_INFINITY, 0usize), (f64::NEG_INFINITY, 0usize));
    for tonic in 0..12 {
        let a = correlation(&x, &KK_MAJOR, tonic);
        let b = correlation(&x, &KK_MINOR, tonic);
        if a > best_major.0 {
            best_major = (a, tonic);
        }
        if b > best_minor.0 {
            best_minor = (b, tonic);
        }
    }
    if best_major.0 == 0.0 && best_minor.0 == 0.0 {
        return KeyEstimate::default();
    }
    let major = best_major.0 >= best_minor.0;
    let (clarity, tonic) = if major { best_major } else { best_minor };
    KeyEstimate { key_clarity: clarity as f32, mode: (best_major.0 - best_minor.0) as f32, tonic: tonic as u8, major }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_recognise_themselves_in_every_key() {
        for t in 0..12 {
            let mut c = [0.0f32; 12];
            for i in 0..12 {
                c[(t + i) % 12] = KK_MAJOR[i];
            }
            let e = estimate(&c);
            assert!(e.major && e.tonic as usize == t && (e.key_clarity - 1.0).abs() < 1e-5 && e.mode > 0.0, "{e:?}");
            for i in 0..12 {
                c[(t + i) % 12] = KK_MINOR[i];
            }
            let e = estimate(&c);
            assert!(!e.major && e.tonic as usize == t && e.mode < 0.0, "{e:?}");
        }
    }

    #[test]
    fn flat_or_empty_chroma_is_zero() {
        assert_eq!(estimate(&[0.0; 12]), KeyEstimate::default());
        assert_eq!(estimate(&[3.0; 12]), KeyEstimate::default());
        assert_eq!(estimate(&[f32::NAN; 12]), KeyEstimate::default());
    }
}
