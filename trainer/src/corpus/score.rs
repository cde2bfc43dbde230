//! Note-level composition of one excerpt from its cue vector.
//!
//! The texture is a melody (channel 0), block/arpeggiated chords (channel 1),
//! a bass line (channel 2) and optionally a GM drum kit (channel 9). Every
//! expressive cue acts on the notes as follows; everything else (key,
//! progression, motif, accompaniment pattern, small timing and velocity
//! jitter) is random nuisance variation drawn from the excerpt's own stream.
//!
//! | cue | realisation |
//! |---|---|
//! | mode | major / natural-minor (harmonic-minor V) diatonic progressions; atonal: melody and chords from a random twelve-tone row |
//! | tempo | beat length 60 / `tempo_bpm` s |
//! | density | melody notes per beat (subdivisions 1–4, or half notes below 1) |
//! | loudness | MIDI velocity 35 + 80·loudness (playing effort); the absolute level is set in [`super::render`] |
//! | dynamics | velocity ramp ±15 and CC 11 expression ramp 55↔127 over the excerpt |
//! | articulation | sounding duration = inter-onset interval × (1 − 0.75·articulation) |
//! | register | melody centre pitch; chords 10 and bass ~30 semitones below, following at reduced slope |
//! | dissonance | per chord, clash tones (m2, tritone, M7, split third) with probability `dissonance`, a second one with `dissonance²`; melody notes chromatically altered with probability `dissonance / 2` |
//! | instrumentation / drums | GM programs of [`super::cues::Family`]; kick/snare/hi-hat pattern on channel 10 |

use super::cues::{Cues, Dynamics, Mode};
use moodtap_core::rng::SplitMix64;

/// MIDI channel of the melody.
pub const CH_MELODY: u8 = 0;
/// MIDI channel of the chords.
pub const CH_CHORDS: u8 = 1;
/// MIDI channel of the bass.
pub const CH_BASS: u8 = 2;
/// GM percussion channel (channel 10, 0-based 9).
pub const CH_DRUMS: u8 = 9;

/// Seconds at the end of an excerpt left free of note onsets so releases
/// and reverb decay inside the file.
pub const TAIL_S: f64 = 0.8;

/// One note.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Note {
    /// Onset, seconds from the start of the excerpt.
    pub start_s: f64,
    /// Sounding duration, seconds.
    pub dur_s: f64,
    /// MIDI channel (0-based).
    pub channel: u8,
    /// MIDI key.
    pub key: u8,
    /// MIDI velocity 1–127.
    pub velocity: u8,
}

/// A controller change (CC 11 expression for dynamics).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    /// Time, seconds.
    pub time_s: f64,
    /// MIDI channel.
    pub channel: u8,
    /// Controller number.
    pub controller: u8,
    /// Value 0–127.
    pub value: u8,
}

/// Summary measurements of the composed notes (recorded in the manifest
/// so the realisation of each cue can be audited).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ScoreStats {
    /// Melody notes per beat actually composed.
    pub melody_npb: f64,
    /// Distinct onset times (all channels, 10 ms resolution) per second.
    pub onsets_per_s: f64,
    /// Mean MIDI key of the melody.
    pub melody_mean_midi: f64,
    /// Mean over chords of the share of dissonant pitch-class pairs
    /// (interval classes 1 and 6 count 1, interval class 2 counts 0.5).
    pub dissonance_index: f64,
    /// Share of melody notes outside the key (0 for atonal excerpts).
    pub chromatic_share: f64,
}

/// The composed excerpt.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Excerpt length, seconds.
    pub duration_s: f64,
    /// `(channel, GM program)` set at time 0.
    pub programs: Vec<(u8, u8)>,
    /// Notes in composition order (the renderer sorts events).
    pub notes: Vec<Note>,
    /// Controller changes.
    pub controls: Vec<Control>,
    /// Measurements of the composition.
    pub stats: ScoreStats,
}

const MAJOR: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];
const MINOR: [i32; 7] = [0, 2, 3, 5, 7, 8, 10];
const MAJOR_PROGRESSIONS: [[usize; 4]; 6] =
    [[0, 3, 4, 0], [0, 5, 3, 4], [0, 4, 5, 3], [0, 3, 0, 4], [1, 4, 0, 0], [0, 5, 1, 4]];
const MINOR_PROGRESSIONS: [[usize; 4]; 5] = [[0, 3, 4, 0], [0, 5, 2, 6], [0, 3, 6, 2], [0, 5, 3, 4], [0, 6, 5, 4]];

/// Pitch material of one bar.
#[derive(Debug, Clone)]
struct Chord {
    /// Root pitch class 0–11.
    root: i32,
    /// Chord pitch classes including clash tones.
    pcs: Vec<i32>,
    /// Pitch classes of the plain chord (melody targets).
    targets: Vec<i32>,
}

/// Composes the excerpt for `cues`, `duration_s` long, from the random
/// stream `rng`. Deterministic in its inputs.
pub fn compose(cues: &Cues, duration_s: f64, rng: &mut SplitMix64) -> Score {
    let beat_s = 60.0 / cues.tempo_bpm.clamp(20.0, 400.0);
    let bpb = cues.meter.beats();
    let bar_s = beat_s * bpb as f64;
    let music_end = (duration_s - TAIL_S).max(beat_s);
    let n_bars = (music_end / bar_s).ceil().max(1.0) as usize;
    let tonic = cues.key_pc as i32 % 12;

    let (chords, row) = harmony(cues, tonic, n_bars, rng);
    let scale: Vec<i32> = match cues.mode {
        Mode::Major => MAJOR.to_vec(),
        Mode::Minor => MINOR.to_vec(),
        Mode::Atonal => (0..12).collect(),
    };

    let mut notes = Vec::new();
    let centre = cues.register_midi();
    let base_vel = 35.0 + 80.0 * cues.loudness.clamp(0.0, 1.0);
    let ramp = |t: f64| -> f64 { cues.dynamics.signed() * 30.0 * (t / duration_s - 0.5) };
    let vel = |v: f64| -> u8 { v.round().clamp(1.0, 127.0) as u8 };
    let sound = |ioi: f64| -> f64 { (ioi * (1.0 - 0.75 * cues.articulation.clamp(0.0, 1.0)) - 0.015).max(0.04) };

    // ---- melody -------------------------------------------------------
    let motif = melody_rhythm(cues.density_npb, 2 * bpb, rng);
    let steps: Vec<i32> = motif.iter().map(|_| melodic_step(rng)).collect();
    let tonic_base = {
        // Tonic pitch at or just below the register centre.
        let c = centre.floor() as i32;
        c - (c - tonic).rem_euclid(12)
    };
    let midi_of = |deg: i32| -> i32 {
        let n = scale.len() as i32;
        tonic_base + 12 * deg.div_euclid(n) + scale[deg.rem_euclid(n) as usize]
    };
    let (lo, hi) = (centre - 9.0, centre + 9.0);
    let mut deg = 0i32;
    let mut row_pos = 0usize;
    let mut melody_count = 0usize;
    let mut chromatic = 0usize;
    let mut midi_sum = 0.0;
    let mut pair = 0usize;
    while (pair * 2 * bpb) as f64 * beat_s < music_end {
        // Each two-bar phrase repeats the motif, varying ~20 % of its notes.
        let pair_start = (pair * 2 * bpb) as f64 * beat_s;
        for (i, &(beat_off, dur_beats)) in motif.iter().enumerate() {
            let t0 = pair_start + beat_off * beat_s;
            if t0 >= music_end {
                break;
            }
            if rng.chance(0.06) {
                continue; // rest
            }
            let bar = ((t0 / bar_s) as usize).min(n_bars - 1);
            let chord = &chords[bar];
            let step = if pair > 0 && rng.chance(0.2) { melodic_step(rng) } else { steps[i] };
            let key = if cues.mode == Mode::Atonal {
                // Serial melody: next row pitch class, octave nearest the
                // previous note moved by the contour step.
                let pc = row[row_pos % row.len()];
                row_pos += 1;
                let target = midi_of(deg) as f64 + step as f64 * 1.5;
                let k = nearest_with_pc(target, pc);
                let k = if (k as f64) < lo {
                    k + 12
                } else if (k as f64) > hi {
                    k - 12
                } else {
                    k
                };
                deg = k - tonic_base; // chromatic scale: degree = semitone
                k
            } else {
                let mut d = deg + step;
                if (midi_of(d) as f64) < lo || (midi_of(d) as f64) > hi {
                    d = deg - step;
                }
                if (beat_off.fract()).abs() < 1e-9 {
                    d = nearest_chord_degree(d, chord, &midi_of);
                }
                deg = d;
                let mut k = midi_of(d);
                if rng.chance(0.5 * cues.dissonance.clamp(0.0, 1.0)) {
                    k += if rng.chance(0.5) { 1 } else { -1 };
                    chromatic += 1;
                }
                k
            };
            let dur = sound(dur_beats * beat_s).min(music_end + 0.3 - t0);
            let accent = accent(beat_off, bpb);
            let jitter = rng.range(-0.006, 0.006);
            let v = base_vel + accent + ramp(t0) + rng.range(-5.0, 5.0);
            let key = key.clamp(21, 108);
            notes.push(Note {
                start_s: (t0 + jitter).max(0.0),
                dur_s: dur,
                channel: CH_MELODY,
                key: key as u8,
                velocity: vel(v),
            });
            melody_count += 1;
            midi_sum += key as f64;
        }
        pair += 1;
    }

    // ---- chords -------------------------------------------------------
    let chord_centre = (centre - 10.0).clamp(45.0, 72.0);
    let pattern = accompaniment_pattern(cues.density_npb, rng);
    for (bar, chord) in chords.iter().enumerate() {
        let bar_t = bar as f64 * bar_s;
        let voiced: Vec<i32> = chord.pcs.iter().map(|&pc| nearest_with_pc(chord_centre, pc)).collect();
        let mut sorted = voiced.clone();
        sorted.sort_unstable();
        let hits = pattern.hits(bpb, &sorted);
        for (beat_off, dur_beats, keys) in hits {
            let t0 = bar_t + beat_off * beat_s;
            if t0 >= music_end {
                continue;
            }
            let dur = sound(dur_beats * beat_s).min(music_end + 0.3 - t0);
            let v = base_vel - 12.0 + accent(beat_off, bpb) + ramp(t0) + rng.range(-4.0, 4.0);
            let jitter = rng.range(-0.004, 0.004);
            for k in keys {
                notes.push(Note {
                    start_s: (t0 + jitter).max(0.0),
                    dur_s: dur,
                    channel: CH_CHORDS,
                    key: k.clamp(21, 108) as u8,
                    velocity: vel(v),
                });
            }
        }
        // ---- bass -----------------------------------------------------
        let bass_centre = 36.0 + 10.0 * cues.register.clamp(0.0, 1.0);
        let root = nearest_with_pc(bass_centre, chord.root);
        let two = cues.density_npb >= 1.5 && bpb == 4;
        let bass_hits: Vec<(f64, f64, i32)> = if two {
            let second = if rng.chance(0.4) { nearest_with_pc(bass_centre, (chord.root + 7) % 12) } else { root };
            vec![(0.0, 2.0, root), (2.0, 2.0, second)]
        } else {
            vec![(0.0, bpb as f64, root)]
        };
        for (off, dur_beats, k) in bass_hits {
            let t0 = bar_t + off * beat_s;
            if t0 >= music_end {
                continue;
            }
            let dur = sound(dur_beats * beat_s).min(music_end + 0.3 - t0);
            let v = base_vel - 6.0 + ramp(t0) + rng.range(-4.0, 4.0);
            notes.push(Note {
                start_s: t0,
                dur_s: dur,
                channel: CH_BASS,
                key: k.clamp(21, 108) as u8,
                velocity: vel(v),
            });
        }
    }

    // ---- drums --------------------------------------------------------
    if cues.drums {
        let hat_div = if cues.density_npb >= 3.2 {
            4
        } else if cues.density_npb >= 1.5 {
            2
        } else {
            1
        };
        for bar in 0..n_bars {
            for beat in 0..bpb {
                let t_beat = (bar * bpb + beat) as f64 * beat_s;
                if t_beat >= music_end {
                    continue;
                }
                let mut hit = |t: f64, key: u8, v: f64, rng: &mut SplitMix64| {
                    let v = base_vel + v + ramp(t) + rng.range(-4.0, 4.0);
                    notes.push(Note { start_s: t, dur_s: 0.1, channel: CH_DRUMS, key, velocity: vel(v) });
                };
                if bar == 0 && beat == 0 {
                    hit(t_beat, 49, -5.0, rng); // crash
                }
                let kick = beat == 0 || (bpb == 4 && beat == 2);
                if kick {
                    hit(t_beat, 36, 0.0, rng);
                } else {
                    hit(t_beat, 38, -4.0, rng);
                }
                for s in 0..hat_div {
                    let t = t_beat + s as f64 * beat_s / hat_div as f64;
                    if t < music_end {
                        hit(t, 42, -14.0, rng);
                    }
                }
            }
        }
    }

    // ---- dynamics (CC 11) ---------------------------------------------
    let mut controls = Vec::new();
    let n_steps = (duration_s / 0.25).ceil() as usize;
    for ch in [CH_MELODY, CH_CHORDS, CH_BASS, CH_DRUMS] {
        for s in 0..=n_steps {
            let t = (s as f64 * 0.25).min(duration_s);
            let x = (t / duration_s).clamp(0.0, 1.0);
            let value = match cues.dynamics {
                Dynamics::Flat => 110.0,
                Dynamics::Crescendo => 55.0 + 72.0 * x,
                Dynamics::Diminuendo => 127.0 - 72.0 * x,
            };
            controls.push(Control { time_s: t, channel: ch, controller: 11, value: value.round() as u8 });
            if cues.dynamics == Dynamics::Flat {
                break;
            }
        }
    }

    let programs = vec![
        (CH_MELODY, cues.melody.melody_program()),
        (CH_CHORDS, cues.accompaniment.chord_program()),
        (CH_BASS, cues.accompaniment.bass_program()),
    ];

    let stats = ScoreStats {
        melody_npb: melody_count as f64 / (music_end / beat_s),
        onsets_per_s: distinct_onsets(&notes) as f64 / music_end,
        melody_mean_midi: if melody_count > 0 { midi_sum / melody_count as f64 } else { centre },
        dissonance_index: chords.iter().map(|c| pc_set_dissonance(&c.pcs)).sum::<f64>() / chords.len() as f64,
        chromatic_share: if melody_count > 0 { chromatic as f64 / melody_count as f64 } else { 0.0 },
    };
    Score { duration_s, programs, notes, controls, stats }
}

/// One chord per bar: a diatonic progression (tonal) or consecutive
/// three-note segments of a twelve-tone row (atonal), plus clash tones.
/// Also returns the row, which an atonal melody walks through continuously
/// (melody and harmony share material, as in serial writing).
fn harmony(cues: &Cues, tonic: i32, n_bars: usize, rng: &mut SplitMix64) -> (Vec<Chord>, Vec<i32>) {
    let diss = cues.dissonance.clamp(0.0, 1.0);
    let mut row: Vec<i32> = (0..12).collect();
    rng.shuffle(&mut row);
    let progression: [usize; 4] = match cues.mode {
        Mode::Major => MAJOR_PROGRESSIONS[rng.below(MAJOR_PROGRESSIONS.len())],
        Mode::Minor => MINOR_PROGRESSIONS[rng.below(MINOR_PROGRESSIONS.len())],
        Mode::Atonal => [0; 4],
    };
    let chords = (0..n_bars)
        .map(|bar| {
            let mut pcs: Vec<i32> = match cues.mode {
                Mode::Atonal => (0..3).map(|j| row[(bar * 3 + j) % 12]).collect(),
                Mode::Major | Mode::Minor => {
                    let scale = if cues.mode == Mode::Major { MAJOR } else { MINOR };
                    // The last bar returns to the tonic.
                    let d = if bar + 1 == n_bars && n_bars > 1 { 0 } else { progression[bar % 4] };
                    let mut third = scale[(d + 2) % 7];
                    if cues.mode == Mode::Minor && d == 4 {
                        third = 11; // harmonic-minor dominant (leading tone)
                    }
                    vec![scale[d], third, scale[(d + 4) % 7]].into_iter().map(|p| (p + tonic) % 12).collect()
                }
            };
            let root = pcs[0];
            let targets = pcs.clone();
            let n_clash = if rng.chance(diss) { 1 + rng.chance(diss * diss) as usize } else { 0 };
            for _ in 0..n_clash {
                let third_is_major = pcs.contains(&((root + 4) % 12));
                let options = [1, 6, 11, if third_is_major { 3 } else { 4 }];
                let mut pick = (root + options[rng.below(options.len())]) % 12;
                let mut guard = 0;
                while pcs.contains(&pick) && guard < 12 {
                    pick = (pick + 1) % 12;
                    guard += 1;
                }
                pcs.push(pick);
            }
            Chord { root, pcs, targets }
        })
        .collect();
    (chords, row)
}

/// Rhythm of a motif covering `beats` beats: `(onset_beats, duration_beats)`
/// per note with an expected `density_npb` notes per beat.
fn melody_rhythm(density_npb: f64, beats: usize, rng: &mut SplitMix64) -> Vec<(f64, f64)> {
    let d = density_npb.clamp(0.25, 4.0);
    let mut out = Vec::new();
    let mut b = 0usize;
    while b < beats {
        let t = b as f64;
        if d < 1.0 {
            // Fraction q of the time in half notes: rate = 1 − q/2 = d.
            if b + 1 < beats && rng.chance(2.0 * (1.0 - d)) {
                out.push((t, 2.0));
                b += 2;
                continue;
            }
            out.push((t, 1.0));
            b += 1;
            continue;
        }
        let k_lo = d.floor() as usize;
        let k = (k_lo + rng.chance(d - k_lo as f64) as usize).clamp(1, 4);
        let pattern: &[f64] = match k {
            1 => &[1.0],
            2 => {
                if rng.chance(0.7) {
                    &[0.5, 0.5]
                } else {
                    &[0.75, 0.25]
                }
            }
            3 => match rng.below(4) {
                0 | 1 => &[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0],
                2 => &[0.5, 0.25, 0.25],
                _ => &[0.25, 0.25, 0.5],
            },
            _ => &[0.25, 0.25, 0.25, 0.25],
        };
        let mut off = 0.0;
        for &len in pattern {
            out.push((t + off, len));
            off += len;
        }
        b += 1;
    }
    out
}

/// A melodic step in scale degrees: mostly steps, some repeats and leaps.
fn melodic_step(rng: &mut SplitMix64) -> i32 {
    const STEPS: [i32; 9] = [-4, -2, -1, 0, 1, 2, 4, -3, 3];
    const W: [f64; 9] = [0.04, 0.12, 0.28, 0.08, 0.28, 0.12, 0.04, 0.02, 0.02];
    STEPS[rng.weighted(&W)]
}

/// Metrical accent in velocity units.
fn accent(beat_off: f64, bpb: usize) -> f64 {
    let within = beat_off.rem_euclid(bpb as f64);
    if within.abs() < 1e-9 {
        8.0
    } else if bpb == 4 && (within - 2.0).abs() < 1e-9 {
        4.0
    } else if within.fract().abs() < 1e-9 {
        2.0
    } else {
        0.0
    }
}

/// The degree nearest `d` whose pitch is a plain chord tone.
fn nearest_chord_degree(d: i32, chord: &Chord, midi_of: &impl Fn(i32) -> i32) -> i32 {
    for delta in 0..4 {
        for cand in [d - delta, d + delta] {
            if chord.targets.contains(&midi_of(cand).rem_euclid(12)) {
                return cand;
            }
        }
    }
    d
}

/// The MIDI key with pitch class `pc` nearest to `target`.
fn nearest_with_pc(target: f64, pc: i32) -> i32 {
    let t = target.round() as i32;
    let up = t + (pc - t).rem_euclid(12);
    let down = up - 12;
    if (up as f64 - target).abs() <= (target - down as f64).abs() {
        up
    } else {
        down
    }
}

/// Share of dissonant pairs in a pitch-class set (ic 1 and 6 weigh 1,
/// ic 2 weighs 0.5), following the usual ranking of interval-class
/// dissonance (minor second/major seventh and tritone most dissonant,
/// major second milder; e.g. Huron 1994, "Interval-class content of
/// equally tempered pitch-class sets").
pub fn pc_set_dissonance(pcs: &[i32]) -> f64 {
    let mut sum = 0.0;
    let mut pairs = 0usize;
    for i in 0..pcs.len() {
        for j in i + 1..pcs.len() {
            let d = (pcs[i] - pcs[j]).rem_euclid(12);
            let ic = d.min(12 - d);
            sum += match ic {
                1 | 6 => 1.0,
                2 => 0.5,
                _ => 0.0,
            };
            pairs += 1;
        }
    }
    if pairs == 0 {
        0.0
    } else {
        sum / pairs as f64
    }
}

fn distinct_onsets(notes: &[Note]) -> usize {
    let mut t: Vec<i64> = notes.iter().map(|n| (n.start_s * 100.0).round() as i64).collect();
    t.sort_unstable();
    t.dedup();
    t.len()
}

/// Accompaniment figure, chosen per excerpt (nuisance within a density
/// band; denser melodies get denser figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    Sustained,
    HalfNotes,
    Beats,
    ArpeggioQuarters,
    ArpeggioEighths,
    Alberti,
}

fn accompaniment_pattern(density_npb: f64, rng: &mut SplitMix64) -> Pattern {
    use Pattern::*;
    let (opts, w): (&[Pattern], &[f64]) = if density_npb < 1.2 {
        (&[Sustained, HalfNotes], &[0.7, 0.3])
    } else if density_npb < 2.5 {
        (&[Beats, HalfNotes, ArpeggioQuarters], &[0.5, 0.25, 0.25])
    } else {
        (&[ArpeggioEighths, Beats, Alberti], &[0.5, 0.25, 0.25])
    };
    opts[rng.weighted(w)]
}

impl Pattern {
    /// `(onset_beats, duration_beats, keys)` within one bar.
    fn hits(self, bpb: usize, keys: &[i32]) -> Vec<(f64, f64, Vec<i32>)> {
        let b = bpb as f64;
        let n = keys.len().max(1);
        match self {
            Pattern::Sustained => vec![(0.0, b, keys.to_vec())],
            Pattern::HalfNotes => {
                let mut v = vec![(0.0, 2.0, keys.to_vec())];
                if bpb >= 3 {
                    v.push((2.0, b - 2.0, keys.to_vec()));
                }
                v
            }
            Pattern::Beats => (0..bpb).map(|i| (i as f64, 1.0, keys.to_vec())).collect(),
            Pattern::ArpeggioQuarters => (0..bpb).map(|i| (i as f64, 1.0, vec![keys[i % n]])).collect(),
            Pattern::ArpeggioEighths => {
                // Up and down through the chord.
                let cycle: Vec<i32> =
                    keys.iter().copied().chain(keys.iter().rev().skip(1).take(n.saturating_sub(2)).copied()).collect();
                (0..2 * bpb).map(|i| (i as f64 * 0.5, 0.5, vec![cycle[i % cycle.len()]])).collect()
            }
            Pattern::Alberti => {
                // low – high – middle – high
                let lo = keys[0];
                let hi = keys[n - 1];
                let mid = keys[n / 2];
                let fig = [lo, hi, mid, hi];
                (0..2 * bpb).map(|i| (i as f64 * 0.5, 0.5, vec![fig[i % 4]])).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::cues::Family;
    use super::*;

    fn score(c: &Cues, seed: u64) -> Score {
        compose(c, 12.0, &mut SplitMix64::new(seed))
    }

    #[test]
    fn density_and_tempo_set_the_note_rate() {
        let mut c = Cues::neutral();
        let rate = |c: &Cues| (0..8).map(|s| score(c, s).stats.melody_npb).sum::<f64>() / 8.0;
        for d in [0.5, 1.0, 2.0, 3.0, 4.0] {
            c.density_npb = d;
            let r = rate(&c);
            // 6 % rests and phrase truncation lower the realised rate.
            assert!((r / d - 0.94).abs() < 0.12, "density {d}: realised {r}");
        }
        c.density_npb = 2.0;
        c.tempo_bpm = 60.0;
        let slow = score(&c, 1).stats.onsets_per_s;
        c.tempo_bpm = 160.0;
        let fast = score(&c, 1).stats.onsets_per_s;
        assert!(fast > 2.0 * slow, "{slow} -> {fast}");
    }

    #[test]
    fn register_moves_the_melody() {
        let mut c = Cues::neutral();
        c.register = 0.0;
        let low = score(&c, 2).stats.melody_mean_midi;
        c.register = 1.0;
        let high = score(&c, 2).stats.melody_mean_midi;
        assert!((low - 52.0).abs() < 5.0 && (high - 84.0).abs() < 5.0, "{low} {high}");
    }

    #[test]
    fn dissonance_raises_the_dissonance_index() {
        let mut c = Cues::neutral();
        let idx = |c: &Cues| (0..8).map(|s| score(c, s).stats.dissonance_index).sum::<f64>() / 8.0;
        c.dissonance = 0.0;
        let consonant = idx(&c);
        c.dissonance = 0.5;
        let mid = idx(&c);
        c.dissonance = 1.0;
        let harsh = idx(&c);
        assert_eq!(consonant, 0.0, "plain triads have no ic 1/2/6");
        assert!(consonant < mid && mid < harsh, "{consonant} {mid} {harsh}");
        c.dissonance = 0.0;
        c.mode = Mode::Atonal;
        assert!(idx(&c) > 0.1);
    }

    #[test]
    fn articulation_shortens_notes() {
        let mut c = Cues::neutral();
        let ratio = |c: &Cues| {
            let s = score(c, 3);
            let m: Vec<&Note> = s.notes.iter().filter(|n| n.channel == CH_BASS).collect();
            m.iter().map(|n| n.dur_s).sum::<f64>() / m.len() as f64
        };
        c.articulation = 0.0;
        let legato = ratio(&c);
        c.articulation = 1.0;
        let staccato = ratio(&c);
        assert!(staccato < 0.35 * legato, "{legato} {staccato}");
    }

    /// A note-off for key K ends every sounding K on the channel, so a
    /// repeated key must not start before the previous one has ended.
    #[test]
    fn repeated_keys_never_overlap_on_a_channel() {
        for (i, c) in super::super::cues::sample_corpus_cues(4, 60).iter().enumerate() {
            let s = score(c, i as u64);
            let mut by_key: Vec<&Note> = s.notes.iter().filter(|n| n.channel != CH_DRUMS).collect();
            by_key.sort_by(|a, b| (a.channel, a.key).cmp(&(b.channel, b.key)).then(a.start_s.total_cmp(&b.start_s)));
            for w in by_key.windows(2) {
                if (w[0].channel, w[0].key) == (w[1].channel, w[1].key) && w[0].start_s != w[1].start_s {
                    assert!(w[0].start_s + w[0].dur_s < w[1].start_s, "excerpt {i}: {:?} overlaps {:?}", w[0], w[1]);
                }
            }
        }
    }

    #[test]
    fn notes_are_valid_and_inside_the_excerpt() {
        for seed in 0..20 {
            let mut c = Cues::neutral();
            c.mode = [Mode::Major, Mode::Minor, Mode::Atonal][seed as usize % 3];
            c.drums = seed % 2 == 0;
            c.tempo_bpm = 50.0 + 6.0 * seed as f64;
            c.density_npb = 0.5 + 0.18 * seed as f64;
            c.melody = Family::ALL[seed as usize % 7];
            let s = score(&c, seed);
            assert!(!s.notes.is_empty());
            for n in &s.notes {
                assert!(n.start_s >= 0.0 && n.start_s < 12.0 - TAIL_S + 0.01, "{n:?}");
                assert!(n.start_s + n.dur_s <= 12.0 - TAIL_S + 0.31, "{n:?}");
                assert!((1..=127).contains(&n.velocity) && n.key <= 127);
            }
        }
    }
}
