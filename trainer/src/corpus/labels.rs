//! The label model: perceived valence and arousal of an excerpt as a
//! function of its cues.
//!
//! Each label is a logistic of a weighted sum of normalised cues,
//! `label = 1 / (1 + exp(−(b + Σ wᵢ·xᵢ)))`, in [0, 1]. Cues are mapped to
//! `xᵢ ∈ [−1, 1]` (see [`normalised`]); the weights, their signs and the
//! literature behind each are documented in `docs/corpus-label-model.md`,
//! which must be kept in step with [`VALENCE`] and [`AROUSAL`]. The model is
//! additive and (on the logit scale) linear, following Eerola, Friberg &
//! Bresin (2013), who found cue effects on perceived emotion mostly linear
//! and additive with negligible interactions.

use super::cues::{Cues, Mode, DENSITY_NPB_RANGE, TEMPO_BPM_RANGE};

/// Version of the label model, written to the corpus metadata. Bump it
/// whenever a weight or mapping changes.
pub const LABEL_MODEL_VERSION: u32 = 2;

/// Normalised cue inputs, each in [−1, 1] (indicators in {−1, 0, 1}).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalised {
    /// +1 major, −1 minor, 0 atonal.
    pub mode: f64,
    /// 1 if atonal, else 0.
    pub atonal: f64,
    /// log-tempo, −1 at 50 BPM, +1 at 180 BPM.
    pub tempo: f64,
    /// level, −1 at −36 dBFS, +1 at −9 dBFS.
    pub loudness: f64,
    /// −1 diminuendo, 0 flat, +1 crescendo.
    pub dynamics: f64,
    /// −1 legato, +1 staccato.
    pub articulation: f64,
    /// −1 low (E3 melody centre), +1 high (C6).
    pub register: f64,
    /// −1 dull, +1 bright (filter and instruments, [`Cues::timbre_brightness`]).
    pub brightness: f64,
    /// −1 consonant, +1 maximally dissonant.
    pub dissonance: f64,
    /// log-density, −1 at 0.5, +1 at 4 notes per beat.
    pub density: f64,
    /// −1 no drums, +1 drums.
    pub drums: f64,
}

/// Weights of one label on the logit scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Intercept.
    pub bias: f64,
    /// Major (+1) vs minor (−1).
    pub mode: f64,
    /// Atonal indicator.
    pub atonal: f64,
    /// Tempo.
    pub tempo: f64,
    /// Loudness level.
    pub loudness: f64,
    /// Crescendo (+1) vs diminuendo (−1).
    pub dynamics: f64,
    /// Staccato (+1) vs legato (−1).
    pub articulation: f64,
    /// Register (pitch height).
    pub register: f64,
    /// Timbre brightness.
    pub brightness: f64,
    /// Harmonic dissonance.
    pub dissonance: f64,
    /// Rhythmic density.
    pub density: f64,
    /// Drums present.
    pub drums: f64,
}

/// Valence weights (see `docs/corpus-label-model.md` for sources).
pub const VALENCE: Weights = Weights {
    bias: 0.10,
    mode: 1.10,
    atonal: -1.00,
    tempo: 0.80,
    loudness: 0.0,
    dynamics: 0.0,
    articulation: 0.30,
    register: 0.50,
    brightness: 0.0,
    dissonance: -0.90,
    density: 0.0,
    drums: 0.0,
};

/// Arousal weights (see `docs/corpus-label-model.md` for sources).
pub const AROUSAL: Weights = Weights {
    bias: 0.0,
    mode: 0.0,
    atonal: 0.30,
    tempo: 1.30,
    loudness: 1.10,
    dynamics: 0.40,
    articulation: 0.35,
    register: 0.25,
    brightness: 0.50,
    dissonance: 0.45,
    density: 0.70,
    drums: 0.25,
};

/// Maps a cue vector to the normalised inputs of the label model.
pub fn normalised(c: &Cues) -> Normalised {
    let lin = |x: f64| (2.0 * x - 1.0).clamp(-1.0, 1.0);
    let log_lin = |x: f64, (lo, hi): (f64, f64)| lin((x.max(1e-9) / lo).ln() / (hi / lo).ln());
    Normalised {
        mode: match c.mode {
            Mode::Major => 1.0,
            Mode::Minor => -1.0,
            Mode::Atonal => 0.0,
        },
        atonal: if c.mode == Mode::Atonal { 1.0 } else { 0.0 },
        tempo: log_lin(c.tempo_bpm, TEMPO_BPM_RANGE),
        loudness: lin(c.loudness),
        dynamics: c.dynamics.signed(),
        articulation: lin(c.articulation),
        register: lin(c.register),
        brightness: lin(c.timbre_brightness()),
        dissonance: lin(c.dissonance),
        density: log_lin(c.density_npb, DENSITY_NPB_RANGE),
        drums: if c.drums { 1.0 } else { -1.0 },
    }
}

/// Logit (weighted sum) of one label.
pub fn logit(w: &Weights, x: &Normalised) -> f64 {
    w.bias
        + w.mode * x.mode
        + w.atonal * x.atonal
        + w.tempo * x.tempo
        + w.loudness * x.loudness
        + w.dynamics * x.dynamics
        + w.articulation * x.articulation
        + w.register * x.register
        + w.brightness * x.brightness
        + w.dissonance * x.dissonance
        + w.density * x.density
        + w.drums * x.drums
}

fn logistic(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// `(valence, arousal)` in [0, 1] for a cue vector.
pub fn label(c: &Cues) -> (f64, f64) {
    let x = normalised(c);
    (logistic(logit(&VALENCE, &x)), logistic(logit(&AROUSAL, &x)))
}

#[cfg(test)]
mod tests {
    use super::super::cues::{sample_corpus_cues, Dynamics, Family};
    use super::*;

    /// Applies `set(c, level)` at increasing levels and checks the label
    /// moves in the direction of the weight's sign (or stays put at 0).
    fn check_monotone(name: &str, levels: &[f64], set: impl Fn(&mut Cues, f64), wv: f64, wa: f64) {
        // Several base vectors so the check is not one lucky point.
        for base in sample_corpus_cues(9, 12) {
            let labels: Vec<(f64, f64)> = levels
                .iter()
                .map(|&l| {
                    let mut c = base.clone();
                    set(&mut c, l);
                    label(&c)
                })
                .collect();
            for w in labels.windows(2) {
                let (dv, da) = (w[1].0 - w[0].0, w[1].1 - w[0].1);
                for (dim, d, wt) in [("valence", dv, wv), ("arousal", da, wa)] {
                    if wt > 0.0 {
                        assert!(d > 0.0, "{name}: {dim} should rise ({d})");
                    } else if wt < 0.0 {
                        assert!(d < 0.0, "{name}: {dim} should fall ({d})");
                    } else {
                        assert!(d.abs() < 1e-12, "{name}: {dim} should not move ({d})");
                    }
                }
            }
        }
    }

    #[test]
    fn labels_are_monotonic_in_each_cue() {
        check_monotone("tempo", &[50.0, 80.0, 120.0, 180.0], |c, v| c.tempo_bpm = v, VALENCE.tempo, AROUSAL.tempo);
        check_monotone("loudness", &[0.0, 0.3, 0.7, 1.0], |c, v| c.loudness = v, VALENCE.loudness, AROUSAL.loudness);
        check_monotone(
            "dynamics",
            &[-1.0, 0.0, 1.0],
            |c, v| {
                c.dynamics = if v < 0.0 {
                    Dynamics::Diminuendo
                } else if v > 0.0 {
                    Dynamics::Crescendo
                } else {
                    Dynamics::Flat
                }
            },
            VALENCE.dynamics,
            AROUSAL.dynamics,
        );
        check_monotone(
            "articulation",
            &[0.0, 0.5, 1.0],
            |c, v| c.articulation = v,
            VALENCE.articulation,
            AROUSAL.articulation,
        );
        check_monotone("register", &[0.0, 0.5, 1.0], |c, v| c.register = v, VALENCE.register, AROUSAL.register);
        check_monotone("brightness", &[0.0, 0.5, 1.0], |c, v| c.brightness = v, VALENCE.brightness, AROUSAL.brightness);
        check_monotone("dissonance", &[0.0, 0.5, 1.0], |c, v| c.dissonance = v, VALENCE.dissonance, AROUSAL.dissonance);
        check_monotone("density", &[0.5, 1.0, 2.0, 4.0], |c, v| c.density_npb = v, VALENCE.density, AROUSAL.density);
        check_monotone("drums", &[0.0, 1.0], |c, v| c.drums = v > 0.5, VALENCE.drums, AROUSAL.drums);
        // Mode: minor < major in valence, no arousal change.
        check_monotone(
            "mode",
            &[0.0, 1.0],
            |c, v| c.mode = if v > 0.5 { Mode::Major } else { Mode::Minor },
            VALENCE.mode,
            AROUSAL.mode,
        );
    }

    #[test]
    fn atonal_is_less_pleasant_and_more_tense_than_tonal() {
        let mut c = Cues::neutral();
        let major = label(&c);
        c.mode = Mode::Minor;
        let minor = label(&c);
        c.mode = Mode::Atonal;
        let atonal = label(&c);
        assert!(atonal.0 < major.0 && atonal.0 < minor.0 + 0.05, "{atonal:?} {minor:?}");
        assert!(atonal.1 > major.1);
    }

    #[test]
    fn brighter_instruments_raise_arousal() {
        let mut c = Cues::neutral();
        c.melody = Family::Organ;
        c.accompaniment = Family::Organ;
        let dull = label(&c).1;
        c.melody = Family::Brass;
        c.accompaniment = Family::Brass;
        assert!(label(&c).1 > dull);
    }

    #[test]
    fn labels_span_the_unit_square() {
        let labels: Vec<(f64, f64)> = sample_corpus_cues(66, 500).iter().map(label).collect();
        for (k, name) in [(0, "valence"), (1, "arousal")] {
            let v: Vec<f64> = labels.iter().map(|l| if k == 0 { l.0 } else { l.1 }).collect();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
            let min = v.iter().cloned().fold(1.0, f64::min);
            let max = v.iter().cloned().fold(0.0, f64::max);
            // Centred and spread like real static labels (DEAM valence/arousal
            // on 1–9 scaled to [0,1] have sd ≈ 0.15–0.2); extremes reached.
            assert!((0.35..0.65).contains(&mean), "{name} mean {mean}");
            assert!(sd > 0.15, "{name} sd {sd}");
            assert!(min < 0.12 && max > 0.88, "{name} range {min}..{max}");
        }
        // Valence and arousal not strongly coupled by construction.
        let n = labels.len() as f64;
        let mv = labels.iter().map(|l| l.0).sum::<f64>() / n;
        let ma = labels.iter().map(|l| l.1).sum::<f64>() / n;
        let cov: f64 = labels.iter().map(|l| (l.0 - mv) * (l.1 - ma)).sum();
        let sv: f64 = labels.iter().map(|l| (l.0 - mv).powi(2)).sum::<f64>().sqrt();
        let sa: f64 = labels.iter().map(|l| (l.1 - ma).powi(2)).sum::<f64>().sqrt();
        let r = cov / (sv * sa);
        assert!(r.abs() < 0.5, "valence–arousal r = {r}");
    }
}
