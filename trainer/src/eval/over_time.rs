//! Evaluation over time (`moodtap eval --over-time`): a network's estimate at
//! every step of each song, as the analyzer and the plugin produce them, against
//! the dataset's dynamic (per-time) labels ([`crate::dataset::dynamic`]).
//!
//! Alignment: the label at time `t` (s from the clip start) is compared with the
//! estimate of the last step that ended at or before `t + lag`, where the lag is
//! how long the estimates trail the labels (`lag > 0`: the model answers later
//! than the annotators). Label times before the first step or after the last are
//! left out.
//!
//! Both readings are scored: the long reading (the model's whole context, what
//! `valence`/`arousal` carry) and the "now" reading (the last ~3 s,
//! [`moodtap_core::model::now`], what `valence_now`/`arousal_now` carry).
//!
//! Reported per reading and dimension, at lag 0: RMSE and Pearson r over all (song, time)
//! points pooled (dominated by the differences between songs), and the
//! within-song r: r over the pooled points after each song's own means are
//! subtracted from its labels and estimates — how well the estimate follows
//! changes inside a song, which is what a responsive reading must do. Then the
//! lag in [−[`MAX_LAG_S`], +[`MAX_LAG_S`]] s (step [`LAG_STEP_S`]) that
//! maximises the within-song r, and that r. The annotators' own reaction time
//! is inside every label (they move a slider while listening), so a model that
//! follows the music exactly shows a *negative* best lag of about that time.

use std::collections::HashMap;

use moodtap_core::fusion::{Fusion, FusionRing};
use moodtap_core::model::now::NowReading;
use moodtap_core::model::{LoadedModel, ValenceArousal};
use moodtap_core::stats::{pearson, rmse};

use crate::cache::{SongSteps, StepTable};
use crate::dataset::dynamic::DynamicSeries;

/// Largest lag searched, s.
pub const MAX_LAG_S: f64 = 10.0;
/// Lag grid step, s (the 2 Hz label rate).
pub const LAG_STEP_S: f64 = 0.5;

/// The two readings a model gives at every step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The whole context (`valence`, `arousal`).
    Long,
    /// The last ~3 s (`valence_now`, `arousal_now`).
    Now,
}

impl Reading {
    /// Both, in report order.
    pub const ALL: [Reading; 2] = [Reading::Long, Reading::Now];

    /// Name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Reading::Long => "long",
            Reading::Now => "now",
        }
    }
}

/// A network's two readings at every step of `song` (`[valence, arousal]` each),
/// in step order. Long: the model input at step `k` is the last `T` steps up to
/// `k`, zeros before the song starts, exactly as
/// [`moodtap_core::analyzer::Analyzer`] builds it; with `visible = Some(K)` (K < T)
/// only the last `K` steps are shown and the older positions hold zeros, as while
/// the context fills (docs/responsiveness.md). Now: [`NowReading`], as the analyzer
/// steps it.
pub fn song_estimates(
    model: &mut LoadedModel,
    fusion: &Fusion,
    song: &SongSteps,
    visible: Option<usize>,
) -> [Vec<[f32; 2]>; 2] {
    let t = model.metadata().t_steps;
    let n = fusion.n_features();
    let hidden_rows = t - visible.unwrap_or(t).clamp(1, t);
    let mut ring = FusionRing::new(t, n);
    let mut input = vec![0.0; model.input_len()];
    let mut now = NowReading::new(model);
    let (mut long_out, mut now_out) = (Vec::new(), Vec::new());
    for row in song.rows() {
        ring.push(fusion, row);
        ring.write_matrix(&mut input);
        input[..hidden_rows * n].fill(0.0);
        // The input is T × N by construction, so the length check cannot fail.
        let e = model.predict(&input).unwrap_or(ValenceArousal { valence: 0.5, arousal: 0.5 });
        long_out.push([e.valence, e.arousal]);
        let e = now.step(model, &ring);
        now_out.push([e.valence, e.arousal]);
    }
    [long_out, now_out]
}

/// One song's estimates on its step times.
#[derive(Debug, Clone)]
pub struct SongTrack {
    /// Song id.
    pub id: String,
    /// Step end times, s.
    pub times_s: Vec<f64>,
    /// `[valence, arousal]` per step, per [`Reading`] (`Reading::ALL` order).
    pub estimates: [Vec<[f32; 2]>; 2],
    /// The song's dynamic labels.
    pub labels: DynamicSeries,
}

impl SongTrack {
    /// The `reading` in effect at `t` s: that of the last step ending at or before
    /// `t`; `None` before the first step or more than one step after the last.
    pub fn estimate_at(&self, reading: Reading, t: f64) -> Option<[f32; 2]> {
        step_at(&self.times_s, t).map(|i| self.estimates[reading as usize][i])
    }
}

/// Index of the last step ending at or before `t` s, given the step end times
/// `times_s` (ascending, evenly spaced); `None` before the first step ends or
/// more than one step after the last.
pub fn step_at(times_s: &[f64], t: f64) -> Option<usize> {
    let i = times_s.partition_point(|&s| s <= t + 1e-9);
    let hop = match times_s.len() {
        0 => return None,
        1 => times_s[0],
        n => times_s[n - 1] - times_s[n - 2],
    };
    if i == 0 || t > times_s[i - 1] + hop + 1e-9 {
        return None;
    }
    Some(i - 1)
}

/// Over-time scores of one dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DimensionOverTime {
    /// RMSE over all aligned points at lag 0.
    pub rmse: f64,
    /// Pearson r over all aligned points at lag 0 (`None`: undefined).
    pub r: Option<f64>,
    /// Within-song r at lag 0.
    pub r_within: Option<f64>,
    /// Lag with the largest within-song r, s (`> 0`: estimates trail labels).
    pub best_lag_s: Option<f64>,
    /// The within-song r at that lag.
    pub r_within_best: Option<f64>,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone)]
pub struct OverTimeReport {
    /// Songs with both steps and dynamic labels.
    pub songs: usize,
    /// Aligned (song, time) points at lag 0.
    pub points: usize,
    /// Songs of the scope without dynamic labels (left out).
    pub unlabelled: Vec<String>,
    /// Per [`Reading`] (long, now): valence, arousal.
    pub dims: [[DimensionOverTime; 2]; 2],
}

/// Aligned `(label, estimate, song index)` triples of dimension `dim` of `reading` at `lag_s`.
fn aligned(tracks: &[SongTrack], reading: Reading, dim: usize, lag_s: f64) -> Vec<(f64, f64, usize)> {
    let mut out = Vec::new();
    for (s, track) in tracks.iter().enumerate() {
        let labels = if dim == 0 { &track.labels.valence } else { &track.labels.arousal };
        for (&t, &y) in track.labels.times_s.iter().zip(labels) {
            if let Some(e) = track.estimate_at(reading, t + lag_s) {
                out.push((f64::from(y), f64::from(e[dim]), s));
            }
        }
    }
    out
}

/// Pearson r of the points after removing each song's means (songs with fewer
/// than two points are left out).
fn within_song_r(points: &[(f64, f64, usize)], n_songs: usize) -> Option<f64> {
    let mut sums = vec![(0.0, 0.0, 0usize); n_songs];
    for &(y, e, s) in points {
        sums[s].0 += y;
        sums[s].1 += e;
        sums[s].2 += 1;
    }
    let (mut ys, mut es) = (Vec::with_capacity(points.len()), Vec::with_capacity(points.len()));
    for &(y, e, s) in points {
        let (sy, se, n) = sums[s];
        if n >= 2 {
            ys.push(y - sy / n as f64);
            es.push(e - se / n as f64);
        }
    }
    pearson(&es, &ys)
}

/// Scores one reading of `tracks` per dimension (see the module docs).
pub fn score(tracks: &[SongTrack], reading: Reading) -> [DimensionOverTime; 2] {
    let lags: Vec<f64> = (-((MAX_LAG_S / LAG_STEP_S) as i32)..=(MAX_LAG_S / LAG_STEP_S) as i32)
        .map(|k| f64::from(k) * LAG_STEP_S)
        .collect();
    [0, 1].map(|dim| {
        let at0 = aligned(tracks, reading, dim, 0.0);
        let (ys, es): (Vec<f64>, Vec<f64>) = at0.iter().map(|&(y, e, _)| (y, e)).unzip();
        let mut best: Option<(f64, f64)> = None;
        for &lag in &lags {
            if let Some(r) = within_song_r(&aligned(tracks, reading, dim, lag), tracks.len()) {
                if best.is_none_or(|(_, b)| r > b) {
                    best = Some((lag, r));
                }
            }
        }
        DimensionOverTime {
            rmse: if ys.is_empty() { f64::NAN } else { rmse(&es, &ys) },
            r: pearson(&es, &ys),
            r_within: within_song_r(&at0, tracks.len()),
            best_lag_s: best.map(|b| b.0),
            r_within_best: best.map(|b| b.1),
        }
    })
}

/// Runs `model` over every step of `songs` of `table` (showing it the last
/// `visible` steps only, if given; see [`song_estimates`]) and scores it against
/// `labels` (song id → dynamic labels); songs without labels are listed, not scored.
pub fn evaluate(
    model: &mut LoadedModel,
    table: &StepTable,
    songs: &[usize],
    labels: &HashMap<String, DynamicSeries>,
    visible: Option<usize>,
    mut progress: impl FnMut(),
) -> Result<(OverTimeReport, Vec<SongTrack>), moodtap_core::fusion::FusionError> {
    let fusion = model.metadata().fusion(table.feature_names())?;
    let mut tracks = Vec::new();
    let mut unlabelled = Vec::new();
    for &s in songs {
        let song = &table.songs[s];
        match labels.get(&song.id) {
            Some(l) if song.n_steps() > 0 => tracks.push(SongTrack {
                id: song.id.clone(),
                times_s: song.times_s.clone(),
                estimates: song_estimates(model, &fusion, song, visible),
                labels: l.clone(),
            }),
            _ => unlabelled.push(song.id.clone()),
        }
        progress();
    }
    let points = aligned(&tracks, Reading::Long, 0, 0.0).len();
    let dims = Reading::ALL.map(|r| score(&tracks, r));
    Ok((OverTimeReport { songs: tracks.len(), points, unlabelled, dims }, tracks))
}

/// One PNG of a song: the dynamic ratings and both readings at every step over
/// time, valence above, arousal below.
pub fn write_song_plot(path: &std::path::Path, track: &SongTrack) -> Result<(), crate::plot::PlotError> {
    use crate::plot::{line_panels, Panel, Series};
    let panels: Vec<Panel> = ["valence", "arousal"]
        .iter()
        .enumerate()
        .map(|(dim, name)| {
            let labels = if dim == 0 { &track.labels.valence } else { &track.labels.arousal };
            Panel {
                title: format!("song {}: {name}", track.id),
                x_label: "time (s)".into(),
                y_label: format!("{name} (0-1)"),
                series: vec![Series {
                    name: "rating".into(),
                    points: track.labels.times_s.iter().zip(labels).map(|(&t, &y)| (t, f64::from(y))).collect(),
                }]
                .into_iter()
                .chain(Reading::ALL.map(|reading| {
                    Series {
                        name: reading.name().into(),
                        points: track
                            .times_s
                            .iter()
                            .zip(&track.estimates[reading as usize])
                            .map(|(&t, e)| (t, f64::from(e[dim])))
                            .collect(),
                    }
                }))
                .collect(),
                marker: None,
            }
        })
        .collect();
    line_panels(path, &panels)
}

/// The report as a markdown table (r values "undefined" where they are).
pub fn markdown(report: &OverTimeReport) -> String {
    let f = |x: Option<f64>| x.map_or("undefined".to_string(), |v| format!("{v:.3}"));
    let mut s = format!(
        "Over time: {} songs, {} labelled time points (lag: how long the estimates trail the labels; \
         within-song r: each song's means removed)\n\n\
         | reading | dimension | RMSE | r | within-song r | best lag | within-song r at best lag |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: |\n",
        report.songs, report.points
    );
    let rows = Reading::ALL
        .iter()
        .zip(&report.dims)
        .flat_map(|(r, dims)| ["valence", "arousal"].map(|n| (r, n)).into_iter().zip(dims));
    for ((reading, name), d) in rows {
        s.push_str(&format!(
            "| {} | {name} | {:.3} | {} | {} | {} | {} |\n",
            reading.name(),
            d.rmse,
            f(d.r),
            f(d.r_within),
            d.best_lag_s.map_or("undefined".to_string(), |l| {
                // A best lag on the edge of the grid may lie beyond it.
                let edge = if l.abs() >= MAX_LAG_S { " (search limit)" } else { "" };
                format!("{l:+.1} s{edge}")
            }),
            f(d.r_within_best)
        ));
    }
    if !report.unlabelled.is_empty() {
        s.push_str(&format!(
            "\n{} song(s) of the cache have no dynamic labels and were left out (e.g. {}).\n",
            report.unlabelled.len(),
            report.unlabelled[0]
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two songs whose estimates follow the labels `delay` s later, with an offset
    /// per song (which the within-song r must ignore).
    fn tracks(delay: f64) -> Vec<SongTrack> {
        (0..2)
            .map(|song| {
                let hop = 0.15;
                let times_s: Vec<f64> = (1..=300).map(|k| k as f64 * hop).collect();
                let curve = |t: f64| 0.5 + 0.3 * (t / 3.0 + song as f64).sin();
                let estimates = times_s.iter().map(|&t| [(curve(t - delay) + 0.1 * song as f64) as f32, 0.4]).collect();
                let mut labels = DynamicSeries::default();
                for k in 30..90 {
                    let t = k as f64 * 0.5;
                    labels.times_s.push(t);
                    labels.valence.push(curve(t) as f32);
                    labels.arousal.push(0.5 + 0.01 * (k % 3) as f32);
                }
                let now = vec![[0.5, 0.5]; times_s.len()];
                SongTrack { id: song.to_string(), times_s, estimates: [estimates, now], labels }
            })
            .collect()
    }

    #[test]
    fn a_delayed_copy_is_found_at_its_delay() {
        let [v, a] = score(&tracks(2.0), Reading::Long);
        assert_eq!(v.best_lag_s, Some(2.0));
        assert!(v.r_within_best.unwrap() > 0.99, "{v:?}");
        assert!(v.r_within.unwrap() < v.r_within_best.unwrap() - 0.05, "lag 0 must be worse: {v:?}");
        // A constant estimate has no defined correlation.
        assert_eq!((a.r, a.r_within, a.best_lag_s), (None, None, None));
        assert!(a.rmse > 0.0 && a.rmse < 0.2);
        let [v0, _] = score(&tracks(0.0), Reading::Long);
        // The other reading is scored on its own values (constant here).
        assert_eq!(score(&tracks(2.0), Reading::Now)[0].r, None);
        assert_eq!(v0.best_lag_s, Some(0.0));
    }

    #[test]
    fn estimate_lookup_is_causal_and_bounded() {
        let t = &tracks(0.0)[0];
        let at = |s| t.estimate_at(Reading::Long, s);
        assert_eq!(at(0.1), None, "before the first step ends");
        assert_eq!(at(0.15), Some(t.estimates[0][0]));
        assert_eq!(at(0.29), Some(t.estimates[0][0]));
        assert_eq!(at(45.1), Some(t.estimates[0][299]));
        assert_eq!(at(46.0), None, "after the audio ends");
        assert_eq!(t.estimate_at(Reading::Now, 0.2), Some(t.estimates[1][0]));
    }
}
