//! The eGeMAPS v02 F0 chain: octave spectrum → SHS candidates → Viterbi
//! smoothing → volume gate, one 60 ms Gaussian-windowed frame at a time.
//!
//! openSMILE 3.0 graph reproduced (`GeMAPSv01b_core.lld.conf.inc`):
//! `gemapsv01b_fftmagG60` → `[gemapsv01b_scale]` ([`SpecScale`]) →
//! `[gemapsv01b_shs]` ([`PitchShs`]) → `[gemapsv01b_pitchSmoothViterbi]`
//! ([`PitchSmootherViterbi`], level `gemapsv01b_logPitchRaw`) →
//! `[gemapsv01b_volmerge]` (`cValbasedSelector`, `src/other/valbasedSelector.cpp`:
//! all outputs set to 0 unless the frame's `[gemapsv01b_energy60]` RMS energy
//! (`cEnergy`, `src/lldcore/energy.cpp`, `rms = 1` on the windowed frame)
//! exceeds 0.001) → level `gemapsv01b_logPitch`, whose `F0finalLog` becomes
//! `F0semitoneFrom27.5Hz` after 3-frame smoothing elsewhere.
//!
//! # Timing (relative to openSMILE's frame indices)
//! Frame `k` is the 60 ms frame starting at sample `k·hop`. The push of frame
//! `n` returns frame `n − 39` (from the 40th push on); after the last push,
//! [`flush`](F0Tracker::flush) returns the remaining 39 frames (or all of them
//! when fewer than 40 were pushed), decided as openSMILE decides them at end of
//! input. Every pushed frame is returned exactly once, so the output has as
//! many frames as openSMILE's `gemapsv01b_logPitch` level, index for index.
//!
//! # Invalid input
//! A frame whose windowed samples or magnitudes contain NaN or ±Inf (or whose
//! magnitude count is wrong) is processed as digital silence: energy 0, no
//! candidates, hence unvoiced with all outputs 0 after the volume gate. All
//! outputs are finite for any input.

use super::config::Framing;
use super::pitch_shs::{PitchShs, PitchShsConfig, ShsCandidates};
use super::pitch_viterbi::{PitchSmootherViterbi, SmoothedPitch, ViterbiConfig};
use super::spec_scale::{opensmile_bin_hz, SpecScale, SpecScaleConfig};

/// `[gemapsv01b_volmerge]`: `threshold = 0.001` on the RMS energy of the windowed
/// 60 ms frame (input scaled to ±1); frames at or below it are unvoiced.
pub const VOLUME_GATE_RMS: f32 = 0.001;

/// Octave-spectrum values are clamped to this so that the 15-fold harmonic sum
/// stays finite in `f32` (real spectra of ±1 audio are below 1e4).
const MAX_OCTAVE_MAGNITUDE: f32 = 1e30;

/// One frame of the final F0 contour (`gemapsv01b_logPitch`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct F0Frame {
    /// Frame index: the frame starting at sample `index · hop`.
    pub index: u64,
    /// `F0final` after the volume gate, Hz; 0 = unvoiced.
    pub f0_hz: f32,
    /// `F0finalLog`: `12·log2(f0/27.5)`, 0 when unvoiced.
    pub f0_semitones: f32,
    /// `voicingFinalUnclipped` after the volume gate (0 when the gate closes).
    pub voicing: f32,
    /// Released by [`F0Tracker::flush`] only because the input ended (the
    /// Viterbi paths had not converged on it yet); openSMILE's whole-file
    /// functionals do not see such frames.
    pub flushed: bool,
}

/// The streaming F0 chain. `new` allocates; `push`/`flush` never do.
#[derive(Debug, Clone)]
pub struct F0Tracker {
    scale: SpecScale,
    shs: PitchShs,
    viterbi: PitchSmootherViterbi,
    octave: Vec<f32>,
    silence: Vec<f32>,
    candidates: ShsCandidates,
    /// RMS energy per frame, ring indexed by frame index mod `energy.len()`.
    energy: Vec<f32>,
    last_energy: f32,
    next_index: u64,
}

impl F0Tracker {
    /// `sample_rate_hz`: analysis rate (22 050 in production, 8k–48k supported);
    /// `n_fft`: FFT size of the 60 ms frame (`Spectrum::n_fft()`).
    pub fn new(sample_rate_hz: u32, n_fft: usize) -> Self {
        let frame_len = Framing::at(sample_rate_hz).frame60;
        let n_mag = n_fft / 2 + 1;
        let scale = SpecScale::new(SpecScaleConfig::EGEMAPS, n_mag, opensmile_bin_hz(sample_rate_hz, frame_len, n_fft));
        let shs = PitchShs::new(PitchShsConfig::EGEMAPS, scale.axis(), scale.n_points());
        let viterbi = PitchSmootherViterbi::new(ViterbiConfig::EGEMAPS, shs.n_candidates(), shs.voicing_cutoff());
        let ring = viterbi.lag_frames() + 1;
        Self {
            octave: vec![0.0; scale.n_points()],
            silence: vec![0.0; n_mag],
            scale,
            shs,
            viterbi,
            candidates: ShsCandidates::default(),
            energy: vec![0.0; ring],
            last_energy: 0.0,
            next_index: 0,
        }
    }

    /// Frames between a push and the [`F0Frame`] with the same index being returned (39).
    pub fn lag_frames(&self) -> usize {
        self.viterbi.lag_frames()
    }

    /// `windowed`: the Gaussian-windowed 60 ms frame (`Spectrum::windowed()`),
    /// `mag`: its magnitudes (`Spectrum::magnitudes()`, `n_fft/2 + 1` bins).
    /// Returns the smoothed frame that became final, if any.
    pub fn push(&mut self, windowed: &[f32], mag: &[f32]) -> Option<F0Frame> {
        let valid = mag.len() == self.scale.n_mag() && all_finite(windowed) && all_finite(mag);
        let (windowed, mag): (&[f32], &[f32]) = if valid { (windowed, mag) } else { (&[], &self.silence) };
        self.last_energy = rms_energy(windowed);
        let slot = (self.next_index % self.energy.len() as u64) as usize;
        self.energy[slot] = self.last_energy;
        self.next_index += 1;

        self.scale.process(mag, &mut self.octave);
        for v in self.octave.iter_mut() {
            *v = if v.is_finite() { v.min(MAX_OCTAVE_MAGNITUDE) } else { 0.0 };
        }
        self.shs.process(&self.octave, &mut self.candidates);
        let out = self.viterbi.push(&self.candidates)?;
        Some(self.gate(out))
    }

    /// After the last push: call repeatedly to drain the remaining frames
    /// (`None` when drained).
    pub fn flush(&mut self) -> Option<F0Frame> {
        let out = self.viterbi.flush()?;
        Some(self.gate(out))
    }

    /// Forgets all frames; the next push is frame 0 again.
    pub fn reset(&mut self) {
        self.viterbi.reset();
        self.candidates = ShsCandidates::default();
        self.energy.iter_mut().for_each(|e| *e = 0.0);
        self.last_energy = 0.0;
        self.next_index = 0;
    }

    /// SHS candidates of the most recently pushed frame (`gemapsv01b_pitchShsG60`).
    pub fn candidates(&self) -> &ShsCandidates {
        &self.candidates
    }

    /// RMS energy of the most recently pushed frame (`gemapsv01b_e60`).
    pub fn energy_rms(&self) -> f32 {
        self.last_energy
    }

    /// `[gemapsv01b_volmerge]`: pass the frame if its energy exceeds the threshold, else zero it.
    fn gate(&self, p: SmoothedPitch) -> F0Frame {
        let e = self.energy[(p.index % self.energy.len() as u64) as usize];
        if e > VOLUME_GATE_RMS {
            F0Frame {
                index: p.index,
                f0_hz: p.f0_hz,
                f0_semitones: p.f0_semitones,
                voicing: p.voicing,
                flushed: p.flushed,
            }
        } else {
            F0Frame { index: p.index, flushed: p.flushed, ..F0Frame::default() }
        }
    }
}

/// Whether every value is finite, without early exit so that the check
/// vectorises (it runs over ~2 300 values per frame).
pub(crate) fn all_finite(x: &[f32]) -> bool {
    x.iter().fold(true, |ok, v| ok & v.is_finite())
}

/// `cEnergy` with `rms = 1`: `sqrt(Σx² / N)`, squares in `f32`, sum in `f64`
/// as openSMILE. 0 for an empty frame.
///
/// openSMILE sums in index order; here four interleaved partial sums (one
/// serial f64 chain of 1323 additions would cost more time than the rest of
/// this function). The two orders differ by f64 rounding (~1e-16 relative),
/// which the f32 result hides: identical outputs on all golden audio.
pub fn rms_energy(frame: &[f32]) -> f32 {
    if frame.is_empty() {
        return 0.0;
    }
    let mut part = [0.0f64; 4];
    let chunks = frame.chunks_exact(4);
    for (k, &x) in chunks.remainder().iter().enumerate() {
        part[k] += (x * x) as f64;
    }
    for c in chunks {
        for k in 0..4 {
            part[k] += (c[k] * c[k]) as f64;
        }
    }
    let d = (part[0] + part[1]) + (part[2] + part[3]);
    (d / frame.len() as f32 as f64).sqrt() as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::spectrum::Spectrum;
    use crate::dsp::window;
    use rand::{Rng, SeedableRng};

    const SR: u32 = 22_050;

    /// Runs the whole chain over a signal; returns every frame in order.
    fn run(signal: &[f32], sr: u32) -> Vec<F0Frame> {
        let fr = Framing::at(sr);
        let mut spec = Spectrum::new(window::gauss(fr.frame60, 0.4));
        let mut t = F0Tracker::new(sr, spec.n_fft());
        let mut out = Vec::new();
        let mut start = 0;
        while start + fr.frame60 <= signal.len() {
            spec.process(&signal[start..start + fr.frame60]);
            out.extend(t.push(spec.windowed(), spec.magnitudes()));
            start += fr.hop;
        }
        while let Some(f) = t.flush() {
            out.push(f);
        }
        out
    }

    fn sine(f: f64, sr: u32, seconds: f64, amp: f64) -> Vec<f32> {
        let n = (seconds * sr as f64) as usize;
        (0..n).map(|i| (amp * (2.0 * std::f64::consts::PI * f * i as f64 / sr as f64).sin()) as f32).collect()
    }

    fn assert_all_indices(frames: &[F0Frame], n: usize) {
        assert_eq!(frames.len(), n);
        for (k, f) in frames.iter().enumerate() {
            assert_eq!(f.index, k as u64);
            assert!(f.f0_hz.is_finite() && f.f0_semitones.is_finite() && f.voicing.is_finite(), "{f:?}");
        }
    }

    #[test]
    fn pure_tone_220hz_is_220hz_at_every_rate() {
        for sr in [8_000, 16_000, 22_050, 44_100, 48_000] {
            let frames = run(&sine(220.0, sr, 1.5, 0.3), sr);
            let fr = Framing::at(sr);
            let n = (((1.5 * sr as f64) as usize) - fr.frame60) / fr.hop + 1;
            assert_all_indices(&frames, n);
            for f in &frames {
                // ±1 %: the brief's tolerance; SHS + parabolic fit is ~0.1 % on a clean tone.
                assert!((f.f0_hz - 220.0).abs() <= 2.2, "sr {sr}: {f:?}");
                assert!((f.f0_semitones - 36.0).abs() < 0.18, "sr {sr}: {f:?}");
            }
        }
    }

    #[test]
    fn silence_is_unvoiced() {
        let frames = run(&vec![0.0; SR as usize], SR);
        assert!(!frames.is_empty());
        assert!(frames.iter().all(|f| f.f0_hz == 0.0 && f.f0_semitones == 0.0 && f.voicing == 0.0));
    }

    #[test]
    fn white_noise_is_unvoiced() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let noise: Vec<f32> = (0..2 * SR as usize).map(|_| rng.random_range(-0.3..0.3)).collect();
        let frames = run(&noise, SR);
        let voiced = frames.iter().filter(|f| f.f0_hz > 0.0).count();
        assert!(frames.iter().all(|f| f.f0_hz.is_finite() && f.voicing.is_finite()));
        // openSMILE voices none of the 294 frames of the golden white_noise.wav;
        // a different noise realisation may produce an isolated voiced frame, so allow 2 %.
        assert!(voiced * 50 <= frames.len(), "{voiced} of {} noise frames voiced", frames.len());
    }

    #[test]
    fn non_finite_frames_are_silence() {
        let fr = Framing::at(SR);
        let mut spec = Spectrum::new(window::gauss(fr.frame60, 0.4));
        let mut t = F0Tracker::new(SR, spec.n_fft());
        let tone = sine(220.0, SR, 0.2, 0.3);
        spec.process(&tone[..fr.frame60]);
        let mut out = Vec::new();
        for k in 0..60 {
            let mut w = spec.windowed().to_vec();
            let mut m = spec.magnitudes().to_vec();
            match k % 4 {
                0 => w[5] = f32::NAN,
                1 => m[100] = f32::INFINITY,
                2 => m[3] = f32::NEG_INFINITY,
                _ => {}
            }
            out.extend(t.push(&w, &m));
            assert!(t.energy_rms().is_finite());
        }
        out.extend(std::iter::from_fn(|| t.flush()));
        assert_all_indices(&out, 60);
        for (k, f) in out.iter().enumerate() {
            if k % 4 != 3 {
                assert_eq!((f.f0_hz, f.f0_semitones, f.voicing), (0.0, 0.0, 0.0), "frame {k}");
            }
        }
        // A wrong magnitude count is treated the same way.
        assert!(t.push(spec.windowed(), &[1.0; 3]).is_none());
    }

    #[test]
    fn extreme_finite_input_stays_finite() {
        let big: Vec<f32> = sine(220.0, SR, 0.5, 3e18);
        let frames = run(&big, SR);
        assert!(frames.iter().all(|f| f.f0_hz.is_finite() && f.f0_semitones.is_finite() && f.voicing.is_finite()));
    }

    #[test]
    fn output_is_independent_of_push_and_flush_pattern() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let sig: Vec<f32> = (0..3 * SR as usize)
            .map(|i| {
                let t = i as f64 / SR as f64;
                let f = 150.0 * (1.0 + 0.05 * (2.0 * std::f64::consts::PI * 3.0 * t).sin());
                let gate = if (t * 2.0).fract() < 0.6 { 1.0 } else { 0.0 };
                (gate * 0.2 * (2.0 * std::f64::consts::PI * f * t).sin() + rng.random_range(-0.01..0.01)) as f32
            })
            .collect();
        let reference = run(&sig, SR);

        // Same frames fed through a streaming framer in random blocks, with
        // redundant flush calls after the end and a reset/re-run.
        let fr = Framing::at(SR);
        let mut spec = Spectrum::new(window::gauss(fr.frame60, 0.4));
        let mut t = F0Tracker::new(SR, spec.n_fft());
        for _round in 0..2 {
            let mut framer = crate::dsp::framer::Framer::new(fr.frame60, fr.hop);
            let mut got = Vec::new();
            let mut pos = 0;
            while pos < sig.len() {
                let n = rng.random_range(1..=5000).min(sig.len() - pos);
                framer.push(&sig[pos..pos + n], |_, frame| {
                    spec.process(frame);
                    got.extend(t.push(spec.windowed(), spec.magnitudes()));
                });
                pos += n;
            }
            got.extend(std::iter::from_fn(|| t.flush()));
            assert!(t.flush().is_none());
            assert_eq!(got, reference);
            t.reset();
        }
        assert!(reference.iter().any(|f| f.f0_hz > 0.0) && reference.iter().any(|f| f.f0_hz == 0.0));
    }

    #[test]
    fn lag_is_39_frames() {
        let fr = Framing::at(SR);
        let spec = Spectrum::new(window::gauss(fr.frame60, 0.4));
        let t = F0Tracker::new(SR, spec.n_fft());
        assert_eq!(t.lag_frames(), 39);
    }
}
