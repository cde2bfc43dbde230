//! Streaming framer: cuts a sample stream into fixed-length, left-aligned
//! frames on a fixed hop, in any push block size, without allocating after
//! construction.
//!
//! Frame `k` covers samples `[k·hop, k·hop + frame_len)`, as openSMILE's
//! `cFramer` with `frameCenterSpecial = left` and the default
//! `noPostEOIprocessing = 1` (only complete frames are emitted).

/// Converts a duration in seconds to whole samples the way openSMILE does
/// (`cWinToVecProcessor`: `(long)round(seconds / T)`, halves away from zero).
pub fn seconds_to_samples(seconds: f64, sample_rate_hz: u32) -> usize {
    (seconds * sample_rate_hz as f64).round().max(0.0) as usize
}

/// A streaming, allocation-free framer.
#[derive(Debug, Clone)]
pub struct Framer {
    frame_len: usize,
    hop: usize,
    buf: Vec<f32>,
    filled: usize,
    /// Samples still to drop before the next frame starts (only when `hop > frame_len`).
    skip: usize,
    next_index: u64,
}

impl Framer {
    /// `frame_len` and `hop` in samples; both must be ≥ 1.
    pub fn new(frame_len: usize, hop: usize) -> Self {
        assert!(frame_len >= 1 && hop >= 1, "frame_len and hop must be at least one sample");
        Self { frame_len, hop, buf: vec![0.0; frame_len], filled: 0, skip: 0, next_index: 0 }
    }

    /// Frame length in samples.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// Hop in samples.
    pub fn hop(&self) -> usize {
        self.hop
    }

    /// Index of the next frame that will be emitted.
    pub fn next_index(&self) -> u64 {
        self.next_index
    }

    /// Feeds `input`; calls `on_frame(index, frame)` once per completed frame,
    /// in order. `frame` has exactly `frame_len` samples.
    pub fn push(&mut self, mut input: &[f32], mut on_frame: impl FnMut(u64, &[f32])) {
        while !input.is_empty() {
            if self.skip > 0 {
                let k = self.skip.min(input.len());
                input = &input[k..];
                self.skip -= k;
                continue;
            }
            let k = (self.frame_len - self.filled).min(input.len());
            self.buf[self.filled..self.filled + k].copy_from_slice(&input[..k]);
            self.filled += k;
            input = &input[k..];
            if self.filled == self.frame_len {
                on_frame(self.next_index, &self.buf);
                self.next_index += 1;
                if self.hop < self.frame_len {
                    self.buf.copy_within(self.hop.., 0);
                    self.filled = self.frame_len - self.hop;
                } else {
                    self.filled = 0;
                    self.skip = self.hop - self.frame_len;
                }
            }
        }
    }

    /// The samples buffered for the next (incomplete) frame: they start at
    /// sample `next_index() · hop` of the stream. Used at end of input by
    /// consumers that also emit shorter frames (e.g. the 20 ms eGeMAPS frame
    /// inside a 60 ms one).
    pub fn pending(&self) -> &[f32] {
        &self.buf[..self.filled]
    }

    /// Forgets all buffered samples and restarts frame numbering at 0.
    pub fn reset(&mut self) {
        self.filled = 0;
        self.skip = 0;
        self.next_index = 0;
        self.buf.iter_mut().for_each(|x| *x = 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn collect(framer: &mut Framer, signal: &[f32], blocks: &[usize]) -> Vec<(u64, Vec<f32>)> {
        let mut out = Vec::new();
        let mut pos = 0;
        let mut bi = 0;
        while pos < signal.len() {
            let n = blocks[bi % blocks.len()].min(signal.len() - pos);
            framer.push(&signal[pos..pos + n], |i, f| out.push((i, f.to_vec())));
            pos += n;
            bi += 1;
        }
        out
    }

    #[test]
    fn frames_are_left_aligned_on_the_hop() {
        let signal: Vec<f32> = (0..2000).map(|i| i as f32).collect();
        let mut f = Framer::new(441, 221);
        let frames = collect(&mut f, &signal, &[2000]);
        // floor((2000 - 441) / 221) + 1 = 8 complete frames.
        assert_eq!(frames.len(), 8);
        for (i, fr) in &frames {
            assert_eq!(fr[0], (*i as usize * 221) as f32);
            assert_eq!(fr[440], (*i as usize * 221 + 440) as f32);
        }
        assert_eq!(f.pending()[0], (8 * 221) as f32);
    }

    #[test]
    fn any_block_size_gives_identical_frames() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let signal: Vec<f32> = (0..50_000).map(|_| rng.random_range(-1.0..1.0)).collect();
        let reference = collect(&mut Framer::new(1323, 221), &signal, &[signal.len()]);
        for _ in 0..20 {
            let blocks: Vec<usize> = (0..64).map(|_| rng.random_range(1..=8192)).collect();
            let got = collect(&mut Framer::new(1323, 221), &signal, &blocks);
            assert_eq!(got, reference);
        }
    }

    #[test]
    fn hop_longer_than_frame_skips_samples() {
        let signal: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let frames = collect(&mut Framer::new(10, 25), &signal, &[3]);
        let starts: Vec<f32> = frames.iter().map(|(_, f)| f[0]).collect();
        assert_eq!(starts, vec![0.0, 25.0, 50.0, 75.0]);
    }

    #[test]
    fn seconds_round_like_opensmile() {
        assert_eq!(seconds_to_samples(0.010, 22_050), 221); // 220.5 rounds away from zero
        assert_eq!(seconds_to_samples(0.020, 22_050), 441);
        assert_eq!(seconds_to_samples(0.060, 22_050), 1323);
    }
}
