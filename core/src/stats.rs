//! Small statistics every part of moodtap uses (feature selection, dataset
//! checks, evaluation, tests), defined once: Pearson r, RMSE, ROC AUC and
//! balanced accuracy.

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

/// Area under the ROC curve of `scores` for the classes `positive`: the
/// probability that a random positive scores above a random negative, ties
/// counting one half (Mann–Whitney U / (n₊·n₋), ranks averaged over ties).
/// `None` without at least one positive and one negative, or with a
/// non-finite score.
pub fn auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let n = scores.len().min(positive.len());
    let n_pos = positive[..n].iter().filter(|p| **p).count();
    let n_neg = n - n_pos;
    if n_pos == 0 || n_neg == 0 || scores[..n].iter().any(|s| !s.is_finite()) {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the positives' ranks (1-based), each tie group at its mean rank.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mean_rank * order[i..=j].iter().filter(|&&k| positive[k]).count() as f64;
        i = j + 1;
    }
    let u = rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Some(u / (n_pos * n_neg) as f64)
}

/// Mean of the recall of both classes for predicted classes `predicted`
/// against `actual`; `None` unless both classes occur in `actual`.
pub fn balanced_accuracy(predicted: &[bool], actual: &[bool]) -> Option<f64> {
    let n = predicted.len().min(actual.len());
    let recall = |class: bool| {
        let of_class = (0..n).filter(|&i| actual[i] == class);
        let total = of_class.clone().count();
        (total > 0).then(|| of_class.filter(|&i| predicted[i] == class).count() as f64 / total as f64)
    };
    Some((recall(true)? + recall(false)?) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_known_values_ties_and_undefined() {
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]), Some(0.0));
        // One tie between a positive and a negative counts one half: (1 + 1 + 0.5 + 1) / 4.
        assert_eq!(auc(&[0.1, 0.5, 0.5, 0.9], &[false, false, true, true]), Some(0.875));
        assert_eq!(auc(&[0.5; 4], &[false, true, false, true]), Some(0.5));
        assert_eq!(auc(&[0.1, 0.2], &[true, true]), None);
        assert_eq!(auc(&[0.1, f64::NAN], &[true, false]), None);
    }

    #[test]
    fn balanced_accuracy_known_values() {
        // Positives: 2 of 2 right; negatives: 1 of 4 right → (1 + 0.25) / 2.
        let actual = [true, true, false, false, false, false];
        let predicted = [true, true, true, true, true, false];
        assert_eq!(balanced_accuracy(&predicted, &actual), Some(0.625));
        assert_eq!(balanced_accuracy(&[true], &[true]), None);
    }

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
