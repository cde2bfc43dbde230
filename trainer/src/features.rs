//! `moodtap features`: per-file feature tables (docs/design.md §7).
//!
//! `--set egemaps --level functionals` writes one row with openSMILE's 88
//! eGeMAPS v02 names in order; `--level lld` writes `time_s` plus the 25
//! smoothed LLDs every 10 ms (221 samples at 22 050 Hz), exactly the columns
//! of openSMILE's `lld` level.
//!
//! Degenerate input is defined, never NaN: NaN/Inf samples count as silence;
//! a file shorter than one 60 ms frame (1 323 samples at 22 050 Hz) has an
//! empty `lld` table and functionals of 0 with `equivalentSoundLevel` at the
//! −120 dB floor (openSMILE writes no row at all there); functionals over no
//! voiced frame are 0, as openSMILE's.

use std::io::Write;
use std::path::Path;

use moodtap_core::audio::decode::DecodeStats;
use moodtap_core::audio::{AudioError, Decoder, StreamResampler};
use moodtap_core::features::egemaps::functionals::N_FUNCTIONALS;
use moodtap_core::features::egemaps::names::{FUNCTIONAL_NAMES, LLD_NAMES};
use moodtap_core::features::egemaps::offline;
use moodtap_core::steps::{raw_step_names, Step, StepConfig, StepError, StepExtractor, RAW_STEP_LEN};
use moodtap_core::ANALYSIS_RATE_HZ;

/// Feature set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FeatureSet {
    /// openSMILE's eGeMAPS v02 (88 functionals / 25 LLDs).
    Egemaps,
    /// The mid/high-level MIR descriptors (steps only).
    Mir,
    /// eGeMAPS functionals and MIR descriptors side by side, unnormalised, all of them (steps only).
    Fused,
}

/// Time resolution of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    /// One row over the whole file.
    Functionals,
    /// One row per 10 ms LLD frame.
    Lld,
    /// One row per step: `window_s` seconds summarised every `hop_s` seconds (docs/design.md §2).
    Steps,
}

/// Step timing for `--level steps`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTiming {
    /// Seconds each step summarises.
    pub window_s: f64,
    /// Seconds between steps.
    pub hop_s: f64,
}

/// Errors of the features command.
#[derive(Debug, thiserror::Error)]
pub enum FeaturesError {
    /// The audio could not be read.
    #[error(transparent)]
    Audio(#[from] moodtap_core::audio::AudioError),
    /// Resampling failed.
    #[error(transparent)]
    Resample(#[from] moodtap_core::audio::resample::ResampleError),
    /// eGeMAPS extraction could not start.
    #[error(transparent)]
    Egemaps(#[from] moodtap_core::features::egemaps::EgemapsError),
    /// Step extraction could not start (bad timing).
    #[error(transparent)]
    Steps(#[from] StepError),
    /// Functionals could not be computed.
    #[error(transparent)]
    Functionals(#[from] moodtap_core::features::egemaps::functionals::FunctionalsError),
    /// The combination is not offered.
    #[error("--set {set:?} has no --level {level:?}; {hint}")]
    Unsupported {
        /// Requested set.
        set: FeatureSet,
        /// Requested level.
        level: Level,
        /// What to use instead.
        hint: &'static str,
    },
    /// Writing the table failed.
    #[error("cannot write the table: {0}")]
    Io(#[from] std::io::Error),
}

/// What the input was, for notes on stderr.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeaturesReport {
    /// Samples decoded (mono, at the file's rate).
    pub samples: u64,
    /// The file's sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Decoding events (damage, truncation, non-finite or clipped samples).
    pub stats: DecodeStats,
    /// Rows written below the header.
    pub rows: usize,
}

impl FeaturesReport {
    /// Notes worth telling the user, one per line (empty when all was normal).
    pub fn notes(&self, file: &Path) -> Vec<String> {
        let mut notes = Vec::new();
        let s = self.stats;
        if s.truncated {
            notes.push(format!("{}: the file is truncated; features cover the part before the damage", file.display()));
        }
        if s.skipped_packets > 0 {
            notes.push(format!("{}: {} damaged packets skipped", file.display(), s.skipped_packets));
        }
        if s.nonfinite_samples > 0 {
            notes.push(format!("{}: {} non-finite samples counted as silence", file.display(), s.nonfinite_samples));
        }
        if s.clipped_samples > 0 {
            notes.push(format!(
                "{}: {} samples beyond ±{} (+30 dBFS) clipped there (is this float file scaled right?)",
                file.display(),
                s.clipped_samples,
                moodtap_core::audio::MAX_ABS_SAMPLE
            ));
        }
        // One 60 ms frame at the file's rate.
        let frame = (0.06 * f64::from(self.sample_rate_hz)).ceil() as u64;
        if self.samples < frame {
            notes.push(format!(
                "{}: {} samples, shorter than one 60 ms analysis frame: functionals are defined as 0 and there are no LLD rows",
                file.display(),
                self.samples
            ));
        }
        notes
    }
}

/// Computes the requested table for `path` and writes it as CSV to `out`.
/// The file is decoded, resampled and analysed block by block: memory holds
/// the 10 ms LLD rows (functionals, LLDs) or nothing beyond the step window
/// (steps), never the file's samples.
pub fn write_features(
    path: &Path,
    set: FeatureSet,
    level: Level,
    timing: StepTiming,
    out: &mut dyn Write,
) -> Result<FeaturesReport, FeaturesError> {
    if level != Level::Steps && set != FeatureSet::Egemaps {
        return Err(FeaturesError::Unsupported {
            set,
            level,
            hint: "MIR and fused features exist per step: use --level steps",
        });
    }
    let mut decoder = Decoder::open(path)?;
    let rate = decoder.sample_rate_hz();
    let mut resampler = StreamResampler::new(rate, ANALYSIS_RATE_HZ)?;
    let mut samples = 0u64;
    let mut rows = 0usize;
    if level == Level::Steps {
        let cfg = StepConfig { window_s: timing.window_s, hop_s: timing.hop_s };
        let mut ex = StepExtractor::new(ANALYSIS_RATE_HZ, cfg)?;
        let cols: std::ops::Range<usize> = match set {
            FeatureSet::Egemaps => 0..N_FUNCTIONALS,
            FeatureSet::Mir => N_FUNCTIONALS..RAW_STEP_LEN,
            FeatureSet::Fused => 0..RAW_STEP_LEN,
        };
        let names: Vec<&str> = raw_step_names().collect();
        writeln!(out, "time_s,{}", names[cols.clone()].join(","))?;
        let mut result = Ok(());
        let mut emit = |s: &Step| {
            if result.is_ok() {
                result = write!(out, "{:.6},", s.time_s).and_then(|_| write_row(out, &s.values[cols.clone()]));
                rows += 1;
            }
        };
        while let Some(block) = decoder.next_block() {
            samples += block.len() as u64;
            resampler.push(block, |r| ex.push(r, &mut emit));
        }
        if samples == 0 {
            return Err(AudioError::Empty { what: path.display().to_string() }.into());
        }
        resampler.finish(|r| ex.push(r, &mut emit));
        ex.finish(&mut emit);
        result?;
        out.flush()?;
        return Ok(FeaturesReport { samples, sample_rate_hz: rate, stats: decoder.stats(), rows });
    }
    let mut analyzer = offline::FileAnalyzer::new(ANALYSIS_RATE_HZ)?;
    while let Some(block) = decoder.next_block() {
        samples += block.len() as u64;
        resampler.push(block, |r| analyzer.push(r));
    }
    if samples == 0 {
        return Err(AudioError::Empty { what: path.display().to_string() }.into());
    }
    resampler.finish(|r| analyzer.push(r));
    let llds = analyzer.finish();
    match level {
        Level::Steps => unreachable!("handled above"),
        Level::Functionals => {
            let f = llds.functionals()?;
            writeln!(out, "{}", FUNCTIONAL_NAMES.join(","))?;
            write_row(out, &f)?;
            rows = 1;
        }
        Level::Lld => {
            writeln!(out, "time_s,{}", LLD_NAMES.join(","))?;
            for (t, row) in llds.lld_level() {
                write!(out, "{t:.6},")?;
                write_row(out, &row)?;
                rows += 1;
            }
        }
    }
    out.flush()?;
    Ok(FeaturesReport { samples, sample_rate_hz: rate, stats: decoder.stats(), rows })
}

fn write_row(out: &mut dyn Write, values: &[f32]) -> std::io::Result<()> {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write!(out, "{v}")?;
    }
    out.write_all(b"\n")
}
