//! `moodtap adapt`: a network re-standardised for other recordings.
//!
//! A model z-scores every input column with the mean and standard deviation of
//! its training songs' steps. Recordings from another domain (mixed, mastered
//! music against the generated corpus, docs/domain-gap.md) sit elsewhere on
//! many columns, and the network reads the shift as emotion (on real music the
//! default model's arousal is about 0.15 too high). Adapting replaces the
//! statistics with those of unlabelled steps of the new domain, so its music
//! reaches the network with the first two moments of each column the training
//! music had (per-feature moment alignment); the weights are not touched.
//! `blend` ∈ [0, 1] moves part of the way: each mean and std becomes
//! `(1 − blend) · model + blend · cache`.

use moodtap_core::fusion::{fit_statistics, resolve_columns, FusionError};
use moodtap_core::model::{LoadedModel, ModelFile, ModelFileError};

use crate::cache::StepTable;

/// Why a model could not be adapted.
#[derive(Debug, thiserror::Error)]
pub enum AdaptError {
    /// `blend` outside [0, 1].
    #[error("--blend {0}: give a value from 0 (the model's statistics) to 1 (the cache's)")]
    Blend(f32),
    /// The cache holds no steps.
    #[error("the cache holds no steps to take statistics from")]
    Empty,
    /// A model column is not a cache column.
    #[error(transparent)]
    Columns(#[from] FusionError),
    /// The model is an ensemble (its members have their own statistics).
    #[error("adapt works on one network and this model is an ensemble of {0}: adapt each member, then combine them again with `moodtap ensemble`")]
    Ensemble(usize),
    /// The adapted model file could not be built.
    #[error(transparent)]
    File(#[from] ModelFileError),
}

/// What [`adapt`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Adapted {
    /// The adapted model file.
    pub bytes: Vec<u8>,
    /// Songs and steps the statistics came from.
    pub songs: usize,
    /// Steps.
    pub steps: usize,
    /// Mean over columns of |new mean − old mean| / old std: how far the cache's
    /// music sat from the training music, in training standard deviations.
    pub mean_shift_sd: f64,
}

/// `model` with z-score statistics moved `blend` of the way to those of every
/// step of `table` (see the module docs); provenance notes say so.
pub fn adapt(model: &LoadedModel, table: &StepTable, blend: f32) -> Result<Adapted, AdaptError> {
    if !(0.0..=1.0).contains(&blend) {
        return Err(AdaptError::Blend(blend));
    }
    if model.member_count() > 1 {
        return Err(AdaptError::Ensemble(model.member_count()));
    }
    let steps: usize = table.songs.iter().map(|s| s.n_steps()).sum();
    if steps == 0 {
        return Err(AdaptError::Empty);
    }
    let mut meta = model.metadata().clone();
    let cols = resolve_columns(&meta.feature_names, table.feature_names())?;
    let (mean, std) = fit_statistics(table.songs.iter().flat_map(|s| s.rows()), &cols);
    let mut shift = 0.0;
    for (i, (m, s)) in mean.iter().zip(&std).enumerate() {
        shift += f64::from((m - meta.norm_mean[i]).abs() / meta.norm_std[i]);
        meta.norm_mean[i] = (1.0 - blend) * meta.norm_mean[i] + blend * m;
        meta.norm_std[i] = (1.0 - blend) * meta.norm_std[i] + blend * s;
    }
    meta.training.notes.push_str(&format!(
        "; adapted: z-score statistics {blend} of the way to those of {steps} steps of {} songs of {} ({})",
        table.songs.len(),
        table.meta.dataset_path,
        table.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    let bytes = ModelFile::to_bytes(&meta, model.network())?;
    Ok(Adapted { bytes, songs: table.songs.len(), steps, mean_shift_sd: shift / mean.len().max(1) as f64 })
}
