//! Dividing songs into training, validation and test sets (by song, never by
//! step: the steps of one song are strongly correlated, so a step-level split
//! would leak the test songs into training).
//!
//! Both splits shuffle the song indices once with [`SplitMix64`] seeded with
//! the run's seed (Fisher–Yates with unbiased draws, as
//! `moodtap_core::selection::fold_assignment`), so a seed fixes the split on
//! any machine.

use moodtap_core::rng::SplitMix64;

/// Stream constant mixed into the seed so the split does not share its
/// random sequence with batch shuffling (see [`super::fit`]).
const SPLIT_STREAM: u64 = 0x53_504c_4954; // "SPLIT"

/// Song indices of one train/validation/test division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Songs the weights are fitted on.
    pub train: Vec<usize>,
    /// Songs early stopping watches.
    pub validation: Vec<usize>,
    /// Songs the reported metrics come from.
    pub test: Vec<usize>,
}

/// Why the songs cannot be split as asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SplitError {
    /// Fractions not positive, or not summing to 1.
    #[error(
        "--split {0:?}: expected three positive fractions train,validation,test summing to 1 (e.g. 0.7,0.15,0.15)"
    )]
    Fractions([f64; 3]),
    /// Fewer than 2 folds.
    #[error("--folds {0}: cross-validation needs at least 2 folds")]
    Folds(usize),
    /// A part would be empty.
    #[error("{songs} songs are too few for {how}: every part needs at least one song for training, validation and test (at least {min} songs)")]
    TooFewSongs {
        /// Songs available.
        songs: usize,
        /// The split asked for.
        how: String,
        /// Smallest workable number.
        min: usize,
    },
}

/// Seeded permutation of `0..n`.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64::new(seed ^ SPLIT_STREAM);
    for i in (1..n).rev() {
        let j = rng.below_exact(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    order
}

/// Hold-out split of `n` songs into `fractions` = (train, validation, test).
/// Validation and test sizes are rounded to the nearest song (at least one
/// each); training gets the rest. Each part is returned in ascending order.
pub fn holdout(n: usize, fractions: [f64; 3], seed: u64) -> Result<Split, SplitError> {
    if fractions.iter().any(|f| !(f.is_finite() && *f > 0.0)) || (fractions.iter().sum::<f64>() - 1.0).abs() > 1e-6 {
        return Err(SplitError::Fractions(fractions));
    }
    let n_val = ((n as f64 * fractions[1]).round() as usize).max(1);
    let n_test = ((n as f64 * fractions[2]).round() as usize).max(1);
    if n < 3 || n_val + n_test >= n {
        return Err(SplitError::TooFewSongs {
            songs: n,
            how: format!("a {:.2}/{:.2}/{:.2} split", fractions[0], fractions[1], fractions[2]),
            min: 3,
        });
    }
    let order = shuffled(n, seed);
    let sorted = |s: &[usize]| {
        let mut v = s.to_vec();
        v.sort_unstable();
        v
    };
    Ok(Split {
        test: sorted(&order[..n_test]),
        validation: sorted(&order[n_test..n_test + n_val]),
        train: sorted(&order[n_test + n_val..]),
    })
}

/// `k`-fold cross-validation: songs dealt round-robin into `k` folds after
/// the seeded shuffle; split `i` tests on fold `i`, validates on fold
/// `(i + 1) mod k` and trains on the others.
pub fn kfold(n: usize, k: usize, seed: u64) -> Result<Vec<Split>, SplitError> {
    if k < 2 {
        return Err(SplitError::Folds(k));
    }
    // k = 2 leaves no training fold, so three folds are the minimum in effect.
    let min = 3.max(k);
    if n < min || k < 3 {
        return Err(SplitError::TooFewSongs { songs: n, how: format!("{k}-fold cross-validation (k ≥ 3)"), min });
    }
    let order = shuffled(n, seed);
    let mut fold = vec![0usize; n];
    for (pos, &song) in order.iter().enumerate() {
        fold[song] = pos % k;
    }
    Ok((0..k)
        .map(|i| {
            let v = (i + 1) % k;
            let pick = |f: &dyn Fn(usize) -> bool| (0..n).filter(|&s| f(fold[s])).collect::<Vec<_>>();
            Split { test: pick(&|f| f == i), validation: pick(&|f| f == v), train: pick(&|f| f != i && f != v) }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdout_partitions_all_songs_with_the_asked_sizes() {
        let s = holdout(600, [0.7, 0.15, 0.15], 66).unwrap();
        assert_eq!((s.train.len(), s.validation.len(), s.test.len()), (420, 90, 90));
        let mut all: Vec<usize> = s.train.iter().chain(&s.validation).chain(&s.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..600).collect::<Vec<_>>());
        assert_eq!(holdout(600, [0.7, 0.15, 0.15], 66).unwrap(), s, "same seed, same split");
        assert_ne!(holdout(600, [0.7, 0.15, 0.15], 67).unwrap().test, s.test, "seed matters");
    }

    #[test]
    fn holdout_refuses_bad_fractions_and_tiny_sets() {
        assert!(matches!(holdout(10, [0.7, 0.2, 0.2], 1), Err(SplitError::Fractions(_))));
        assert!(matches!(holdout(10, [1.0, 0.0, 0.0], 1), Err(SplitError::Fractions(_))));
        assert!(matches!(holdout(2, [0.7, 0.15, 0.15], 1), Err(SplitError::TooFewSongs { .. })));
        let s = holdout(3, [0.7, 0.15, 0.15], 1).unwrap();
        assert_eq!((s.train.len(), s.validation.len(), s.test.len()), (1, 1, 1));
    }

    #[test]
    fn kfold_tests_every_song_once() {
        let splits = kfold(23, 5, 66).unwrap();
        let mut tested: Vec<usize> = splits.iter().flat_map(|s| s.test.clone()).collect();
        tested.sort_unstable();
        assert_eq!(tested, (0..23).collect::<Vec<_>>());
        for s in &splits {
            assert_eq!(s.train.len() + s.validation.len() + s.test.len(), 23);
            assert!(s.train.iter().all(|i| !s.test.contains(i) && !s.validation.contains(i)));
        }
        assert!(kfold(23, 1, 66).is_err());
        assert!(kfold(23, 2, 66).is_err());
        assert!(kfold(2, 3, 66).is_err());
    }
}
