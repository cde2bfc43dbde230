//! The cue vector of one excerpt and how a corpus samples it.
//!
//! Every expressive cue is an explicit, recorded value. Continuous cues are
//! drawn by Latin-hypercube sampling (each cue's range split into `count`
//! equal strata, one draw per stratum, strata permuted independently per
//! cue), categorical cues by a balanced, shuffled allocation. Independent
//! permutations give near-zero pairwise correlation between cues (expected
//! |r| ≈ 1/√count), so a model cannot learn one cue as a proxy for another.

use moodtap_core::rng::SplitMix64;

/// Tempo range, beats per minute (Gabrielsson & Lindström 2010 discuss
/// tempi from slow ~50 to fast ~180 BPM; beyond that, listeners re-group
/// beats into half or double time).
pub const TEMPO_BPM_RANGE: (f64, f64) = (50.0, 180.0);
/// Melody density range, notes per beat (half notes to semiquavers).
pub const DENSITY_NPB_RANGE: (f64, f64) = (0.5, 4.0);
/// Active-level range of the rendered excerpt, dBFS (mean power of the
/// louder half of 50 ms frames; see `render::active_level_db`). A 27 dB
/// span from pp to the level of loudly mastered commercial music: label model
/// 1 stopped at −14 dBFS, and real masters (EmoMusic's clips: whole-file RMS
/// −11 to −22 dBFS) then lay beyond the corpus, where level-dependent features
/// such as roughness (∝ amplitude²) fell 4–7 standard deviations outside the
/// training range (docs/default-model.md).
pub const LEVEL_DB_RANGE: (f64, f64) = (-36.0, -9.0);
/// Melody centre pitch range, MIDI note numbers (E3 to C6).
pub const REGISTER_MIDI_RANGE: (f64, f64) = (52.0, 84.0);
/// Low-pass cutoff range of the brightness filter, Hz (log-mapped).
pub const CUTOFF_HZ_RANGE: (f64, f64) = (600.0, 10_000.0);
/// High-shelf gain range of the brightness filter above 1.5 kHz, dB.
pub const SHELF_DB_RANGE: (f64, f64) = (-6.0, 10.0);

/// Tonal organisation of pitch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Major key, diatonic progressions.
    Major,
    /// Minor key (natural minor, harmonic-minor dominant).
    Minor,
    /// No tonal centre: melody and chords from a twelve-tone row.
    Atonal,
}

impl Mode {
    /// Name written to the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Major => "major",
            Mode::Minor => "minor",
            Mode::Atonal => "atonal",
        }
    }
}

/// Loudness shape over the excerpt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dynamics {
    /// Constant loudness.
    Flat,
    /// Rising loudness (about 16 dB of velocity/expression change).
    Crescendo,
    /// Falling loudness.
    Diminuendo,
}

impl Dynamics {
    /// Name written to the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Dynamics::Flat => "flat",
            Dynamics::Crescendo => "crescendo",
            Dynamics::Diminuendo => "diminuendo",
        }
    }
    /// −1 (diminuendo), 0 (flat), +1 (crescendo).
    pub fn signed(self) -> f64 {
        match self {
            Dynamics::Flat => 0.0,
            Dynamics::Crescendo => 1.0,
            Dynamics::Diminuendo => -1.0,
        }
    }
}

/// Instrument family; each maps to General MIDI programs for melody,
/// chords and bass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Acoustic grand piano.
    Piano,
    /// Violin melody, string ensemble chords, cello bass.
    Strings,
    /// Trumpet melody, brass section chords, tuba bass.
    Brass,
    /// Flute melody, clarinet chords, bassoon bass (woodwinds).
    Flute,
    /// Nylon-string guitar, acoustic bass.
    Guitar,
    /// Drawbar organ.
    Organ,
    /// Sawtooth lead, warm pad, synth bass.
    Synth,
}

impl Family {
    /// All families, in manifest code order.
    pub const ALL: [Family; 7] =
        [Family::Piano, Family::Strings, Family::Brass, Family::Flute, Family::Guitar, Family::Organ, Family::Synth];

    /// Name written to the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Family::Piano => "piano",
            Family::Strings => "strings",
            Family::Brass => "brass",
            Family::Flute => "flute",
            Family::Guitar => "guitar",
            Family::Organ => "organ",
            Family::Synth => "synth",
        }
    }

    /// GM program (0-based) playing the melody.
    pub fn melody_program(self) -> u8 {
        match self {
            Family::Piano => 0,
            Family::Strings => 40,
            Family::Brass => 56,
            Family::Flute => 73,
            Family::Guitar => 24,
            Family::Organ => 16,
            Family::Synth => 81,
        }
    }

    /// GM program (0-based) playing the chords.
    pub fn chord_program(self) -> u8 {
        match self {
            Family::Piano => 0,
            Family::Strings => 48,
            Family::Brass => 61,
            Family::Flute => 71,
            Family::Guitar => 24,
            Family::Organ => 16,
            Family::Synth => 89,
        }
    }

    /// GM program (0-based) playing the bass line.
    pub fn bass_program(self) -> u8 {
        match self {
            Family::Piano => 0,
            Family::Strings => 42,
            Family::Brass => 58,
            Family::Flute => 70,
            Family::Guitar => 32,
            Family::Organ => 16,
            Family::Synth => 38,
        }
    }

    /// Intrinsic brightness in [0, 1] of the family's melody program and
    /// of its chord program: spectral centroid `c` of a C4–C5 scale at
    /// velocity 90 rendered with TimGM6mb, unfiltered, mapped as
    /// `log2(c / 500 Hz) / log2(3)` clamped to [0, 1] (500 Hz → 0,
    /// 1500 Hz → 1). Checked against a fresh measurement by
    /// `corpus::render::tests::family_brightness_table_matches_measurement`;
    /// re-measure there when changing the SoundFont or the programs.
    /// (TimGM6mb's sawtooth lead and pad are duller than its brass.)
    pub fn brightness(self) -> (f64, f64) {
        match self {
            Family::Piano => (0.14, 0.14),
            Family::Strings => (0.41, 0.09),
            Family::Brass => (0.99, 0.97),
            Family::Flute => (0.13, 0.65),
            Family::Guitar => (0.18, 0.18),
            Family::Organ => (0.02, 0.02),
            Family::Synth => (0.27, 0.00),
        }
    }
}

/// Metre of the excerpt (a nuisance variable: not in the label model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meter {
    /// Four beats per bar.
    Four,
    /// Three beats per bar.
    Three,
}

impl Meter {
    /// Beats per bar.
    pub fn beats(self) -> usize {
        match self {
            Meter::Four => 4,
            Meter::Three => 3,
        }
    }
}

/// The full, recorded cue vector of one excerpt.
#[derive(Debug, Clone, PartialEq)]
pub struct Cues {
    /// Tonal organisation.
    pub mode: Mode,
    /// Tonic pitch class 0–11 (0 = C); nuisance, not labelled.
    pub key_pc: u8,
    /// Tempo, beats per minute.
    pub tempo_bpm: f64,
    /// Loudness level in [0, 1], mapped linearly onto [`LEVEL_DB_RANGE`]
    /// (target active level) and onto MIDI velocity (playing effort).
    pub loudness: f64,
    /// Loudness shape.
    pub dynamics: Dynamics,
    /// Articulation in [0, 1]: 0 = legato (notes fill their inter-onset
    /// interval), 1 = staccato (notes sound for 25 % of it).
    pub articulation: f64,
    /// Register in [0, 1], mapped linearly onto [`REGISTER_MIDI_RANGE`]
    /// (melody centre pitch; chords and bass follow at lower offsets).
    pub register: f64,
    /// Filter brightness in [0, 1], mapped log-linearly onto
    /// [`CUTOFF_HZ_RANGE`] (4th-order Butterworth low-pass on the mix) and
    /// linearly onto [`SHELF_DB_RANGE`] (high shelf above 1.5 kHz): dull
    /// and muffled at 0, full-band with lifted highs at 1.
    pub brightness: f64,
    /// Harmonic dissonance in [0, 1]: probability of clash tones (minor
    /// seconds, tritones, major sevenths) added to each chord, and of
    /// chromatic alteration of melody notes (at half that rate).
    pub dissonance: f64,
    /// Melody density, notes per beat, in [`DENSITY_NPB_RANGE`].
    pub density_npb: f64,
    /// Family playing the melody.
    pub melody: Family,
    /// Family playing chords and bass.
    pub accompaniment: Family,
    /// Drum kit on GM channel 10.
    pub drums: bool,
    /// Metre (nuisance).
    pub meter: Meter,
}

impl Cues {
    /// A neutral mid-range cue vector (used by tests and examples).
    pub fn neutral() -> Self {
        Self {
            mode: Mode::Major,
            key_pc: 0,
            tempo_bpm: 100.0,
            loudness: 0.5,
            dynamics: Dynamics::Flat,
            articulation: 0.5,
            register: 0.5,
            brightness: 0.5,
            dissonance: 0.0,
            density_npb: 1.5,
            melody: Family::Piano,
            accompaniment: Family::Piano,
            drums: false,
            meter: Meter::Four,
        }
    }

    /// Target active level of the rendered audio, dBFS.
    pub fn level_db(&self) -> f64 {
        LEVEL_DB_RANGE.0 + (LEVEL_DB_RANGE.1 - LEVEL_DB_RANGE.0) * self.loudness.clamp(0.0, 1.0)
    }

    /// Melody centre pitch, MIDI note number.
    pub fn register_midi(&self) -> f64 {
        REGISTER_MIDI_RANGE.0 + (REGISTER_MIDI_RANGE.1 - REGISTER_MIDI_RANGE.0) * self.register.clamp(0.0, 1.0)
    }

    /// Brightness filter cutoff, Hz.
    pub fn cutoff_hz(&self) -> f64 {
        let (lo, hi) = CUTOFF_HZ_RANGE;
        lo * (hi / lo).powf(self.brightness.clamp(0.0, 1.0))
    }

    /// High-shelf gain of the brightness filter, dB.
    pub fn shelf_db(&self) -> f64 {
        SHELF_DB_RANGE.0 + (SHELF_DB_RANGE.1 - SHELF_DB_RANGE.0) * self.brightness.clamp(0.0, 1.0)
    }

    /// Perceived timbre brightness in [0, 1] used by the label model:
    /// 60 % filter, 40 % the mean intrinsic brightness of the melody
    /// program and the chord program.
    pub fn timbre_brightness(&self) -> f64 {
        let inst = 0.5 * (self.melody.brightness().0 + self.accompaniment.brightness().1);
        0.6 * self.brightness.clamp(0.0, 1.0) + 0.4 * inst
    }
}

/// Draws `count` cue vectors covering the cue space (see module doc).
/// The result depends only on `(seed, count)`.
pub fn sample_corpus_cues(seed: u64, count: usize) -> Vec<Cues> {
    let mut g = SplitMix64::for_item(seed, 0xC0E5, 0);
    let lhs = |g: &mut SplitMix64| -> Vec<f64> {
        let mut strata: Vec<usize> = (0..count).collect();
        g.shuffle(&mut strata);
        strata.into_iter().map(|s| (s as f64 + g.unit()) / count as f64).collect()
    };
    let tempo = lhs(&mut g);
    let loud = lhs(&mut g);
    let artic = lhs(&mut g);
    let reg = lhs(&mut g);
    let bright = lhs(&mut g);
    let diss = lhs(&mut g);
    let dens = lhs(&mut g);
    // Mode: 42 % major, 42 % minor, 16 % atonal.
    let modes = balanced(&mut g, count, &[0.42, 0.42, 0.16]);
    let dyns = balanced(&mut g, count, &[0.5, 0.25, 0.25]);
    let mel = balanced(&mut g, count, &[1.0; 7]);
    let acc = balanced(&mut g, count, &[1.0; 7]);
    let drums = balanced(&mut g, count, &[0.5, 0.5]);
    let meter = balanced(&mut g, count, &[0.75, 0.25]);
    let keys = balanced(&mut g, count, &[1.0; 12]);
    let log_map = |u: f64, (lo, hi): (f64, f64)| lo * (hi / lo).powf(u);
    (0..count)
        .map(|i| Cues {
            mode: [Mode::Major, Mode::Minor, Mode::Atonal][modes[i]],
            key_pc: keys[i] as u8,
            tempo_bpm: log_map(tempo[i], TEMPO_BPM_RANGE),
            loudness: loud[i],
            dynamics: [Dynamics::Flat, Dynamics::Crescendo, Dynamics::Diminuendo][dyns[i]],
            articulation: artic[i],
            register: reg[i],
            brightness: bright[i],
            dissonance: diss[i],
            density_npb: log_map(dens[i], DENSITY_NPB_RANGE),
            melody: Family::ALL[mel[i]],
            accompaniment: Family::ALL[acc[i]],
            drums: drums[i] == 1,
            meter: [Meter::Four, Meter::Three][meter[i]],
        })
        .collect()
}

/// `count` category indices with frequencies as close to `weights` as
/// rounding allows (largest remainders), in random order.
fn balanced(g: &mut SplitMix64, count: usize, weights: &[f64]) -> Vec<usize> {
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| w / total * count as f64).collect();
    let mut n: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Largest remainder first; ties broken by a random draw so that small
    // corpora do not always favour the first category.
    let tiebreak: Vec<f64> = (0..weights.len()).map(|_| g.unit()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - n[a] as f64;
        let rb = exact[b] - n[b] as f64;
        rb.total_cmp(&ra).then(tiebreak[a].total_cmp(&tiebreak[b]))
    });
    let mut missing = count - n.iter().sum::<usize>();
    for &k in order.iter().cycle() {
        if missing == 0 {
            break;
        }
        n[k] += 1;
        missing -= 1;
    }
    let mut out: Vec<usize> = n.iter().enumerate().flat_map(|(k, &m)| std::iter::repeat_n(k, m)).collect();
    g.shuffle(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(c: &[Cues]) -> Vec<(&'static str, Vec<f64>)> {
        vec![
            ("major", c.iter().map(|x| (x.mode == Mode::Major) as u8 as f64).collect()),
            ("atonal", c.iter().map(|x| (x.mode == Mode::Atonal) as u8 as f64).collect()),
            ("tempo", c.iter().map(|x| x.tempo_bpm.ln()).collect()),
            ("loudness", c.iter().map(|x| x.loudness).collect()),
            ("dynamics", c.iter().map(|x| x.dynamics.signed()).collect()),
            ("articulation", c.iter().map(|x| x.articulation).collect()),
            ("register", c.iter().map(|x| x.register).collect()),
            ("brightness", c.iter().map(|x| x.timbre_brightness()).collect()),
            ("dissonance", c.iter().map(|x| x.dissonance).collect()),
            ("density", c.iter().map(|x| x.density_npb.ln()).collect()),
            ("drums", c.iter().map(|x| x.drums as u8 as f64).collect()),
        ]
    }

    #[test]
    fn cues_are_decorrelated_and_cover_their_ranges() {
        let cues = sample_corpus_cues(66, 500);
        let cols = columns(&cues);
        // Independent permutations: |r| ~ N(0, 1/sqrt(500) = 0.045); 0.15 is
        // more than 3 standard deviations, so a failure means real coupling.
        for i in 0..cols.len() {
            for j in i + 1..cols.len() {
                if cols[i].0 == "major" && cols[j].0 == "atonal" {
                    continue; // two indicators of one categorical variable
                }
                let r = moodtap_core::stats::pearson(&cols[i].1, &cols[j].1).unwrap_or(0.0);
                assert!(r.abs() < 0.15, "{} vs {}: r = {r:.3}", cols[i].0, cols[j].0);
            }
        }
        // Latin hypercube: each tenth of each range holds exactly 50 draws.
        for &(name, ref v) in &cols[5..7] {
            for decile in 0..10 {
                let n = v.iter().filter(|&&x| (x * 10.0).floor() as usize == decile).count();
                assert_eq!(n, 50, "{name} decile {decile}");
            }
        }
        let tmin = cues.iter().map(|c| c.tempo_bpm).fold(f64::MAX, f64::min);
        let tmax = cues.iter().map(|c| c.tempo_bpm).fold(0.0, f64::max);
        assert!(tmin < 51.0 && tmax > 175.0, "tempo {tmin}..{tmax}");
        let atonal = cues.iter().filter(|c| c.mode == Mode::Atonal).count();
        assert_eq!(atonal, 80);
    }

    #[test]
    fn sampling_is_a_function_of_seed_and_count() {
        assert_eq!(sample_corpus_cues(3, 40), sample_corpus_cues(3, 40));
        assert_ne!(sample_corpus_cues(3, 40), sample_corpus_cues(4, 40));
        assert_eq!(sample_corpus_cues(3, 1).len(), 1);
    }
}
