//! `cFunctionalSegments` (`src/functionals/functionalSegments.cpp`,
//! `process_SegNonX` / `process_SegEqX`) as `gemapsv01b_temporalF0` and
//! `gemapsv01b_temporalF0p` configure it: `X = 0`, `segMinLng = 3` and
//! `pauseMinLng = 2` (defaults), `maxNumSeg = 1000`, `norm = second`.
//!
//! A segment opens after 3 frames of the segment class (single frames of the
//! other class in between are tolerated) and closes after 2 frames of the
//! other class. Its length is counted as openSMILE does: from its first
//! frame to its last frame, i.e. one frame less than the number of frames it
//! spans. At most 1000 segments are counted; later ones are ignored.

/// Which frames form segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentClass {
    /// `nonX`: frames `!= 0` (voiced segments of the F0 contour).
    NonZero,
    /// `eqX`: frames `== 0` (unvoiced segments).
    Zero,
}

/// `segMinLng` default.
const SEG_MIN_LEN: u32 = 3;
/// `pauseMinLng` default.
const PAUSE_MIN_LEN: u32 = 2;
/// `Segments.maxNumSeg = 1000`.
pub const MAX_SEGMENTS: usize = 1000;

/// Segment statistics in seconds (`norm = second`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SegmentStats {
    /// Segments per second of contour (`numSegments`).
    pub per_second: f32,
    /// Mean segment length in seconds (`meanSegLen`).
    pub mean_len_s: f32,
    /// Population standard deviation of the segment lengths, seconds (`segLenStddev`).
    pub stddev_len_s: f32,
}

/// Segments of the contour `x` (non-empty) with frame period `period_s`
/// (`(FLOAT_DMEM)getInputPeriod()`). `lens` is scratch with capacity ≥
/// [`MAX_SEGMENTS`].
pub fn segments(x: &[f32], class: SegmentClass, period_s: f32, lens: &mut Vec<u32>) -> SegmentStats {
    lens.clear();
    let n = x.len();
    if n == 0 {
        return SegmentStats::default();
    }
    let add = |end: usize, start: usize, lens: &mut Vec<u32>| {
        if lens.len() < MAX_SEGMENTS {
            lens.push(end.saturating_sub(start) as u32);
        }
    };
    #[derive(PartialEq)]
    enum State {
        Pause,
        Candidate,
        Segment,
    }
    let mut state = State::Pause;
    let (mut seg_start, mut seg_end) = (0u32, 0u32);
    let mut start_idx = 0usize;
    for (i, &v) in x.iter().enumerate() {
        let in_class = match class {
            SegmentClass::NonZero => v != 0.0,
            SegmentClass::Zero => v == 0.0,
        };
        if in_class {
            match state {
                State::Candidate => {
                    seg_end = 0;
                    seg_start += 1;
                    if seg_start >= SEG_MIN_LEN {
                        seg_start = 0;
                        state = State::Segment;
                    }
                }
                State::Pause => {
                    seg_start += 1;
                    start_idx = i;
                    state = State::Candidate;
                }
                State::Segment => seg_end = 0,
            }
        } else {
            match state {
                State::Segment => {
                    seg_start = 0;
                    seg_end += 1;
                    if seg_end >= PAUSE_MIN_LEN {
                        state = State::Pause;
                        add(i - seg_end as usize, start_idx, lens);
                        seg_end = 0;
                    }
                }
                State::Candidate => {
                    seg_end += 1;
                    if seg_end >= PAUSE_MIN_LEN {
                        state = State::Pause;
                        seg_end = 0;
                        seg_start = 0;
                    }
                }
                State::Pause => {}
            }
        }
    }
    if state == State::Segment {
        seg_end += 1;
        add(n - seg_end as usize, start_idx, lens);
    }

    let count = lens.len();
    let sum: u64 = lens.iter().map(|&l| u64::from(l)).sum();
    let mean = if count > 1 { sum as f32 / count as f32 } else { sum as f32 };
    let mut dev = 0.0f32;
    for &l in lens.iter() {
        let d = l as f32 - mean;
        dev += d * d;
    }
    let dev = if count > 1 { (dev / count as f32).sqrt() } else { 0.0 };
    let t = if period_s != 0.0 { period_s } else { 1.0 };
    SegmentStats { per_second: count as f32 / (t * n as f32), mean_len_s: mean * t, stddev_len_s: dev * t }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: &[f32], class: SegmentClass) -> (SegmentStats, Vec<u32>) {
        let mut lens = Vec::with_capacity(MAX_SEGMENTS);
        let s = segments(x, class, 0.01, &mut lens);
        (s, lens)
    }

    #[test]
    fn voiced_segment_lengths_are_last_minus_first() {
        // voiced 2..=9 (8 frames), 14..=15 (too short), 20..=29 up to the end
        let x: Vec<f32> = (0..30)
            .map(|i| if (2..10).contains(&i) || (14..16).contains(&i) || i >= 20 { 30.0 } else { 0.0 })
            .collect();
        let (s, lens) = run(&x, SegmentClass::NonZero);
        assert_eq!(lens, vec![7, 9]);
        assert!((s.per_second - 2.0 / 0.3).abs() < 1e-3);
        assert!((s.mean_len_s - 0.08).abs() < 1e-6);
        assert!((s.stddev_len_s - 0.01).abs() < 1e-6);
    }

    #[test]
    fn all_unvoiced_is_one_pause_segment() {
        let x = [0.0f32; 295];
        let (s, lens) = run(&x, SegmentClass::Zero);
        assert_eq!(lens, vec![294]);
        assert!((s.mean_len_s - 2.94).abs() < 1e-5);
        assert_eq!(s.stddev_len_s, 0.0);
        let (s, lens) = run(&x, SegmentClass::NonZero);
        assert!(lens.is_empty());
        assert_eq!(s, SegmentStats::default());
    }

    #[test]
    fn single_gap_frames_are_bridged() {
        let x = [0.0, 5.0, 0.0, 5.0, 5.0, 5.0, 0.0, 5.0, 5.0, 0.0, 0.0, 0.0];
        let (_, lens) = run(&x, SegmentClass::NonZero);
        assert_eq!(lens, vec![7]);
    }

    #[test]
    fn segment_count_is_capped() {
        let x: Vec<f32> = (0..5 * 1200).map(|i| if i % 5 < 3 { 1.0 } else { 0.0 }).collect();
        let (_, lens) = run(&x, SegmentClass::NonZero);
        assert_eq!(lens.len(), MAX_SEGMENTS);
    }
}
