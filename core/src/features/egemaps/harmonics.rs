//! Harmonics-based voice-quality LLDs at parity with openSMILE 3.0's
//! `[gemapsv01b_harmonics:cHarmonics]` (`src/lld/harmonics.cpp`,
//! `GeMAPSv01b_core.lld.conf.inc`): the ACF harmonics-to-noise ratio, the
//! harmonic differences H1−H2 and H1−A3 and the relative amplitudes of
//! formants 1–3, from the magnitude spectrum of the 60 ms Gaussian frame,
//! the final F0 and the LPC formants of the same frame index.
//!
//! Definitions (openSMILE's, including its quirks):
//! - HNR: ACF `r = |IDFT(|X|²)| / n_bins`; the lag `⌊fs/F0⌋` is moved to the
//!   closest local maximum `T` of `r`, and `HNR = 10·log10(r[T] / (r[0] − r[T]))`
//!   dB, limited to [−90, 110] dB; 0 when unvoiced (`F0 = 0`).
//! - Harmonic `i` (0-based, `i = 0` is F0 itself) is the spectral peak at or
//!   nearest to bin `(i+1)·F0` inside `[(i+½)·F0, (i+1½)·F0]`, refined by a
//!   parabola through the three bins; its level is
//!   `20·log10(peak_interp / |X[bin(F0 peak)]|)` dB (floored at −200 dB; −201
//!   for duplicates and when the F0 bin has zero magnitude).
//! - `HarmonicDifferenceLogRelH1-H2` is level(harmonic 1) − level(harmonic 2),
//!   i.e. of the peaks at 2·F0 and 3·F0 (openSMILE's `H1`/`H2` index its
//!   0-based array in which F0 is `H0`).
//! - `A_n` is the harmonic with the largest (uninterpolated) magnitude whose
//!   interpolated frequency lies within ±20 % of formant `n`;
//!   `FormantAmplitudeByMaxHarmonicLogRelF0[n]` is its level (0 if there is
//!   none), `H1-A3` = level(harmonic 1) − level(A3) (level(harmonic 1) − 201
//!   if there is no A3), both limited to ±201.
//! - Unvoiced frames (`F0 ≤ 0`): HNR 0, differences 0, formant amplitudes
//!   −201 (`logRelValueFloorUnvoiced`).
//! - Digital silence with `F0 > 0` (openSMILE's volume gate normally zeroes
//!   F0 first): the ACF is 0, so `r[0] − r[T] = 0` gives the 110 dB ceiling;
//!   the F0 bin is 0, every level is −201, so H1−H2 = 0, H1−A3 = −201 and the
//!   formant amplitudes are 0.
//!
//! Frame alignment: inputs and output all belong to LLD frame `k` (60 ms
//! frame starting at sample `k·hop`; F0final of the same frame after the
//! Viterbi smoother and the 0.001 RMS volume gate; formants of the 20 ms
//! frame `k`); the output is `gemapsv01b_harmonics` row `k`.

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner};

use super::config::FRAME60_S;
use super::formants::Formants;
use crate::dsp::parabola::quad_from_3pts;

/// `nHarmonics = 100` (`[gemapsv01b_harmonics]`).
pub const N_HARMONICS: usize = 100;
/// Formants whose amplitude is output: `formantAmplitudesStart = 1`, `formantAmplitudesEnd = 3`.
pub const N_FORMANT_AMPLITUDES: usize = 3;
/// Value of the log-relative outputs in unvoiced frames (`logRelValueFloorUnvoiced`, default −201).
pub const LOG_REL_FLOOR_UNVOICED_DB: f32 = -201.0;

/// One frame of `gemapsv01b_harmonics`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HarmonicsFrame {
    /// `HarmonicsToNoiseRatioACFLogdB` (dB; 0 when unvoiced).
    pub hnr_acf_db: f32,
    /// `HarmonicDifferenceLogRelH1-H2` (dB).
    pub h1_h2_db: f32,
    /// `HarmonicDifferenceLogRelH1-A3` (dB).
    pub h1_a3_db: f32,
    /// `FormantAmplitudeByMaxHarmonicLogRelF0[1..3]` (dB relative to the F0 peak).
    pub formant_amplitude_db: [f32; N_FORMANT_AMPLITUDES],
}

impl Default for HarmonicsFrame {
    /// The unvoiced frame.
    fn default() -> Self {
        Self { hnr_acf_db: 0.0, h1_h2_db: 0.0, h1_a3_db: 0.0, formant_amplitude_db: [LOG_REL_FLOOR_UNVOICED_DB; 3] }
    }
}

/// Invalid harmonics configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HarmonicsError {
    /// The sample rate must be positive.
    #[error("sample rate must be positive")]
    ZeroSampleRate,
    /// `n_fft` must be a power of two ≥ max(frame length, 4).
    #[error("invalid FFT geometry: frame of {frame_len} samples in an FFT of {n_fft}")]
    InvalidFft {
        /// Frame length in samples.
        frame_len: usize,
        /// FFT length.
        n_fft: usize,
    },
}

/// One entry of openSMILE's `sF0Harmonic` (the fields the outputs use).
#[derive(Debug, Clone, Copy, Default)]
struct Harmonic {
    bin: i64,
    freq_interp: f32,
    magnitude: f32,
    magnitude_interp: f32,
    /// Cleared by `postProcessHarmonics` as a duplicate of its predecessor
    /// (its level is then −201 dB).
    duplicate: bool,
}

/// The `cHarmonics` component for the 60 ms frame; buffers and the inverse
/// FFT plan are allocated in [`Harmonics::new`], `process` never allocates.
pub struct Harmonics {
    n_bins: usize,
    /// Bin centre frequencies in Hz as openSMILE's spectral field info
    /// (`cTransformFFT::generateSpectralVectorInfo`): `i / frameSizeSecOut`.
    frq: Vec<f64>,
    /// `1 / Δf`, for the first estimate of a frequency's bin (corrected
    /// against `frq`, so its rounding does not matter).
    inv_df: f64,
    plan: Arc<dyn ComplexToReal<f32>>,
    acf_in: Vec<Complex32>,
    acf_out: Vec<f32>,
    scratch: Vec<Complex32>,
    acf: Vec<f32>,
    harmonics: Vec<Harmonic>,
    /// Compute only the harmonics that can matter ([`Self::harmonics_needed`]);
    /// off in tests to compare with all 100.
    prune: bool,
}

impl std::fmt::Debug for Harmonics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harmonics").field("n_bins", &self.n_bins).finish()
    }
}

impl Harmonics {
    /// Harmonics analysis of the magnitude spectrum of frames of `frame_len`
    /// samples (the 60 ms frame, [`super::config::Framing::frame60`])
    /// zero-padded to `n_fft` at `sample_rate_hz`.
    ///
    /// The bin spacing is openSMILE's `n_fft⁻¹·frame_len / 0.060 s`, which
    /// equals `fs / n_fft` whenever 60 ms is a whole number of samples.
    pub fn new(sample_rate_hz: u32, frame_len: usize, n_fft: usize) -> Result<Self, HarmonicsError> {
        if sample_rate_hz == 0 {
            return Err(HarmonicsError::ZeroSampleRate);
        }
        if frame_len < 2 || n_fft < frame_len || n_fft < 4 || !n_fft.is_power_of_two() {
            return Err(HarmonicsError::InvalidFft { frame_len, n_fft });
        }
        let n_bins = n_fft / 2 + 1;
        let frame_size_out_s =
            if n_fft == frame_len { FRAME60_S } else { FRAME60_S * (n_fft as f64 / frame_len as f64) };
        let df = 1.0 / frame_size_out_s;
        let plan = RealFftPlanner::<f32>::new().plan_fft_inverse(n_fft);
        Ok(Self {
            n_bins,
            frq: (0..n_bins).map(|i| df * i as f64).collect(),
            inv_df: 1.0 / df,
            acf_in: plan.make_input_vec(),
            acf_out: plan.make_output_vec(),
            scratch: plan.make_scratch_vec(),
            plan,
            acf: vec![0.0; n_bins],
            harmonics: vec![Harmonic::default(); N_HARMONICS],
            prune: true,
        })
    }

    /// Number of magnitude bins expected by [`Harmonics::process`] (`n_fft/2 + 1`).
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Computes one frame. `mag60`: unnormalised magnitudes `|X[k]|`,
    /// k = 0…n_fft/2, of the Gaussian-windowed 60 ms frame; `f0_hz`: final F0
    /// in Hz (0 = unvoiced); `formants`: LPC formants of the same frame.
    ///
    /// Non-finite or negative `f0_hz` counts as unvoiced; non-finite
    /// magnitudes or a wrong number of bins give the unvoiced frame. (openSMILE
    /// never receives either: its F0 is 0 or within 55–1000 Hz.)
    pub fn process(&mut self, mag60: &[f32], f0_hz: f32, formants: &Formants, out: &mut HarmonicsFrame) {
        *out = HarmonicsFrame::default();
        debug_assert_eq!(mag60.len(), self.n_bins);
        if mag60.len() != self.n_bins || !super::f0::all_finite(mag60) {
            return;
        }
        let f0 = if f0_hz.is_finite() && f0_hz > 0.0 { f0_hz } else { 0.0 };

        // ACF HNR (cHarmonics::processVector, computeAcf, getClosestPeak).
        // openSMILE computes the ACF for every frame; it is only read when
        // F0 gives a lag (acf_bin > 0), otherwise HNR is 0 without it.
        let acf_bin = self.freq_to_acf_bin(f0);
        out.hnr_acf_db = if acf_bin > 0 {
            self.compute_acf(mag60);
            acf_hnr_db(&self.acf, self.closest_acf_peak(acf_bin))
        } else {
            0.0
        };

        if f0 <= 0.0 {
            return;
        }
        let n_used = self.harmonics_needed(f0, formants);
        self.find_harmonic_peaks(f0, mag60, n_used);
        let harmonics = &mut self.harmonics[..n_used];
        clear_duplicates(harmonics);

        // getFormantAmplitudeIndices for formants 1..3 (only those are output).
        let mut fa_idx = [-1i64; N_FORMANT_AMPLITUDES];
        for (idx, &f) in fa_idx.iter_mut().zip(&formants.freq_hz) {
            let f_left = 0.8f32 * f;
            let f_right = 1.2f32 * f;
            let mut max_mag = 0.0f32;
            for (h, harm) in harmonics.iter().enumerate() {
                if harm.freq_interp >= f_left && harm.freq_interp <= f_right && harm.magnitude > max_mag {
                    *idx = h as i64;
                    max_mag = harm.magnitude;
                }
            }
        }
        // postProcessHarmonics(…, logRelMagnitude = true), for the few
        // harmonics whose level is output.
        let mag_f0 = harmonics[0].magnitude;
        let log_f0 = if mag_f0 != 0.0 { mag_f0.log10() } else { 0.0 };
        let level = |i: i64| {
            let h = &harmonics[i as usize];
            if i == 0 {
                0.0
            } else if mag_f0 == 0.0 || h.duplicate {
                -201.0
            } else if h.magnitude_interp > 0.0 {
                let tmp = h.magnitude_interp.log10() as f64;
                ((20.0 * (tmp - log_f0 as f64)) as f32).max(-200.0)
            } else {
                -200.0
            }
        };
        out.h1_h2_db = (level(1) - level(2)).clamp(-201.0, 201.0);
        out.h1_a3_db = if fa_idx[2] >= 0 {
            (level(1) - level(fa_idx[2])).clamp(-201.0, 201.0)
        } else {
            (level(1) - 201.0f32).clamp(-201.0, 201.0)
        };
        for (o, &idx) in out.formant_amplitude_db.iter_mut().zip(&fa_idx) {
            *o = if idx >= 0 { level(idx) } else { 0.0 };
        }
    }

    /// How many of the `nHarmonics = 100` harmonics can influence the
    /// outputs: H1 and H2 (indices 1, 2) and the harmonics whose
    /// interpolated frequency can fall within +20 % of formants 1–3 (the
    /// A1–A3 search). openSMILE computes all 100 and discards the rest.
    ///
    /// Harmonic `i` is a peak at or above bin `lower = freqToBin((i + ½)·F0)`,
    /// the bin nearest to `(i + ½)·F0` (so at least `(i + ½)·F0 − Δf/2`), or
    /// an empty entry at frequency 0; the parabola through a strict maximum
    /// puts the interpolated frequency within half a bin of it. So harmonic
    /// `i` can only reach the searched bands if `(i + ½)·F0 − Δf ≤ 1.2·F_max`;
    /// later harmonics are left out (with a further bin of margin). The
    /// search windows rely on `freqToBin` starting below them, which holds
    /// when harmonics are more than a few bins apart; for F0 below 4 bins
    /// (43 Hz at 22 050 Hz; the F0 chain never gives less than 55 Hz) all
    /// 100 are computed as in openSMILE. Neither the peak search of a
    /// harmonic nor the duplicate check reads later harmonics.
    fn harmonics_needed(&self, f0: f32, formants: &Formants) -> usize {
        let df = self.frq[1];
        let f0 = f0 as f64;
        if !(f0 >= 4.0 * df) || !self.prune {
            return N_HARMONICS;
        }
        let f_max = formants.freq_hz[..N_FORMANT_AMPLITUDES].iter().fold(0.0f32, |m, &f| m.max(f));
        let reach = 1.2 * f_max as f64 + 2.0 * df;
        // The first i with (i + ½)·F0 > reach.
        let first_beyond = (reach / f0 - 0.5).floor().max(0.0) as usize + 1;
        first_beyond.clamp(3, N_HARMONICS)
    }

    /// `computeAcf(…, squareInput = 1)`: Ooura's inverse rdft of the power
    /// spectrum equals half of realfft's complex-to-real transform.
    fn compute_acf(&mut self, mag: &[f32]) {
        for (c, &m) in self.acf_in.iter_mut().zip(mag) {
            *c = Complex32::new(m * m, 0.0);
        }
        // Lengths match the plan and the DC/Nyquist imaginary parts are zero,
        // so this cannot fail.
        let _ = self.plan.process_with_scratch(&mut self.acf_in, &mut self.acf_out, &mut self.scratch);
        let norm = self.n_bins as f32;
        for (a, &x) in self.acf.iter_mut().zip(&self.acf_out) {
            *a = (0.5 * x).abs() / norm;
        }
    }

    /// `freqToAcfBinLin`: `⌊2·f_max / F0⌋`, clamped to the ACF length
    /// (openSMILE would read past its buffer for F0 below ≈ 21.5 Hz).
    fn freq_to_acf_bin(&self, f0: f32) -> usize {
        if f0 > 0.0 {
            let fs = self.frq[self.n_bins - 1] * 2.0;
            (fs / f0 as f64).floor().min((self.n_bins - 1) as f64) as usize
        } else {
            0
        }
    }

    /// `getClosestPeak` on the ACF.
    fn closest_acf_peak(&self, idx: usize) -> usize {
        let x = &self.acf;
        let n = x.len() as i64;
        let idx = idx as i64;
        if is_peak(x, idx) {
            return idx as usize;
        }
        let mut o = 1;
        while idx - o > 0 || idx + o < n - 1 {
            if idx - o > 0 && is_peak(x, idx - o) {
                return (idx - o) as usize;
            }
            if idx + o < n - 1 && is_peak(x, idx + o) {
                return (idx + o) as usize;
            }
            o += 1;
        }
        let (first, last, at) = (x[0], x[(n - 1) as usize], x[idx as usize]);
        if first > at && last <= at {
            0
        } else if first <= at && last > at {
            (n - 1) as usize
        } else if first > at && last > at {
            if idx < n / 2 {
                0
            } else {
                (n - 1) as usize
            }
        } else {
            idx as usize
        }
    }

    /// `freqToBin`: the bin nearest to `freq`, searching upwards from
    /// `start`; 0 if `freq` is at or above the last bin.
    ///
    /// openSMILE scans linearly from `start` for the first bin above `freq`;
    /// above Nyquist that scan runs to the end and returns 0, so the next
    /// harmonic scans from 0 again (O(n_bins) per harmonic, 100 harmonics per
    /// frame). The bin axis is increasing, so the same first bin `b ≥ start`
    /// with `frq[b] > freq` is `max(start, first bin above freq)`, and the
    /// latter is found from `freq / Δf` and corrected against the stored
    /// axis (O(1)); the choice between `b − 1` and `b` is openSMILE's.
    fn freq_to_bin(&self, freq: f32, start: i64) -> i64 {
        let freq = freq as f64;
        let b = (start.max(0) as usize).max(self.first_bin_above(freq));
        // `!(>)` also covers a NaN `freq`, which the linear scan never matches.
        if b >= self.n_bins || !(self.frq[b] > freq) {
            return 0;
        }
        if b == 0 {
            return 0;
        }
        let fb = self.frq[b];
        let b = b as i64;
        if fb - freq > freq - self.frq[b as usize - 1] {
            b - 1
        } else {
            b
        }
    }

    /// The first bin whose frequency exceeds `freq` (`n_bins` if none; any
    /// value for NaN, which [`Self::freq_to_bin`] rejects).
    fn first_bin_above(&self, freq: f64) -> usize {
        let n = self.n_bins;
        // Estimate from the bin spacing (the saturating cast maps NaN and
        // negatives to 0, ∞ to usize::MAX), then step to the exact boundary of
        // the stored axis, so rounding in the estimate cannot matter.
        let mut b = ((freq * self.inv_df) as usize).saturating_add(1).min(n);
        while b > 0 && self.frq[b - 1] > freq {
            b -= 1;
        }
        while b < n && self.frq[b] <= freq {
            b += 1;
        }
        b
    }

    /// `findHarmonicPeaks` (the branch with a frequency axis, which
    /// openSMILE takes because the FFT level carries bin frequencies).
    /// Fills the first `n` entries of `self.harmonics`.
    fn find_harmonic_peaks(&mut self, f0: f32, mag: &[f32], n: usize) {
        let n_bins = self.n_bins as i64;
        let mut last_bin = self.freq_to_bin(0.5f32 * f0, 1);
        let first_bin = self.freq_to_bin(0.5f32 * f0, last_bin);
        for i in 0..n {
            let freq = (i + 1) as f32 * f0;
            if freq as f64 >= self.frq[self.n_bins - 1] {
                // No bin lies above this or any later harmonic: freqToBin
                // gives 0 for each, bin 0 is never an accepted peak and the
                // search window [lower, upper] collapses, so openSMILE
                // stores an empty harmonic at bin 0 for all of them.
                self.harmonics[i..n].fill(Harmonic::default());
                break;
            }
            let cand = self.freq_to_bin(freq, last_bin);
            let mut peak = -1i64;
            if is_peak(mag, cand) {
                peak = cand;
            } else {
                let mut left = cand - 1;
                let mut right = cand + 1;
                let lower = self.freq_to_bin((i as f32 + 0.5f32) * f0, last_bin);
                let upper = self.freq_to_bin((i as f32 + 1.5f32) * f0, cand);
                while (left >= lower || right <= upper) && peak == -1 {
                    if right <= upper {
                        if is_peak(mag, right) {
                            peak = right;
                            break;
                        }
                        right += 1;
                    }
                    if left >= lower {
                        if is_peak(mag, left) {
                            peak = left;
                            break;
                        }
                        left -= 1;
                    }
                }
            }
            // `peak ≥ 1` guards the parabola's left neighbour; openSMILE
            // relies on firstBin ≥ 1, which holds for F0 > 1.5 bins.
            let h = if peak >= first_bin && peak >= 1 && peak < n_bins - 1 {
                let p = peak as usize;
                let (x, y, _) = quad_from_3pts(
                    self.frq[p - 1],
                    mag[p - 1] as f64,
                    self.frq[p],
                    mag[p] as f64,
                    self.frq[p + 1],
                    mag[p + 1] as f64,
                );
                Harmonic {
                    bin: peak,
                    freq_interp: x as f32,
                    magnitude: mag[p],
                    magnitude_interp: y as f32,
                    duplicate: false,
                }
            } else {
                Harmonic { bin: cand, ..Harmonic::default() }
            };
            self.harmonics[i] = h;
            last_bin = cand;
        }
    }
}

/// The duplicate rule of `postProcessHarmonics`: an entry at the same bin
/// as its predecessor (possibly itself already cleared, bin 0) is cleared.
fn clear_duplicates(h: &mut [Harmonic]) {
    for i in 1..h.len() {
        if h[i].bin == h[i - 1].bin {
            h[i] = Harmonic { bin: 0, duplicate: true, ..Harmonic::default() };
        }
    }
}

/// `cHarmonics::isPeak`: strict local maximum; the ends compare with their
/// single neighbour; out of range is no peak.
fn is_peak(x: &[f32], n: i64) -> bool {
    let len = x.len() as i64;
    if n < 0 || n >= len {
        return false;
    }
    let n = n as usize;
    if (n as i64) + 1 < len {
        if n > 0 {
            x[n] > x[n - 1] && x[n] > x[n + 1]
        } else {
            x[0] > x[1]
        }
    } else {
        n > 0 && x[n] > x[n - 1]
    }
}

/// `computeAcfHnr_dB`.
fn acf_hnr_db(a: &[f32], bin: usize) -> f32 {
    if bin == 0 {
        return 0.0;
    }
    let d = a[0] as f64 - a[bin] as f64;
    let hnr = if d == 0.0 { 10e10 } else { a[bin] as f64 / d };
    let db = if hnr > 10e10 {
        10.0 * 10e10f64.log10()
    } else if hnr < 10e-10 {
        10.0 * 10e-10f64.log10()
    } else {
        10.0 * hnr.log10()
    };
    db as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::spectrum::Spectrum;
    use crate::dsp::window;
    use crate::features::egemaps::config::Framing;

    fn setup(sr: u32) -> (Harmonics, Spectrum) {
        let fr = Framing::at(sr);
        let spec = Spectrum::new(window::gauss(fr.frame60, 0.4));
        (Harmonics::new(sr, fr.frame60, spec.n_fft()).unwrap(), spec)
    }

    fn harmonic_tone(sr: u32, f0: f64, n: usize, amps: impl Fn(usize) -> f64) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = i as f64 / sr as f64;
                (1..=20)
                    .filter(|&h| h as f64 * f0 < sr as f64 / 2.0)
                    .map(|h| amps(h) * (2.0 * std::f64::consts::PI * h as f64 * f0 * t).sin())
                    .sum::<f64>() as f32
                    * 0.1
            })
            .collect()
    }

    #[test]
    fn freq_to_bin_matches_opensmiles_linear_scan() {
        // openSMILE's freqToBin, verbatim in structure.
        fn scan(frq: &[f64], freq: f32, start: i64) -> i64 {
            let freq = freq as f64;
            let mut b = start.max(0);
            while (b as usize) < frq.len() {
                let fb = frq[b as usize];
                if fb > freq {
                    if b == 0 {
                        return 0;
                    }
                    return if fb - freq > freq - frq[b as usize - 1] { b - 1 } else { b };
                }
                b += 1;
            }
            0
        }
        let (h, _) = setup(22_050);
        let df = h.frq[1];
        let mut freqs = vec![-1.0f32, 0.0, 1e-3, f32::INFINITY, f32::NAN, 11_025.0, 11_100.0];
        // Bin centres, midpoints between bins and points just off them.
        for i in 0..h.n_bins {
            let c = (i as f64 * df) as f32;
            let m = ((i as f64 + 0.5) * df) as f32;
            freqs.extend([c, m, c.next_up(), c.next_down(), m.next_up(), m.next_down()]);
        }
        for &f in &freqs {
            for start in [-3i64, 0, 1, 2, 17, 500, 1023, 1024, 1025, 2000] {
                assert_eq!(h.freq_to_bin(f, start), scan(&h.frq, f, start), "freq {f}, start {start}");
            }
        }
    }

    #[test]
    fn pruned_harmonics_give_the_outputs_of_all_100() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for sr in [8_000u32, 22_050, 48_000] {
            let (mut pruned, mut spec) = setup(sr);
            let (mut full, _) = setup(sr);
            full.prune = false;
            let n = spec.frame_len();
            for trial in 0..300 {
                let f0 = rng.random_range(30.0..1000.0f64);
                let x: Vec<f32> = if trial % 3 == 0 {
                    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
                } else {
                    let amps: Vec<f64> = (0..21).map(|_| rng.random_range(0.0..1.0)).collect();
                    let tone = harmonic_tone(sr, f0, n, |h| amps[h]);
                    tone.iter().map(|&v| v + 0.01 * rng.random_range(-1.0..1.0f32)).collect()
                };
                spec.process(&x);
                // 0–5 formants, ascending, zeros after the last one.
                let mut f = [0.0f32; 5];
                let count = rng.random_range(0..=5);
                for v in f.iter_mut().take(count) {
                    *v = rng.random_range(50.0..5450.0);
                }
                f[..count].sort_by(f32::total_cmp);
                let formants = Formants { freq_hz: f, count: 3, ..Default::default() };
                let f0_in = if trial % 5 == 0 { f0 as f32 } else { (f0 * rng.random_range(0.97..1.03)) as f32 };
                let (mut a, mut b) = (HarmonicsFrame::default(), HarmonicsFrame::default());
                pruned.process(spec.magnitudes(), f0_in, &formants, &mut a);
                full.process(spec.magnitudes(), f0_in, &formants, &mut b);
                assert_eq!(a, b, "sr {sr}, trial {trial}, f0 {f0_in}, formants {f:?}");
            }
        }
    }

    #[test]
    fn harmonic_levels_follow_the_spectrum() {
        // Harmonic h has amplitude 1/h. F0 sits exactly on bin 19 so that the
        // uninterpolated F0 magnitude (openSMILE's reference) is the peak.
        let sr = 22_050;
        let (mut h, mut spec) = setup(sr);
        let f0 = 19.0 * sr as f64 / 2048.0; // 204.57 Hz
        spec.process(&harmonic_tone(sr, f0, spec.frame_len(), |k| 1.0 / k as f64));
        let formants = Formants { freq_hz: [600.0, 1400.0, 2600.0, 3500.0, 4500.0], count: 5, ..Default::default() };
        let mut out = HarmonicsFrame::default();
        h.process(spec.magnitudes(), f0 as f32, &formants, &mut out);
        // level(2F0) − level(3F0) = 20·log10(3/2). 0.2 dB: leakage between
        // harmonics 19 bins apart under the Gaussian window and the parabolic
        // peak fit.
        let db = |a: f64| (20.0 * a.log10()) as f32;
        assert!((out.h1_h2_db - db(1.5)).abs() < 0.2, "{out:?}");
        // A1 = 3F0 (614 Hz, within ±20 % of 600); A2 = 6F0 (1227 Hz, the
        // strongest of 6–8 F0 within ±20 % of 1400); A3 = 11F0 (2250 Hz).
        let want = [db(1.0 / 3.0), db(1.0 / 6.0), db(1.0 / 11.0)];
        for (g, w) in out.formant_amplitude_db.iter().zip(want) {
            assert!((g - w).abs() < 0.2, "{out:?}");
        }
        assert!((out.h1_a3_db - (db(0.5) - want[2])).abs() < 0.2, "{out:?}");
        // openSMILE does not divide the ACF by the window's own ACF, so for a
        // clean tone r[T]/r[0] is the Gaussian window's normalised ACF ρ at
        // the period T ≈ 108 samples and HNR = 10·log10(ρ/(1−ρ)) ≈ 13.5 dB.
        // 0.5 dB: T is not a whole number of samples.
        let w = window::gauss(spec.frame_len(), 0.4);
        let lag = (sr as f64 / f0).round() as usize;
        let r0: f64 = w.iter().map(|&v| (v * v) as f64).sum();
        let rt: f64 = w.iter().zip(&w[lag..]).map(|(&a, &b)| (a * b) as f64).sum();
        let rho = rt / r0;
        let want_hnr = (10.0 * (rho / (1.0 - rho)).log10()) as f32;
        assert!((out.hnr_acf_db - want_hnr).abs() < 0.5, "{out:?} vs {want_hnr}");
    }

    #[test]
    fn unvoiced_and_invalid_inputs_give_the_unvoiced_frame() {
        let (mut h, mut spec) = setup(22_050);
        let f = Formants::default();
        let mut out = HarmonicsFrame { hnr_acf_db: 5.0, ..Default::default() };
        spec.process(&harmonic_tone(22_050, 150.0, spec.frame_len(), |_| 1.0));
        for f0 in [0.0, -3.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            h.process(spec.magnitudes(), f0, &f, &mut out);
            assert_eq!(out, HarmonicsFrame::default(), "f0 {f0}");
        }
        let mut mag = spec.magnitudes().to_vec();
        mag[10] = f32::NAN;
        h.process(&mag, 150.0, &f, &mut out);
        assert_eq!(out, HarmonicsFrame::default());
    }

    #[test]
    fn silence_noise_and_extreme_f0_are_finite() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for sr in [8_000u32, 22_050, 48_000] {
            let (mut h, mut spec) = setup(sr);
            let n = spec.frame_len();
            let formants = Formants { freq_hz: [500.0, 1500.0, 2500.0, 0.0, 0.0], count: 3, ..Default::default() };
            let signals: [Vec<f32>; 2] = [vec![0.0; n], (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()];
            for x in &signals {
                spec.process(x);
                for f0 in [1e-6f32, 1.0, 20.0, 55.0, 1000.0, 3000.0, 0.45 * sr as f32, 1e9] {
                    let mut out = HarmonicsFrame::default();
                    h.process(spec.magnitudes(), f0, &formants, &mut out);
                    assert!(out.hnr_acf_db.is_finite() && (-90.0..=110.0).contains(&out.hnr_acf_db), "{out:?}");
                    assert!(out.h1_h2_db.is_finite() && out.h1_h2_db.abs() <= 201.0);
                    assert!(out.h1_a3_db.is_finite() && out.h1_a3_db.abs() <= 201.0);
                    assert!(out.formant_amplitude_db.iter().all(|v| v.is_finite() && v.abs() <= 201.0));
                }
            }
        }
    }

    #[test]
    fn silence_has_zero_hnr_and_floored_levels() {
        // openSMILE on digital silence with F0 > 0: ACF is all zero, the
        // closest-peak search returns the lag itself, r[0] − r[T] = 0 gives
        // the 110 dB ceiling; the F0 bin magnitude is 0, so every level is
        // −201 and no harmonic qualifies as a formant amplitude.
        let (mut h, spec) = setup(22_050);
        let mag = vec![0.0f32; spec.n_fft() / 2 + 1];
        let formants = Formants { freq_hz: [500.0, 1500.0, 2500.0, 0.0, 0.0], count: 3, ..Default::default() };
        let mut out = HarmonicsFrame::default();
        h.process(&mag, 120.0, &formants, &mut out);
        assert_eq!(out.hnr_acf_db, 110.0);
        assert_eq!(out.h1_h2_db, 0.0);
        assert_eq!(out.h1_a3_db, -201.0);
        assert_eq!(out.formant_amplitude_db, [0.0; 3]);
    }
}
