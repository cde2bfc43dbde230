//! `moodtap features`: per-file feature tables (DESIGN.md §7).
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

use moodtap_core::audio::{decode_file, resample::resample_all, DecodedAudio};
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
    /// The 9 mid/high-level MIR descriptors (steps only).
    Mir,
    /// eGeMAPS functionals and MIR descriptors side by side, unnormalised, all 97 (steps only).
    Fused,
}

/// Time resolution of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    /// One row over the whole file.
    Functionals,
    /// One row per 10 ms LLD frame.
    Lld,
    /// One row per step: `window_s` seconds summarised every `hop_s` seconds (DESIGN §2).
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

/// Decodes `path` and brings it to the analysis rate (mono, 22 050 Hz).
pub fn load_analysis_audio(path: &Path) -> Result<DecodedAudio, FeaturesError> {
    let mut audio = decode_file(path)?;
    if audio.sample_rate_hz != ANALYSIS_RATE_HZ {
        audio.samples = resample_all(&audio.samples, audio.sample_rate_hz, ANALYSIS_RATE_HZ)?;
        audio.sample_rate_hz = ANALYSIS_RATE_HZ;
    }
    Ok(audio)
}

/// Computes the requested table for `path` and writes it as CSV to `out`.
pub fn write_features(
    path: &Path,
    set: FeatureSet,
    level: Level,
    timing: StepTiming,
    out: &mut dyn Write,
) -> Result<(), FeaturesError> {
    if level != Level::Steps && set != FeatureSet::Egemaps {
        return Err(FeaturesError::Unsupported {
            set,
            level,
            hint: "MIR and fused features exist per step: use --level steps",
        });
    }
    let audio = load_analysis_audio(path)?;
    if level == Level::Steps {
        let cfg = StepConfig { window_s: timing.window_s, hop_s: timing.hop_s };
        let mut ex = StepExtractor::new(audio.sample_rate_hz, cfg)?;
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
            }
        };
        ex.push(&audio.samples, &mut emit);
        ex.finish(&mut emit);
        result?;
        out.flush()?;
        return Ok(());
    }
    match set {
        FeatureSet::Mir | FeatureSet::Fused => unreachable!("rejected above"),
        FeatureSet::Egemaps => {
            let llds = offline::analyze(&audio.samples, audio.sample_rate_hz)?;
            match level {
                Level::Steps => unreachable!("handled above"),
                Level::Functionals => {
                    let f = llds.functionals()?;
                    writeln!(out, "{}", FUNCTIONAL_NAMES.join(","))?;
                    write_row(out, &f)?;
                }
                Level::Lld => {
                    writeln!(out, "time_s,{}", LLD_NAMES.join(","))?;
                    for (t, row) in llds.lld_level() {
                        write!(out, "{t:.6},")?;
                        write_row(out, &row)?;
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(())
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
