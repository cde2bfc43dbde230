//! Feature selection for the mid/high-level descriptors (paper §3.2,
//! docs/design.md §3.3): a filter (Pearson correlation of each song-level feature
//! with the valence and arousal labels) and a wrapper (ε-SVR with an RBF
//! kernel, C = 1, k-fold cross-validated RMSE over candidate subsets, folds
//! shuffled with the paper's seed 66). The trainer calls [`select`] on
//! song-level feature means (one row per song).
//!
//! Wrapper details:
//! - folds: the songs are shuffled once (SplitMix64 seeded with
//!   `seed`, Fisher–Yates) and dealt round-robin into `folds` folds; every
//!   subset is scored on the same folds, so comparisons are paired;
//! - each fold z-scores every feature with its training part's mean and
//!   standard deviation (a constant feature becomes 0);
//! - ε-SVR from `linfa-svm` (libsvm's SMO), RBF kernel `exp(−γ‖x − x'‖²)`
//!   with γ = 1/|subset| (scikit-learn's `gamma='scale'` on z-scored data),
//!   C = `c`, tube ε = `epsilon` (default 0.1, libsvm's and scikit-learn's
//!   default, which the paper's unspecified settings most likely were);
//! - score of a subset: RMSE of the pooled out-of-fold predictions, per
//!   dimension, and their mean;
//! - search: every non-empty subset of the candidates (2047 for the eleven MIR
//!   descriptors), or greedy forward selection for larger sets;
//! - choice: the subset with the lowest mean RMSE, except that a smaller
//!   subset within `parsimony` (relative, default 1 %) of that RMSE is
//!   preferred (fewest features, then lowest RMSE, then lowest indices): on
//!   a few hundred songs, adding an uninformative feature often changes the
//!   CV RMSE by less than its noise, and the paper keeps a subset (6 of its
//!   MIR features), not all.
//!
//! Deterministic: the same inputs and seed give the same result.

use linfa::prelude::*;
use linfa::Dataset;
use linfa_svm::Svm;
use ndarray::{Array1, Array2};

use crate::stats::pearson;

/// Why a selection could not run.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    /// No songs, or no features.
    #[error("feature selection needs at least one song and one feature (got {songs} songs, {features} features)")]
    Empty {
        /// Songs given.
        songs: usize,
        /// Features given.
        features: usize,
    },
    /// A row has the wrong number of values.
    #[error("song {song} has {got} feature values, expected {expected} (one per name)")]
    Ragged {
        /// Row index.
        song: usize,
        /// Values in that row.
        got: usize,
        /// Number of feature names.
        expected: usize,
    },
    /// Label vector length differs from the number of songs.
    #[error("{what}: {got} labels for {songs} songs")]
    LabelCount {
        /// "valence" or "arousal".
        what: &'static str,
        /// Labels given.
        got: usize,
        /// Songs given.
        songs: usize,
    },
    /// NaN or infinite input.
    #[error("non-finite {what} for song {song}")]
    NonFinite {
        /// Which input.
        what: String,
        /// Row index.
        song: usize,
    },
    /// Not enough songs for the folds.
    #[error("{songs} songs are too few for {folds}-fold cross-validation (need at least 2 per fold)")]
    TooFewSongs {
        /// Songs given.
        songs: usize,
        /// Folds requested.
        folds: usize,
    },
    /// Exhaustive search over too many candidates.
    #[error("exhaustive search over {got} candidate features would train 2^{got} subsets; at most {max} allowed, use Search::Forward")]
    TooManyCandidates {
        /// Candidates after the filter.
        got: usize,
        /// Limit.
        max: usize,
    },
    /// Bad configuration value.
    #[error("invalid selection configuration: {0}")]
    Config(&'static str),
    /// linfa-svm refused to train.
    #[error("SVR training failed: {0}")]
    Svr(String),
}

/// How candidate subsets are enumerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// Every non-empty subset (2^m − 1 for m candidates; m ≤ [`MAX_EXHAUSTIVE`]).
    Exhaustive,
    /// Greedy forward selection: add the feature that lowers the mean RMSE
    /// most, until all are in; m(m+1)/2 subsets.
    Forward,
}

/// Largest candidate count for [`Search::Exhaustive`] (4095 subsets).
pub const MAX_EXHAUSTIVE: usize = 12;

/// Settings of [`select`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelectionConfig {
    /// Cross-validation folds (≥ 2).
    pub folds: usize,
    /// Shuffle seed (paper: 66).
    pub seed: u64,
    /// SVR penalty C (paper: 1).
    pub c: f64,
    /// SVR tube half-width ε, in label units.
    pub epsilon: f64,
    /// Subset enumeration.
    pub search: Search,
    /// Relative RMSE tolerance within which a smaller subset is preferred.
    pub parsimony: f64,
    /// Filter stage: features whose |r| with both valence and arousal is
    /// below this are not offered to the wrapper (0: all are).
    pub min_abs_r: f64,
}

impl Default for SelectionConfig {
    fn default() -> Self {
        Self {
            folds: crate::defaults::SELECTION_FOLDS,
            seed: crate::defaults::SEED,
            c: 1.0,
            epsilon: 0.1,
            search: Search::Exhaustive,
            parsimony: 0.01,
            min_abs_r: 0.0,
        }
    }
}

/// Filter score of one feature.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterScore {
    /// Feature name.
    pub name: String,
    /// Pearson r with valence (0 if either is constant).
    pub r_valence: f64,
    /// Pearson r with arousal.
    pub r_arousal: f64,
}

/// Cross-validated score of one subset.
#[derive(Debug, Clone, PartialEq)]
pub struct SubsetScore {
    /// Feature indices (ascending, into the names given to [`select`]).
    pub features: Vec<usize>,
    /// Out-of-fold RMSE for valence, label units.
    pub rmse_valence: f64,
    /// Out-of-fold RMSE for arousal, label units.
    pub rmse_arousal: f64,
}

impl SubsetScore {
    /// Mean of the two RMSEs (the selection criterion).
    pub fn rmse_mean(&self) -> f64 {
        0.5 * (self.rmse_valence + self.rmse_arousal)
    }
}

/// Result of [`select`].
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Feature names, as given.
    pub names: Vec<String>,
    /// Filter table, one entry per feature, in input order.
    pub filter: Vec<FilterScore>,
    /// Indices offered to the wrapper (after `min_abs_r`).
    pub candidates: Vec<usize>,
    /// Every subset scored, best mean RMSE first.
    pub subsets: Vec<SubsetScore>,
    /// The chosen subset (indices, ascending).
    pub chosen: Vec<usize>,
    /// Its scores.
    pub chosen_score: SubsetScore,
}

impl Selection {
    /// Names of the chosen features, in input order.
    pub fn chosen_names(&self) -> Vec<&str> {
        self.chosen.iter().map(|&i| self.names[i].as_str()).collect()
    }
}

/// Fold of each song: a seeded shuffle dealt round-robin into `folds` folds.
pub fn fold_assignment(songs: usize, folds: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..songs).collect();
    let mut rng = crate::rng::SplitMix64::new(seed);
    for i in (1..songs).rev() {
        let j = rng.below_exact(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    let mut fold = vec![0; songs];
    for (pos, &song) in order.iter().enumerate() {
        fold[song] = pos % folds.max(1);
    }
    fold
}

/// One fold's z-scored training and test matrices (all features) and labels.
struct FoldData {
    train: Array2<f64>,
    test: Array2<f64>,
    train_v: Array1<f64>,
    train_a: Array1<f64>,
    test_v: Vec<f64>,
    test_a: Vec<f64>,
}

fn make_folds(rows: &[Vec<f64>], valence: &[f64], arousal: &[f64], fold: &[usize], folds: usize) -> Vec<FoldData> {
    let d = rows[0].len();
    (0..folds)
        .map(|k| {
            let train_idx: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] != k).collect();
            let test_idx: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] == k).collect();
            let mut mean = vec![0.0; d];
            let mut std = vec![0.0; d];
            for j in 0..d {
                let m = train_idx.iter().map(|&i| rows[i][j]).sum::<f64>() / train_idx.len() as f64;
                let v = train_idx.iter().map(|&i| (rows[i][j] - m).powi(2)).sum::<f64>() / train_idx.len() as f64;
                mean[j] = m;
                std[j] = v.sqrt();
            }
            let z = |idx: &[usize]| {
                Array2::from_shape_fn((idx.len(), d), |(r, j)| {
                    if std[j] > 1e-12 {
                        (rows[idx[r]][j] - mean[j]) / std[j]
                    } else {
                        0.0
                    }
                })
            };
            FoldData {
                train: z(&train_idx),
                test: z(&test_idx),
                train_v: train_idx.iter().map(|&i| valence[i]).collect(),
                train_a: train_idx.iter().map(|&i| arousal[i]).collect(),
                test_v: test_idx.iter().map(|&i| valence[i]).collect(),
                test_a: test_idx.iter().map(|&i| arousal[i]).collect(),
            }
        })
        .collect()
}

/// Squared error sum of an ε-SVR trained on `x`/`y` and evaluated on `xt`/`yt`.
fn svr_sse(
    x: Array2<f64>,
    y: &Array1<f64>,
    xt: &Array2<f64>,
    yt: &[f64],
    cfg: &SelectionConfig,
) -> Result<f64, SelectionError> {
    let gamma = 1.0 / x.ncols().max(1) as f64;
    let ds = Dataset::new(x, y.clone());
    // linfa's Gaussian kernel is exp(−‖x − x'‖² / eps), so eps = 1/γ.
    let model = Svm::<f64, f64>::params()
        .c_svr(cfg.c, Some(cfg.epsilon))
        .gaussian_kernel(1.0 / gamma)
        .fit(&ds)
        .map_err(|e| SelectionError::Svr(e.to_string()))?;
    let pred: Array1<f64> = model.predict(xt);
    Ok(pred.iter().zip(yt).map(|(p, t)| (p - t) * (p - t)).sum())
}

/// Cross-validated RMSE (valence, arousal) of the feature subset `features`.
fn score_subset(
    folds: &[FoldData],
    features: &[usize],
    n: usize,
    cfg: &SelectionConfig,
) -> Result<SubsetScore, SelectionError> {
    let (mut sse_v, mut sse_a) = (0.0, 0.0);
    for f in folds {
        let x = f.train.select(ndarray::Axis(1), features);
        let xt = f.test.select(ndarray::Axis(1), features);
        sse_v += svr_sse(x.clone(), &f.train_v, &xt, &f.test_v, cfg)?;
        sse_a += svr_sse(x, &f.train_a, &xt, &f.test_a, cfg)?;
    }
    Ok(SubsetScore {
        features: features.to_vec(),
        rmse_valence: (sse_v / n as f64).sqrt(),
        rmse_arousal: (sse_a / n as f64).sqrt(),
    })
}

fn validate(
    names: &[&str],
    rows: &[Vec<f64>],
    valence: &[f64],
    arousal: &[f64],
    cfg: &SelectionConfig,
) -> Result<(), SelectionError> {
    if rows.is_empty() || names.is_empty() {
        return Err(SelectionError::Empty { songs: rows.len(), features: names.len() });
    }
    for (what, labels) in [("valence", valence), ("arousal", arousal)] {
        if labels.len() != rows.len() {
            return Err(SelectionError::LabelCount { what, got: labels.len(), songs: rows.len() });
        }
        if let Some(song) = labels.iter().position(|v| !v.is_finite()) {
            return Err(SelectionError::NonFinite { what: format!("{what} label"), song });
        }
    }
    for (song, r) in rows.iter().enumerate() {
        if r.len() != names.len() {
            return Err(SelectionError::Ragged { song, got: r.len(), expected: names.len() });
        }
        if let Some(j) = r.iter().position(|v| !v.is_finite()) {
            return Err(SelectionError::NonFinite { what: format!("feature '{}'", names[j]), song });
        }
    }
    if cfg.folds < 2 {
        return Err(SelectionError::Config("folds must be at least 2"));
    }
    if rows.len() < 2 * cfg.folds {
        return Err(SelectionError::TooFewSongs { songs: rows.len(), folds: cfg.folds });
    }
    if !(cfg.c > 0.0 && cfg.c.is_finite()) {
        return Err(SelectionError::Config("C must be positive and finite"));
    }
    if !(cfg.epsilon >= 0.0 && cfg.epsilon.is_finite()) {
        return Err(SelectionError::Config("epsilon must be non-negative and finite"));
    }
    if !(cfg.parsimony >= 0.0 && cfg.parsimony.is_finite()) {
        return Err(SelectionError::Config("parsimony must be non-negative and finite"));
    }
    Ok(())
}

/// The filter table: Pearson r of each feature with valence and arousal.
/// `rows` holds one song per row, one value per name.
pub fn filter_scores(
    names: &[&str],
    rows: &[Vec<f64>],
    valence: &[f64],
    arousal: &[f64],
) -> Result<Vec<FilterScore>, SelectionError> {
    validate(names, rows, valence, arousal, &SelectionConfig { folds: 2, ..Default::default() }).or_else(|e| {
        if matches!(e, SelectionError::TooFewSongs { .. }) {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    Ok(names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let col: Vec<f64> = rows.iter().map(|r| r[j]).collect();
            FilterScore {
                name: (*name).to_string(),
                // An undefined correlation (a constant feature) counts as none.
                r_valence: pearson(&col, valence).unwrap_or(0.0),
                r_arousal: pearson(&col, arousal).unwrap_or(0.0),
            }
        })
        .collect())
}

/// Runs the filter and the wrapper and picks a subset (see the module docs).
/// `rows`: one row of song-level feature values per song, in `names` order;
/// `valence`, `arousal`: one label per song.
pub fn select(
    names: &[&str],
    rows: &[Vec<f64>],
    valence: &[f64],
    arousal: &[f64],
    cfg: &SelectionConfig,
) -> Result<Selection, SelectionError> {
    validate(names, rows, valence, arousal, cfg)?;
    let filter = filter_scores(names, rows, valence, arousal)?;
    let candidates: Vec<usize> = (0..names.len())
        .filter(|&j| filter[j].r_valence.abs().max(filter[j].r_arousal.abs()) >= cfg.min_abs_r)
        .collect();
    if candidates.is_empty() {
        return Err(SelectionError::Config("min_abs_r leaves no candidate feature"));
    }
    let fold = fold_assignment(rows.len(), cfg.folds, cfg.seed);
    let folds = make_folds(rows, valence, arousal, &fold, cfg.folds);
    let n = rows.len();

    let mut subsets = Vec::new();
    match cfg.search {
        Search::Exhaustive => {
            let m = candidates.len();
            if m > MAX_EXHAUSTIVE {
                return Err(SelectionError::TooManyCandidates { got: m, max: MAX_EXHAUSTIVE });
            }
            for mask in 1u32..(1u32 << m) {
                let feats: Vec<usize> = (0..m).filter(|b| mask & (1 << b) != 0).map(|b| candidates[b]).collect();
                subsets.push(score_subset(&folds, &feats, n, cfg)?);
            }
        }
        Search::Forward => {
            let mut current: Vec<usize> = Vec::new();
            let mut remaining = candidates.clone();
            while !remaining.is_empty() {
                let mut best: Option<(usize, SubsetScore)> = None;
                for (pos, &f) in remaining.iter().enumerate() {
                    let mut feats = current.clone();
                    feats.push(f);
                    feats.sort_unstable();
                    let s = score_subset(&folds, &feats, n, cfg)?;
                    if best.as_ref().is_none_or(|(_, b)| s.rmse_mean() < b.rmse_mean()) {
                        best = Some((pos, s.clone()));
                    }
                    subsets.push(s);
                }
                let Some((pos, s)) = best else { break };
                remaining.remove(pos);
                current = s.features;
            }
        }
    }
    subsets.sort_by(|a, b| a.rmse_mean().total_cmp(&b.rmse_mean()).then_with(|| a.features.cmp(&b.features)));
    let best_rmse = subsets[0].rmse_mean();
    let limit = best_rmse * (1.0 + cfg.parsimony);
    let chosen_score = subsets
        .iter()
        .filter(|s| s.rmse_mean() <= limit)
        .min_by(|a, b| {
            a.features
                .len()
                .cmp(&b.features.len())
                .then_with(|| a.rmse_mean().total_cmp(&b.rmse_mean()))
                .then_with(|| a.features.cmp(&b.features))
        })
        .cloned()
        .unwrap_or_else(|| subsets[0].clone());
    Ok(Selection {
        names: names.iter().map(|s| s.to_string()).collect(),
        filter,
        candidates,
        chosen: chosen_score.features.clone(),
        chosen_score,
        subsets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_balanced_seeded_and_deterministic() {
        let a = fold_assignment(103, 5, 66);
        assert_eq!(a, fold_assignment(103, 5, 66));
        assert_ne!(a, fold_assignment(103, 5, 67));
        for k in 0..5 {
            let c = a.iter().filter(|&&f| f == k).count();
            assert!(c == 20 || c == 21, "fold {k}: {c}");
        }
    }
}
