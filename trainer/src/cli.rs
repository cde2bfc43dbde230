//! Command-line interface: the clap definitions of every subcommand and the
//! glue that turns parsed arguments into library calls (progress bars,
//! error context). Library modules never print; this module reports.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::corpus;
use crate::features::{self, FeatureSet, Level};

/// moodtap: musical valence/arousal estimation (Cao & Liu 2025, CBSA).
#[derive(Debug, Parser)]
#[command(name = "moodtap", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a synthetic, labelled training corpus of short excerpts with
    /// controlled expressive cues (see docs/corpus-label-model.md).
    Corpus(CorpusArgs),
    /// Feature table of one audio file (CSV): eGeMAPS v02 functionals over the
    /// whole file with openSMILE's 88 names, or the 25 LLDs every 10 ms.
    Features(FeaturesArgs),
}

/// Arguments of `moodtap features`.
#[derive(Debug, Args)]
pub struct FeaturesArgs {
    /// Audio file (WAV, FLAC, MP3, Ogg Vorbis, AIFF; any rate 8–192 kHz; channels are averaged).
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
    #[arg(long, default_value_t = 1.0)]
    pub window_s: f64,
    /// `--level steps`: seconds between steps (default 45/99, the model's context over T = 99).
    #[arg(long, default_value_t = 45.0 / 99.0)]
    pub hop_s: f64,
}

/// Arguments of `moodtap corpus`.
#[derive(Debug, Args)]
pub struct CorpusArgs {
    /// Output directory (created if missing): audio/NNNNN.wav, manifest.csv, corpus.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of excerpts.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=corpus::MAX_COUNT as u64))]
    pub count: u64,
    /// Seed; the same arguments give bit-identical files.
    #[arg(long, default_value_t = 66)]
    pub seed: u64,
    /// Length of each excerpt, seconds.
    #[arg(long, default_value_t = corpus::DEFAULT_DURATION_S)]
    pub duration_s: f64,
    /// General MIDI SoundFont (SF2) used for synthesis.
    #[arg(long, env = "MOODTAP_SOUNDFONT", default_value = corpus::DEFAULT_SOUNDFONT)]
    pub soundfont: PathBuf,
    /// Worker threads (0 = one per core); the output does not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Corpus(args) => run_corpus(&args),
        Command::Features(args) => run_features(&args),
    }
}

fn run_corpus(args: &CorpusArgs) -> anyhow::Result<()> {
    let cfg = corpus::CorpusConfig {
        out: args.out.clone(),
        count: usize::try_from(args.count).context("--count does not fit this platform")?,
        seed: args.seed,
        duration_s: args.duration_s,
        threads: args.threads,
    };
    cfg.validate()?;
    let renderer = corpus::Renderer::new(&args.soundfont)?;
    let bar = if args.quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(args.count) };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {pos}/{len} excerpts, {elapsed_precise} elapsed, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message("rendering");
    let started = std::time::Instant::now();
    let summary = corpus::generate(&cfg, &renderer, &|| bar.inc(1))
        .with_context(|| format!("generating the corpus in {}", args.out.display()))?;
    bar.finish_and_clear();
    let limited = summary.excerpts.iter().filter(|e| e.limited_share > 0.0).count();
    eprintln!(
        "moodtap corpus: {} excerpts of {} s in {:.1} s; manifest {} (labels on a 0-1 scale: train with --scale 0,1); {} excerpt(s) touched the limiter",
        summary.excerpts.len(),
        cfg.duration_s,
        started.elapsed().as_secs_f64(),
        summary.manifest.display(),
        limited
    );
    Ok(())
}

fn run_features(args: &FeaturesArgs) -> anyhow::Result<()> {
    let timing = features::StepTiming { window_s: args.window_s, hop_s: args.hop_s };
    let result = match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            features::write_features(&args.file, args.set, args.level, timing, &mut w)
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            features::write_features(&args.file, args.set, args.level, timing, &mut w)
        }
    };
    result.with_context(|| format!("features of {}", args.file.display()))
}
