//! Pieces whose mood changes (`moodtap corpus --sections N`): the training
//! material for models that must follow changes within seconds.
//!
//! An excerpt of `duration_s` is cut into `N` equal sections. The first
//! section's cues come from the corpus sampler like any excerpt's; each later
//! section copies its predecessor's and redraws one to three of the cues a
//! composer changes between sections — tempo, mode, loudness, melody density,
//! register — so instruments, key and metre stay those of one piece while the
//! label model ([`super::labels`]) gives every section its own valence and
//! arousal, small changes and large ones alike.
//!
//! Each section is composed and rendered on its own (its own random stream,
//! its own level from its loudness cue) and [`OVERLAP_S`] longer than its
//! share, except the last, so its release rings into the next section, which
//! starts on the boundary: an overlap-add transition, with the sum passed
//! through the renderer's soft limiter again.
//!
//! Labels per time: every [`RATING_HOP_S`] s from the first hop to the end,
//! the label of the section sounding during the last quarter second
//! before that time (the step a model sees ending there is mostly that section).
//! No annotator lag: the ratings are exact, so train with `--label-lag-s 0`.

use moodtap_core::rng::SplitMix64;

use super::cues::{Cues, Mode, DENSITY_NPB_RANGE, TEMPO_BPM_RANGE};
use super::render::{self, Rendered, Renderer};
use super::score::{self, Score};
use super::CorpusError;

/// Most sections per excerpt.
pub const MAX_SECTIONS: usize = 8;
/// Shortest section, s (shorter ones do not establish a tempo or a key).
pub const MIN_SECTION_S: f64 = 4.0;
/// Time a section's release overlaps the next section, s.
pub const OVERLAP_S: f64 = 0.25;
/// Spacing of the per-time labels, s (the 2 Hz of DEAM and EmoMusic).
pub const RATING_HOP_S: f64 = 0.5;

/// Random stream of the cue changes between sections.
const STREAM_CHANGES: u64 = 0x5EC7;
/// Random stream of the sections' compositions.
const STREAM_SECTION_COMPOSE: u64 = 0x5EC8;

/// The cues a later section may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Tempo, log-uniform over the corpus range.
    Tempo,
    /// Mode, major / minor / atonal in the corpus proportions.
    Mode,
    /// Loudness cue, uniform 0–1.
    Loudness,
    /// Melody density, log-uniform over the corpus range.
    Density,
    /// Register cue, uniform 0–1.
    Register,
}

impl Change {
    /// All five.
    pub const ALL: [Change; 5] = [Change::Tempo, Change::Mode, Change::Loudness, Change::Density, Change::Register];
}

/// Redraws `what` of `c` from `g`.
fn redraw(c: &mut Cues, what: Change, g: &mut SplitMix64) {
    let log_map = |u: f64, (lo, hi): (f64, f64)| lo * (hi / lo).powf(u);
    match what {
        Change::Tempo => c.tempo_bpm = log_map(g.unit(), TEMPO_BPM_RANGE),
        Change::Mode => {
            let u = g.unit();
            c.mode = if u < 0.42 {
                Mode::Major
            } else if u < 0.84 {
                Mode::Minor
            } else {
                Mode::Atonal
            };
        }
        Change::Loudness => c.loudness = g.unit(),
        Change::Density => c.density_npb = log_map(g.unit(), DENSITY_NPB_RANGE),
        Change::Register => c.register = g.unit(),
    }
}

/// The cues of the `sections` sections of excerpt `index` of corpus `seed`
/// whose first section has `first` (see the module docs).
pub fn section_cues(first: &Cues, seed: u64, index: u64, sections: usize) -> Vec<Cues> {
    let mut g = SplitMix64::for_item(seed, STREAM_CHANGES, index);
    let mut out = vec![first.clone()];
    for _ in 1..sections {
        let mut c = out[out.len() - 1].clone();
        let mut order = Change::ALL;
        g.shuffle(&mut order);
        let n = 1 + g.below_exact(3) as usize;
        for &what in &order[..n] {
            redraw(&mut c, what, &mut g);
        }
        out.push(c);
    }
    out
}

/// Start of section `k` of `n` in an excerpt of `duration_s`, s.
pub fn section_start_s(k: usize, n: usize, duration_s: f64) -> f64 {
    duration_s * k as f64 / n as f64
}

/// The section sounding during the quarter second before `t` s.
pub fn section_at(t: f64, n: usize, duration_s: f64) -> usize {
    (((t - 0.25) / (duration_s / n as f64)).floor().max(0.0) as usize).min(n - 1)
}

/// Rating times of an excerpt of `duration_s`: every [`RATING_HOP_S`] s from the first hop.
pub fn rating_times(duration_s: f64) -> Vec<f64> {
    (1..).map(|k| f64::from(k) * RATING_HOP_S).take_while(|&t| t <= duration_s + 1e-9).collect()
}

/// One rendered section.
#[derive(Debug)]
pub struct Section {
    /// Its composition.
    pub score: Score,
    /// Its audio alone (with the overlap tail).
    pub rendered: Rendered,
}

/// Composes and renders the sections of excerpt `index` and joins them into
/// `duration_s` of audio (see the module docs).
pub fn render_sections(
    renderer: &Renderer,
    cues: &[Cues],
    seed: u64,
    index: u64,
    duration_s: f64,
) -> Result<(Vec<Section>, Vec<f32>), CorpusError> {
    let n = cues.len();
    let rate = f64::from(render::SAMPLE_RATE_HZ);
    let total = (duration_s * rate).round() as usize;
    let mut out = vec![0.0f32; total];
    let mut sections = Vec::with_capacity(n);
    for (k, c) in cues.iter().enumerate() {
        let start_s = section_start_s(k, n, duration_s);
        let end_s = section_start_s(k + 1, n, duration_s);
        let len_s = end_s - start_s + if k + 1 < n { OVERLAP_S } else { 0.0 };
        let mut g = SplitMix64::for_item(seed, STREAM_SECTION_COMPOSE, index * MAX_SECTIONS as u64 + k as u64);
        let score = score::compose(c, len_s, &mut g);
        let rendered = renderer.render(&score, c)?;
        let at = (start_s * rate).round() as usize;
        for (o, &x) in out.iter_mut().skip(at).zip(&rendered.samples) {
            *o += x;
        }
        sections.push(Section { score, rendered });
    }
    for x in &mut out {
        *x = render::soft_limit(*x);
    }
    Ok((sections, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_sections_change_one_to_three_section_cues_and_nothing_else() {
        let first = Cues::neutral();
        for index in 0..50 {
            let cs = section_cues(&first, 66, index, 4);
            assert_eq!(cs.len(), 4);
            assert_eq!(cs[0], first);
            for w in cs.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                let changed = [
                    a.tempo_bpm != b.tempo_bpm,
                    a.mode != b.mode,
                    a.loudness != b.loudness,
                    a.density_npb != b.density_npb,
                    a.register != b.register,
                ]
                .iter()
                .filter(|&&x| x)
                .count();
                // A redrawn mode may come out the same, so 0 changes is possible, never 4.
                assert!(changed <= 3, "{changed}");
                let same = |c: &Cues| (c.key_pc, c.melody, c.accompaniment, c.drums, c.meter, c.brightness.to_bits());
                assert_eq!(same(a), same(b), "instruments, key, metre and timbre belong to the piece");
            }
            assert_eq!(section_cues(&first, 66, index, 4), cs, "deterministic");
        }
    }

    #[test]
    fn ratings_follow_the_section_heard_just_before() {
        // 3 sections of 10 s.
        assert_eq!(section_at(0.5, 3, 30.0), 0);
        assert_eq!(section_at(10.0, 3, 30.0), 0, "the quarter second before 10 s is section 0");
        assert_eq!(section_at(10.5, 3, 30.0), 1);
        assert_eq!(section_at(30.0, 3, 30.0), 2);
        let t = rating_times(30.0);
        assert_eq!((t.len(), t[0], t[59]), (60, 0.5, 30.0));
    }
}
