//! Synthesis of a composed [`Score`] to mono audio at 22 050 Hz.
//!
//! Chain: `rustysynth` (SoundFont GM synthesis, its built-in reverb and
//! chorus on, stereo) → mono mean of channels → brightness low-pass
//! (4th-order Butterworth, cutoff from [`Cues::cutoff_hz`]) → fade-in 5 ms /
//! fade-out 250 ms → gain so the *active level* equals the loudness cue's
//! target → soft limiter above −1.4 dBFS → 16-bit PCM.
//!
//! Setting the level after synthesis makes loudness an independent,
//! exactly controlled cue: without it, the rendered level would also rise
//! with note density, legato articulation, drums and the instrument's
//! sample gain, and a model could learn loudness as a proxy for those.
//! Playing effort (velocity, which changes the sampled timbre) still
//! follows the loudness cue in [`super::score`].

use std::path::Path;
use std::sync::Arc;

use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};

use super::cues::Cues;
use super::score::Score;

/// Output sample rate, Hz: moodtap's analysis rate (docs/design.md §2), so the
/// trainer needs no resampling.
pub const SAMPLE_RATE_HZ: u32 = 22_050;
/// Frame length of the active-level measurement: 50 ms at 22 050 Hz.
pub const LEVEL_FRAME: usize = 1_102;
/// Corner frequency of the brightness high shelf, Hz.
pub const SHELF_HZ: f64 = 1_500.0;
/// Limiter threshold (linear, ≈ −1.4 dBFS); peaks above it are bent
/// smoothly towards full scale, never past it.
pub const LIMIT_THRESHOLD: f32 = 0.85;

/// Errors of the renderer.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The SoundFont file could not be read.
    #[error(
        "cannot read SoundFont {path}: {source} (install the Debian package timgm6mb-soundfont or pass --soundfont)"
    )]
    SoundFontIo {
        /// Path given.
        path: std::path::PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The SoundFont file is not a valid SF2.
    #[error("{path} is not a usable SoundFont: {reason}")]
    SoundFontParse {
        /// Path given.
        path: std::path::PathBuf,
        /// Parser message.
        reason: String,
    },
    /// The synthesizer rejected its settings.
    #[error("synthesizer setup failed: {0}")]
    Synth(String),
}

/// Rendered audio and measurements of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Mono samples in [−1, 1] at [`SAMPLE_RATE_HZ`].
    pub samples: Vec<f32>,
    /// Active level after gain, dBFS (equals the target unless the signal
    /// was silent or the limiter engaged).
    pub level_db: f64,
    /// Sample peak, dBFS.
    pub peak_db: f64,
    /// Share of samples the limiter changed.
    pub limited_share: f64,
}

/// A loaded SoundFont; cheap to share between threads.
#[derive(Clone)]
pub struct Renderer {
    sound_font: Arc<SoundFont>,
    /// Size of the SoundFont file in bytes (provenance for corpus.json).
    pub soundfont_bytes: u64,
    /// FNV-1a 64-bit hash of the SoundFont file.
    pub soundfont_fnv1a64: u64,
}

impl Renderer {
    /// Loads the SoundFont at `path`.
    pub fn new(path: &Path) -> Result<Self, RenderError> {
        let bytes =
            std::fs::read(path).map_err(|source| RenderError::SoundFontIo { path: path.to_path_buf(), source })?;
        let sound_font = SoundFont::new(&mut bytes.as_slice())
            .map_err(|e| RenderError::SoundFontParse { path: path.to_path_buf(), reason: e.to_string() })?;
        Ok(Self {
            sound_font: Arc::new(sound_font),
            soundfont_bytes: bytes.len() as u64,
            soundfont_fnv1a64: fnv1a64(&bytes),
        })
    }

    /// Synthesises `score` to mono (mean of the synthesizer's stereo
    /// output) without any post-processing.
    pub fn synthesize(&self, score: &Score) -> Result<Vec<f64>, RenderError> {
        let n = (score.duration_s * SAMPLE_RATE_HZ as f64).round() as usize;
        let mut settings = SynthesizerSettings::new(SAMPLE_RATE_HZ as i32);
        settings.block_size = 64;
        settings.maximum_polyphony = 128;
        settings.enable_reverb_and_chorus = true;
        let mut synth = Synthesizer::new(&self.sound_font, &settings).map_err(|e| RenderError::Synth(e.to_string()))?;

        // Events as (sample, order, sequence, action); note-offs sort before
        // controller changes before note-ons at the same sample.
        #[derive(Clone, Copy)]
        enum Ev {
            Off(u8, u8),
            Cc(u8, u8, u8),
            On(u8, u8, u8),
        }
        let at = |t: f64| ((t * SAMPLE_RATE_HZ as f64).round().max(0.0) as usize).min(n);
        let mut events: Vec<(usize, u8, usize, Ev)> = Vec::with_capacity(score.notes.len() * 2 + score.controls.len());
        for (i, c) in score.controls.iter().enumerate() {
            events.push((at(c.time_s), 1, i, Ev::Cc(c.channel, c.controller, c.value)));
        }
        for (i, note) in score.notes.iter().enumerate() {
            events.push((at(note.start_s), 2, i, Ev::On(note.channel, note.key, note.velocity)));
            if note.channel != super::score::CH_DRUMS {
                events.push((at(note.start_s + note.dur_s), 0, i, Ev::Off(note.channel, note.key)));
            }
        }
        events.sort_by_key(|e| (e.0, e.1, e.2));

        for &(ch, program) in &score.programs {
            synth.process_midi_message(ch as i32, 0xC0, program as i32, 0);
        }
        let mut left = vec![0f32; n];
        let mut right = vec![0f32; n];
        let mut pos = 0usize;
        for &(sample, _, _, ev) in &events {
            if sample > pos {
                synth.render(&mut left[pos..sample], &mut right[pos..sample]);
                pos = sample;
            }
            match ev {
                Ev::Off(ch, key) => synth.note_off(ch as i32, key as i32),
                Ev::Cc(ch, cc, v) => synth.process_midi_message(ch as i32, 0xB0, cc as i32, v as i32),
                Ev::On(ch, key, vel) => synth.note_on(ch as i32, key as i32, vel as i32),
            }
        }
        if pos < n {
            synth.render(&mut left[pos..], &mut right[pos..]);
        }

        Ok(left.iter().zip(&right).map(|(l, r)| 0.5 * (*l as f64 + *r as f64)).collect())
    }

    /// Renders `score` with the timbre and level cues of `cues`.
    pub fn render(&self, score: &Score, cues: &Cues) -> Result<Rendered, RenderError> {
        let mut mono = self.synthesize(score)?;
        let n = mono.len();
        TimbreFilter::new(cues.cutoff_hz(), SHELF_HZ, cues.shelf_db(), SAMPLE_RATE_HZ as f64).process(&mut mono);
        fade(&mut mono, (0.005 * SAMPLE_RATE_HZ as f64) as usize, (0.25 * SAMPLE_RATE_HZ as f64) as usize);

        let measured = active_level_db(&mono);
        let target = cues.level_db();
        let gain = if measured.is_finite() { 10f64.powf((target - measured) / 20.0) } else { 0.0 };
        let mut limited = 0usize;
        let samples: Vec<f32> = mono
            .iter()
            .map(|&x| {
                let y = (x * gain) as f32;
                let s = soft_limit(y);
                if s != y {
                    limited += 1;
                }
                s
            })
            .collect();
        let as_f64: Vec<f64> = samples.iter().map(|&x| x as f64).collect();
        let peak = samples.iter().fold(0f32, |m, x| m.max(x.abs()));
        Ok(Rendered {
            level_db: active_level_db(&as_f64),
            peak_db: 20.0 * (peak.max(1e-10) as f64).log10(),
            limited_share: limited as f64 / n.max(1) as f64,
            samples,
        })
    }
}

/// Active level, dBFS: mean power of the louder half of non-overlapping
/// 50 ms frames, as 10·log10 (a full-scale sine reads −3 dB). Ignoring the
/// quieter half keeps rests, staccato gaps and the fade-out from lowering
/// the level of sparse excerpts, approximating how loud the music sounds
/// while it plays. Returns −∞ for silence.
pub fn active_level_db(x: &[f64]) -> f64 {
    let mut powers: Vec<f64> = x
        .chunks(LEVEL_FRAME)
        .filter(|c| c.len() == LEVEL_FRAME || x.len() < LEVEL_FRAME)
        .map(|c| c.iter().map(|s| s * s).sum::<f64>() / c.len() as f64)
        .collect();
    if powers.is_empty() {
        return f64::NEG_INFINITY;
    }
    powers.sort_by(|a, b| b.total_cmp(a));
    let half = powers.len().div_ceil(2);
    let p = powers[..half].iter().sum::<f64>() / half as f64;
    if p > 1e-20 {
        10.0 * p.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// Smooth limiter: identity below [`LIMIT_THRESHOLD`], tanh knee above,
/// bounded by ±1.
pub(crate) fn soft_limit(x: f32) -> f32 {
    let a = x.abs();
    if a <= LIMIT_THRESHOLD {
        return x;
    }
    let room = 1.0 - LIMIT_THRESHOLD;
    let y = LIMIT_THRESHOLD + room * ((a - LIMIT_THRESHOLD) / room).tanh();
    y.copysign(x)
}

fn fade(x: &mut [f64], fade_in: usize, fade_out: usize) {
    let n = x.len();
    for (i, v) in x.iter_mut().take(fade_in).enumerate() {
        *v *= i as f64 / fade_in as f64;
    }
    for i in 0..fade_out.min(n) {
        x[n - 1 - i] *= i as f64 / fade_out as f64;
    }
}

/// The brightness filter: a 4th-order Butterworth low-pass (two cascaded
/// RBJ "Audio EQ Cookbook" low-pass biquads with Q = 0.5412 and 1.3066, the
/// pole-pair Qs of a 4th-order Butterworth) followed by an RBJ high shelf
/// (shelf slope S = 1). Bilinear transform with pre-warping, f64 state.
struct TimbreFilter {
    stages: Vec<[f64; 5]>,
}

impl TimbreFilter {
    /// Low-pass at `cutoff_hz`, then `shelf_db` above `shelf_hz`.
    fn new(cutoff_hz: f64, shelf_hz: f64, shelf_db: f64, fs: f64) -> Self {
        let lowpass = |q: f64| {
            let w0 = 2.0 * std::f64::consts::PI * cutoff_hz.clamp(20.0, 0.45 * fs) / fs;
            let alpha = w0.sin() / (2.0 * q);
            let cw = w0.cos();
            let a0 = 1.0 + alpha;
            [(1.0 - cw) / 2.0 / a0, (1.0 - cw) / a0, (1.0 - cw) / 2.0 / a0, -2.0 * cw / a0, (1.0 - alpha) / a0]
        };
        let shelf = {
            let a = 10f64.powf(shelf_db / 40.0);
            let w0 = 2.0 * std::f64::consts::PI * shelf_hz.clamp(20.0, 0.45 * fs) / fs;
            let (sw, cw) = (w0.sin(), w0.cos());
            let alpha = sw / 2.0 * std::f64::consts::SQRT_2;
            let k = 2.0 * a.sqrt() * alpha;
            let a0 = (a + 1.0) - (a - 1.0) * cw + k;
            [
                a * ((a + 1.0) + (a - 1.0) * cw + k) / a0,
                -2.0 * a * ((a - 1.0) + (a + 1.0) * cw) / a0,
                a * ((a + 1.0) + (a - 1.0) * cw - k) / a0,
                2.0 * ((a - 1.0) - (a + 1.0) * cw) / a0,
                ((a + 1.0) - (a - 1.0) * cw - k) / a0,
            ]
        };
        Self { stages: vec![lowpass(0.541_196_1), lowpass(1.306_563), shelf] }
    }

    /// Filters `x` in place (direct form I, zero initial state).
    fn process(&self, x: &mut [f64]) {
        for &[b0, b1, b2, a1, a2] in &self.stages {
            let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
            for s in x.iter_mut() {
                let y = b0 * *s + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
                x2 = x1;
                x1 = *s;
                y2 = y1;
                y1 = y;
                *s = y;
            }
        }
    }
}

/// FNV-1a, 64 bit (Fowler–Noll–Vo), for file provenance.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Writes `samples` as 16-bit PCM mono WAV at [`SAMPLE_RATE_HZ`]
/// (round-to-nearest, clamped to ±32767).
pub fn write_wav(path: &Path, samples: &[f32]) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE_HZ,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    for &s in samples {
        w.write_sample((s * 32767.0).round().clamp(-32767.0, 32767.0) as i16)?;
    }
    w.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timbre_filter_response() {
        let fs = SAMPLE_RATE_HZ as f64;
        let gain_at = |f: f64, fc: f64, shelf_db: f64| {
            let mut x: Vec<f64> = (0..22_050).map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / fs).sin()).collect();
            TimbreFilter::new(fc, SHELF_HZ, shelf_db, fs).process(&mut x);
            let tail = &x[11_025..];
            (tail.iter().map(|v| v * v).sum::<f64>() / tail.len() as f64 * 2.0).sqrt()
        };
        // Butterworth: −3 dB at cutoff, −24 dB per octave well above it
        // (4000 Hz is one octave: |H| = 1/sqrt(1 + 2^8) = 0.062).
        assert!((gain_at(200.0, 2000.0, 0.0) - 1.0).abs() < 0.01);
        assert!((gain_at(2000.0, 2000.0, 0.0) - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.02);
        assert!(gain_at(4000.0, 2000.0, 0.0) < 0.07);
        // Shelf: unity far below the corner, the full gain far above it.
        let db = |g: f64| 20.0 * g.log10();
        assert!(db(gain_at(100.0, 10_000.0, 10.0)).abs() < 0.3);
        assert!((db(gain_at(7000.0, 10_000.0, 10.0)) - 10.0).abs() < 1.0);
        assert!((db(gain_at(7000.0, 10_000.0, -6.0)) + 6.0).abs() < 1.0);
    }

    /// Measures the intrinsic brightness of each instrument family as
    /// defined in `cues::Family::brightness` (spectral centroid of a C4–C5
    /// major scale at velocity 90, unfiltered, 2048-point rectangular
    /// frames, energy-weighted) and checks the table. Tolerance 0.03: the
    /// table holds two decimals, and the render is deterministic.
    /// `--nocapture` prints the measured values.
    #[test]
    fn family_brightness_table_matches_measurement() {
        use super::super::cues::Family;
        use super::super::score::{Note, ScoreStats, CH_MELODY};
        let r = Renderer::new(Path::new(super::super::DEFAULT_SOUNDFONT)).expect("SoundFont");
        for fam in Family::ALL {
            let mut cents = Vec::new();
            for program in [fam.melody_program(), fam.chord_program()] {
                let notes = [60u8, 62, 64, 65, 67, 69, 71, 72]
                    .iter()
                    .enumerate()
                    .map(|(i, &key)| Note {
                        start_s: 0.5 * i as f64,
                        dur_s: 0.45,
                        channel: CH_MELODY,
                        key,
                        velocity: 90,
                    })
                    .collect();
                let score = Score {
                    duration_s: 4.5,
                    programs: vec![(CH_MELODY, program)],
                    notes,
                    controls: vec![],
                    stats: ScoreStats::default(),
                };
                let x = r.synthesize(&score).expect("renders");
                let fft = realfft::RealFftPlanner::<f64>::new().plan_fft_forward(2048);
                let (mut num, mut den) = (0.0, 0.0);
                for frame in x.chunks_exact(2048) {
                    let mut buf = frame.to_vec();
                    let mut spec = fft.make_output_vec();
                    fft.process(&mut buf, &mut spec).expect("fft");
                    for (k, c) in spec.iter().enumerate() {
                        let p = c.norm_sqr();
                        num += p * k as f64 * SAMPLE_RATE_HZ as f64 / 2048.0;
                        den += p;
                    }
                }
                cents.push(num / den.max(1e-20));
            }
            let map = |c: f64| ((c / 500.0).log2() / 3f64.log2()).clamp(0.0, 1.0);
            let (m, c) = (map(cents[0]), map(cents[1]));
            eprintln!("{:8} melody {:5.0} Hz -> {m:.2}, chords {:5.0} Hz -> {c:.2}", fam.name(), cents[0], cents[1]);
            let (tm, tc) = fam.brightness();
            assert!(
                (m - tm).abs() < 0.03 && (c - tc).abs() < 0.03,
                "{}: measured ({m:.2}, {c:.2}), table ({tm}, {tc})",
                fam.name()
            );
        }
    }

    #[test]
    fn active_level_of_a_sine_and_of_silence() {
        let x: Vec<f64> = (0..22_050).map(|i| 0.5 * (i as f64 * 0.1).sin()).collect();
        // 0.5-amplitude sine: power 0.125 → −9.03 dB.
        assert!((active_level_db(&x) + 9.03).abs() < 0.05);
        // Half silence does not change the active level.
        let mut y = x.clone();
        y.extend(std::iter::repeat_n(0.0, 22_050));
        assert!((active_level_db(&y) + 9.03).abs() < 0.05);
        assert_eq!(active_level_db(&[0.0; 5000]), f64::NEG_INFINITY);
        assert_eq!(active_level_db(&[]), f64::NEG_INFINITY);
    }

    #[test]
    fn limiter_is_bounded_and_transparent_below_threshold() {
        assert_eq!(soft_limit(0.5), 0.5);
        assert_eq!(soft_limit(-0.85), -0.85);
        for x in [0.9f32, 1.0, 2.0, 100.0, f32::MAX] {
            let y = soft_limit(x);
            assert!(y > 0.85 && y <= 1.0, "{x} -> {y}");
            assert_eq!(soft_limit(-x), -y);
        }
    }
}
