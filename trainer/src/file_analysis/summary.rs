//! `moodtap analyze --summary`: one row per file for catalog use.
//!
//! Columns: `file, duration_s, steps, full_steps, valence_mean, valence_q25,
//! valence_median, valence_q75, arousal_mean, arousal_q25, arousal_median,
//! arousal_q75`. The statistics are over the steps whose model context was
//! full (`coverage = 1`, i.e. after the first 45 s with the default model);
//! a file shorter than that is summarised over all its steps, and
//! `full_steps = 0` says so. Quartiles interpolate linearly between order
//! statistics (NumPy's default). A file with no step at all has empty
//! statistic fields.

use std::io::Write;

use super::FileAnalysis;

/// Header of the summary table.
pub const SUMMARY_COLUMNS: [&str; 12] = [
    "file",
    "duration_s",
    "steps",
    "full_steps",
    "valence_mean",
    "valence_q25",
    "valence_median",
    "valence_q75",
    "arousal_mean",
    "arousal_q25",
    "arousal_median",
    "arousal_q75",
];

/// Mean and the three quartiles of `x` (not empty).
fn describe(mut x: Vec<f32>) -> [f32; 4] {
    x.sort_by(f32::total_cmp);
    let mean = (x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64) as f32;
    let q = |p: f64| {
        let pos = p * (x.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        let f = (pos - lo as f64) as f32;
        x[lo] + f * (x[hi] - x[lo])
    };
    [mean, q(0.25), q(0.5), q(0.75)]
}

/// Writes one summary row per analysed file.
pub fn write_summary(out: impl Write, files: &[FileAnalysis]) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(SUMMARY_COLUMNS)?;
    for f in files {
        let full: Vec<_> = f.estimates.iter().filter(|e| !e.warming_up()).collect();
        let used: Vec<_> = if full.is_empty() { f.estimates.iter().collect() } else { full.clone() };
        let mut row = vec![
            f.path.display().to_string(),
            format!("{:.3}", f.duration_s),
            f.estimates.len().to_string(),
            full.len().to_string(),
        ];
        if used.is_empty() {
            row.extend(std::iter::repeat_n(String::new(), 8));
        } else {
            for stats in
                [describe(used.iter().map(|e| e.valence).collect()), describe(used.iter().map(|e| e.arousal).collect())]
            {
                row.extend(stats.iter().map(|v| v.to_string()));
            }
        }
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = 1.75, 2.5, 3.25
        assert_eq!(describe(vec![4.0, 1.0, 3.0, 2.0]), [2.5, 1.75, 2.5, 3.25]);
        assert_eq!(describe(vec![0.5]), [0.5; 4]);
    }
}
