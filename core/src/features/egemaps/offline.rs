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

/// Whole-file eGeMAPS fed in blocks, so a long file never has to be in
/// memory as samples: only its smoothed rows (25 LLDs per 10 ms) are kept.
/// [`analyze`] is this over one slice.
pub struct FileAnalyzer {
    egemaps: Egemaps,
    smoother: LldSmoother,
    rows: Vec<SmoothedLlds>,
    sample_rate_hz: u32,
}

impl FileAnalyzer {
    /// An analyzer for mono audio at `sample_rate_hz`.
    pub fn new(sample_rate_hz: u32) -> Result<Self, EgemapsError> {
        Ok(Self {
            egemaps: Egemaps::new(sample_rate_hz)?,
            smoother: LldSmoother::new(),
            rows: Vec::new(),
            sample_rate_hz,
        })
    }

    /// Feeds the next block of samples (any length).
    pub fn push(&mut self, samples: &[f32]) {
        let Self { egemaps, smoother, rows, .. } = self;
        egemaps.push(samples, |f| rows.extend(smoother.push(&f.llds)));
    }

    /// End of input: openSMILE's end-of-file flush, then every row.
    pub fn finish(mut self) -> FileLlds {
        let Self { egemaps, smoother, rows, .. } = &mut self;
        egemaps.finish(|f| rows.extend(smoother.push(&f.llds)));
        rows.extend(smoother.flush().into_iter().flatten());
        let row_period_s = self.egemaps.framing().hop as f64 / self.sample_rate_hz as f64;
        FileLlds { rows: self.rows, row_period_s }
    }
}

/// Runs eGeMAPS v02 over a whole mono signal at `sample_rate_hz`.
pub fn analyze(samples: &[f32], sample_rate_hz: u32) -> Result<FileLlds, EgemapsError> {
    let mut a = FileAnalyzer::new(sample_rate_hz)?;
    a.rows.reserve(samples.len() / a.egemaps.framing().hop + 8);
    a.push(samples);
    Ok(a.finish())
}
