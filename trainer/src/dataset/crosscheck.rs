//! Static-vs-dynamic label cross-check (docs/design.md §6).
//!
//! For the same songs, each static dimension should correlate strongly with
//! the song mean of the same dynamic dimension (EmoMusic sample: r ≈ 0.95).
//! If static valence tracks dynamic arousal better than dynamic valence (and
//! vice versa), the static columns are named the wrong way round.

use std::collections::HashMap;
use std::path::Path;

use super::DatasetError;
use moodtap_core::stats::pearson;

/// Below this same-dimension r the labels are reported as weakly consistent.
pub const MIN_CONSISTENT_R: f64 = 0.9;

/// The cross-check's correlations over `n` songs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossCheck {
    /// Songs with both static and dynamic labels.
    pub n: usize,
    /// r(static valence, mean dynamic valence).
    pub r_valence: f64,
    /// r(static arousal, mean dynamic arousal).
    pub r_arousal: f64,
    /// r(static valence, mean dynamic arousal).
    pub r_valence_vs_dynamic_arousal: f64,
    /// r(static arousal, mean dynamic valence).
    pub r_arousal_vs_dynamic_valence: f64,
}

impl CrossCheck {
    /// Correlates static `(id, valence, arousal)` with per-song dynamic means.
    /// `None` with fewer than 3 common songs.
    pub fn compute(
        statics: &[(String, f32, f32)],
        dyn_valence: &HashMap<String, f64>,
        dyn_arousal: &HashMap<String, f64>,
    ) -> Option<Self> {
        let mut sv = Vec::new();
        let mut sa = Vec::new();
        let mut dv = Vec::new();
        let mut da = Vec::new();
        for (id, v, a) in statics {
            if let (Some(&x), Some(&y)) = (dyn_valence.get(id), dyn_arousal.get(id)) {
                sv.push(*v as f64);
                sa.push(*a as f64);
                dv.push(x);
                da.push(y);
            }
        }
        if sv.len() < 3 {
            return None;
        }
        Some(Self {
            n: sv.len(),
            // Undefined (a constant side) reads as no agreement.
            r_valence: pearson(&sv, &dv).unwrap_or(0.0),
            r_arousal: pearson(&sa, &da).unwrap_or(0.0),
            r_valence_vs_dynamic_arousal: pearson(&sv, &da).unwrap_or(0.0),
            r_arousal_vs_dynamic_valence: pearson(&sa, &dv).unwrap_or(0.0),
        })
    }

    /// True when the crossed correlations beat the straight ones on average.
    pub fn looks_swapped(&self) -> bool {
        let straight = self.r_valence + self.r_arousal;
        let crossed = self.r_valence_vs_dynamic_arousal + self.r_arousal_vs_dynamic_valence;
        crossed > straight
    }

    /// True when both same-dimension correlations reach [`MIN_CONSISTENT_R`].
    pub fn consistent(&self) -> bool {
        self.r_valence >= MIN_CONSISTENT_R && self.r_arousal >= MIN_CONSISTENT_R
    }

    /// One-paragraph description for reports.
    pub fn describe(&self) -> String {
        format!(
            "static vs mean dynamic labels over {} songs: valence r = {:.3}, arousal r = {:.3} \
             (crossed: static valence vs dynamic arousal r = {:.3}, static arousal vs dynamic valence r = {:.3}){}",
            self.n,
            self.r_valence,
            self.r_arousal,
            self.r_valence_vs_dynamic_arousal,
            self.r_arousal_vs_dynamic_valence,
            if self.consistent() { "" } else { " — weaker than the expected r > 0.9" }
        )
    }
}

/// Per-song mean of a dynamic-annotation file (`song_id, sample_15000ms, …`,
/// rows may be ragged), on the [0, 1] scale [`super::dynamic`] reads it to
/// (correlation is scale-free, so the check is the same as on −1…1).
pub fn read_dynamic_means(path: &Path) -> Result<HashMap<String, f64>, DatasetError> {
    Ok(super::dynamic::read_dimension(path)?
        .into_iter()
        .map(|(id, series)| {
            let mean = series.iter().map(|&(_, v)| f64::from(v)).sum::<f64>() / series.len() as f64;
            (id, mean)
        })
        .collect())
}

/// Applies the check to labels as they will be used: swapped-looking labels
/// are an error, with advice that depends on whether `--swap-va` was given.
pub fn enforce(check: &CrossCheck, swap_requested: bool) -> Result<(), DatasetError> {
    if check.looks_swapped() {
        let advice = if swap_requested {
            "With --swap-va the static labels disagree with the dynamic ones: the file was right as it is; drop --swap-va."
        } else {
            "The static file's valence/arousal columns look swapped. Check the dataset's documentation; if you agree, re-run with --swap-va."
        };
        return Err(DatasetError::LooksSwapped(format!("{}\n{advice}", check.describe())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Static labels and the dynamic means of valence and arousal.
    type Fixture = (Vec<(String, f32, f32)>, HashMap<String, f64>, HashMap<String, f64>);

    fn data(swap: bool) -> Fixture {
        let mut s = Vec::new();
        let mut dv = HashMap::new();
        let mut da = HashMap::new();
        for i in 0..20 {
            let v = (i as f32 * 0.37).sin() * 3.0 + 5.0;
            let a = (i as f32 * 0.91).cos() * 3.0 + 5.0;
            dv.insert(i.to_string(), ((v - 5.0) / 4.0) as f64 + 0.01 * i as f64 % 0.03);
            da.insert(i.to_string(), ((a - 5.0) / 4.0) as f64);
            s.push((i.to_string(), if swap { a } else { v }, if swap { v } else { a }));
        }
        (s, dv, da)
    }

    #[test]
    fn consistent_labels_pass() {
        let (s, dv, da) = data(false);
        let c = CrossCheck::compute(&s, &dv, &da).unwrap();
        assert!(c.consistent() && !c.looks_swapped(), "{}", c.describe());
        assert!(enforce(&c, false).is_ok());
    }

    #[test]
    fn swapped_labels_are_caught() {
        let (s, dv, da) = data(true);
        let c = CrossCheck::compute(&s, &dv, &da).unwrap();
        assert!(c.looks_swapped());
        let e = enforce(&c, false).unwrap_err().to_string();
        assert!(e.contains("--swap-va"), "{e}");
    }

    #[test]
    fn too_few_songs_gives_none() {
        let (s, dv, da) = data(false);
        assert!(CrossCheck::compute(&s[..2], &dv, &da).is_none());
    }
}
