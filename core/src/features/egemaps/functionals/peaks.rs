//! `cFunctionalPeaks2` (`src/functionals/functionalPeaks2.cpp`, `process`)
//! as eGeMAPS configures it: `relThresh = 0.1`, `dynRelThresh = 0`,
//! `norm = seconds`; outputs the number of peaks and the rising/falling
//! slope statistics. openSMILE's quirks are kept on purpose (they are what
//! the published feature set measures):
//! - only positions `2..N−2` can be extrema;
//! - falling slopes between extrema are positive (`(max − min)/Δt`), but the
//!   slope from the last maximum to the end of the contour is signed;
//! - the slope to the end of the contour enters the means but not the
//!   standard deviations;
//! - without any extremum the single "slope" is `(x[N−1] − x[0]) / N`, not
//!   divided by the frame period.

/// One local extremum of the contour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extremum {
    /// Frame index in the contour.
    pub pos: usize,
    /// Contour value.
    pub value: f32,
    /// `true` for a maximum.
    pub is_max: bool,
    alive: bool,
}

/// The Peaks2 outputs eGeMAPS uses.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PeakStats {
    /// Maxima left after the pruning steps.
    pub n_peaks: usize,
    /// `meanRisingSlope`, contour units per second.
    pub mean_rising_slope: f32,
    /// `stddevRisingSlope`.
    pub stddev_rising_slope: f32,
    /// `meanFallingSlope`.
    pub mean_falling_slope: f32,
    /// `stddevFallingSlope`.
    pub stddev_falling_slope: f32,
}

/// `relThresh = 0.100000` (`GeMAPSv01b_core.func.conf.inc`).
const REL_THRESH: f32 = 0.1;

fn remove(list: &mut [Extremum], i: usize) {
    list[i].alive = false;
}

/// Runs Peaks2 on a non-empty contour `x` with its `min`/`max`;
/// `period_s` is openSMILE's `(FLOAT_DMEM)getInputPeriod()`. `list` is
/// scratch (its capacity must be ≥ `x.len()` to stay allocation-free).
pub fn peaks2(x: &[f32], min: f32, max: f32, period_s: f32, list: &mut Vec<Extremum>) -> PeakStats {
    let n = x.len();
    list.clear();
    if n == 0 {
        return PeakStats::default();
    }
    let abs_thresh = REL_THRESH * (max - min);
    let below = |diff: f32| diff < abs_thresh;

    // step 1: all local extrema
    for i in 2..n.saturating_sub(2) {
        if x[i] > x[i - 1] && x[i] > x[i + 1] {
            list.push(Extremum { pos: i, value: x[i], is_max: true, alive: true });
        } else if x[i] < x[i - 1] && x[i] < x[i + 1] {
            list.push(Extremum { pos: i, value: x[i], is_max: false, alive: true });
        }
    }

    // step 2a: minimum rise/fall between neighbours, keep the salient maximum
    let (mut last_val, mut last_min, mut last_max) = (x[0], x[0], x[0]);
    let mut min_flag = false;
    let mut last_max_idx: Option<usize> = None;
    for j in 0..list.len() {
        let e = list[j];
        if e.is_max {
            if below((e.value - last_val).abs()) {
                if below(e.value - last_min) {
                    remove(list, j);
                } else {
                    if f64::from(e.value) > f64::from(last_max) * 1.05 {
                        if let Some(p) = last_max_idx {
                            remove(list, p);
                        }
                        last_max = e.value;
                        last_max_idx = Some(j);
                    } else if min_flag {
                        last_max = e.value;
                        last_max_idx = Some(j);
                    } else {
                        remove(list, j);
                    }
                    min_flag = false;
                }
            } else {
                min_flag = false;
                last_max = e.value;
                last_max_idx = Some(j);
            }
        } else if !below((e.value - last_val).abs()) {
            min_flag = true;
            last_min = e.value;
        }
        last_val = e.value;
    }
    list.retain(|e| e.alive);

    // step 2b: drop minima too close below the preceding maximum
    let mut last_max = x[0];
    for e in list.iter_mut() {
        if e.is_max {
            last_max = e.value;
        } else if below(last_max - e.value) {
            e.alive = false;
        }
    }
    list.retain(|e| e.alive);

    // step 3: strictly alternate, keeping the highest max / lowest min of a run
    let (mut last_max, mut last_min) = (x[0], x[0]);
    let (mut last_max_idx, mut last_min_idx) = (0usize, 0usize);
    let mut min_flag = false;
    let mut init = true;
    for j in 0..list.len() {
        let e = list[j];
        if !e.is_max {
            if !min_flag || init {
                last_min = e.value;
                last_min_idx = j;
                min_flag = true;
                init = false;
            } else if e.value >= last_min {
                remove(list, j);
            } else if last_min_idx != j {
                remove(list, last_min_idx);
                last_min_idx = j;
                last_min = e.value;
            }
        } else if min_flag || init {
            last_max = e.value;
            last_max_idx = j;
            min_flag = false;
            init = false;
        } else if e.value <= last_max {
            remove(list, j);
        } else if last_max_idx != j {
            remove(list, last_max_idx);
            last_max_idx = j;
            last_max = e.value;
        }
    }
    list.retain(|e| e.alive);

    let n_peaks = list.iter().filter(|e| e.is_max).count();
    let t = period_s;
    let slope = |dy: f32, dx: usize| dy / (dx as f32 * t);

    // slopes, 1st pass: means (including the slope to the end of the contour)
    let (mut mean_r, mut mean_f) = (0.0f32, 0.0f32);
    let (mut n_r, mut n_f) = (0usize, 0usize);
    let (mut last_max, mut last_max_pos, mut last_min, mut last_min_pos) = (x[0], 0usize, x[0], 0usize);
    let mut last_is_max: Option<bool> = None;
    for e in list.iter() {
        if e.is_max {
            last_max = e.value;
            last_max_pos = e.pos;
            if last_max_pos > last_min_pos {
                mean_r += slope(last_max - last_min, last_max_pos - last_min_pos);
                n_r += 1;
                last_is_max = Some(true);
            }
        } else {
            last_min = e.value;
            last_min_pos = e.pos;
            if last_min_pos > last_max_pos {
                mean_f += slope(last_max - last_min, last_min_pos - last_max_pos);
                n_f += 1;
                last_is_max = Some(false);
            }
        }
    }
    let end = n - 1;
    match last_is_max {
        Some(true) if end > last_max_pos => {
            mean_f += slope(x[end] - last_max, end - last_max_pos);
            n_f += 1;
        }
        Some(false) if end > last_min_pos => {
            mean_r += slope(x[end] - last_min, end - last_min_pos);
            n_r += 1;
        }
        None => {
            let s = (x[end] - x[0]) / n as f32;
            if s > 0.0 {
                mean_r = s;
                n_r = 1;
            } else if s < 0.0 {
                mean_f = s;
                n_f = 1;
            }
        }
        _ => {}
    }
    if n_r > 1 {
        mean_r /= n_r as f32;
    }
    if n_f > 1 {
        mean_f /= n_f as f32;
    }

    // 2nd pass: standard deviations (between extrema only)
    let (mut sd_r, mut sd_f) = (0.0f32, 0.0f32);
    let (mut last_max, mut last_max_pos, mut last_min, mut last_min_pos) = (x[0], 0usize, x[0], 0usize);
    for e in list.iter() {
        if e.is_max {
            last_max = e.value;
            last_max_pos = e.pos;
            if last_max_pos != last_min_pos {
                // openSMILE tests `lastMaxPos - lastMinPos` for non-zero here;
                // the list alternates, so the difference is positive.
                let s = slope(last_max - last_min, last_max_pos.abs_diff(last_min_pos));
                sd_r += (s - mean_r) * (s - mean_r);
            }
        } else {
            last_min = e.value;
            last_min_pos = e.pos;
            if last_min_pos > last_max_pos {
                let s = slope(last_max - last_min, last_min_pos - last_max_pos);
                sd_f += (s - mean_f) * (s - mean_f);
            }
        }
    }
    if n_r > 1 {
        sd_r /= n_r as f32;
    }
    if n_f > 1 {
        sd_f /= n_f as f32;
    }
    let sd_r = if sd_r > 0.0 { sd_r.sqrt() } else { 0.0 };
    let sd_f = if sd_f > 0.0 { sd_f.sqrt() } else { 0.0 };

    PeakStats {
        n_peaks,
        mean_rising_slope: mean_r,
        stddev_rising_slope: sd_r,
        mean_falling_slope: mean_f,
        stddev_falling_slope: sd_f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: &[f32]) -> PeakStats {
        let min = x.iter().copied().fold(f32::INFINITY, f32::min);
        let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut list = Vec::with_capacity(x.len());
        peaks2(x, min, max, 0.01, &mut list)
    }

    #[test]
    fn triangle_wave_slopes() {
        // rises 1 per frame for 5 frames, falls 1 per frame for 5, three times
        let x: Vec<f32> = (0..31)
            .map(|i| {
                let p = i % 10;
                if p <= 5 {
                    p as f32
                } else {
                    (10 - p) as f32
                }
            })
            .collect();
        let s = run(&x);
        assert_eq!(s.n_peaks, 3);
        assert!((s.mean_rising_slope - 100.0).abs() < 1e-3, "{s:?}");
        assert!(s.stddev_rising_slope.abs() < 1e-3);
        // falling: +100, +100 between extrema, then the signed end slope
        // (x[30] − 5)/0.05 = −100 that enters the mean but not the stddev
        assert!((s.mean_falling_slope - 100.0 / 3.0).abs() < 1e-3, "{s:?}");
        let sd = ((2.0 * (200.0f32 / 3.0).powi(2)) / 3.0).sqrt();
        assert!((s.stddev_falling_slope - sd).abs() < 1e-2, "{s:?}");
    }

    #[test]
    fn monotonic_contour_uses_the_unscaled_end_slope() {
        let x: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let s = run(&x);
        assert_eq!(s.n_peaks, 0);
        assert_eq!(s.mean_rising_slope, 9.0 / 10.0);
        assert_eq!(s.mean_falling_slope, 0.0);
        let flat = run(&[2.0; 8]);
        assert_eq!(flat, PeakStats::default());
        let one = run(&[2.0]);
        assert_eq!(one, PeakStats::default());
    }

    #[test]
    fn small_wiggles_are_pruned() {
        let mut x: Vec<f32> = (0..40).map(|i| if (10..20).contains(&i) { 10.0 } else { 0.0 }).collect();
        x[25] = 0.5; // 5 % of the range: below relThresh
        x[5] = 0.3;
        let s = run(&x);
        assert_eq!(s.n_peaks, 0);
    }
}
