//! The `sma3` / `sma3nz` contour smoothing of eGeMAPS v02, streaming, with
//! openSMILE 3.0.2's exact frame counts and edge handling.
//!
//! # What openSMILE does (`src/dspcore/contourSmoother.cpp`, `processBuffer`)
//!
//! `cContourSmoother` with `smaWin = 3` replaces `x[n]` by the mean of
//! `x[n−1], x[n], x[n+1]`, accumulated in `f32` in the order
//! `y = x[n]; y += x[n−1]; y += x[n+1]; y /= 3`. With `noZeroSma = 1`
//! (`*_sma3nz`), `y[n] = 0` when `x[n] == 0`, and otherwise zero neighbours
//! are left out of both the sum and the divisor.
//!
//! The window comes from `cWindowProcessor`/`cDataReader::getNextMatrix`
//! reading `[n−1, n+2)` and `cDataMemoryLevel::getMatrix`'s padding
//! (`src/core/dataMemoryLevel.cpp`):
//! - before the start, the first frame is repeated: `x[−1] = x[0]`;
//! - at end of input a window may run past the last frame `N−1` as long as
//!   at least one of its frames exists; missing frames repeat `x[N−1]`.
//!   So windows starting at `N−2` and `N−1` are both read and a level of `N`
//!   frames is smoothed into **`N + 1`** rows, the last being
//!   `(x[N−1] + x[N−1] + x[N−1]) / 3`;
//! - a one-frame level reads the never-written slot after it, which holds 0
//!   (checked against openSMILE: a 441..661-sample input gives
//!   `Loudness_sma3[0] = 2·x[0]/3`).
//!
//! # Frame counts (why 3 s of audio gives 295 `lld` rows)
//!
//! At 22 050 Hz, 66 150 samples give `n25 = 298` short and `n60 = 294` long
//! frames. Every level of the graph joins its inputs frame by frame, so a
//! level has the length of its shortest input:
//! - `egemapsv02_lldsetE` (loudness, spectral, MFCC): `n25` → smoothed `n25 + 1` (299);
//! - `egemapsv02_lldsetF` (F0, voice quality, formants): `n60` → `n60 + 1` (295);
//! - the voiced/unvoiced spectral sets join F0 with spectral frames: `n60` → `n60 + 1`;
//! - `lld` (`cVectorConcat` of both smoothed sets): `min = n60 + 1` (295 rows).
//!
//! [`LldSmoother`] therefore emits `n25 + 1` rows of [`SmoothedLlds`]; the
//! voice part is present on rows `0..=n60`, `energy_sq` on rows `0..n25`.
//! The functionals read each group over exactly the rows openSMILE's levels
//! have (see [`super::functionals`]).
//!
//! # Non-finite input
//!
//! A NaN or ±Inf raw value is replaced by 0 before smoothing (for `sma3nz`
//! sets that means "absent"; a non-finite F0 makes the frame unvoiced), so
//! no NaN reaches any output. openSMILE has no such rule (it would
//! propagate NaN).

use super::lld::{
    RawLlds, SmoothedLlds, SmoothedVoice, N_FORMANTS_VOICED, N_SPECTRAL, N_SPECTRAL_UNVOICED, N_SPECTRAL_VOICED,
    N_VOICE,
};
use super::voicing;

/// Number of values the voice-synchronous `sma3nz` smoother carries: the 15
/// `lldsetF` values, 6 voiced formants, 9 voiced and 5 unvoiced spectral values.
const N_VOICE_SMOOTHED: usize = N_VOICE + N_FORMANTS_VOICED + N_SPECTRAL_VOICED + N_SPECTRAL_UNVOICED;

/// One smoothed output value from `prev = x[n−1]`, `cur = x[n]`,
/// `next = x[n+1]`, in openSMILE's `f32` operation order.
#[inline]
fn sma3(prev: f32, cur: f32, next: f32, no_zero: bool) -> f32 {
    if no_zero {
        if cur == 0.0 {
            return 0.0;
        }
        let mut y = cur;
        let mut n = 1u8;
        if prev != 0.0 {
            y += prev;
            n += 1;
        }
        if next != 0.0 {
            y += next;
            n += 1;
        }
        y / f32::from(n)
    } else {
        let mut y = cur;
        y += prev;
        y += next;
        y / 3.0
    }
}

/// Streaming 3-tap moving average over `N` parallel contours with openSMILE's
/// edge handling (module doc). One frame of latency: pushing frame `k`
/// returns row `k − 1`; [`Sma3Stream::finish`] returns the last two rows.
#[derive(Debug, Clone)]
pub struct Sma3Stream<const N: usize> {
    no_zero: bool,
    prev: [f32; N],
    cur: [f32; N],
    count: u64,
}

impl<const N: usize> Sma3Stream<N> {
    /// `no_zero = true` gives `sma3nz` (`noZeroSma = 1`).
    pub fn new(no_zero: bool) -> Self {
        Self { no_zero, prev: [0.0; N], cur: [0.0; N], count: 0 }
    }

    /// Frames pushed since construction or [`Sma3Stream::reset`].
    pub fn frames_in(&self) -> u64 {
        self.count
    }

    /// Forgets all input.
    pub fn reset(&mut self) {
        self.count = 0;
    }

    fn row(&self, next: &[f32; N]) -> [f32; N] {
        let mut y = [0.0; N];
        for (i, y) in y.iter_mut().enumerate() {
            *y = sma3(self.prev[i], self.cur[i], next[i], self.no_zero);
        }
        y
    }

    /// Feeds frame `k`; returns smoothed row `k − 1` (nothing for `k = 0`).
    pub fn push(&mut self, x: &[f32; N]) -> Option<[f32; N]> {
        let out = if self.count == 0 {
            // x[−1] := x[0]
            self.prev = *x;
            None
        } else {
            let y = self.row(x);
            self.prev = self.cur;
            Some(y)
        };
        self.cur = *x;
        self.count += 1;
        out
    }

    /// The rows `N − 1` and `N` that [`Sma3Stream::finish`] would return if
    /// the input ended now, without changing the stream.
    pub fn peek_end(&self) -> Option<([f32; N], [f32; N])> {
        if self.count == 0 {
            return None;
        }
        // x[N] := x[N−1], except a one-frame level, which reads a zero slot.
        let next = if self.count == 1 { [0.0; N] } else { self.cur };
        let last = self.row(&next);
        let mut pad = [0.0; N];
        for (i, y) in pad.iter_mut().enumerate() {
            *y = sma3(self.cur[i], self.cur[i], self.cur[i], self.no_zero);
        }
        Some((last, pad))
    }

    /// End of input after `N` frames: rows `N − 1` and `N` (none if no frame
    /// was pushed). Resets the stream.
    pub fn finish(&mut self) -> Option<([f32; N], [f32; N])> {
        let rows = self.peek_end();
        self.count = 0;
        rows
    }
}

/// Replaces NaN/±Inf by 0 (module doc, "Non-finite input").
fn finite<const N: usize>(mut x: [f32; N]) -> [f32; N] {
    for v in x.iter_mut() {
        if !v.is_finite() {
            *v = 0.0;
        }
    }
    x
}

/// The 35 voice-synchronous values of one raw frame, gated by voicing.
fn voice_inputs(raw: &RawLlds) -> Option<[f32; N_VOICE_SMOOTHED]> {
    let v = raw.voice.as_ref()?;
    let mut v = *v;
    let mut s = raw.spectral;
    // sanitise the record itself so gating sees the same values as smoothing
    let f = finite(v.set_f());
    v.f0_semitones = f[0];
    v.formant_freq_hz = [f[6], f[9], f[12]];
    v.formant_bandwidth_hz = [f[7], f[10], f[13]];
    let e = finite(s.set_e());
    s.alpha_ratio_db = e[1];
    s.hammarberg_index_db = e[2];
    s.slope_0_500 = e[3];
    s.slope_500_1500 = e[4];
    s.spectral_flux = e[5];
    s.mfcc = [e[6], e[7], e[8], e[9]];
    let mut out = [0.0; N_VOICE_SMOOTHED];
    let (a, rest) = out.split_at_mut(N_VOICE);
    a.copy_from_slice(&f);
    let (b, rest) = rest.split_at_mut(N_FORMANTS_VOICED);
    b.copy_from_slice(&voicing::formants_voiced(&v));
    let (c, d) = rest.split_at_mut(N_SPECTRAL_VOICED);
    c.copy_from_slice(&voicing::spectral_voiced(&s, v.f0_semitones));
    d.copy_from_slice(&voicing::spectral_unvoiced(&s, v.f0_semitones));
    Some(out)
}

/// Values of the voice stream that openSMILE smooths in levels joined with
/// `gemapsv01b_jitterShimmer` (`egemapsv02_lldsetF`,
/// `egemapsv02_lldSetNoF0AndLoudnessNz`): the 15 `lld` values and the 6
/// voiced formant values. These get the end-of-input artifacts.
const N_JOINED: usize = N_VOICE + N_FORMANTS_VOICED;

/// Streaming smoother of the whole eGeMAPS v02 LLD set: all `cContourSmoother`
/// instances of `eGeMAPSv02_core.lld.conf.inc` and
/// `GeMAPSv01b_core.func.conf.inc` plus the voicing selectors before them.
///
/// Push [`RawLlds`] frame `k` → row `k − 1`; after the last frame,
/// [`LldSmoother::flush`] returns the last two rows (`n25 − 1` and the
/// padded row `n25`). Allocation-free.
///
/// # End of input (whole-file parity)
///
/// openSMILE runs its graph until nothing can progress, then ticks every
/// component once per round in configuration order with the end-of-input
/// flag set; a full-input `cFunctionals` reads its level at its first tick
/// in that state, so it sees only what the one-row-per-tick smoothers have
/// written by then (`src/core/componentManager.cpp` `runSingleThreaded`,
/// `cDataReader::getNextMatrix`). Verified against openSMILE 3.0.2 on all
/// golden files (see `tests/functionals_parity.rs`), with `P` = index of the
/// first long frame the pitch smoother released only at end of input
/// (`VoiceLlds::flushed`; `P = n60 − 2` when the input ends voiced,
/// `n60 − 1` when it ends unvoiced in the golden material):
/// - spectral functionals (loudness, flux, MFCC, loudness peaks, Leq) read
///   rows `0..n25` (all rows with `energy_sq`), not the padded row `n25`;
/// - voice functionals read rows `0..P` (`SmoothedVoice::in_functionals`);
///   F0 and the voiced/unvoiced spectral sets with regular smoothing, but the
///   sets joined with jitter/shimmer (`lld` F columns, jitter … F3 amplitude,
///   voiced formants) have row `P − 1` smoothed as if the input ended after
///   frame `P − 1` (`x[P] := x[P−1]`) because jitter lags one tick;
/// - in the `lld` level those joined columns additionally have row `P` equal
///   to `x[P−1]` (a second padded row); rows `P + 1 ..= n60` are regular.
///
/// Without a flushed frame (streaming) no artifact is produced and every
/// voice row but the final padded one is `in_functionals`.
#[derive(Debug, Clone)]
pub struct LldSmoother {
    spectral: Sma3Stream<N_SPECTRAL>,
    voice: Sma3Stream<N_VOICE_SMOOTHED>,
    voice_open: bool,
    /// The padded last voice row, emitted with the next spectral row.
    voice_pending: Option<SmoothedVoice>,
    /// Index of the next voice row.
    voice_rows: u64,
    /// `P`, once a flushed long frame has been seen.
    flush_at: Option<u64>,
    /// Joined-set values of rows `P − 1` and `P`.
    artifact: [[f32; N_JOINED]; 2],
    /// Raw squared energy of the frame whose row is emitted next.
    energy_prev: f32,
    energy_cur: f32,
}

impl Default for LldSmoother {
    fn default() -> Self {
        Self::new()
    }
}

impl LldSmoother {
    /// A smoother at the start of an input.
    pub fn new() -> Self {
        Self {
            spectral: Sma3Stream::new(false),
            voice: Sma3Stream::new(true),
            voice_open: true,
            voice_pending: None,
            voice_rows: 0,
            flush_at: None,
            artifact: [[0.0; N_JOINED]; 2],
            energy_prev: 0.0,
            energy_cur: 0.0,
        }
    }

    /// Starts a new input.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Raw frames pushed so far.
    pub fn frames_in(&self) -> u64 {
        self.spectral.frames_in()
    }

    /// Builds voice row `self.voice_rows` from the regular smoothing `y`.
    fn voice_row(&mut self, y: &[f32; N_VOICE_SMOOTHED], padded_last: bool) -> SmoothedVoice {
        let idx = self.voice_rows;
        self.voice_rows += 1;
        let mut joined = [0.0; N_JOINED];
        joined.copy_from_slice(&y[..N_JOINED]);
        if let Some(p) = self.flush_at {
            if idx + 1 == p {
                joined = self.artifact[0];
            } else if idx == p {
                joined = self.artifact[1];
            }
        }
        let mut v = SmoothedVoice {
            f0_semitones: y[0],
            in_functionals: match self.flush_at {
                Some(p) => idx < p,
                None => !padded_last,
            },
            ..Default::default()
        };
        v.lld.copy_from_slice(&joined[..N_VOICE]);
        v.formants_voiced.copy_from_slice(&joined[N_VOICE..]);
        let mut o = N_JOINED;
        v.spectral_voiced.copy_from_slice(&y[o..o + N_SPECTRAL_VOICED]);
        o += N_SPECTRAL_VOICED;
        v.spectral_unvoiced.copy_from_slice(&y[o..o + N_SPECTRAL_UNVOICED]);
        v
    }

    /// Ends the voice stream (first frame without a long frame, or flush):
    /// returns row `n60 − 1` and queues the padded row `n60`.
    fn close_voice(&mut self) -> Option<SmoothedVoice> {
        self.voice_open = false;
        let (last, pad) = self.voice.finish()?;
        let last = self.voice_row(&last, false);
        self.voice_pending = Some(self.voice_row(&pad, true));
        Some(last)
    }

    /// Feeds raw frame `k`; returns smoothed row `k − 1`.
    pub fn push(&mut self, raw: &RawLlds) -> Option<SmoothedLlds> {
        let mut voice = None;
        if self.voice_open {
            match (voice_inputs(raw), raw.voice.as_ref()) {
                (Some(x), Some(v)) => {
                    let k = self.voice.frames_in();
                    if v.flushed && self.flush_at.is_none() && k > 0 {
                        if let Some((last, pad)) = self.voice.peek_end() {
                            self.artifact[0].copy_from_slice(&last[..N_JOINED]);
                            self.artifact[1].copy_from_slice(&pad[..N_JOINED]);
                            self.flush_at = Some(k);
                        }
                    }
                    if let Some(y) = self.voice.push(&x) {
                        voice = Some(self.voice_row(&y, false));
                    }
                }
                _ => voice = self.close_voice(),
            }
        }
        let energy = if raw.spectral.energy_sq.is_finite() { raw.spectral.energy_sq } else { 0.0 };
        let spectral_y = self.spectral.push(&finite(raw.spectral.set_e()));
        self.energy_prev = self.energy_cur;
        self.energy_cur = energy;
        let spectral = spectral_y?;
        let voice = voice.or_else(|| self.voice_pending.take());
        Some(SmoothedLlds { spectral, energy_sq: Some(self.energy_prev), voice })
    }

    /// End of input: the last two rows (`n25 − 1`, then the padded row `n25`
    /// without `energy_sq`); `[None, None]` if nothing was pushed. Resets the
    /// smoother for a new input.
    pub fn flush(&mut self) -> [Option<SmoothedLlds>; 2] {
        let voice_last = if self.voice_open { self.close_voice() } else { None };
        let Some((last, pad)) = self.spectral.finish() else {
            self.reset();
            return [None, None];
        };
        let v_last = voice_last.or_else(|| self.voice_pending.take());
        let v_pad = self.voice_pending.take();
        let rows = [
            Some(SmoothedLlds { spectral: last, energy_sq: Some(self.energy_cur), voice: v_last }),
            Some(SmoothedLlds { spectral: pad, energy_sq: None, voice: v_pad }),
        ];
        self.reset();
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::egemaps::lld::{SpectralLlds, VoiceLlds};

    fn run<const N: usize>(no_zero: bool, xs: &[[f32; N]]) -> Vec<[f32; N]> {
        let mut s = Sma3Stream::<N>::new(no_zero);
        let mut out: Vec<[f32; N]> = xs.iter().filter_map(|x| s.push(x)).collect();
        if let Some((a, b)) = s.finish() {
            out.push(a);
            out.push(b);
        }
        out
    }

    #[test]
    fn sma3_edges_follow_opensmile_padding() {
        let y = run(false, &[[3.0], [6.0], [9.0], [12.0]]);
        // N + 1 rows: first frame repeated before, last frame repeated after
        let want = [(3.0 + 3.0 + 6.0) / 3.0, 6.0, 9.0, (12.0 + 9.0 + 12.0) / 3.0, 12.0];
        assert_eq!(y.len(), 5);
        for (a, b) in y.iter().zip(want) {
            assert!((a[0] - b).abs() < 1e-6, "{y:?}");
        }
    }

    #[test]
    fn sma3nz_skips_zero_neighbours_and_keeps_zero_frames() {
        let y = run(true, &[[0.0], [4.0], [0.0], [6.0], [8.0]]);
        assert_eq!(y.iter().map(|r| r[0]).collect::<Vec<_>>(), vec![0.0, 4.0, 0.0, 7.0, (8.0 + 6.0 + 8.0) / 3.0, 8.0]);
    }

    #[test]
    fn single_frame_reads_a_zero_after_it() {
        // openSMILE: a 500-sample input has one short frame, Loudness_sma3 = [2x/3, x]
        let y = run(false, &[[0.70725]]);
        assert_eq!(y.len(), 2);
        assert!((y[0][0] - 2.0 * 0.70725 / 3.0).abs() < 1e-6);
        assert!((y[1][0] - 0.70725).abs() < 1e-6);
        let y = run(true, &[[36.0]]);
        assert_eq!(y.iter().map(|r| r[0]).collect::<Vec<_>>(), vec![36.0, 36.0]);
        assert!(run::<1>(false, &[]).is_empty());
    }

    fn raw(i: usize, voiced: Option<bool>) -> RawLlds {
        let x = i as f32 + 1.0;
        RawLlds {
            spectral: SpectralLlds { loudness_sones: x, spectral_flux: x, energy_sq: 10.0 * x, ..Default::default() },
            voice: voiced.map(|v| VoiceLlds {
                f0_semitones: if v { 30.0 + x } else { 0.0 },
                jitter_local: x,
                formant_freq_hz: [100.0 * x; 3],
                ..Default::default()
            }),
        }
    }

    fn collect(frames: &[RawLlds]) -> Vec<SmoothedLlds> {
        let mut s = LldSmoother::new();
        let mut rows: Vec<SmoothedLlds> = frames.iter().filter_map(|f| s.push(f)).collect();
        rows.extend(s.flush().into_iter().flatten());
        rows
    }

    #[test]
    fn row_counts_match_opensmile_levels() {
        // 298 short frames, the first 294 with a long frame: 299 rows, voice on 0..=294
        let frames: Vec<RawLlds> = (0..298).map(|i| raw(i, (i < 294).then_some(true))).collect();
        let rows = collect(&frames);
        assert_eq!(rows.len(), 299);
        assert_eq!(rows.iter().filter(|r| r.voice.is_some()).count(), 295);
        assert!(rows[..295].iter().all(|r| r.voice.is_some()));
        assert_eq!(rows.iter().filter_map(|r| r.lld_row()).count(), 295);
        assert_eq!(rows.iter().filter(|r| r.energy_sq.is_some()).count(), 298);
        // energy is passed through unsmoothed and aligned with its row
        assert_eq!(rows[5].energy_sq, Some(60.0));
        assert_eq!(rows[297].energy_sq, Some(2980.0));
        // the voice tail row repeats the last long frame
        let v = rows[294].voice.unwrap();
        assert_eq!(v.lld[0], 30.0 + 294.0);
        assert_eq!(v.lld[1], 294.0);
        let v = rows[293].voice.unwrap();
        assert!((v.lld[1] - (294.0 + 293.0 + 294.0) / 3.0).abs() < 1e-4);
    }

    #[test]
    fn no_long_frames_gives_no_voice_rows() {
        let frames: Vec<RawLlds> = (0..3).map(|i| raw(i, None)).collect();
        let rows = collect(&frames);
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r.voice.is_none() && r.lld_row().is_none()));
        assert!(collect(&[]).is_empty());
    }

    #[test]
    fn voice_through_flush_when_both_framings_end_together() {
        let frames: Vec<RawLlds> = (0..5).map(|i| raw(i, Some(true))).collect();
        let rows = collect(&frames);
        assert_eq!(rows.len(), 6);
        assert!(rows.iter().all(|r| r.voice.is_some()));
    }

    #[test]
    fn unvoiced_frames_gate_formants_and_spectral_sets() {
        let frames: Vec<RawLlds> = (0..10).map(|i| raw(i, Some(i % 4 != 0))).collect();
        let rows = collect(&frames);
        for (n, r) in rows.iter().enumerate().take(10) {
            let v = r.voice.unwrap();
            let voiced = n % 4 != 0;
            assert_eq!(v.lld[0] != 0.0, voiced, "row {n}");
            assert_eq!(v.formants_voiced[0] != 0.0, voiced);
            assert_eq!(v.spectral_voiced[4] != 0.0, voiced);
            assert_eq!(v.spectral_unvoiced[4] != 0.0, !voiced);
            // ungated formants of the lld level are smoothed over all frames
            assert!(v.lld[6] != 0.0);
        }
    }

    #[test]
    fn flushed_frames_reproduce_the_end_of_input_artifacts() {
        // 12 short frames, 8 long frames, the pitch tracker released 6 and 7 at end of input (P = 6)
        let mut frames: Vec<RawLlds> = (0..12).map(|i| raw(i, (i < 8).then_some(true))).collect();
        for f in &mut frames[6..8] {
            if let Some(v) = f.voice.as_mut() {
                v.flushed = true;
            }
        }
        let rows = collect(&frames);
        let plain = collect(
            &frames
                .iter()
                .map(|f| {
                    let mut f = *f;
                    if let Some(v) = f.voice.as_mut() {
                        v.flushed = false;
                    }
                    f
                })
                .collect::<Vec<_>>(),
        );
        let jit = |r: &SmoothedLlds| r.voice.unwrap().lld[1];
        // jitter x[i] = i + 1; row P−1 = 5 smoothed with x[6] := x[5]; row P = x[5]
        assert!((jit(&rows[5]) - (6.0 + 5.0 + 6.0) / 3.0).abs() < 1e-5);
        assert_eq!(jit(&rows[6]), 6.0);
        // other rows and F0 of the functionals are regular
        for n in (0..5).chain(7..9) {
            assert_eq!(rows[n].voice, plain[n].voice.map(|v| SmoothedVoice { in_functionals: n < 6, ..v }), "row {n}");
        }
        assert_eq!(rows[5].voice.unwrap().f0_semitones, plain[5].voice.unwrap().f0_semitones);
        assert_ne!(rows[5].voice.unwrap().lld[0], rows[5].voice.unwrap().f0_semitones);
        let seen: Vec<bool> = rows.iter().filter_map(|r| r.voice.map(|v| v.in_functionals)).collect();
        assert_eq!(seen, [true, true, true, true, true, true, false, false, false]);
        // without the flag only the padded last voice row is excluded
        let seen: Vec<bool> = plain.iter().filter_map(|r| r.voice.map(|v| v.in_functionals)).collect();
        assert_eq!(seen, [true, true, true, true, true, true, true, true, false]);
    }

    #[test]
    fn non_finite_raw_values_become_zero() {
        let mut frames: Vec<RawLlds> = (0..6).map(|i| raw(i, Some(true))).collect();
        frames[2].spectral.loudness_sones = f32::NAN;
        frames[3].spectral.energy_sq = f32::INFINITY;
        if let Some(v) = frames[3].voice.as_mut() {
            v.f0_semitones = f32::NAN;
            v.jitter_local = f32::NEG_INFINITY;
        }
        let rows = collect(&frames);
        for r in &rows {
            assert!(r.spectral.iter().all(|v| v.is_finite()));
            assert!(r.energy_sq.is_none_or(f32::is_finite));
            let v = r.voice.unwrap();
            assert!(v.lld.iter().chain(&v.formants_voiced).chain(&v.spectral_voiced).all(|x| x.is_finite()));
        }
        assert_eq!(rows[3].voice.unwrap().lld[0], 0.0); // NaN F0 → unvoiced
        assert_eq!(rows[3].energy_sq, Some(0.0));
        assert!((rows[2].spectral[0] - (2.0 + 0.0 + 4.0) / 3.0).abs() < 1e-6);
    }
}
