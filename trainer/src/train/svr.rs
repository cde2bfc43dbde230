//! The SVR baseline of the paper's comparison (docs/design.md §4): one ε-SVR per
//! dimension (RBF kernel, C = 1, ε = 0.1, γ = 1/N as in
//! `moodtap_core::selection`) on song-level feature means, z-scored with the
//! training songs' statistics.
//!
//! Storage: the network model file holds a burn record for one of the four
//! network architectures, which an SVR does not have, so the baseline is a
//! JSON file of its own ([`SvrModel`], `"format": "moodtap-svr"`): the
//! support vectors, their dual coefficients and the offset per dimension,
//! plus the same feature/time-base/provenance metadata the network files
//! carry. Prediction is computed here from those numbers,
//! `f(x) = Σᵢ αᵢ·exp(−γ‖xᵢ − x‖²) − ρ` (linfa-svm's `Svm::predict` for the
//! Gaussian kernel; a test checks both agree), clamped to [0, 1] like the
//! networks' sigmoid outputs.

use std::path::Path;

use linfa::prelude::*;
use linfa::Dataset;
use linfa_svm::Svm;
use moodtap_core::model::TrainingProvenance;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// `format` field of every SVR file.
pub const SVR_FORMAT: &str = "moodtap-svr";
/// Version this build reads and writes.
pub const SVR_VERSION: u32 = 1;
/// Largest SVR file read (a 2 000-song DEAM model with all 99 raw step features is ≈ 5 MB of JSON).
pub const MAX_SVR_FILE_LEN: u64 = 256 << 20;
/// SVR penalty C (paper: 1).
pub const SVR_C: f64 = 1.0;
/// SVR tube half-width ε in label units (libsvm's default; see `moodtap_core::selection`).
pub const SVR_EPSILON: f64 = 0.1;

/// One dimension's regression function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SvrDimension {
    /// Support vectors (z-scored song-level means), one per row.
    pub support_vectors: Vec<Vec<f64>>,
    /// Dual coefficient αᵢ − αᵢ* of each support vector.
    pub coefficients: Vec<f64>,
    /// Offset ρ (subtracted).
    pub rho: f64,
}

impl SvrDimension {
    fn value(&self, x: &[f64], gamma: f64) -> f64 {
        let sum: f64 = self
            .support_vectors
            .iter()
            .zip(&self.coefficients)
            .map(|(sv, a)| a * (-gamma * sv.iter().zip(x).map(|(p, q)| (p - q) * (p - q)).sum::<f64>()).exp())
            .sum();
        sum - self.rho
    }
}

/// A trained SVR baseline (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SvrModel {
    /// Always [`SVR_FORMAT`].
    pub format: String,
    /// [`SVR_VERSION`].
    pub version: u32,
    /// Feature schema of the cache it was trained on.
    pub feature_schema_version: u32,
    /// Ordered input features.
    pub feature_names: Vec<String>,
    /// The MIR descriptors among them.
    pub selected_mir_features: Vec<String>,
    /// Training-song mean of each song-level feature.
    pub norm_mean: Vec<f64>,
    /// Training-song standard deviation (> 0; 1 for constant features).
    pub norm_std: Vec<f64>,
    /// Steps the song-level means are taken over (the song's last `T`).
    pub t_steps: usize,
    /// Context, s.
    pub context_s: f64,
    /// Step window, s.
    pub window_s: f64,
    /// Step hop, s.
    pub hop_s: f64,
    /// Analysis sample rate, Hz.
    pub analysis_rate_hz: u32,
    /// Penalty C.
    pub c: f64,
    /// Tube ε.
    pub epsilon: f64,
    /// RBF γ in `exp(−γ‖x − x'‖²)`.
    pub gamma: f64,
    /// Valence regressor.
    pub valence: SvrDimension,
    /// Arousal regressor.
    pub arousal: SvrDimension,
    /// Provenance, as in network model files.
    pub training: TrainingProvenance,
}

/// Why an SVR could not be trained, read or written.
#[derive(Debug, thiserror::Error)]
pub enum SvrError {
    /// linfa-svm refused.
    #[error("SVR training failed: {0}")]
    Fit(String),
    /// Too few songs or ragged rows.
    #[error("SVR: {0}")]
    Data(String),
    /// The file could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file is not a valid SVR model.
    #[error("not a valid moodtap SVR model: {0}")]
    Invalid(String),
}

/// The trained regressors and their z-score statistics, before metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct SvrFit {
    /// Song-level feature means of the training songs.
    pub norm_mean: Vec<f64>,
    /// Their standard deviations (1 where constant).
    pub norm_std: Vec<f64>,
    /// RBF γ.
    pub gamma: f64,
    /// Valence regressor.
    pub valence: SvrDimension,
    /// Arousal regressor.
    pub arousal: SvrDimension,
}

fn fit_dimension(x: &Array2<f64>, y: Array1<f64>, gamma: f64) -> Result<SvrDimension, SvrError> {
    let ds = Dataset::new(x.clone(), y);
    // linfa's Gaussian kernel is exp(−‖x − x'‖² / eps), so eps = 1/γ.
    let model: Svm<f64, f64> = Svm::<f64, f64>::params()
        .c_svr(SVR_C, Some(SVR_EPSILON))
        .gaussian_kernel(1.0 / gamma)
        .fit(&ds)
        .map_err(|e| SvrError::Fit(e.to_string()))?;
    // linfa keeps the rows whose |α| exceeds 100 machine epsilons as support
    // vectors (solver_smo.rs); the same rule keeps the stored model equal to it.
    let threshold = 100.0 * f64::EPSILON;
    let keep: Vec<usize> = (0..model.alpha.len()).filter(|&i| model.alpha[i].abs() > threshold).collect();
    Ok(SvrDimension {
        support_vectors: keep.iter().map(|&i| x.row(i).to_vec()).collect(),
        coefficients: keep.iter().map(|&i| model.alpha[i]).collect(),
        rho: model.rho,
    })
}

/// Trains both regressors on song-level rows (one row of raw feature means
/// per training song) and labels in [0, 1].
pub fn fit(rows: &[Vec<f64>], valence: &[f64], arousal: &[f64]) -> Result<SvrFit, SvrError> {
    let n = rows.len();
    let d = rows.first().map_or(0, Vec::len);
    if n < 2 || d == 0 || rows.iter().any(|r| r.len() != d) || valence.len() != n || arousal.len() != n {
        return Err(SvrError::Data(format!(
            "needs at least 2 songs with equal-length rows (got {n} songs); with few songs, give the \
             training part of --split more of them (e.g. --split 0.8,0.1,0.1) or use more songs"
        )));
    }
    let mut mean = vec![0.0; d];
    let mut std = vec![0.0; d];
    for j in 0..d {
        let m = rows.iter().map(|r| r[j]).sum::<f64>() / n as f64;
        let v = rows.iter().map(|r| (r[j] - m).powi(2)).sum::<f64>() / n as f64;
        mean[j] = m;
        std[j] = if v.sqrt() > 1e-6 * m.abs().max(1.0) { v.sqrt() } else { 1.0 };
    }
    let x = Array2::from_shape_fn((n, d), |(i, j)| (rows[i][j] - mean[j]) / std[j]);
    let gamma = 1.0 / d as f64;
    Ok(SvrFit {
        valence: fit_dimension(&x, valence.iter().copied().collect(), gamma)?,
        arousal: fit_dimension(&x, arousal.iter().copied().collect(), gamma)?,
        norm_mean: mean,
        norm_std: std,
        gamma,
    })
}

impl SvrFit {
    /// `[valence, arousal]` for one song-level row of raw means, in [0, 1].
    pub fn predict(&self, row: &[f64]) -> [f32; 2] {
        predict(row, &self.norm_mean, &self.norm_std, self.gamma, &self.valence, &self.arousal)
    }
}

fn predict(row: &[f64], mean: &[f64], std: &[f64], gamma: f64, v: &SvrDimension, a: &SvrDimension) -> [f32; 2] {
    let z: Vec<f64> = row.iter().zip(mean.iter().zip(std)).map(|(x, (m, s))| (x - m) / s).collect();
    let clamp = |y: f64| if y.is_finite() { y.clamp(0.0, 1.0) as f32 } else { 0.5 };
    [clamp(v.value(&z, gamma)), clamp(a.value(&z, gamma))]
}

impl SvrModel {
    /// `[valence, arousal]` for one song-level row of raw means (same order
    /// as [`feature_names`](Self::feature_names)), in [0, 1].
    pub fn predict(&self, row: &[f64]) -> [f32; 2] {
        predict(row, &self.norm_mean, &self.norm_std, self.gamma, &self.valence, &self.arousal)
    }

    /// Checks every field (the file is untrusted like a model file).
    pub fn validate(&self) -> Result<(), SvrError> {
        let bad = |m: String| Err(SvrError::Invalid(m));
        if self.format != SVR_FORMAT {
            return bad(format!("format {:?}, expected {SVR_FORMAT:?}", self.format));
        }
        if self.version != SVR_VERSION {
            return bad(format!("version {} not supported (this build reads {SVR_VERSION})", self.version));
        }
        if self.feature_schema_version != moodtap_core::steps::FEATURE_SCHEMA_VERSION {
            return bad(format!(
                "feature schema version {} (this build computes {})",
                self.feature_schema_version,
                moodtap_core::steps::FEATURE_SCHEMA_VERSION
            ));
        }
        let d = self.feature_names.len();
        if d == 0 || self.norm_mean.len() != d || self.norm_std.len() != d {
            return bad(format!(
                "{d} features but {} means and {} standard deviations",
                self.norm_mean.len(),
                self.norm_std.len()
            ));
        }
        if self.norm_mean.iter().any(|v| !v.is_finite()) || self.norm_std.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return bad("normalisation values must be finite, standard deviations > 0".into());
        }
        if !(self.gamma.is_finite() && self.gamma > 0.0) {
            return bad(format!("gamma = {} must be finite and > 0", self.gamma));
        }
        if self.t_steps == 0 || !(self.hop_s.is_finite() && self.hop_s > 0.0) {
            return bad("t_steps and hop_s must be > 0".into());
        }
        for (name, dim) in [("valence", &self.valence), ("arousal", &self.arousal)] {
            if dim.support_vectors.len() != dim.coefficients.len()
                || dim.support_vectors.iter().any(|sv| sv.len() != d || sv.iter().any(|v| !v.is_finite()))
                || dim.coefficients.iter().any(|v| !v.is_finite())
                || !dim.rho.is_finite()
            {
                return bad(format!(
                    "{name}: support vectors must have {d} finite values, one finite coefficient each"
                ));
            }
        }
        Ok(())
    }

    /// Reads and validates an SVR file.
    pub fn from_path(path: &Path) -> Result<Self, SvrError> {
        let len = std::fs::metadata(path)?.len();
        if len > MAX_SVR_FILE_LEN {
            return Err(SvrError::Invalid(format!("{len} bytes, more than the {MAX_SVR_FILE_LEN} allowed")));
        }
        Self::from_bytes(&std::fs::read(path)?)
    }

    /// Parses and validates SVR JSON.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SvrError> {
        let m: Self = serde_json::from_slice(bytes).map_err(|e| SvrError::Invalid(e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    /// Pretty JSON (validated first).
    pub fn to_bytes(&self) -> Result<Vec<u8>, SvrError> {
        self.validate()?;
        serde_json::to_vec_pretty(self).map_err(|e| SvrError::Invalid(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our stored form predicts what linfa's own model predicts.
    #[test]
    fn stored_support_vectors_reproduce_linfa() {
        let n = 40;
        let rows: Vec<Vec<f64>> =
            (0..n).map(|i| vec![(i as f64 * 0.37).sin(), (i as f64 * 0.11).cos(), i as f64]).collect();
        let y: Vec<f64> = rows.iter().map(|r| 0.5 + 0.3 * r[0] * r[1]).collect();
        let fit = fit(&rows, &y, &y).unwrap();
        let x = Array2::from_shape_fn((n, 3), |(i, j)| (rows[i][j] - fit.norm_mean[j]) / fit.norm_std[j]);
        let model = Svm::<f64, f64>::params()
            .c_svr(SVR_C, Some(SVR_EPSILON))
            .gaussian_kernel(1.0 / fit.gamma)
            .fit(&Dataset::new(x.clone(), y.iter().copied().collect::<Array1<f64>>()))
            .unwrap();
        let theirs: Array1<f64> = model.predict(&x);
        for i in 0..n {
            let ours = fit.valence.value(x.row(i).as_slice().unwrap(), fit.gamma);
            // Same sums in a possibly different association order: 1e-12 absolute.
            assert!((ours - theirs[i]).abs() < 1e-12, "song {i}: {ours} vs {}", theirs[i]);
        }
        assert!(!fit.valence.support_vectors.is_empty());
    }

    #[test]
    fn fit_refuses_too_little_data() {
        assert!(fit(&[vec![1.0]], &[0.5], &[0.5]).is_err());
        assert!(fit(&[vec![1.0], vec![1.0, 2.0]], &[0.5, 0.5], &[0.5, 0.5]).is_err());
    }
}
