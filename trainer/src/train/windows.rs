//! Training inputs from a feature cache ([`SongSet`]s): one window per song
//! for static labels, one window per rated time point for dynamic labels.
//!
//! **Static**: the input of a song is its last `T` steps and the target its
//! one label pair, the paper's setup.
//!
//! **Dynamic** (`moodtap train --labels dynamic`): every rating of a song at
//! time `τ` (s from the clip start) becomes one input, the last `W` steps that
//! ended at or before `τ − lag`, with that rating as the target (zeros in front
//! while fewer than `W` steps exist, as in the analyzer). The lag is the
//! annotators' reaction time: they move a slider while listening, so a rating
//! at `τ` describes the music of a moment earlier; shifting the window back by
//! `lag` asks the model for the mood of the music it has heard, not for a
//! guess of the seconds to come. Ratings earlier than `lag` plus one step, or
//! later than the audio, give no input. Windows of one song overlap heavily,
//! so they stay in one part of the split: the split is by song, never by window.

use std::sync::Arc;

use moodtap_core::fusion::Fusion;

use super::fit::SongSet;
use super::inputs::{labels, song_input};
use crate::cache::{SongSteps, StepTable};
use crate::dataset::dynamic::{DynamicSeries, SeriesById};
use crate::eval::over_time::step_at;

/// Default annotator lag of `--labels dynamic`, s (docs/training.md,
/// "Dynamic labels", says where it comes from and how to measure yours).
pub const DEFAULT_LAG_S: f64 = 2.0;

/// Per-time targets for [`super::train`].
#[derive(Debug, Clone)]
pub struct DynamicTargets {
    /// Song id → its ratings on [0, 1].
    pub series: Arc<SeriesById>,
    /// Annotator reaction lag, s (see the module docs).
    pub lag_s: f64,
    /// Steps per training window `W` (`None`: the cache's `T`).
    pub window_steps: Option<usize>,
    /// Inputs drawn per song and epoch (`None`: all), see [`super::fit::FitConfig::windows_per_song`].
    pub windows_per_song: Option<usize>,
}

impl DynamicTargets {
    /// Window length for a cache of `t` steps.
    pub fn window(&self, t: usize) -> usize {
        self.window_steps.unwrap_or(t)
    }

    /// One line for the model's provenance and the report.
    pub fn describe(&self, t: usize) -> String {
        let drawn = self.windows_per_song.map_or(String::new(), |k| format!(", {k} drawn per song and epoch"));
        format!("dynamic labels, annotator lag {:.1} s, windows of {} steps{drawn}", self.lag_s, self.window(t))
    }
}

/// Static labels: one input per song, its last `t` steps fused by
/// [`song_input`] (the code `moodtap eval` and the analyzer's fusion use, zero rows
/// in front of a short song), stored as a window of exactly `t` rows.
pub fn static_set(table: &StepTable, songs: &[usize], fusion: &Fusion, t: usize) -> SongSet {
    let mut set = SongSet::new(t, fusion.n_features());
    let mut input = Vec::with_capacity(t * fusion.n_features());
    for &s in songs {
        input.clear();
        song_input(&table.songs[s], fusion, t, &mut input);
        let first = set.push_rows(&input);
        set.push_window(first, first + t, labels(&table.songs[s]));
    }
    set
}

/// The rated points of `song` that give a window: `(end step, exclusive; target)`.
fn rated_windows(song: &SongSteps, series: &DynamicSeries, lag_s: f64) -> Vec<(usize, [f32; 2])> {
    series
        .times_s
        .iter()
        .zip(series.valence.iter().zip(&series.arousal))
        .filter_map(|(&tau, (&v, &a))| step_at(&song.times_s, tau - lag_s).map(|k| (k + 1, [v, a])))
        .collect()
}

/// What [`dynamic_set`] built.
#[derive(Debug)]
pub struct DynamicSet {
    /// The inputs.
    pub set: SongSet,
    /// Songs that gave at least one window.
    pub songs: Vec<usize>,
    /// Songs without dynamic labels, or whose ratings all fall outside the audio.
    pub unusable: Vec<usize>,
}

/// Dynamic labels: one input per rated time point of each song (see the module docs).
pub fn dynamic_set(
    table: &StepTable,
    songs: &[usize],
    fusion: &Fusion,
    targets: &DynamicTargets,
    w: usize,
) -> DynamicSet {
    let mut out = DynamicSet { set: SongSet::new(w, fusion.n_features()), songs: Vec::new(), unusable: Vec::new() };
    let mut rows = Vec::new();
    for &s in songs {
        let song = &table.songs[s];
        let windows = targets.series.get(&song.id).map(|l| rated_windows(song, l, targets.lag_s)).unwrap_or_default();
        if windows.is_empty() {
            out.unusable.push(s);
            continue;
        }
        // Every step of the song, fused (a "last n of n steps" input has no padding).
        rows.clear();
        fusion.fuse_last_steps(song.rows(), song.n_steps(), &mut rows);
        let first = out.set.push_rows(&rows);
        for (end, target) in windows {
            out.set.push_window(first, first + end, target);
        }
        out.songs.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(times: &[f64]) -> DynamicSeries {
        DynamicSeries {
            times_s: times.to_vec(),
            valence: times.iter().map(|&t| (t / 100.0) as f32).collect(),
            arousal: vec![0.5; times.len()],
        }
    }

    #[test]
    fn each_rating_looks_back_by_the_lag() {
        // Steps end at 0.5, 1.0, …, 5.0 s.
        let song = SongSteps {
            id: "a".into(),
            valence: 0.5,
            arousal: 0.5,
            steps: (1..=10).collect(),
            times_s: (1..=10).map(|k| f64::from(k) * 0.5).collect(),
            features: vec![0.0; 10 * crate::cache::N_FEATURES],
        };
        let w = rated_windows(&song, &series(&[0.4, 1.0, 3.2, 5.0, 7.0]), 1.0);
        // 0.4 − 1 and 1.0 − 1 are before the first step; 3.2 − 1 = 2.2 s → the step
        // ending at 2.0 s (the 4th, end index 4); 5.0 − 1 = 4.0 s → the 8th; 7.0 − 1 is
        // more than one step after the audio ends.
        assert_eq!(w.iter().map(|x| x.0).collect::<Vec<_>>(), vec![4, 8]);
        assert_eq!(w[0].1, [0.032, 0.5]);
        let at0 = rated_windows(&song, &series(&[0.4, 1.0, 5.0]), 0.0);
        assert_eq!(at0.iter().map(|x| x.0).collect::<Vec<_>>(), vec![2, 10]);
    }
}
