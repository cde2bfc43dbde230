//! `moodtap features`: the feature table of one audio file.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::features::{self, FeatureSet, Level};

/// Arguments of `moodtap features`.
#[derive(Debug, Args)]
pub struct FeaturesArgs {
    /// Audio file (WAV, FLAC, MP3, Ogg Vorbis, Ogg Opus, AIFF; any rate 8–192 kHz; channels are averaged).
    pub file: PathBuf,
    /// Feature set.
    #[arg(long, value_enum, default_value_t = FeatureSet::Egemaps)]
    pub set: FeatureSet,
    /// Table resolution.
    #[arg(long, value_enum, default_value_t = Level::Functionals)]
    pub level: Level,
    /// Output CSV (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// `--level steps`: seconds each step summarises.
    #[arg(long, default_value_t = 1.0, value_parser = crate::arg_values::window_s, allow_hyphen_values = true)]
    pub window_s: f64,
    /// `--level steps`: seconds between steps (default 45/99, the model's context over T = 99).
    #[arg(long, default_value_t = 45.0 / 99.0, value_parser = crate::arg_values::hop_s, allow_hyphen_values = true)]
    pub hop_s: f64,
}

/// `moodtap features`.
pub fn run(args: &FeaturesArgs) -> anyhow::Result<()> {
    let timing = features::StepTiming { window_s: args.window_s, hop_s: args.hop_s };
    let mut report = None;
    let result = match &args.out {
        Some(path) => {
            crate::output::check_outputs(&[path.as_path()], &[args.file.as_path()])?;
            crate::output::write_atomically(path, |w| {
                features::write_features(&args.file, args.set, args.level, timing, w).map(|r| report = Some(r))
            })
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            features::write_features(&args.file, args.set, args.level, timing, &mut w)
                .map(|r| report = Some(r))
                .map_err(anyhow::Error::from)
        }
    };
    result.with_context(|| format!("features of {}", args.file.display()))?;
    for note in report.map(|r| r.notes(&args.file)).unwrap_or_default() {
        eprintln!("note: {note}");
    }
    Ok(())
}
