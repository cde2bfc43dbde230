//! Viterbi smoothing of the SHS pitch candidates into one F0 contour with
//! voiced/unvoiced decisions.
//!
//! Reproduces openSMILE 3.0's `cPitchSmootherViterbi` with its trellis
//! classes `cSmileViterbi` / `cSmileViterbiPitchSmooth`
//! (`src/lld/pitchSmootherViterbi.cpp`, `src/include/lld/pitchSmootherViterbi.hpp`)
//! as configured in `[gemapsv01b_pitchSmoothViterbi]` of
//! `GeMAPSv01b_core.lld.conf.inc`: `bufferLength = 40`, outputs `F0final`,
//! `F0finalLog`, `voicingFinalUnclipped`; weights `wTvv = 10`, `wTvvd = 5`,
//! `wTvuv = 10`, `wThr = 4`, `wTuu = 0`, `wLocal = 2`, `wRange = 1`.
//!
//! openSMILE behaviours kept on purpose because the output depends on them:
//! - `setWeights` stores `wTvv` into `wTvvd`, so the delta-continuity weight
//!   is 10, not the configured 5.
//! - The unvoiced→unvoiced test is written `i == j == nStates−1`, which is
//!   never true for 6 candidates; that transition falls through to the
//!   "should not happen" cost 1.0 instead of `wTuu`.
//! - `lastChange` (the previous log-F0 step for the continuity term) is one
//!   value shared by all transitions, updated in evaluation order.
//! - The unvoiced state's local cost also inspects the slot after the last
//!   candidate's voicing, which holds 0 in this configuration
//!   (`voicingClip` is not forwarded).
//!
//! # Timing
//! openSMILE decides a frame as soon as all surviving paths agree on it, and
//! forces the decision for the oldest frame when `bufferLength` frames are
//! undecided; at end of input it flushes the trellis along the cheapest path.
//! A frame's decision never depends on when it is read, so this type emits
//! frames at a fixed lag of `bufferLength − 1 = 39` frames: the push of frame
//! `n` returns frame `n − 39`, and [`flush`](PitchSmootherViterbi::flush)
//! returns the remaining frames, exactly as openSMILE decides them.

use super::pitch_shs::{ShsCandidates, MAX_CANDIDATES};

/// Settings of `[gemapsv01b_pitchSmoothViterbi]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViterbiConfig {
    /// Trellis length in frames (`bufferLength = 40`).
    pub buffer_length: usize,
    /// Local voicing cost weight (`wLocal = 2`).
    pub w_local: f64,
    /// Voiced→voiced log-F0 jump weight (`wTvv = 10`).
    pub w_tvv: f64,
    /// Configured delta-continuity weight (`wTvvd = 5`); openSMILE ignores it
    /// and uses `w_tvv` (see module docs).
    pub w_tvvd: f64,
    /// Voiced↔unvoiced transition cost (`wTvuv = 10`).
    pub w_tvuv: f64,
    /// Cost for contradicting the voicing threshold (`wThr = 4`).
    pub w_thr: f64,
    /// Unvoiced→unvoiced cost (`wTuu = 0`; unreachable, see module docs).
    pub w_tuu: f64,
    /// Frequency-range weight (`wRange = 1`).
    pub w_range: f64,
}

impl ViterbiConfig {
    /// `[gemapsv01b_pitchSmoothViterbi]` of `GeMAPSv01b_core.lld.conf.inc`.
    pub const EGEMAPS: Self = Self {
        buffer_length: 40,
        w_local: 2.0,
        w_tvv: 10.0,
        w_tvvd: 5.0,
        w_tvuv: 10.0,
        w_thr: 4.0,
        w_tuu: 0.0,
        w_range: 1.0,
    };
}

/// One smoothed frame (`gemapsv01b_logPitchRaw`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SmoothedPitch {
    /// Frame index (0 = first pushed frame).
    pub index: u64,
    /// `F0final` in Hz, 0 when unvoiced.
    pub f0_hz: f32,
    /// `F0finalLog`: semitones above 27.5 Hz, clipped to 1 for 0 < F0 ≤ 29.136 Hz, 0 when unvoiced.
    pub f0_semitones: f32,
    /// `voicingFinalUnclipped`: voicing of the chosen candidate (of candidate 0 when unvoiced).
    pub voicing: f32,
    /// Decided only because the input ended (openSMILE's `flushTrellis`),
    /// not by path convergence while streaming.
    pub flushed: bool,
}

/// One trellis column: the candidates of a frame.
#[derive(Debug, Clone, Copy)]
struct Column {
    f0: [f32; MAX_CANDIDATES],
    voicing: [f32; MAX_CANDIDATES],
}

/// `cPitchSmootherViterbi`. `new` allocates, per-frame calls never do.
#[derive(Debug, Clone)]
pub struct PitchSmootherViterbi {
    config: ViterbiConfig,
    w_tvvd_effective: f64,
    n_cand: usize,
    n_states: usize,
    voice_thresh: f32,
    buflen: usize,
    /// Input ring (`buf`), indexed by frame index mod `buflen`.
    columns: Vec<Column>,
    /// Two `n_states × buflen` path matrices (double buffered).
    paths: [Vec<u8>; 2],
    path_buf: usize,
    best_path: Vec<u8>,
    path_costs: Vec<f64>,
    path_costs_new: Vec<f64>,
    last_change: f64,
    /// Frames added (`wrIdx` = `pathIdx`).
    wr_idx: u64,
    /// Next frame to emit (`rdIdx`).
    rd_idx: u64,
    /// Last decided frame + 1 (`convIdx + 1`).
    conv_end: u64,
    /// `conv_end` when the first flush began: frames from here on were
    /// decided only because the input ended.
    eoi_conv_end: Option<u64>,
}

impl PitchSmootherViterbi {
    /// A smoother for frames of `n_candidates` candidates (1…20) with the
    /// detector's voicing threshold.
    pub fn new(config: ViterbiConfig, n_candidates: usize, voicing_cutoff: f32) -> Self {
        assert!(config.buffer_length >= 2, "bufferLength must be at least 2");
        let n_cand = n_candidates.clamp(1, MAX_CANDIDATES);
        let n_states = n_cand + 1;
        let buflen = config.buffer_length;
        let empty = Column { f0: [0.0; MAX_CANDIDATES], voicing: [0.0; MAX_CANDIDATES] };
        Self {
            config,
            w_tvvd_effective: config.w_tvv,
            n_cand,
            n_states,
            voice_thresh: voicing_cutoff,
            buflen,
            columns: vec![empty; buflen],
            paths: [vec![0; n_states * buflen], vec![0; n_states * buflen]],
            path_buf: 0,
            best_path: vec![0; buflen],
            path_costs: vec![0.0; n_states],
            path_costs_new: vec![0.0; n_states],
            last_change: 1.0,
            wr_idx: 0,
            rd_idx: 0,
            conv_end: 0,
            eoi_conv_end: None,
        }
    }

    /// Frames between a push and the output of the same frame (`bufferLength − 1`).
    pub fn lag_frames(&self) -> usize {
        self.buflen - 1
    }

    /// Adds one frame of candidates; returns the frame that is now
    /// [`lag_frames`](Self::lag_frames) old, if any.
    pub fn push(&mut self, cands: &ShsCandidates) -> Option<SmoothedPitch> {
        self.add_frame(cands);
        if self.wr_idx - self.rd_idx >= self.buflen as u64 {
            self.next_output()
        } else {
            None
        }
    }

    /// End of input: decides the remaining frames along the cheapest path
    /// (`flushTrellis`) and returns them one per call, then `None`.
    /// Pushing after a flush continues the same trellis (as openSMILE would).
    pub fn flush(&mut self) -> Option<SmoothedPitch> {
        if self.eoi_conv_end.is_none() {
            self.eoi_conv_end = Some(self.conv_end);
        }
        self.flush_trellis();
        self.next_output()
    }

    /// Back to the state after `new`.
    pub fn reset(&mut self) {
        self.path_buf = 0;
        self.last_change = 1.0;
        self.wr_idx = 0;
        self.rd_idx = 0;
        self.conv_end = 0;
        self.eoi_conv_end = None;
        self.path_costs.iter_mut().for_each(|c| *c = 0.0);
    }

    /// `cSmileViterbi::addFrame`. The ring never overflows: `push` reads one
    /// frame whenever `bufferLength` are held.
    fn add_frame(&mut self, cands: &ShsCandidates) {
        let (buflen, ns) = (self.buflen, self.n_states);
        let slot = (self.wr_idx % buflen as u64) as usize;
        let prev_slot = (slot + buflen - 1) % buflen;
        let mut col = Column { f0: [0.0; MAX_CANDIDATES], voicing: [0.0; MAX_CANDIDATES] };
        col.f0[..self.n_cand].copy_from_slice(&cands.f0_hz[..self.n_cand]);
        col.voicing[..self.n_cand].copy_from_slice(&cands.voicing[..self.n_cand]);
        self.columns[slot] = col;
        let path_idx = self.wr_idx;
        self.wr_idx += 1;

        if path_idx == 0 {
            // Trellis initialisation. (conv_end is 0 here.)
            let pb = self.path_buf;
            for i in 0..ns {
                self.path_costs[i] = self.local_cost(i, &col);
                self.paths[pb][i * buflen] = i as u8;
            }
        } else {
            let prev = self.columns[prev_slot];
            let (old, new) = (self.path_buf, 1 - self.path_buf);
            let pos = (path_idx % buflen as u64) as usize;
            for i in 0..ns {
                let mut min_state = 0;
                let mut min_cost = self.transition_cost(i, 0, &prev, &col) + self.path_costs[0];
                for j in 1..ns {
                    let c = self.transition_cost(i, j, &prev, &col) + self.path_costs[j];
                    if c < min_cost {
                        min_state = j;
                        min_cost = c;
                    }
                }
                self.path_costs_new[i] = min_cost + self.local_cost(i, &col);
                let (p0, p1) = self.paths.split_at_mut(1);
                let (src, dst) = if old == 0 { (&p0[0], &mut p1[0]) } else { (&p1[0], &mut p0[0]) };
                dst[i * buflen..(i + 1) * buflen].copy_from_slice(&src[min_state * buflen..(min_state + 1) * buflen]);
                dst[i * buflen + pos] = i as u8;
            }
            std::mem::swap(&mut self.path_costs, &mut self.path_costs_new);
            self.path_buf = new;
        }

        let path_idx = self.wr_idx; // after increment, as openSMILE's pathIdx
        let paths = &self.paths[self.path_buf];
        // pathIdx − convIdx > buflen  ⇔  path_idx − (conv_end − 1) > buflen
        if path_idx + 1 > self.conv_end + buflen as u64 {
            // Forced decision for the oldest undecided frame along the cheapest path.
            let min_state = argmin(&self.path_costs);
            let n = self.conv_end;
            self.best_path[(n % buflen as u64) as usize] = paths[min_state * buflen + (n % buflen as u64) as usize];
            self.conv_end += 1;
        } else {
            // Decide every frame on which all paths agree.
            let mut n = self.conv_end;
            while n < path_idx {
                let p = (n % buflen as u64) as usize;
                let x = paths[p];
                if (1..ns).any(|i| paths[i * buflen + p] != x) {
                    break;
                }
                self.best_path[p] = x;
                self.conv_end += 1;
                n += 1;
            }
        }
    }

    /// `cSmileViterbi::flushTrellis`.
    fn flush_trellis(&mut self) {
        let min_state = argmin(&self.path_costs);
        let buflen = self.buflen as u64;
        let paths = &self.paths[self.path_buf];
        while self.conv_end < self.wr_idx {
            let p = (self.conv_end % buflen) as usize;
            self.best_path[p] = paths[min_state * self.buflen + p];
            self.conv_end += 1;
        }
    }

    /// `getNextOutputFrame` plus the output fields of `cPitchSmootherViterbi::myTick`.
    fn next_output(&mut self) -> Option<SmoothedPitch> {
        if self.rd_idx >= self.conv_end {
            return None;
        }
        let p = (self.rd_idx % self.buflen as u64) as usize;
        let state = self.best_path[p] as usize;
        let col = &self.columns[p];
        let (f0, voicing) =
            if state < self.n_cand { (col.f0[state], col.voicing[state]) } else { (0.0, col.voicing[0]) };
        let flushed = self.eoi_conv_end.is_some_and(|e| self.rd_idx >= e);
        let out =
            SmoothedPitch { index: self.rd_idx, f0_hz: f0, f0_semitones: semitones_from_27_5(f0), voicing, flushed };
        self.rd_idx += 1;
        Some(out)
    }

    /// `cSmileViterbiPitchSmooth::localCost`.
    fn local_cost(&self, i: usize, col: &Column) -> f64 {
        let c = &self.config;
        if i < self.n_states - 1 {
            let mut pv = col.voicing[i] as f64;
            pv = pv.clamp(0.01, 1.0);
            let thr = if pv < self.voice_thresh as f64 { c.w_thr } else { 0.0 };
            (-pv.ln() + thr) * c.w_local + f_weight(col.f0[i]) * c.w_range
        } else {
            // Slots 0..n_cand are the candidates' voicings; the slot after
            // them is `voicingClip`, 0 in this configuration.
            let any_voiced =
                col.voicing[..self.n_cand].iter().any(|&v| v >= self.voice_thresh) || 0.0 >= self.voice_thresh;
            let flag = if any_voiced { c.w_thr } else { 0.0 };
            c.w_local * flag
        }
    }

    /// `cSmileViterbiPitchSmooth::transitionCost`: from state `j` of the
    /// previous frame into state `i` of the current frame.
    fn transition_cost(&mut self, i: usize, j: usize, prev: &Column, cur: &Column) -> f64 {
        let u = self.n_states - 1;
        // openSMILE: `if (i == j == getnStates()-1)`, i.e. (i == j) as int == nStates − 1.
        if usize::from(i == j) == u {
            return self.config.w_tuu;
        }
        if i < u && j < u {
            let f0 = prev.f0[j];
            let f1 = cur.f0[i];
            if f0 == 0.0 || f1 == 0.0 {
                return 999.0;
            }
            let r = ((f1 / f0) as f64).ln();
            let x = self.config.w_tvv * r.abs() + self.w_tvvd_effective * (r - self.last_change).abs();
            self.last_change = r;
            return x;
        }
        if (i == u && j < u) || (i < u && j == u) {
            self.last_change = 0.0;
            return self.config.w_tvuv;
        }
        1.0
    }
}

/// `cSmileViterbiPitchSmooth::getFweight`: frequency-range penalty (0 for 100–350 Hz).
fn f_weight(f: f32) -> f64 {
    let f = f as f64;
    if f > 0.0 && f < 100.0 {
        -(1.0 / 100.0) * f + 1.0
    } else if (100.0..350.0).contains(&f) {
        0.0
    } else if (350.0..600.0).contains(&f) {
        (f - 350.0) / 250.0
    } else if f >= 600.0 {
        1.2
    } else if f <= 0.0 {
        2.0
    } else {
        0.0
    }
}

/// First index of the smallest value (strict `<`, as openSMILE's loops).
fn argmin(v: &[f64]) -> usize {
    let mut m = 0;
    for (i, &x) in v.iter().enumerate().skip(1) {
        if x < v[m] {
            m = i;
        }
    }
    m
}

/// `F0finalLog`: `12·log2(f0 / 27.5)` for f0 > 29.136 Hz, 1 for 0 < f0 ≤ 29.136, else 0.
pub fn semitones_from_27_5(f0_hz: f32) -> f32 {
    if (f0_hz as f64) > 29.136 {
        12.0f32 * (f0_hz / 27.5f32).ln() / 2.0f32.ln()
    } else if f0_hz > 0.0 {
        1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cands(list: &[(f32, f32)]) -> ShsCandidates {
        let mut c = ShsCandidates::default();
        for (k, &(f, v)) in list.iter().enumerate() {
            c.f0_hz[k] = f;
            c.voicing[k] = v;
            c.score[k] = v;
        }
        c.n = list.len();
        c
    }

    #[test]
    fn semitone_scale() {
        assert_eq!(semitones_from_27_5(0.0), 0.0);
        assert_eq!(semitones_from_27_5(29.0), 1.0);
        assert!((semitones_from_27_5(55.0) - 12.0).abs() < 1e-5);
        assert!((semitones_from_27_5(220.0) - 36.0).abs() < 1e-4);
    }

    #[test]
    fn steady_voiced_input_is_voiced_at_fixed_lag() {
        let mut v = PitchSmootherViterbi::new(ViterbiConfig::EGEMAPS, 6, 0.7);
        assert_eq!(v.lag_frames(), 39);
        let c = cands(&[(200.0, 0.9), (100.0, 0.8)]);
        let mut out = Vec::new();
        for n in 0..100u64 {
            let r = v.push(&c);
            if n < 39 {
                assert!(r.is_none());
            } else {
                let r = r.expect("frame due");
                assert_eq!(r.index, n - 39);
                out.push(r);
            }
        }
        while let Some(r) = v.flush() {
            out.push(r);
        }
        assert!(v.flush().is_none());
        assert_eq!(out.len(), 100);
        for (k, r) in out.iter().enumerate() {
            assert_eq!(r.index, k as u64);
            assert_eq!(r.f0_hz, 200.0);
            assert!((r.voicing - 0.9).abs() < 1e-7);
        }
    }

    #[test]
    fn low_voicing_is_unvoiced() {
        let mut v = PitchSmootherViterbi::new(ViterbiConfig::EGEMAPS, 6, 0.7);
        let c = cands(&[(200.0, 0.2), (100.0, 0.1)]);
        let mut out = Vec::new();
        for _ in 0..50 {
            out.extend(v.push(&c));
        }
        while let Some(r) = v.flush() {
            out.push(r);
        }
        assert_eq!(out.len(), 50);
        assert!(out.iter().all(|r| r.f0_hz == 0.0 && r.f0_semitones == 0.0));
        // Unvoiced frames report candidate 0's voicing.
        assert!(out.iter().all(|r| (r.voicing - 0.2).abs() < 1e-7));
    }

    #[test]
    fn short_input_is_flushed_completely() {
        let mut v = PitchSmootherViterbi::new(ViterbiConfig::EGEMAPS, 6, 0.7);
        for _ in 0..3 {
            assert!(v.push(&cands(&[(150.0, 0.95)])).is_none());
        }
        let got: Vec<u64> = std::iter::from_fn(|| v.flush()).map(|r| r.index).collect();
        assert_eq!(got, vec![0, 1, 2]);
    }
}
