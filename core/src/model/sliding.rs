//! Reuse between successive inputs of a sliding window ([`super::fast`]).
//!
//! The analyzer calls the network once per step (0.15 s) on the last `T` steps, so
//! successive inputs are the previous one moved up by one row with a new last row. Most of
//! the network's cost before the recurrence is per row of the BiLSTM input: the CNN's
//! pooled rows and the input projections `b + x·W_in` of the BiLSTM. A BiLSTM-input row
//! depends only on a fixed band of input rows, so when the window has slid by one row
//! `period` times in a row, row `j` equals row `j + 1` of the window `period` calls ago —
//! `period` = 4 with the CNN (two 2×2/2 pools: the pooling grid repeats every 4 rows),
//! 1 without. Rows whose band touches the zero padding at either end of the window differ
//! and are recomputed, as are the newest rows.
//!
//! Slides are **detected**, not promised: [`SlideTracker::observe`] compares the new input
//! with the previous one bit for bit, so any caller gets the same bits as a full pass (the
//! tests check this against fresh networks for every architecture and several `T`).

use std::ops::Range;

/// Which projected rows of this call can be taken from the call `period` calls ago.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reuse {
    /// Slot of the projection ring for this call (the slot the call `period` ago wrote).
    pub slot: usize,
    /// Rows `j` of this call equal to rows `j + 1` of that call (empty: compute all).
    pub rows: Range<usize>,
}

/// Remembers the previous input and how many one-row slides led to it.
#[derive(Debug, Clone)]
pub(super) struct SlideTracker {
    /// 4 with the CNN, 1 without (see the module docs).
    period: usize,
    /// Rows of the input (`T`) and values per row (`N`).
    t: usize,
    n: usize,
    /// Rows of the BiLSTM input (`T / 4` with the CNN, else `T`).
    steps: usize,
    /// Rows `j` whose band of input rows lies inside the window, padding untouched.
    interior: Range<usize>,
    /// The previous input, `[T × N]`; meaningful when `calls > 0`.
    last: Vec<f32>,
    /// Consecutive one-row slides up to the current input, saturating at `period`.
    slides: usize,
    /// Calls so far (their count mod `period` is the ring slot).
    calls: usize,
}

impl SlideTracker {
    /// For an input of `t × n` and a BiLSTM input of `steps` rows; `cnn` = the two conv
    /// blocks come first. Allocates the copy of the last input.
    pub(super) fn new(t: usize, n: usize, steps: usize, cnn: bool) -> Self {
        let (period, interior) = if cnn { (4, cnn_interior(t)) } else { (1, 0..t) };
        Self { period, t, n, steps, interior, last: vec![0.0; t * n], slides: 0, calls: 0 }
    }

    /// Number of projection-ring slots the network needs.
    pub(super) fn period(&self) -> usize {
        self.period
    }

    /// Records `input` and says what the network may reuse for it. Never allocates.
    pub(super) fn observe(&mut self, input: &[f32]) -> Reuse {
        let row = self.n;
        let slid = self.calls > 0
            && self.t > 1
            && input[..(self.t - 1) * row].iter().zip(&self.last[row..]).all(|(a, b)| a.to_bits() == b.to_bits());
        self.slides = if slid { (self.slides + 1).min(self.period) } else { 0 };
        self.last.copy_from_slice(input);
        let slot = self.calls % self.period;
        self.calls = self.calls.wrapping_add(1);
        // Row j comes from row j + 1 of the older call: both must be interior.
        let rows = if self.slides == self.period && self.interior.len() >= 2 {
            self.interior.start..self.interior.end - 1
        } else {
            0..0
        };
        debug_assert!(rows.end <= self.steps);
        Reuse { slot, rows }
    }
}

/// Interior rows of the CNN's output for `t` input rows: pooled row `j` of the second block
/// comes from conv rows `2j, 2j + 1` of that block, i.e. first-block rows `2j − 1 ..= 2j + 2`,
/// i.e. first-conv rows `4j − 2 ..= 4j + 5`, i.e. input rows `4j − 3 ..= 4j + 6`. It is
/// interior when none of these is a padding row: `j ≥ 1`, `2j + 2 ≤ t/2 − 1` and
/// `4j + 6 ≤ t − 1`.
fn cnn_interior(t: usize) -> Range<usize> {
    let t1 = t / 2;
    let last_by_block1 = (t1 + 1).checked_sub(4).map(|v| v / 2); // 2j + 2 ≤ t1 − 1
    let last_by_input = t.checked_sub(7).map(|v| v / 4); // 4j + 6 ≤ t − 1
    match (last_by_block1, last_by_input) {
        (Some(a), Some(b)) if a.min(b) >= 1 => 1..a.min(b) + 1,
        _ => 0..0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interior_rows_of_the_default_and_small_windows() {
        // T = 299: 74 BiLSTM rows, row 0 touches the top padding, row 73 the newest rows.
        assert_eq!(cnn_interior(299), 1..74);
        // T = 20 ("now" reading): 5 rows, 1..=3 interior.
        assert_eq!(cnn_interior(20), 1..4);
        assert_eq!(cnn_interior(99), 1..24);
        assert_eq!(cnn_interior(8), 0..0);
        assert_eq!(cnn_interior(4), 0..0);
        // Brute force: j is interior iff its input band and block-1 band avoid padding.
        for t in 4..64 {
            let (t1, t2) = (t / 2, t / 4);
            let expected: Vec<usize> = (0..t2).filter(|&j| j >= 1 && 2 * j + 2 < t1 && 4 * j + 6 < t).collect();
            let got: Vec<usize> = cnn_interior(t).collect();
            assert_eq!(got, expected, "t = {t}");
        }
    }

    #[test]
    fn reuse_needs_period_consecutive_slides() {
        let (t, n) = (20, 3);
        let mut tracker = SlideTracker::new(t, n, t / 4, true);
        let mut signal: Vec<f32> = (0..(t + 10) * n).map(|i| i as f32).collect();
        let window = |start: usize, s: &[f32]| s[start * n..(start + t) * n].to_vec();
        for call in 0..4 {
            let r = tracker.observe(&window(call, &signal));
            assert_eq!(r.rows, 0..0, "call {call}: fewer than 4 slides");
            assert_eq!(r.slot, call % 4);
        }
        assert_eq!(tracker.observe(&window(4, &signal)).rows, 1..3);
        // A jump (not a one-row slide) starts over.
        assert_eq!(tracker.observe(&window(6, &signal)).rows, 0..0);
        // A changed old value is not a slide either.
        signal[7 * n] = -1.0;
        assert_eq!(tracker.observe(&window(7, &signal)).rows, 0..0);
        // Without a CNN one slide suffices and every row but the last is reused.
        let mut plain = SlideTracker::new(t, n, t, false);
        assert_eq!(plain.observe(&window(0, &signal)).rows, 0..0);
        assert_eq!(plain.observe(&window(1, &signal)).rows, 0..t - 1);
    }
}
