//! clap value parsers for numeric options, so a wrong number gets a message
//! that says what is allowed (`--lr 0`, `--batch-size 0`, `--window-s 1e-9`,
//! `--context-s 1e308`) instead of being accepted, and a negative one is not
//! mistaken for a flag (options using these set `allow_hyphen_values`).

pub use moodtap_core::steps::{MAX_WINDOW_S, MIN_WINDOW_S};
/// Context length bounds, s (a model sees this much audio).
pub const CONTEXT_S_RANGE: (f64, f64) = (1.0, 3600.0);

fn number(s: &str) -> Result<f64, String> {
    s.trim().parse::<f64>().map_err(|_| format!("'{s}' is not a number"))
}

/// A whole number ≥ 1.
pub fn positive_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<i128>() {
        Ok(n) if n >= 1 => usize::try_from(n).map_err(|_| format!("{s} is too large")),
        Ok(_) => Err(String::from("must be a whole number of at least 1")),
        Err(_) => Err(format!("'{s}' is not a whole number")),
    }
}

/// A whole number ≥ 0.
pub fn count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<i128>() {
        Ok(n) if n >= 0 => usize::try_from(n).map_err(|_| format!("{s} is too large")),
        Ok(_) => Err(String::from("must be a whole number of at least 0")),
        Err(_) => Err(format!("'{s}' is not a whole number")),
    }
}

/// A seed: a whole number from 0 to 2⁶⁴ − 1.
pub fn seed(s: &str) -> Result<u64, String> {
    match s.trim().parse::<i128>() {
        Ok(n) => u64::try_from(n).map_err(|_| format!("a seed is a whole number from 0 to {}", u64::MAX)),
        Err(_) => Err(format!("'{s}' is not a whole number")),
    }
}

/// A finite number > 0 (learning rates).
pub fn positive_number(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(String::from("must be a finite number greater than 0 (e.g. 1e-3)"))
    }
}

/// A step window in seconds, [`MIN_WINDOW_S`]..=[`MAX_WINDOW_S`].
pub fn window_s(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if v.is_finite() && (MIN_WINDOW_S..=MAX_WINDOW_S).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "must be between {MIN_WINDOW_S} and {MAX_WINDOW_S} seconds (each step summarises this much audio; default 1)"
        ))
    }
}

/// A context length in seconds, within [`CONTEXT_S_RANGE`].
pub fn context_s(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    let (lo, hi) = CONTEXT_S_RANGE;
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be between {lo} and {hi} seconds of audio (default 45)"))
    }
}

/// A hop between steps in seconds, 0.01..=60.
pub fn hop_s(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if v.is_finite() && (0.01..=60.0).contains(&v) {
        Ok(v)
    } else {
        Err(String::from("must be between 0.01 and 60 seconds"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonsense_is_refused_with_the_allowed_range() {
        assert!(positive_count("0").unwrap_err().contains("at least 1"));
        assert!(positive_count("-1").unwrap_err().contains("at least 1"));
        assert_eq!(positive_count("4"), Ok(4));
        assert!(positive_number("0").is_err() && positive_number("-1").is_err() && positive_number("nan").is_err());
        assert_eq!(positive_number("1e-3"), Ok(1e-3));
        assert!(window_s("1e-9").unwrap_err().contains("between 0.1"));
        assert!(context_s("1e308").unwrap_err().contains("between 1"));
        assert_eq!(context_s("45"), Ok(45.0));
        assert!(count("-2").is_err());
        assert!(seed("-1").unwrap_err().contains("from 0 to 18446744073709551615"));
        assert_eq!(seed("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(seed("66"), Ok(66));
    }
}
