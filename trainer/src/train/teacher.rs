//! Distillation (`moodtap train --teacher MODEL`): the estimates of a trained model
//! replace the cache's labels as training targets, so one network can learn what an
//! ensemble of several computes and run at the cost of one (docs/training.md,
//! "Distilling an ensemble").
//!
//! The teacher sees exactly what the student will see: the same cache rows, fused by
//! the teacher's own columns and statistics over the song's last `T` steps, the input
//! the student is trained on for a static label. Its estimates are in [0, 1] like
//! labels.

use std::path::Path;

use crate::cache::StepTable;
use crate::eval::{EvalError, EvalModel};

/// Why a teacher could not label the cache.
#[derive(Debug, thiserror::Error)]
pub enum TeacherError {
    /// The teacher file was refused or cannot read this cache.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The teacher reads another time base than the cache configuration.
    #[error(
        "the teacher model reads T = {teacher_steps} steps of {teacher_context_s} s (windows of {teacher_window_s} s) \
         but this cache configuration has T = {cache_steps}, {cache_context_s} s, {cache_window_s} s: \
         extract a cache with the teacher's time base (moodtap extract --steps {teacher_steps}) or pick it with --steps"
    )]
    TimeBase {
        /// The teacher's T.
        teacher_steps: u32,
        /// The teacher's context, s.
        teacher_context_s: f64,
        /// The teacher's analysis window, s.
        teacher_window_s: f64,
        /// The cache's T.
        cache_steps: u32,
        /// The cache's context, s.
        cache_context_s: f64,
        /// The cache's window, s.
        cache_window_s: f64,
    },
}

/// Replaces every song's labels in `table` by `teacher`'s estimates; `progress` is
/// called with the number of songs done. Returns how far the estimates lie from the
/// labels they replace (RMSE per dimension, `[valence, arousal]`) for the report.
pub fn relabel(
    table: &mut StepTable,
    teacher: &mut EvalModel,
    progress: &mut dyn FnMut(usize),
) -> Result<[f64; 2], TeacherError> {
    let want = teacher.cache_request();
    let meta = &table.meta;
    let same = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() <= 1e-6 * b.abs().max(1.0));
    if want.steps != Some(meta.steps) || !same(want.context_s, meta.context_s) || !same(want.window_s, meta.window_s) {
        return Err(TeacherError::TimeBase {
            teacher_steps: want.steps.unwrap_or(0),
            teacher_context_s: want.context_s.unwrap_or(f64::NAN),
            teacher_window_s: want.window_s.unwrap_or(f64::NAN),
            cache_steps: meta.steps,
            cache_context_s: meta.context_s,
            cache_window_s: meta.window_s,
        });
    }
    let mut sq = [0.0f64; 2];
    // In chunks, so a long cache shows progress.
    let all: Vec<usize> = (0..table.songs.len()).collect();
    for chunk in all.chunks(32) {
        let estimates = teacher.predict_songs(table, chunk)?;
        for (&s, e) in chunk.iter().zip(estimates.chunks_exact(2)) {
            let song = &mut table.songs[s];
            sq[0] += f64::from(e[0] - song.valence).powi(2);
            sq[1] += f64::from(e[1] - song.arousal).powi(2);
            song.valence = e[0];
            song.arousal = e[1];
        }
        progress(chunk[chunk.len() - 1] + 1);
    }
    let n = table.songs.len().max(1) as f64;
    Ok([(sq[0] / n).sqrt(), (sq[1] / n).sqrt()])
}

/// A short description of the teacher for the student's provenance: its file name and
/// what it is.
pub fn describe(path: &Path, teacher: &EvalModel) -> String {
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    match teacher {
        EvalModel::Network(m) if m.member_count() > 1 => {
            format!("{name} (an ensemble of {} networks)", m.member_count())
        }
        other => format!("{name} ({})", other.kind()),
    }
}
