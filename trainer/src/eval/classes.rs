//! Class-labelled evaluation (`moodtap eval --classes`): for sets labelled
//! only by the sign of valence and arousal, such as EMOPIA's quadrants
//! (Q1 = V+A+, Q2 = V−A+, Q3 = V−A−, Q4 = V+A−; a manifest's `quadrant`
//! column loads as labels 0/1, docs/training.md), RMSE and R² say little.
//! What is reported instead, per dimension: the ROC AUC of the continuous
//! estimate against the class (threshold-free), the balanced accuracy of
//! thresholding the estimate at 0.5, and the 4 × 4 quadrant confusion table.
//!
//! A label above 0.5 is the positive class, below 0.5 the negative one; a
//! label of exactly 0.5 has no sign and is left out of that dimension (and of
//! the quadrant table). An estimate of exactly 0.5 counts as negative.

use moodtap_core::stats::{auc, balanced_accuracy};

/// Class metrics of one dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DimensionClasses {
    /// Songs with a label above 0.5.
    pub positives: usize,
    /// Songs with a label below 0.5.
    pub negatives: usize,
    /// ROC AUC of the estimate (`None` without both classes).
    pub auc: Option<f64>,
    /// Balanced accuracy of `estimate > 0.5` (`None` without both classes).
    pub balanced_accuracy: Option<f64>,
}

/// Class metrics of both dimensions and the quadrant confusion table.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassReport {
    /// Valence.
    pub valence: DimensionClasses,
    /// Arousal.
    pub arousal: DimensionClasses,
    /// `confusion[true][predicted]` over quadrants Q1..Q4 (index 0..3), for songs
    /// whose labels both have a sign.
    pub confusion: [[usize; 4]; 4],
}

/// Quadrant index 0..3 (Q1..Q4) of a (valence, arousal) sign pair.
pub fn quadrant(valence_positive: bool, arousal_positive: bool) -> usize {
    match (valence_positive, arousal_positive) {
        (true, true) => 0,
        (false, true) => 1,
        (false, false) => 2,
        (true, false) => 3,
    }
}

fn dimension(pred: &[f32], target: &[f32], d: usize) -> DimensionClasses {
    let pairs: Vec<(f64, bool)> = pred
        .chunks_exact(2)
        .zip(target.chunks_exact(2))
        .filter(|(_, t)| t[d] != 0.5)
        .map(|(p, t)| (f64::from(p[d]), t[d] > 0.5))
        .collect();
    let scores: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let actual: Vec<bool> = pairs.iter().map(|p| p.1).collect();
    let predicted: Vec<bool> = scores.iter().map(|s| *s > 0.5).collect();
    let positives = actual.iter().filter(|a| **a).count();
    DimensionClasses {
        positives,
        negatives: actual.len() - positives,
        auc: auc(&scores, &actual),
        balanced_accuracy: balanced_accuracy(&predicted, &actual),
    }
}

impl ClassReport {
    /// From `[valence, arousal]` pairs of estimates and labels (as
    /// [`super::EvalModel::predict_songs`] returns them).
    pub fn compute(pred: &[f32], target: &[f32]) -> Self {
        let mut confusion = [[0usize; 4]; 4];
        for (p, t) in pred.chunks_exact(2).zip(target.chunks_exact(2)) {
            if t[0] != 0.5 && t[1] != 0.5 {
                confusion[quadrant(t[0] > 0.5, t[1] > 0.5)][quadrant(p[0] > 0.5, p[1] > 0.5)] += 1;
            }
        }
        Self { valence: dimension(pred, target, 0), arousal: dimension(pred, target, 1), confusion }
    }

    /// Markdown: one table of the two dimensions, one confusion table.
    pub fn markdown(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("undefined".to_string(), |v| format!("{v:.3}"));
        let mut s = String::from(
            "| dimension | positive / negative songs | AUC | balanced accuracy (estimate > 0.5) |\n|---|---:|---:|---:|\n",
        );
        for (name, d) in [("valence", &self.valence), ("arousal", &self.arousal)] {
            s.push_str(&format!(
                "| {name} | {} / {} | {} | {} |\n",
                d.positives,
                d.negatives,
                opt(d.auc),
                opt(d.balanced_accuracy)
            ));
        }
        let total: usize = self.confusion.iter().flatten().sum();
        let right: usize = (0..4).map(|q| self.confusion[q][q]).sum();
        s.push_str(&format!(
            "\nQuadrants (rows: labelled, columns: estimated; Q1 V+A+, Q2 V−A+, Q3 V−A−, Q4 V+A−), {right} of {total} right:\n\n"
        ));
        s.push_str("| labelled \\ estimated | Q1 | Q2 | Q3 | Q4 |\n|---|---:|---:|---:|---:|\n");
        for (q, row) in self.confusion.iter().enumerate() {
            s.push_str(&format!("| Q{} | {} | {} | {} | {} |\n", q + 1, row[0], row[1], row[2], row[3]));
        }
        s
    }
}

/// True when every label is 0 or 1 (a class-labelled set, e.g. quadrants).
pub fn labels_are_classes(target: &[f32]) -> bool {
    !target.is_empty() && target.iter().all(|v| *v == 0.0 || *v == 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadrants_metrics_and_table() {
        // Four songs, one per quadrant; the estimate gets Q1, Q3 right, calls Q2 a Q1 and Q4 a Q3.
        let target = [1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0];
        let pred = [0.9, 0.8, 0.6, 0.7, 0.2, 0.1, 0.4, 0.3];
        let r = ClassReport::compute(&pred, &target);
        assert_eq!(r.arousal.auc, Some(1.0));
        assert_eq!(r.arousal.balanced_accuracy, Some(1.0));
        // Valence scores: positives 0.9, 0.4; negatives 0.6, 0.2 → 3 of 4 pairs ordered.
        assert_eq!(r.valence.auc, Some(0.75));
        assert_eq!(r.valence.balanced_accuracy, Some(0.5));
        assert_eq!(r.confusion[0][0], 1);
        assert_eq!(r.confusion[1][0], 1);
        assert_eq!(r.confusion[2][2], 1);
        assert_eq!(r.confusion[3][2], 1);
        let md = r.markdown();
        assert!(md.contains("2 of 4 right"), "{md}");
        assert!(md.contains("| valence | 2 / 2 | 0.750 | 0.500 |"), "{md}");
    }

    #[test]
    fn unsigned_labels_are_left_out_and_one_class_is_undefined() {
        let r = ClassReport::compute(&[0.7, 0.7, 0.2, 0.2], &[1.0, 0.5, 1.0, 0.5]);
        assert_eq!((r.valence.positives, r.valence.negatives), (2, 0));
        assert_eq!(r.valence.auc, None);
        assert_eq!((r.arousal.positives, r.arousal.negatives), (0, 0));
        assert_eq!(r.confusion.iter().flatten().sum::<usize>(), 0);
        assert!(r.markdown().contains("undefined"));
        assert!(labels_are_classes(&[0.0, 1.0]) && !labels_are_classes(&[0.0, 0.5]) && !labels_are_classes(&[]));
    }
}
