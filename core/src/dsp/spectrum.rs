//! Windowed real FFT with openSMILE's framing conventions.
//!
//! openSMILE's `cTransformFFT` zero-pads each frame to the next power of two,
//! centring it (`zeroPadSymmetric = 1`, the default since 2.3), and
//! `cFFTmagphase` takes the unnormalised magnitude `|X[k]|`, k = 0…n_fft/2.
//! Both work in single precision (`FLOAT_TYPE_FFT = float`).

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};

/// One FFT plan with its window and buffers; `process` never allocates.
pub struct Spectrum {
    frame_len: usize,
    n_fft: usize,
    pad_left: usize,
    window: Vec<f32>,
    plan: Arc<dyn RealToComplex<f32>>,
    windowed: Vec<f32>,
    input: Vec<f32>,
    scratch: Vec<Complex32>,
    bins: Vec<Complex32>,
    mag: Vec<f32>,
}

impl std::fmt::Debug for Spectrum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spectrum").field("frame_len", &self.frame_len).field("n_fft", &self.n_fft).finish()
    }
}

impl Spectrum {
    /// A spectrum of frames of `window.len()` samples, zero-padded
    /// symmetrically to the next power of two.
    pub fn new(window: Vec<f32>) -> Self {
        let frame_len = window.len();
        let n_fft = frame_len.next_power_of_two().max(2);
        let plan = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
        let scratch = plan.make_scratch_vec();
        let bins = plan.make_output_vec();
        Self {
            frame_len,
            n_fft,
            pad_left: (n_fft - frame_len) / 2,
            window,
            windowed: vec![0.0; frame_len],
            input: vec![0.0; n_fft],
            scratch,
            mag: vec![0.0; bins.len()],
            bins,
            plan,
        }
    }

    /// Frame length in samples (before padding).
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// FFT length (a power of two ≥ frame length).
    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Zero samples placed before the frame inside the FFT buffer.
    pub fn pad_left(&self) -> usize {
        self.pad_left
    }

    /// Frequency spacing of the bins in Hz.
    pub fn bin_hz(&self, sample_rate_hz: f64) -> f64 {
        sample_rate_hz / self.n_fft as f64
    }

    /// Windows `frame` (exactly `frame_len` samples) and transforms it.
    pub fn process(&mut self, frame: &[f32]) {
        debug_assert_eq!(frame.len(), self.frame_len);
        for ((w, &x), &g) in self.windowed.iter_mut().zip(frame).zip(&self.window) {
            *w = x * g;
        }
        self.input.iter_mut().for_each(|x| *x = 0.0);
        self.input[self.pad_left..self.pad_left + self.frame_len].copy_from_slice(&self.windowed);
        // Lengths are fixed at construction, so this cannot fail.
        let _ = self.plan.process_with_scratch(&mut self.input, &mut self.bins, &mut self.scratch);
        for (m, b) in self.mag.iter_mut().zip(&self.bins) {
            // sqrt(re² + im²) rather than `norm()` (hypotf): 3× cheaper, and the
            // spectra are far from overflow (|x| ≤ 1 over ≤ 2048 samples).
            *m = (b.re * b.re + b.im * b.im).sqrt();
        }
    }

    /// The windowed frame of the last `process` call (unpadded).
    pub fn windowed(&self) -> &[f32] {
        &self.windowed
    }

    /// Complex bins 0…n_fft/2 of the last frame (standard sign convention,
    /// `X[k] = Σ x[n]·e^{−2πikn/N}`, over the padded buffer).
    pub fn bins(&self) -> &[Complex32] {
        &self.bins
    }

    /// Magnitudes `|X[k]|`, k = 0…n_fft/2, unnormalised (openSMILE `fftMag`).
    pub fn magnitudes(&self) -> &[f32] {
        &self.mag
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::window;

    #[test]
    fn sine_peaks_at_its_bin_with_opensmile_scale() {
        let sr = 22_050.0;
        let n = 441;
        let mut s = Spectrum::new(vec![1.0; n]);
        assert_eq!(s.n_fft(), 512);
        assert_eq!(s.pad_left(), 35);
        let k0 = 40.0;
        let f = k0 * sr / 512.0;
        let frame: Vec<f32> = (0..n).map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / sr).sin() as f32).collect();
        s.process(&frame);
        let (kmax, &mmax) = s.magnitudes().iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
        assert_eq!(kmax, 40);
        // Unnormalised: a unit sine over n samples peaks near n/2.
        assert!((mmax - n as f32 / 2.0).abs() < 5.0, "{mmax}");
    }

    #[test]
    fn magnitude_ignores_padding_position() {
        let n = 1323;
        let frame: Vec<f32> = (0..n).map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5).collect();
        let mut s = Spectrum::new(window::gauss(n, 0.4));
        s.process(&frame);
        // Same windowed frame, padded at the end instead: magnitudes agree.
        let mut planner = RealFftPlanner::<f32>::new();
        let plan = planner.plan_fft_forward(2048);
        let mut buf = vec![0.0f32; 2048];
        buf[..n].copy_from_slice(s.windowed());
        let mut out = plan.make_output_vec();
        plan.process(&mut buf, &mut out).unwrap();
        for (a, b) in out.iter().zip(s.magnitudes()) {
            assert!((a.norm() - b).abs() <= 1e-3 * (1.0 + b.abs()));
        }
    }
}
