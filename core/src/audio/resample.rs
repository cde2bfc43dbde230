//! Streaming mono resampling to the analysis rate with rubato's synchronous
//! FFT resampler (`rubato::Fft`, Blackman-Harris windowed sinc in the
//! frequency domain).
//!
//! Output is time-aligned with the input: the resampler's delay is trimmed,
//! so output sample `m` corresponds to input time `m / rate_out`, and after
//! [`StreamResampler::finish`] exactly `ceil(n_in · rate_out / rate_in)`
//! samples have been produced. Push in any block size; after construction no
//! call allocates.

use audioadapter_buffers::direct::SequentialSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler, WindowFunction};

/// Minimum input frames per resampler chunk (≈ 23 ms at 44.1 kHz).
const CHUNK_IN: usize = 1024;

/// Errors when building a resampler.
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    /// A rate outside 8–192 kHz (or zero).
    #[error("sample rate {0} Hz is outside 8000–192000 Hz")]
    UnsupportedRate(u32),
    /// rubato refused the configuration.
    #[error("resampler construction failed: {0}")]
    Construction(String),
}

enum Engine {
    /// Same rate in and out: samples pass through unchanged.
    Passthrough,
    Fft(Box<Fft<f32>>),
}

/// Mono streaming resampler from a source rate to a target rate.
pub struct StreamResampler {
    rate_in: u32,
    rate_out: u32,
    engine: Engine,
    input: Vec<f32>,
    filled: usize,
    output: Vec<f32>,
    /// Output samples still to drop (the resampler's delay).
    to_trim: usize,
    consumed_in: u64,
    produced_out: u64,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler").field("rate_in", &self.rate_in).field("rate_out", &self.rate_out).finish()
    }
}

impl StreamResampler {
    /// A resampler from `rate_in` to `rate_out` (both 8–192 kHz).
    pub fn new(rate_in: u32, rate_out: u32) -> Result<Self, ResampleError> {
        for r in [rate_in, rate_out] {
            if !(super::MIN_RATE_HZ..=super::MAX_RATE_HZ).contains(&r) {
                return Err(ResampleError::UnsupportedRate(r));
            }
        }
        let (engine, input_len, output_len, delay) = if rate_in == rate_out {
            (Engine::Passthrough, 0, 0, 0)
        } else {
            // One FFT block per chunk, with an even number of minimal blocks so
            // the FFT output length is even and rubato's integer delay
            // (half the output block) is exact: no half-sample misalignment.
            let g = gcd(rate_in, rate_out) as usize;
            let min_in = rate_in as usize / g;
            let blocks = CHUNK_IN.div_ceil(min_in).max(2).next_multiple_of(2);
            let fft = Fft::<f32>::new_custom(
                rate_in as usize,
                rate_out as usize,
                blocks * min_in,
                1,
                1,
                WindowFunction::BlackmanHarris2,
                FixedSync::Input,
            )
            .map_err(|e| ResampleError::Construction(e.to_string()))?;
            let (i, o, d) = (fft.input_frames_max(), fft.output_frames_max(), fft.output_delay());
            (Engine::Fft(Box::new(fft)), i, o, d)
        };
        Ok(Self {
            rate_in,
            rate_out,
            engine,
            input: vec![0.0; input_len],
            filled: 0,
            output: vec![0.0; output_len],
            to_trim: delay,
            consumed_in: 0,
            produced_out: 0,
        })
    }

    /// Source rate in Hz.
    pub fn rate_in(&self) -> u32 {
        self.rate_in
    }

    /// Target rate in Hz.
    pub fn rate_out(&self) -> u32 {
        self.rate_out
    }

    /// Worst-case wait, s, from an input sample's arrival to its resampled
    /// output: output appears only when an input chunk is full (one chunk),
    /// and the filter's trimmed delay is look-ahead on top. 0 when the rates
    /// are equal. A streaming consumer (the plugin) sizes its output delay
    /// with it.
    pub fn latency_s(&self) -> f64 {
        match &self.engine {
            Engine::Passthrough => 0.0,
            Engine::Fft(f) => {
                f.input_frames_max() as f64 / f64::from(self.rate_in)
                    + f.output_delay() as f64 / f64::from(self.rate_out)
            }
        }
    }

    /// Feeds mono samples; `on_output` receives resampled blocks in order.
    pub fn push(&mut self, mut samples: &[f32], mut on_output: impl FnMut(&[f32])) {
        self.consumed_in += samples.len() as u64;
        if let Engine::Passthrough = self.engine {
            if !samples.is_empty() {
                self.produced_out += samples.len() as u64;
                on_output(samples);
            }
            return;
        }
        while !samples.is_empty() {
            let need = self.chunk_len() - self.filled;
            let k = need.min(samples.len());
            self.input[self.filled..self.filled + k].copy_from_slice(&samples[..k]);
            self.filled += k;
            samples = &samples[k..];
            if self.filled == self.chunk_len() {
                self.run_chunk(None, u64::MAX, &mut on_output);
            }
        }
    }

    /// Flushes the tail: pads with silence until every input sample has been
    /// resampled, emitting exactly `ceil(n_in · rate_out / rate_in)` samples
    /// in total. The resampler is then reset for a new stream.
    pub fn finish(&mut self, mut on_output: impl FnMut(&[f32])) {
        if let Engine::Fft(_) = self.engine {
            let target = (self.consumed_in as u128 * self.rate_out as u128).div_ceil(self.rate_in as u128) as u64;
            // Partial chunk first, then silence until the delay is flushed.
            let mut guard = 0;
            while self.produced_out < target && guard < 64 {
                let partial = self.filled;
                self.run_chunk(Some(partial), target, &mut on_output);
                guard += 1;
            }
        }
        self.reset();
    }

    /// Forgets all state (e.g. on a transport jump or a new file).
    pub fn reset(&mut self) {
        self.filled = 0;
        self.consumed_in = 0;
        self.produced_out = 0;
        self.input.iter_mut().for_each(|x| *x = 0.0);
        if let Engine::Fft(fft) = &mut self.engine {
            fft.reset();
            self.to_trim = fft.output_delay();
        }
    }

    fn chunk_len(&self) -> usize {
        match &self.engine {
            Engine::Passthrough => 0,
            Engine::Fft(f) => f.input_frames_next(),
        }
    }

    fn run_chunk(&mut self, partial: Option<usize>, limit: u64, on_output: &mut impl FnMut(&[f32])) {
        let Engine::Fft(fft) = &mut self.engine else { return };
        let n_in = fft.input_frames_next();
        let n_out = fft.output_frames_next();
        let produced = {
            let Ok(inp) = SequentialSlice::new(&self.input[..n_in], 1, n_in) else { return };
            let Ok(mut out) = SequentialSlice::new_mut(&mut self.output[..n_out], 1, n_out) else { return };
            let indexing = partial.map(|p| Indexing::new().partial_len(p));
            match fft.process_into_buffer(&inp, &mut out, indexing.as_ref()) {
                Ok((_, produced)) => produced,
                Err(_) => 0,
            }
        };
        self.filled = 0;
        if partial.is_some() {
            self.input.iter_mut().for_each(|x| *x = 0.0);
        }
        let mut block = &self.output[..produced];
        let trim = self.to_trim.min(block.len());
        block = &block[trim..];
        self.to_trim -= trim;
        let room = limit.saturating_sub(self.produced_out) as usize;
        let block = &block[..block.len().min(room)];
        if !block.is_empty() {
            self.produced_out += block.len() as u64;
            on_output(block);
        }
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Resamples a whole mono signal (offline convenience).
pub fn resample_all(samples: &[f32], rate_in: u32, rate_out: u32) -> Result<Vec<f32>, ResampleError> {
    let mut r = StreamResampler::new(rate_in, rate_out)?;
    let mut out = Vec::with_capacity((samples.len() as u64 * rate_out as u64 / rate_in as u64 + 16) as usize);
    r.push(samples, |b| out.extend_from_slice(b));
    r.finish(|b| out.extend_from_slice(b));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, secs: f64) -> Vec<f32> {
        let n = (secs * rate as f64) as usize;
        (0..n).map(|i| (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin() as f32 * 0.5).collect()
    }

    #[test]
    fn output_length_and_alignment() {
        for &rate in &[8_000u32, 11_025, 16_000, 22_050, 32_000, 44_100, 48_000, 88_200, 96_000, 176_400, 192_000] {
            let x = sine(440.0, rate, 1.3);
            let y = resample_all(&x, rate, 22_050).unwrap();
            let expect = (x.len() as u64 * 22_050).div_ceil(rate as u64) as usize;
            assert_eq!(y.len(), expect, "rate {rate}");
            // Phase alignment: compare to the ideal sine away from the edges.
            let ideal = sine(440.0, 22_050, 1.3);
            let err: f32 = (2000..y.len().min(ideal.len()) - 2000).map(|i| (y[i] - ideal[i]).abs()).fold(0.0, f32::max);
            assert!(err < 0.01, "rate {rate}: max error {err}");
        }
    }

    #[test]
    fn block_size_does_not_change_output() {
        let x = sine(1000.0, 44_100, 2.0);
        let whole = resample_all(&x, 44_100, 22_050).unwrap();
        for block in [1usize, 7, 64, 1000, 4097] {
            let mut r = StreamResampler::new(44_100, 22_050).unwrap();
            let mut out = Vec::new();
            for c in x.chunks(block) {
                r.push(c, |b| out.extend_from_slice(b));
            }
            r.finish(|b| out.extend_from_slice(b));
            assert_eq!(out, whole, "block {block}");
        }
    }

    #[test]
    fn rejects_out_of_range_rates() {
        assert!(StreamResampler::new(4_000, 22_050).is_err());
        assert!(StreamResampler::new(384_000, 22_050).is_err());
        assert!(StreamResampler::new(0, 22_050).is_err());
    }

    #[test]
    fn anti_aliasing_removes_content_above_new_nyquist() {
        let x = sine(15_000.0, 48_000, 1.0);
        let y = resample_all(&x, 48_000, 22_050).unwrap();
        let rms = (y[2000..y.len() - 2000].iter().map(|v| v * v).sum::<f32>() / (y.len() - 4000) as f32).sqrt();
        assert!(rms < 0.01, "15 kHz leaked through: rms {rms}");
    }
}
