//! Spectral peaks of the 60 ms Gaussian spectrum (`FrameView::spec60`, 2048-point
//! FFT at 22 050 Hz, 10.77 Hz bins), shared by the chromagram, roughness and
//! irregularity so each frame is peak-picked once.
//!
//! Follows the role of MIRToolbox's `mirpeaks` on a `mirspectrum` (the peak
//! list `mirroughness`, `mirregularity` and the peak-based chroma read), with
//! our own rules, chosen for the Gaussian (σ = 0.4) window of the front end:
//! - a peak is a strict local maximum of `|X[k]|` between `MIN_PEAK_HZ` and
//!   `MAX_PEAK_HZ` that lies within `PEAK_RANGE_DB` of the frame's largest
//!   magnitude up to `MAX_PEAK_HZ` (DC included). The window's side lobes are at −43 dB, so a 40 dB
//!   range keeps them out; its main lobe is ±5 bins (±53 Hz) wide, so two
//!   partials closer than about 50 Hz merge into one peak;
//! - frequency and amplitude are refined by a parabola through the log
//!   magnitudes of the peak bin and its neighbours (exact for an untruncated
//!   Gaussian window);
//! - amplitudes are in full-scale sine units: `|X|·2/Σw`, so a full-scale sine
//!   gives 1;
//! - only the `MAX_PEAKS` largest are kept, then sorted by frequency;
//! - frames whose largest amplitude up to `MAX_PEAK_HZ` is below
//!   `SILENCE_AMP` (−100 dBFS) have no peaks.

use super::approx::fast_ln;

/// Most peaks kept per frame (bounds the O(P²) roughness sum).
pub(crate) const MAX_PEAKS: usize = 40;
/// Dynamic range below the frame's largest peak in which peaks are kept, in dB.
pub(crate) const PEAK_RANGE_DB: f32 = 40.0;
/// Lowest peak frequency considered, Hz.
pub(crate) const MIN_PEAK_HZ: f64 = 30.0;
/// Highest peak frequency considered, Hz (clamped to just below Nyquist):
/// the chromagram's upper limit; the 40 strongest partials of music lie
/// below it, and it halves the scan.
pub(crate) const MAX_PEAK_HZ: f64 = 5_000.0;
/// Largest amplitude (full-scale sine units) below which a frame is silent.
pub(crate) const SILENCE_AMP: f32 = 1e-5;

/// Peak picker with its candidate buffer; `detect` never allocates.
#[derive(Debug, Clone)]
pub(crate) struct SpectralPeaks {
    bin_hz: f32,
    /// `2/Σw`: magnitude → full-scale sine amplitude.
    amp_scale: f32,
    k_min: usize,
    k_max: usize,
    /// (magnitude, bin) of every local maximum of the current frame.
    cand: Vec<(f32, f32)>,
    freq_hz: [f32; MAX_PEAKS],
    amp: [f32; MAX_PEAKS],
    n: usize,
}

impl SpectralPeaks {
    /// A picker for magnitude spectra of `n_fft` points at `sample_rate_hz`
    /// whose window sums to `window_sum`.
    pub(crate) fn new(sample_rate_hz: u32, n_fft: usize, window_sum: f64) -> Self {
        let n_bins = n_fft / 2 + 1;
        let bin_hz = sample_rate_hz as f64 / n_fft as f64;
        let k_min = ((MIN_PEAK_HZ / bin_hz).ceil() as usize).max(1);
        let k_max = ((MAX_PEAK_HZ / bin_hz).floor() as usize).min(n_bins.saturating_sub(2)).max(k_min);
        Self {
            bin_hz: bin_hz as f32,
            amp_scale: (2.0 / window_sum.max(1e-12)) as f32,
            k_min,
            k_max,
            cand: Vec::with_capacity(n_bins / 2 + 2),
            freq_hz: [0.0; MAX_PEAKS],
            amp: [0.0; MAX_PEAKS],
            n: 0,
        }
    }

    /// Peak frequencies (Hz) of the last frame, ascending.
    pub(crate) fn freqs(&self) -> &[f32] {
        &self.freq_hz[..self.n]
    }

    /// Peak amplitudes (full-scale sine units) matching [`Self::freqs`].
    pub(crate) fn amps(&self) -> &[f32] {
        &self.amp[..self.n]
    }

    /// Forgets the last frame's peaks (for frames without a 60 ms spectrum).
    pub(crate) fn clear(&mut self) {
        self.n = 0;
    }

    /// Picks the peaks of one magnitude spectrum `mag` (`n_fft/2 + 1` bins).
    pub(crate) fn detect(&mut self, mag: &[f32]) {
        self.n = 0;
        self.cand.clear();
        let k_max = self.k_max.min(mag.len().saturating_sub(2));
        if k_max <= self.k_min {
            return;
        }
        // The range is measured from the largest bin up to `MAX_PEAK_HZ`,
        // those below the band included, so the side lobes of a DC offset or
        // rumble stay out. `>` skips NaN, so a damaged bin cannot poison it.
        let mut all_max = 0.0f32;
        for &x in &mag[..=k_max] {
            if x > all_max {
                all_max = x;
            }
        }
        let loud = all_max * self.amp_scale >= SILENCE_AMP;
        if !loud || !all_max.is_finite() {
            return;
        }
        let threshold = all_max * 10f32.powf(-PEAK_RANGE_DB / 20.0);
        // Candidates are (bin magnitude, bin); only the kept ones are refined.
        for (i, w) in mag[self.k_min - 1..=k_max + 1].windows(3).enumerate() {
            let (a, b, c) = (w[0], w[1], w[2]);
            if b > a && b >= c && b >= threshold {
                self.cand.push((b, (self.k_min + i) as f32));
            }
        }
        if self.cand.len() > MAX_PEAKS {
            self.cand.select_nth_unstable_by(MAX_PEAKS - 1, |x, y| y.0.total_cmp(&x.0));
            self.cand.truncate(MAX_PEAKS);
        }
        self.cand.sort_unstable_by(|x, y| x.1.total_cmp(&y.1));
        let mut n = 0;
        for &(_, kf) in &self.cand {
            let k = kf as usize;
            let (a, b, c) = (mag[k - 1], mag[k], mag[k + 1]);
            // Parabola through the log magnitudes; `TINY` keeps zero bins finite.
            const TINY: f32 = 1e-30;
            let (la, lb, lc) = (fast_ln(a + TINY), fast_ln(b + TINY), fast_ln(c + TINY));
            let denom = la - 2.0 * lb + lc;
            let delta = if denom < 0.0 { (0.5 * (la - lc) / denom).clamp(-0.5, 0.5) } else { 0.0 };
            let peak_amp = (lb - 0.25 * (la - lc) * delta).exp() * self.amp_scale;
            let freq = (kf + delta) * self.bin_hz;
            if peak_amp.is_finite() && freq.is_finite() {
                self.amp[n] = peak_amp;
                self.freq_hz[n] = freq;
                n += 1;
            }
        }
        self.n = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::spectrum::Spectrum;
    use crate::dsp::window;

    fn gauss_spectrum(signal: &[f32]) -> (Spectrum, f64) {
        let w = window::gauss(1323, 0.4);
        let sum: f64 = w.iter().map(|&x| x as f64).sum();
        let mut s = Spectrum::new(w);
        s.process(signal);
        (s, sum)
    }

    #[test]
    fn two_partials_give_two_peaks_with_interpolated_frequency_and_amplitude() {
        let sr = 22_050.0f64;
        let x: Vec<f32> = (0..1323)
            .map(|i| {
                let t = i as f64 / sr;
                (0.5 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                    + 0.1 * (2.0 * std::f64::consts::PI * 1234.5 * t).sin()) as f32
            })
            .collect();
        let (s, sum) = gauss_spectrum(&x);
        let mut p = SpectralPeaks::new(22_050, 2048, sum);
        p.detect(s.magnitudes());
        assert_eq!(p.freqs().len(), 2, "{:?}", p.freqs());
        // Tolerances: a 0.5 Hz / 2 % error is far below the 10.77 Hz bin and
        // the precision any descriptor needs.
        assert!((p.freqs()[0] - 440.0).abs() < 0.5, "{:?}", p.freqs());
        assert!((p.freqs()[1] - 1234.5).abs() < 0.5, "{:?}", p.freqs());
        assert!((p.amps()[0] - 0.5).abs() < 0.01, "{:?}", p.amps());
        assert!((p.amps()[1] - 0.1).abs() < 0.002, "{:?}", p.amps());
    }

    #[test]
    fn silence_and_nan_give_no_peaks() {
        let mut p = SpectralPeaks::new(22_050, 2048, 654.6);
        p.detect(&[0.0; 1025]);
        assert!(p.freqs().is_empty());
        p.detect(&[f32::NAN; 1025]);
        assert!(p.freqs().is_empty());
    }
}
