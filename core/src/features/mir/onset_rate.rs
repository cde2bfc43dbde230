//! `onset_rate`: note onsets per second — a cue of pace that, unlike tempo, has no octave
//! ambiguity (a fast piece whose beat tracker locks onto the half-note pulse still has many
//! onsets). Not a MIRToolbox descriptor (`mironsets` peaks counted, as event density);
//! onset strength and peak picking follow librosa's `onset.onset_strength` /
//! `onset.onset_detect` defaults.
//!
//! - Onset strength per block of [`BLOCK_FRAMES`] (3) front-end frames — 30 ms hop, the power
//!   spectra of the shared 20 ms Hamming frames (`spec25`) averaged, ≈ 40 ms of audio (single
//!   20 ms frames flicker by decibels on sustained sounds; librosa uses 93 ms frames): the
//!   26 mel band powers of [`super::mel`] in dB (floor −100 dB; bands more than
//!   [`RANGE_DB`] (50 dB) below the frame's loudest band clipped to that level, as librosa clips
//!   at 80 dB below the maximum: leakage between partials flickers with their phases), and the
//!   **mean over bands of the positive dB change** from the previous frame. In dB the strength is level-free and has
//!   a physical scale: a note attack raises the bands it covers by several dB, a steady tone or
//!   noise moves them by fractions of a dB.
//! - Context: the last `tempo_context_s` (6 s). Frame `n` is an onset when its strength is the
//!   largest within ±[`PEAK_HALF_WIDTH_S`] (30 ms), exceeds the mean over
//!   ±[`MEAN_HALF_WIDTH_S`] (100 ms) by [`DELTA`] × the context's maximum (librosa normalises
//!   the envelope by its maximum, `delta` 0.07), is at least [`MIN_STRENGTH_DB`], and comes at
//!   least [`MIN_GAP_S`] (30 ms) after the previous onset. Frames within 30 ms of either end
//!   of the context are not judged.
//! - Unit: onsets per second over the judged span; 0 for silence, steady sounds or less than
//!   0.6 s of history.

use super::mel::{BlockBands, N_MEL};
use super::ring::Ring;

/// Half-width of the local-maximum test, s (librosa `pre_max`/`post_max` 30 ms).
pub const PEAK_HALF_WIDTH_S: f64 = 0.03;
/// Half-width of the local mean, s (librosa `pre_avg`/`post_avg` 100 ms).
pub const MEAN_HALF_WIDTH_S: f64 = 0.1;
/// Height above the local mean, in units of the context's maximum (librosa `delta`).
pub const DELTA: f32 = 0.07;
/// Shortest gap between onsets, s (librosa `wait` 30 ms).
pub const MIN_GAP_S: f64 = 0.03;
/// Least history judged, s (as tempo and pulse clarity).
const MIN_HISTORY_S: f64 = 0.6;
/// Least onset strength, dB of mean positive band change per frame.
pub const MIN_STRENGTH_DB: f32 = 1.0;
/// Bands more than this below the frame's loudest band are clipped to that level, dB.
pub const RANGE_DB: f32 = 50.0;
/// Front-end frames (10 ms) per onset-strength block: 30 ms hop, ≈ 40 ms of audio per block.
pub const BLOCK_FRAMES: usize = 3;
/// Band power floor (full-scale sine units squared): −100 dB.
const POWER_FLOOR: f32 = 1e-10;

/// Onset-strength history and the per-frame band scratch.
#[derive(Debug, Clone)]
pub(crate) struct OnsetRate {
    fps: f64,
    /// Mel band powers per block of [`BLOCK_FRAMES`] frames.
    bands: BlockBands,
    n_bins: usize,
    prev_db: [f32; N_MEL],
    has_prev: bool,
    strength: Ring<f32>,
    scratch: Vec<f32>,
}

impl OnsetRate {
    /// For `spec25` spectra of `n_fft` points (window summing to `window_sum`) at
    /// `sample_rate_hz`, `fps` frames per second, keeping `context_s` seconds.
    pub(crate) fn new(sample_rate_hz: u32, n_fft: usize, window_sum: f64, fps: f64, context_s: f64) -> Self {
        let fps = fps / BLOCK_FRAMES as f64;
        let context = ((context_s.max(0.0) * fps).round() as usize).max(2);
        Self {
            fps,
            bands: BlockBands::new(sample_rate_hz, n_fft, window_sum, BLOCK_FRAMES),
            n_bins: n_fft / 2 + 1,
            prev_db: [0.0; N_MEL],
            has_prev: false,
            strength: Ring::new(context),
            scratch: vec![0.0; context],
        }
    }

    /// Adds one `spec25` magnitude spectrum; `None` (or a spectrum of the wrong length) is a
    /// frame without a spectrum and counts as silence.
    pub(crate) fn push(&mut self, mag25: Option<&[f32]>) {
        let mag = mag25.filter(|m| m.len() == self.n_bins).unwrap_or(&[]);
        let Some(bands) = self.bands.push(mag) else {
            return;
        };
        let mut db = [0.0f32; N_MEL];
        for (d, &p) in db.iter_mut().zip(&bands) {
            *d = 10.0 * (if p.is_finite() { p.max(POWER_FLOOR) } else { POWER_FLOOR }).log10();
        }
        // Bands far below the frame's loudest are leakage whose level flickers with the
        // partials' phases; clip them (librosa clips at 80 dB below the maximum).
        let floor = db.iter().fold(f32::MIN, |m, &v| m.max(v)) - RANGE_DB;
        let mut rise = 0.0f32;
        for (prev, &d) in self.prev_db.iter_mut().zip(&db) {
            let d = d.max(floor);
            rise += (d - *prev).max(0.0);
            *prev = d;
        }
        let strength = if self.has_prev { rise / N_MEL as f32 } else { 0.0 };
        self.has_prev = true;
        self.strength.push(if strength.is_finite() { strength } else { 0.0 });
    }

    /// Onsets per second over the history held now.
    pub(crate) fn rate(&mut self) -> f32 {
        let n = self.strength.len();
        let curve = &mut self.scratch[..n];
        for (d, &v) in curve.iter_mut().zip(self.strength.iter_last(n)) {
            *d = v;
        }
        per_second(curve, self.fps)
    }

    pub(crate) fn clear(&mut self) {
        self.strength.clear();
        self.has_prev = false;
        self.bands.clear();
    }
}

/// Onsets per second in `curve` (onset strengths in dB at `fps` frames per second).
pub(crate) fn per_second(curve: &[f32], fps: f64) -> f32 {
    let peak = ((PEAK_HALF_WIDTH_S * fps).round() as usize).max(1);
    let mean_half = ((MEAN_HALF_WIDTH_S * fps).round() as usize).max(1);
    let gap = ((MIN_GAP_S * fps).round() as usize).max(1);
    let n = curve.len();
    if (n as f64) < MIN_HISTORY_S * fps || n <= 2 * peak {
        return 0.0;
    }
    let max = curve.iter().fold(0.0f32, |m, &v| if v.is_finite() { m.max(v) } else { m });
    if max < MIN_STRENGTH_DB {
        return 0.0;
    }
    let mut count = 0usize;
    let mut last: Option<usize> = None;
    for i in peak..n - peak {
        let v = curve[i];
        if !v.is_finite() || curve[i - peak..=i + peak].iter().any(|&u| u > v) {
            continue;
        }
        let (lo, hi) = (i.saturating_sub(mean_half), (i + mean_half + 1).min(n));
        let local_mean =
            curve[lo..hi].iter().map(|&u| if u.is_finite() { u } else { 0.0 }).sum::<f32>() / (hi - lo) as f32;
        if v < MIN_STRENGTH_DB || (v - local_mean) / max < DELTA || last.is_some_and(|l| i - l < gap) {
            continue;
        }
        count += 1;
        last = Some(i);
    }
    let span_s = (n - 2 * peak) as f64 / fps;
    (count as f64 / span_s) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clicks(per_second: f64, seconds: f64, fps: f64) -> Vec<f32> {
        let n = (seconds * fps) as usize;
        let period = fps / per_second;
        (0..n).map(|i| if (i as f64 % period) < 1.0 { 12.0 } else { 0.3 }).collect()
    }

    #[test]
    fn counts_click_trains_and_ignores_flat_curves() {
        let fps = 100.0;
        for rate in [1.0, 2.5, 4.0, 8.0] {
            let got = per_second(&clicks(rate, 6.0, fps), fps);
            assert!((got as f64 - rate).abs() < 0.25 * rate.max(1.0), "{rate}/s: {got}");
        }
        assert_eq!(per_second(&vec![0.0; 600], fps), 0.0);
        assert_eq!(per_second(&vec![3.0; 600], fps), 0.0, "constant curve has no onsets");
        let faint: Vec<f32> = clicks(4.0, 6.0, fps).iter().map(|v| v / 20.0).collect();
        assert_eq!(per_second(&faint, fps), 0.0, "rises below MIN_STRENGTH_DB are not onsets");
        assert_eq!(per_second(&clicks(4.0, 0.5, fps), fps), 0.0, "too short");
    }
}
