//! `moodtap corpus`: render the synthetic, labelled training corpus.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::progress::bar_style;
use crate::corpus;

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
    #[arg(long, value_parser = crate::arg_values::seed, allow_hyphen_values = true, default_value_t = moodtap_core::defaults::SEED)]
    pub seed: u64,
    /// Length of each excerpt, seconds.
    #[arg(long, default_value_t = corpus::DEFAULT_DURATION_S)]
    pub duration_s: f64,
    /// Sections per excerpt whose cues (tempo, mode, loudness, density, register) change
    /// from one to the next; with 2 or more the manifest carries a label every 0.5 s
    /// (path,time_s,valence,arousal) for `moodtap train --labels dynamic --label-lag-s 0`.
    #[arg(long, default_value_t = 1, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub sections: usize,
    /// General MIDI SoundFont (SF2) used for synthesis.
    #[arg(long, env = "MOODTAP_SOUNDFONT", default_value = corpus::DEFAULT_SOUNDFONT)]
    pub soundfont: PathBuf,
    /// Worker threads (0 = one per core); the output does not depend on it.
    #[arg(long, default_value_t = 0, value_parser = crate::jobs::parse_jobs, allow_hyphen_values = true)]
    pub threads: usize,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// `moodtap corpus`.
pub fn run(args: &CorpusArgs) -> anyhow::Result<()> {
    let cfg = corpus::CorpusConfig {
        out: args.out.clone(),
        count: usize::try_from(args.count).context("--count does not fit this platform")?,
        seed: args.seed,
        duration_s: args.duration_s,
        threads: args.threads,
        sections: args.sections,
    };
    cfg.validate()?;
    let renderer = corpus::Renderer::new(&args.soundfont)?;
    let bar = if args.quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(args.count) };
    bar.set_style(bar_style("{msg} [{bar:40}] {pos}/{len} excerpts, {elapsed_precise} elapsed, eta {eta}"));
    bar.set_message("rendering");
    let started = std::time::Instant::now();
    let summary = corpus::generate(&cfg, &renderer, &|| bar.inc(1))
        .with_context(|| format!("generating the corpus in {}", args.out.display()))?;
    bar.finish_and_clear();
    let limited = summary.excerpts.chunks(cfg.sections).filter(|e| e.iter().any(|s| s.limited_share > 0.0)).count();
    eprintln!(
        "moodtap corpus: {} excerpts of {} s in {:.1} s; manifest {} (labels on a 0-1 scale: train with --scale 0,1); {} excerpt(s) touched the limiter",
        summary.excerpts.len() / cfg.sections,
        cfg.duration_s,
        started.elapsed().as_secs_f64(),
        summary.manifest.display(),
        limited
    );
    Ok(())
}
