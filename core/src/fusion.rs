//! Fusion (docs/design.md §3.3): raw step vectors in, the model's input
//! matrix out. The one place that picks the model's feature columns out of
//! a raw step, z-scores them and lays `T` steps out as a `T × N` matrix, so
//! training (`moodtap train`/`eval`, from cached steps) and inference (the
//! plugin and `moodtap analyze`, from live steps) feed the network the same
//! numbers bit for bit (tested in `core/tests/fusion_parity.rs` and
//! `trainer/tests/fusion_parity.rs`).
//!
//! - [`Fusion`]: column choice + z-score statistics; [`Fusion::fuse_step`]
//!   maps one raw step (any column layout, [`raw_step_names`] order for live
//!   steps) to `N` model inputs.
//! - [`Fusion::fuse_last_steps`]: a song's last `T` steps as one matrix
//!   (what training and evaluation use).
//! - [`FusionRing`]: the same matrix kept up to date step by step, without
//!   allocating (what the streaming analyzer uses).
//!
//! Matrix layout: row-major `T × N`, oldest step first; when fewer than `T`
//! steps exist, the missing older rows are zeros, which is the normalised
//! mean (docs/design.md §2). Every value is finite and within ±[`MAX_ABS_Z`].

use crate::steps::raw_step_names;

/// Largest |z-score| fed to the network; inputs beyond are clamped, and a
/// non-finite input counts as the mean (0). A z-score of 100 is far outside
/// any training distribution; the clamp keeps products finite.
pub const MAX_ABS_Z: f32 = 100.0;

/// Standard deviations below this (relative to the mean's magnitude, or
/// absolute near 0) count as a constant feature: f32 rows of a constant
/// carry rounding noise of about 1e-7 relative.
const CONSTANT_REL_STD: f64 = 1e-6;

/// Why a fusion could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FusionError {
    /// A model feature is not among the available raw columns.
    #[error(
        "the model expects feature {0:?}, which this moodtap version does not compute (model made by another version?)"
    )]
    UnknownFeature(String),
    /// Statistics and columns disagree in length.
    #[error("{names} feature names but {mean} means and {std} standard deviations")]
    Mismatch {
        /// Feature names.
        names: usize,
        /// Means.
        mean: usize,
        /// Standard deviations.
        std: usize,
    },
}

/// Maps `names` to their positions in `available` (the raw column layout).
pub fn resolve_columns<S: AsRef<str>>(
    names: &[String],
    available: impl IntoIterator<Item = S>,
) -> Result<Vec<usize>, FusionError> {
    let available: Vec<S> = available.into_iter().collect();
    names
        .iter()
        .map(|f| {
            available
                .iter()
                .position(|n| n.as_ref() == f.as_str())
                .ok_or_else(|| FusionError::UnknownFeature(f.clone()))
        })
        .collect()
}

/// Per-feature z-score statistics over `rows` (raw vectors in the layout
/// `columns` index): mean and population standard deviation, accumulated in
/// f64; a constant (or non-finite) column gets std 1 so it maps to 0.
pub fn fit_statistics<'a>(rows: impl Iterator<Item = &'a [f32]> + Clone, columns: &[usize]) -> (Vec<f32>, Vec<f32>) {
    let n = columns.len();
    let (mut sum, mut count) = (vec![0.0f64; n], 0usize);
    for row in rows.clone() {
        for (acc, &c) in sum.iter_mut().zip(columns) {
            *acc += f64::from(row[c]);
        }
        count += 1;
    }
    let mean: Vec<f64> = sum.iter().map(|v| v / count.max(1) as f64).collect();
    let mut sq = vec![0.0f64; n];
    for row in rows {
        for ((acc, &c), m) in sq.iter_mut().zip(columns).zip(&mean) {
            *acc += (f64::from(row[c]) - m).powi(2);
        }
    }
    let std = sq
        .iter()
        .zip(&mean)
        .map(|(v, m)| {
            let sd = (v / count.max(1) as f64).sqrt();
            if sd > CONSTANT_REL_STD * m.abs().max(1.0) && sd.is_finite() {
                sd as f32
            } else {
                1.0
            }
        })
        .collect();
    (mean.iter().map(|m| *m as f32).collect(), std)
}

/// The model's view of a raw step: which columns, and their statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Fusion {
    names: Vec<String>,
    columns: Vec<usize>,
    mean: Vec<f32>,
    std: Vec<f32>,
}

impl Fusion {
    /// `names` resolved against `available` (the raw layout the caller will
    /// pass to [`fuse_step`](Self::fuse_step)), with one mean and one
    /// standard deviation (> 0) per name.
    pub fn new<S: AsRef<str>>(
        names: Vec<String>,
        available: impl IntoIterator<Item = S>,
        mean: Vec<f32>,
        std: Vec<f32>,
    ) -> Result<Self, FusionError> {
        if mean.len() != names.len() || std.len() != names.len() {
            return Err(FusionError::Mismatch { names: names.len(), mean: mean.len(), std: std.len() });
        }
        let columns = resolve_columns(&names, available)?;
        Ok(Self { names, columns, mean, std })
    }

    /// A model's fusion over live raw steps ([`raw_step_names`] layout).
    pub fn for_live_steps(names: Vec<String>, mean: Vec<f32>, std: Vec<f32>) -> Result<Self, FusionError> {
        Self::new(names, raw_step_names(), mean, std)
    }

    /// Number of model inputs per step, `N`.
    pub fn n_features(&self) -> usize {
        self.columns.len()
    }

    /// Ordered input feature names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Raw column of each input.
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// Means per input.
    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// Standard deviations per input.
    pub fn std(&self) -> &[f32] {
        &self.std
    }

    /// One raw step → `N` model inputs in `out`: `(raw − mean) / std` in f32,
    /// non-finite → 0, clamped to ±[`MAX_ABS_Z`]. Allocation-free.
    pub fn fuse_step(&self, raw: &[f32], out: &mut [f32]) {
        for (((o, &c), m), s) in out.iter_mut().zip(&self.columns).zip(&self.mean).zip(&self.std) {
            *o = bounded_z((raw[c] - m) / s);
        }
    }

    /// The `t × N` matrix of the last `t` of `rows` (oldest first, zero rows
    /// before them when there are fewer), appended to `out` so a batch is
    /// built without extra copies.
    pub fn fuse_last_steps<'a>(&self, rows: impl ExactSizeIterator<Item = &'a [f32]>, t: usize, out: &mut Vec<f32>) {
        let n = self.n_features();
        let have = rows.len().min(t);
        let skip = rows.len() - have;
        out.extend(std::iter::repeat_n(0.0, (t - have) * n));
        for row in rows.skip(skip) {
            let at = out.len();
            out.resize(at + n, 0.0);
            self.fuse_step(row, &mut out[at..]);
        }
    }
}

/// A finite z-score within ±[`MAX_ABS_Z`] (non-finite → 0).
#[inline]
pub fn bounded_z(z: f32) -> f32 {
    if z.is_finite() {
        z.clamp(-MAX_ABS_Z, MAX_ABS_Z)
    } else {
        0.0
    }
}

/// The last `T` fused steps of a stream, as the `T × N` model input
/// ([`Fusion::fuse_last_steps`] of every step seen so far), updated one step
/// at a time. Allocation-free after [`FusionRing::new`].
#[derive(Debug, Clone)]
pub struct FusionRing {
    t: usize,
    n: usize,
    /// Fused steps; step `k` (0-based) at slot `k % t`.
    ring: Vec<f32>,
    steps_seen: u64,
}

impl FusionRing {
    /// A ring for `t` steps of `n` inputs.
    pub fn new(t: usize, n: usize) -> Self {
        Self { t, n, ring: vec![0.0; t * n], steps_seen: 0 }
    }

    /// Appends one raw step, fused by `fusion` (which must have `n` inputs).
    pub fn push(&mut self, fusion: &Fusion, raw: &[f32]) {
        let slot = (self.steps_seen % self.t as u64) as usize;
        fusion.fuse_step(raw, &mut self.ring[slot * self.n..(slot + 1) * self.n]);
        self.steps_seen += 1;
    }

    /// Steps pushed since the last reset.
    pub fn steps_seen(&self) -> u64 {
        self.steps_seen
    }

    /// Share of the `t` rows that hold real steps (1 = full context).
    pub fn coverage(&self) -> f32 {
        self.filled() as f32 / self.t as f32
    }

    fn filled(&self) -> usize {
        self.steps_seen.min(self.t as u64) as usize
    }

    /// Writes the `t × n` matrix, oldest first, zeros where no step yet.
    pub fn write_matrix(&self, out: &mut [f32]) {
        self.write_recent(self.t, out);
    }

    /// Writes the last `k` steps (`k ≤ t`) as a `k × n` matrix into `out[..k·n]`,
    /// oldest first, zeros where no step yet: the input of a short-context reading
    /// ([`crate::model::now`]).
    ///
    /// # Panics
    /// If `k > t` or `out` is shorter than `k × n`.
    pub fn write_recent(&self, k: usize, out: &mut [f32]) {
        assert!(k <= self.t, "a ring of {} steps cannot give the last {k}", self.t);
        let (t, n) = (self.t, self.n);
        let filled = self.filled().min(k);
        out[..(k - filled) * n].iter_mut().for_each(|v| *v = 0.0);
        for i in 0..filled {
            let slot = ((self.steps_seen - filled as u64 + i as u64) % t as u64) as usize;
            let dst = (k - filled + i) * n;
            out[dst..dst + n].copy_from_slice(&self.ring[slot * n..(slot + 1) * n]);
        }
    }

    /// Forgets every step.
    pub fn reset(&mut self) {
        self.ring.iter_mut().for_each(|v| *v = 0.0);
        self.steps_seen = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fusion() -> Fusion {
        let names = vec!["b".to_string(), "a".to_string()];
        Fusion::new(names, ["a", "b", "c"], vec![1.0, 2.0], vec![2.0, 4.0]).unwrap()
    }

    #[test]
    fn fuse_step_selects_zscores_and_bounds() {
        let f = fusion();
        let mut out = [0.0; 2];
        f.fuse_step(&[10.0, 5.0, 99.0], &mut out);
        assert_eq!(out, [(5.0 - 1.0) / 2.0, (10.0 - 2.0) / 4.0]);
        f.fuse_step(&[f32::NAN, 1e30, 0.0], &mut out);
        assert_eq!(out, [MAX_ABS_Z, 0.0]);
    }

    #[test]
    fn unknown_feature_and_mismatch_are_refused() {
        let e = Fusion::new(vec!["z".into()], ["a"], vec![0.0], vec![1.0]).unwrap_err();
        assert_eq!(e, FusionError::UnknownFeature("z".into()));
        let e = Fusion::new(vec!["a".into()], ["a"], vec![0.0, 1.0], vec![1.0]).unwrap_err();
        assert!(matches!(e, FusionError::Mismatch { names: 1, mean: 2, std: 1 }));
    }

    #[test]
    fn ring_equals_last_steps_matrix_at_every_step() {
        let f = fusion();
        let t = 4;
        let raws: Vec<[f32; 3]> = (0..11).map(|i| [i as f32 * 0.7, (i * i) as f32 - 3.0, 0.0]).collect();
        let mut ring = FusionRing::new(t, 2);
        let mut got = vec![0.0; t * 2];
        for k in 1..=raws.len() {
            ring.push(&f, &raws[k - 1]);
            ring.write_matrix(&mut got);
            let mut want = Vec::new();
            f.fuse_last_steps(raws[..k].iter().map(|r| &r[..]), t, &mut want);
            assert_eq!(got, want, "after {k} steps");
            assert_eq!(ring.coverage(), k.min(t) as f32 / t as f32);
        }
        ring.reset();
        ring.write_matrix(&mut got);
        assert!(got.iter().all(|v| *v == 0.0));
    }

    #[test]
    fn recent_rows_equal_the_last_steps_matrix_of_that_length() {
        let f = fusion();
        let t = 5;
        let raws: Vec<[f32; 3]> = (0..13).map(|i| [i as f32 * 0.3 - 1.0, (i % 4) as f32, 0.0]).collect();
        let mut ring = FusionRing::new(t, 2);
        for k in 1..=raws.len() {
            ring.push(&f, &raws[k - 1]);
            for recent in 1..=t {
                let mut got = vec![f32::NAN; recent * 2];
                ring.write_recent(recent, &mut got);
                let mut want = Vec::new();
                f.fuse_last_steps(raws[..k].iter().map(|r| &r[..]), recent, &mut want);
                assert_eq!(got, want, "last {recent} after {k} steps");
            }
        }
    }

    #[test]
    fn statistics_are_population_moments_with_constant_columns_at_one() {
        let rows: Vec<[f32; 3]> = vec![[1.0, 5.0, 0.0], [3.0, 5.0, 0.0]];
        let (mean, std) = fit_statistics(rows.iter().map(|r| &r[..]), &[0, 1]);
        assert_eq!(mean, vec![2.0, 5.0]);
        assert_eq!(std, vec![1.0, 1.0]);
        let rows: Vec<[f32; 1]> = vec![[0.0], [4.0]];
        let (_, std) = fit_statistics(rows.iter().map(|r| &r[..]), &[0]);
        assert_eq!(std, vec![2.0]);
    }
}
