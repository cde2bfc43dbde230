//! The "now" reading follows a change of music within seconds where the long
//! reading takes much longer: the embedded default model on a synthetic switch
//! from a soft sustained chord to a loud, bright, percussive texture and back
//! (the product claim behind `valence-now`/`arousal-now`; docs/responsiveness.md
//! measures it on real recordings).

use moodtap_core::analyzer::{Analyzer, Estimate};
use moodtap_core::model::default_model;

const RATE: u32 = 22_050;
const SEGMENT_S: f64 = 25.0;

/// Soft A-major triad, slowly swelling: calm.
fn calm(secs: f64, t0: f64) -> impl Iterator<Item = f32> {
    let n = (secs * RATE as f64) as usize;
    (0..n).map(move |i| {
        let t = t0 + i as f64 / RATE as f64;
        let swell = 0.8 + 0.2 * (2.0 * std::f64::consts::PI * 0.1 * t).sin();
        let tone: f64 = [220.0, 277.18, 329.63].iter().map(|f| (2.0 * std::f64::consts::PI * f * t).sin()).sum();
        (0.02 * swell * tone) as f32
    })
}

/// Loud sawtooth chord with a noise hit every 1/6 s (160 BPM sixteenths
/// feel) and a kick on the beat: intense.
fn intense(secs: f64, t0: f64) -> impl Iterator<Item = f32> {
    let n = (secs * RATE as f64) as usize;
    let mut seed = 0x1234_5678u32;
    (0..n).map(move |i| {
        let t = t0 + i as f64 / RATE as f64;
        let saw = |f: f64| 2.0 * (t * f - (t * f + 0.5).floor());
        let chord = saw(110.0) + saw(164.81) + saw(220.0) + saw(329.63);
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed as f64 / u32::MAX as f64) * 2.0 - 1.0;
        let since_hit = t % (1.0 / 6.0);
        let since_beat = t % 0.375;
        let hit = noise * (-since_hit * 40.0).exp();
        let kick = (2.0 * std::f64::consts::PI * 55.0 * since_beat).sin() * (-since_beat * 12.0).exp();
        (0.12 * chord + 0.35 * hit + 0.5 * kick).clamp(-1.0, 1.0) as f32
    })
}

/// First time after `switch_s` at which `x` crosses half-way from `before` to `after`.
fn half_way_after(est: &[Estimate], x: fn(&Estimate) -> f32, switch_s: f64, before: f32, after: f32) -> Option<f64> {
    let mid = (before + after) / 2.0;
    est.iter()
        .filter(|e| e.time_s >= switch_s)
        .find(|e| if after > before { x(e) >= mid } else { x(e) <= mid })
        .map(|e| e.time_s - switch_s)
}

/// Median of `x` over the last 8 s of the segment ending at `end_s`.
fn plateau(est: &[Estimate], x: fn(&Estimate) -> f32, end_s: f64) -> f32 {
    let mut v: Vec<f32> = est.iter().filter(|e| e.time_s >= end_s - 8.0 && e.time_s < end_s).map(x).collect();
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

#[test]
fn the_now_reading_follows_a_switch_within_seconds() {
    let audio: Vec<f32> =
        calm(SEGMENT_S, 0.0).chain(intense(SEGMENT_S, SEGMENT_S)).chain(calm(SEGMENT_S, 2.0 * SEGMENT_S)).collect();
    let mut analyzer = Analyzer::new(default_model().unwrap(), RATE).unwrap();
    let mut est = Vec::new();
    for block in audio.chunks(4096) {
        analyzer.push(block, |e| est.push(*e));
    }
    let now_a: fn(&Estimate) -> f32 = |e| e.now_arousal;
    let long_a: fn(&Estimate) -> f32 = |e| e.arousal;
    let mut report = String::new();
    let mut halves = Vec::new();
    for (name, x) in [("now", now_a), ("long", long_a)] {
        let p: Vec<f32> = (1..=3).map(|k| plateau(&est, x, k as f64 * SEGMENT_S)).collect();
        let up = half_way_after(&est, x, SEGMENT_S, p[0], p[1]);
        let down = half_way_after(&est, x, 2.0 * SEGMENT_S, p[1], p[2]);
        report.push_str(&format!("{name}: plateaus {p:?}, half-way {up:?} / {down:?}\n"));
        halves.push((p, up, down));
    }
    eprintln!("{report}");
    let (p, up, down) = &halves[0];
    assert!(p[1] - p[0] >= 0.15 && p[1] - p[2] >= 0.15, "now arousal must separate calm and intense:\n{report}");
    for h in [up, down] {
        assert!(h.is_some_and(|s| s <= 3.5), "now arousal half-way within 3.5 s of each switch:\n{report}");
    }
    // The long reading integrates 45 s: it has not got half-way by then.
    let (_, long_up, long_down) = &halves[1];
    for (now, long) in [(up, long_up), (down, long_down)] {
        assert!(long.is_none_or(|l| l > now.unwrap() + 3.0), "the long reading should be much slower:\n{report}");
    }
}
