//! Whole-file eGeMAPS v02, as `SMILExtract -C eGeMAPSv02.conf` computes it:
//! every smoothed LLD row of the file (the `lld` level) and the 88
//! functionals over the whole file (the `func` level).
//!
//! Unlike streaming use, whole-file parity keeps openSMILE's end-of-input
//! behaviour: pitch frames released only because the input ended are marked
//! `flushed`, which decides the tail rows openSMILE's functionals read (see
//! [`super::smoothing`]).

use super::config::HOP_S;
use super::functionals::{EgemapsFunctionals, FunctionalsError, N_FUNCTIONALS};
use super::lld::{SmoothedLlds, N_LLD};
use super::smoothing::LldSmoother;
use super::{Egemaps, EgemapsError};

/// The smoothed rows of a whole file.
#[derive(Debug, Clone)]
pub struct FileLlds {
    /// Smoothed rows `0..=n25` (see [`SmoothedLlds`]).
    pub rows: Vec<SmoothedLlds>,
    /// Seconds between row starts (`hop / rate`, 221 / 22 050 s).
    pub row_period_s: f64,
}

impl FileLlds {
    /// openSMILE's `lld` level: `(time_s, 25 values)` for rows `0..=n60`.
    pub fn lld_level(&self) -> impl Iterator<Item = (f64, [f32; N_LLD])> + '_ {
        self.rows.iter().enumerate().filter_map(|(i, r)| r.lld_row().map(|row| (i as f64 * self.row_period_s, row)))
    }

    /// openSMILE's `func` level: the 88 functionals of the whole file, in
    /// [`super::names::FUNCTIONAL_NAMES`] order.
    pub fn functionals(&self) -> Result<[f32; N_FUNCTIONALS], FunctionalsError> {
        let mut out = [0.0; N_FUNCTIONALS];
        EgemapsFunctionals::new(self.rows.len()).compute(&self.rows, HOP_S, &mut out)?;
        Ok(out)
    }
}

/// Runs eGeMAPS v02 over a whole mono signal at `sample_rate_hz`.
pub fn analyze(samples: &[f32], sample_rate_hz: u32) -> Result<FileLlds, EgemapsError> {
    let mut e = Egemaps::new(sample_rate_hz)?;
    let mut smoother = LldSmoother::new();
    let mut rows = Vec::with_capacity(samples.len() / e.framing().hop + 8);
    e.push(samples, |f| rows.extend(smoother.push(&f.llds)));
    e.finish(|f| rows.extend(smoother.push(&f.llds)));
    rows.extend(smoother.flush().into_iter().flatten());
    Ok(FileLlds { rows, row_period_s: e.framing().hop as f64 / sample_rate_hz as f64 })
}
