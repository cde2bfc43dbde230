//! A small private mel filterbank + cepstrum for the novelty and onset-rate descriptors.
//!
//! Temporary: eGeMAPS has its own openSMILE-exact mel spectrum and MFCC
//! (`egemaps` `melspec`/`mfcc`); once both have landed the two should share
//! one implementation. This one needs no openSMILE parity: HTK mel scale
//! `2595·log10(1 + f/700)`, `N_MEL` triangular bands of unit peak between
//! 0 Hz and `MAX_MEL_HZ` on the power spectrum, natural log with a −100 dB
//! floor, DCT-II, coefficients 1…`N_CEPS` (c0, the level, is dropped so the
//! self-similarity reflects timbre rather than loudness).

/// Mel bands.
pub(crate) const N_MEL: usize = 26;
/// Cepstral coefficients kept (c1…c12).
pub(crate) const N_CEPS: usize = 12;
/// Upper edge of the filterbank, Hz (clamped to Nyquist).
pub(crate) const MAX_MEL_HZ: f64 = 8000.0;
/// Power floor (full-scale sine units squared): −100 dB.
const POWER_FLOOR: f32 = 1e-10;

fn hz_to_mel(f: f64) -> f64 {
    2595.0 * (1.0 + f / 700.0).log10()
}

fn mel_to_hz(m: f64) -> f64 {
    700.0 * (10f64.powf(m / 2595.0) - 1.0)
}

/// Triangular mel filterbank over a magnitude spectrum, plus the DCT.
#[derive(Debug, Clone)]
pub(crate) struct MelCepstrum {
    /// First bin of each band.
    start: [usize; N_MEL],
    /// Offset of each band's weights in `weights`.
    offset: [usize; N_MEL + 1],
    weights: Vec<f32>,
    /// `(2/Σw)²`: |X|² → full-scale sine power.
    power_scale: f32,
    dct: Vec<f32>,
}

impl MelCepstrum {
    /// For spectra of `n_fft` points at `sample_rate_hz` whose window sums to `window_sum`.
    pub(crate) fn new(sample_rate_hz: u32, n_fft: usize, window_sum: f64) -> Self {
        let sr = sample_rate_hz as f64;
        let n_bins = n_fft / 2 + 1;
        let bin_hz = sr / n_fft as f64;
        let top = MAX_MEL_HZ.min(sr / 2.0);
        let m_top = hz_to_mel(top);
        let edges: Vec<f64> = (0..N_MEL + 2).map(|i| mel_to_hz(m_top * i as f64 / (N_MEL + 1) as f64)).collect();
        let mut start = [0usize; N_MEL];
        let mut offset = [0usize; N_MEL + 1];
        let mut weights = Vec::new();
        for b in 0..N_MEL {
            let (lo, mid, hi) = (edges[b], edges[b + 1], edges[b + 2]);
            let k0 = ((lo / bin_hz).ceil() as usize).min(n_bins - 1);
            let k1 = ((hi / bin_hz).floor() as usize).min(n_bins - 1);
            start[b] = k0;
            offset[b] = weights.len();
            for k in k0..=k1.max(k0) {
                let f = k as f64 * bin_hz;
                let w = if f <= mid { (f - lo) / (mid - lo) } else { (hi - f) / (hi - mid) };
                weights.push(w.clamp(0.0, 1.0) as f32);
            }
        }
        offset[N_MEL] = weights.len();
        let dct = (1..=N_CEPS)
            .flat_map(|n| {
                (0..N_MEL).map(move |b| {
                    ((std::f64::consts::PI * n as f64 * (b as f64 + 0.5) / N_MEL as f64).cos()
                        * (2.0 / N_MEL as f64).sqrt()) as f32
                })
            })
            .collect();
        let s = 2.0 / window_sum.max(1e-12);
        Self { start, offset, weights, power_scale: (s * s) as f32, dct }
    }

    /// Adds the power spectrum `(|X|·2/Σw)²` of magnitudes `mag` to `acc`
    /// (same length; non-finite bins count as 0). Vectorisable.
    pub(crate) fn accumulate_power(&self, mag: &[f32], acc: &mut [f32]) {
        let s = self.power_scale;
        for (a, &m) in acc.iter_mut().zip(mag) {
            let p = m * m * s;
            *a += if p.is_finite() { p } else { 0.0 };
        }
    }

    /// Mel band powers of a power spectrum `power`, scaled by `scale`.
    pub(crate) fn bands(&self, power: &[f32], scale: f32, out: &mut [f32; N_MEL]) {
        for (b, o) in out.iter_mut().enumerate() {
            let w = &self.weights[self.offset[b]..self.offset[b + 1]];
            let k0 = self.start[b];
            let p = power.get(k0..k0 + w.len()).unwrap_or(&[]);
            *o = scale * w.iter().zip(p).map(|(wi, pi)| wi * pi).sum::<f32>();
        }
    }

    /// Cepstrum c1…c12 of mean band powers `bands` (already averaged).
    pub(crate) fn cepstrum(&self, bands: &[f32; N_MEL], out: &mut [f32; N_CEPS]) {
        let mut logs = [0.0f32; N_MEL];
        for (l, &e) in logs.iter_mut().zip(bands) {
            *l = if e.is_finite() { e.max(POWER_FLOOR).ln() } else { POWER_FLOOR.ln() };
        }
        for (n, o) in out.iter_mut().enumerate() {
            let row = &self.dct[n * N_MEL..(n + 1) * N_MEL];
            *o = row.iter().zip(&logs).map(|(c, l)| c * l).sum();
        }
    }
}

/// Mel band powers averaged over blocks of consecutive spectra: the power spectra of `block`
/// frames are summed, then filtered once (bands are linear in power, so this equals averaging
/// the frames' band powers). Used by novelty (10-frame blocks) and onset rate (3-frame blocks).
#[derive(Debug, Clone)]
pub(crate) struct BlockBands {
    mel: MelCepstrum,
    /// Power spectrum summed over the frames of the current block.
    acc: Vec<f32>,
    frames: usize,
    block: usize,
}

impl BlockBands {
    /// For spectra of `n_fft` points at `sample_rate_hz` (window sum `window_sum`), `block`
    /// frames per block (at least 1).
    pub(crate) fn new(sample_rate_hz: u32, n_fft: usize, window_sum: f64, block: usize) -> Self {
        Self {
            mel: MelCepstrum::new(sample_rate_hz, n_fft, window_sum),
            acc: vec![0.0; n_fft / 2 + 1],
            frames: 0,
            block: block.max(1),
        }
    }

    /// The filterbank (for the cepstrum).
    pub(crate) fn mel(&self) -> &MelCepstrum {
        &self.mel
    }

    /// Adds one magnitude spectrum (an empty or shorter slice adds nothing for the missing
    /// bins: silence); returns the block's mean band powers when this frame completes a block.
    pub(crate) fn push(&mut self, mag: &[f32]) -> Option<[f32; N_MEL]> {
        self.mel.accumulate_power(mag, &mut self.acc);
        self.frames += 1;
        if self.frames < self.block {
            return None;
        }
        let mut bands = [0.0f32; N_MEL];
        self.mel.bands(&self.acc, 1.0 / self.block as f32, &mut bands);
        self.clear();
        Some(bands)
    }

    /// Drops the partial block.
    pub(crate) fn clear(&mut self) {
        self.acc.iter_mut().for_each(|v| *v = 0.0);
        self.frames = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_spectrum_has_flat_cepstrum_and_bands_cover_the_range() {
        let mc = MelCepstrum::new(22_050, 512, 237.68);
        // Bands are non-empty.
        for b in 0..N_MEL {
            assert!(mc.offset[b + 1] > mc.offset[b], "band {b} empty");
        }
        let mut power = vec![0.0; 257];
        mc.accumulate_power(&[0.0; 257], &mut power);
        let mut bands = [1.0; N_MEL];
        mc.bands(&power, 1.0, &mut bands);
        assert_eq!(bands, [0.0; N_MEL]);
        let mut c = [1.0; N_CEPS];
        mc.cepstrum(&bands, &mut c);
        // A constant log spectrum has no energy in c1…c12 (DCT rows sum to 0).
        assert!(c.iter().all(|v| v.abs() < 1e-3), "{c:?}");
    }
}
