//! Sub-harmonic summation (SHS) pitch candidates from the octave spectrum.
//!
//! Reproduces openSMILE 3.0's `cPitchShs::pitchDetect` (`src/lld/pitchShs.cpp`)
//! followed by the candidate post-processing of `cPitchBase::processVector`
//! (`src/lldcore/pitchBase.cpp`), as configured in `[gemapsv01b_shs]` of
//! `GeMAPSv01b_core.lld.conf.inc`: `maxPitch = 1000`, `minPitch = 55`,
//! `nCandidates = 6`, `voicingCutoff = 0.7`, `octaveCorrection = 0`,
//! `nHarmonics = 15`, `compressionFactor = 0.85`, `greedyPeakAlgo = 1`
//! (`lfCut` is left at its default 0).
//!
//! Input: one frame of [`SpecScale`](super::spec_scale::SpecScale) output
//! (linear magnitudes on an octave axis). Output: up to `n_candidates`
//! F0 candidates in Hz with a voicing pseudo-probability (`1 − mean/peak` of
//! the SHS spectrum) and their SHS score. The sum spectrum is accumulated in
//! `f32` as openSMILE does, the mean and the parabolic peak fit in `f64`.

use super::spec_scale::OctaveAxis;
use crate::dsp::parabola::quad_from_3pts;

/// Largest number of candidates openSMILE allows (`nCandidates` is clamped to 1…20).
pub const MAX_CANDIDATES: usize = 20;

/// Settings of `[gemapsv01b_shs]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PitchShsConfig {
    /// Highest accepted candidate in Hz (`maxPitch = 1000`).
    pub max_pitch_hz: f64,
    /// Lowest accepted candidate in Hz (`minPitch = 55`).
    pub min_pitch_hz: f64,
    /// Candidates kept per frame, 1…20 (`nCandidates = 6`).
    pub n_candidates: usize,
    /// Voicing threshold handed on to the smoother (`voicingCutoff = 0.7`).
    pub voicing_cutoff: f32,
    /// Harmonics summed (`nHarmonics = 15`).
    pub n_harmonics: usize,
    /// Weight ratio between successive harmonics (`compressionFactor = 0.85`).
    pub compression_factor: f32,
}

impl PitchShsConfig {
    /// `[gemapsv01b_shs]` of `GeMAPSv01b_core.lld.conf.inc`.
    pub const EGEMAPS: Self = Self {
        max_pitch_hz: 1000.0,
        min_pitch_hz: 55.0,
        n_candidates: 6,
        voicing_cutoff: 0.7,
        n_harmonics: 15,
        compression_factor: 0.85,
    };
}

/// The candidates of one frame, as openSMILE writes them to `gemapsv01b_pitchShsG60`.
/// Slots `n..` hold zeros; slot 0 holds the highest-scored candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShsCandidates {
    /// Number of valid candidates (`nCandidates` field).
    pub n: usize,
    /// Candidate F0 in Hz (`F0Cand`).
    pub f0_hz: [f32; MAX_CANDIDATES],
    /// Voicing pseudo-probability 0…1 (`candVoicing`).
    pub voicing: [f32; MAX_CANDIDATES],
    /// SHS peak value (`candScores`, linear magnitude units).
    pub score: [f32; MAX_CANDIDATES],
}

impl Default for ShsCandidates {
    fn default() -> Self {
        Self { n: 0, f0_hz: [0.0; MAX_CANDIDATES], voicing: [0.0; MAX_CANDIDATES], score: [0.0; MAX_CANDIDATES] }
    }
}

/// `cPitchShs` + `cPitchBase`. `new` allocates, `process` never does.
#[derive(Debug, Clone)]
pub struct PitchShs {
    config: PitchShsConfig,
    n_candidates: usize,
    /// Octave axis as openSMILE hands it over (`f32` meta data).
    fmin_t: f32,
    fstep_t: f32,
    /// Shift in points of harmonic h = 2…nHarmonics.
    shifts: Vec<usize>,
    ss: Vec<f32>,
}

impl PitchShs {
    /// Candidates from an octave spectrum of `n_points` values on `axis`.
    pub fn new(config: PitchShsConfig, axis: &OctaveAxis, n_points: usize) -> Self {
        assert!(n_points >= 3, "the SHS spectrum needs at least 3 points");
        let n_candidates = config.n_candidates.clamp(1, MAX_CANDIDATES);
        // cPitchShs::setupNewNames reads the axis from FLOAT_DMEM meta data.
        let fmin_t = axis.min_octave as f32;
        let fmax_t = axis.max_octave as f32;
        let ppo = axis.points_per_octave as f32;
        let fstep_t = (fmax_t - fmin_t) / (n_points - 1) as f32;
        // The log base is 2 for an octave axis (openSMILE verifies and snaps it).
        let shifts = (2..=config.n_harmonics.max(1))
            .map(|h| (ppo as f64 * ((h as f64).ln() / 2f64.ln())).floor().max(0.0) as usize)
            .collect();
        Self { config, n_candidates, fmin_t, fstep_t, shifts, ss: vec![0.0; n_points] }
    }

    /// Configured number of candidate slots (1…20).
    pub fn n_candidates(&self) -> usize {
        self.n_candidates
    }

    /// Voicing threshold the smoother must use (openSMILE passes it in the level meta data).
    pub fn voicing_cutoff(&self) -> f32 {
        self.config.voicing_cutoff
    }

    /// Computes the candidates of one octave spectrum (finite, ≥ 0 values).
    pub fn process(&mut self, spec: &[f32], out: &mut ShsCandidates) {
        let n = self.ss.len();
        debug_assert_eq!(spec.len(), n);
        let nc = self.n_candidates;
        *out = ShsCandidates::default();

        // Sub-harmonic summation: shift the spectrum down by log2(h) octaves and add.
        self.ss.copy_from_slice(spec);
        let cf = self.config.compression_factor;
        let mut scale = cf;
        for &shift in &self.shifts {
            if shift < n {
                for (s, &x) in self.ss[..n - shift].iter_mut().zip(&spec[shift..]) {
                    *s += x * scale;
                }
            }
            scale *= cf;
        }
        let nh = self.config.n_harmonics as f32;
        for s in self.ss.iter_mut() {
            *s /= nh;
            if *s < 0.0 {
                *s = 0.0;
            }
        }

        // Greedy peak picking (greedyPeakAlgo = 1): keep the nc highest peaks,
        // ordered by score.
        let ss = &self.ss;
        let mut idx = [0usize; MAX_CANDIDATES];
        let mut sc = [0f32; MAX_CANDIDATES];
        let mut n_cand = 0usize;
        for i in 1..n - 1 {
            // A peak no higher than the lowest of nc kept candidates cannot
            // enter the list (openSMILE's insertion loop would find no slot).
            let full = n_cand == nc && sc[nc - 1] >= ss[i];
            if !full && ss[i - 1] < ss[i] && ss[i] > ss[i + 1] {
                for j in 0..nc {
                    if sc[j] == 0.0 || sc[j] < ss[i] {
                        for jj in (j + 1..nc).rev() {
                            sc[jj] = sc[jj - 1];
                            idx[jj] = idx[jj - 1];
                        }
                        idx[j] = i;
                        sc[j] = ss[i];
                        if n_cand < nc {
                            n_cand += 1;
                        }
                        break;
                    }
                }
            }
        }
        // Mean of the sum spectrum in f64. openSMILE adds in index order;
        // four interleaved partial sums avoid one serial chain of n
        // additions and differ only by f64 rounding (~1e-16 relative), which
        // the f32 voicing hides: identical outputs on all golden audio.
        let mut part = [0.0f64; 4];
        let chunks = ss.chunks_exact(4);
        for (k, &v) in chunks.remainder().iter().enumerate() {
            part[k] += v as f64;
        }
        for c in chunks {
            for k in 0..4 {
                part[k] += c[k] as f64;
            }
        }
        let ss_mean = ((part[0] + part[1]) + (part[2] + part[3])) / n as f64;

        // Parabolic interpolation on the octave axis, conversion to Hz, voicing.
        for (c, &j) in idx[..n_cand].iter().enumerate() {
            let jf = j as f32;
            let f1 = jf * self.fstep_t + self.fmin_t;
            let f2 = (jf + 1.0) * self.fstep_t + self.fmin_t;
            let f0 = (jf - 1.0) * self.fstep_t + self.fmin_t;
            let (fx, peak, _) =
                quad_from_3pts(f0 as f64, ss[j - 1] as f64, f1 as f64, ss[j] as f64, f2 as f64, ss[j + 1] as f64);
            out.f0_hz[c] = (fx * 2f64.ln()).exp() as f32;
            out.score[c] = peak as f32;
            out.voicing[c] = if peak > 0.0 && peak > ss_mean { (1.0 - ss_mean / peak) as f32 } else { 0.0 };
        }

        // cPitchBase: drop candidates outside [minPitch, maxPitch], then move
        // the highest score to slot 0 (octaveCorrection = 0).
        let mut n_cand = n_cand as isize;
        let (lo, hi) = (self.config.min_pitch_hz, self.config.max_pitch_hz);
        let mut i = 0isize;
        while (i as usize) < nc && n_cand > 0 {
            let iu = i as usize;
            let f = out.f0_hz[iu] as f64;
            // NaN counts as out of range (openSMILE would keep it; it cannot arise from finite input).
            if f > hi || f < lo || f.is_nan() {
                for j in iu + 1..nc {
                    out.f0_hz[j - 1] = out.f0_hz[j];
                    out.voicing[j - 1] = out.voicing[j];
                    out.score[j - 1] = out.score[j];
                }
                out.f0_hz[nc - 1] = 0.0;
                out.voicing[nc - 1] = 0.0;
                out.score[nc - 1] = 0.0;
                if f > 0.0 || f.is_nan() {
                    n_cand -= 1;
                    i -= 1;
                }
            }
            i += 1;
        }
        out.n = n_cand.max(0) as usize;
        let mut max_i = 0;
        for k in 1..nc {
            if out.score[k] > out.score[max_i] {
                max_i = k;
            }
        }
        if max_i > 0 {
            out.f0_hz.swap(0, max_i);
            out.voicing.swap(0, max_i);
            out.score.swap(0, max_i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::egemaps::spec_scale::{SpecScale, SpecScaleConfig};

    #[test]
    fn parabola_vertex() {
        // y = −(x − 2)² + 3
        let f = |x: f64| -(x - 2.0) * (x - 2.0) + 3.0;
        let (x, y, _) = quad_from_3pts(1.0, f(1.0), 1.5, f(1.5), 3.5, f(3.5));
        assert!((x - 2.0).abs() < 1e-12 && (y - 3.0).abs() < 1e-12);
    }

    #[test]
    fn flat_spectrum_has_no_candidates() {
        let scale = SpecScale::new(SpecScaleConfig::EGEMAPS, 1025, 22_050.0 / 2048.0);
        let mut shs = PitchShs::new(PitchShsConfig::EGEMAPS, scale.axis(), scale.n_points());
        let mut out = ShsCandidates::default();
        shs.process(&vec![0.0; 1025], &mut out);
        assert_eq!(out, ShsCandidates::default());
    }
}
