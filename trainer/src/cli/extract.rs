//! `moodtap extract`: a labelled dataset's steps into the feature cache.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::progress::bar_style;
use crate::cache;
use crate::dataset::{self, DatasetKind, LoadOptions};
use crate::extract;

/// Arguments of `moodtap extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Dataset: the DEAM or EmoMusic root directory, or the manifest CSV.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Dataset layout: deam, emomusic or manifest.
    #[arg(long)]
    pub kind: DatasetKind,
    /// Manifest label scale MIN,MAX, mapped to [0, 1] (default 0,1; DEAM/EmoMusic are 1-9).
    #[arg(long, value_parser = parse_scale, allow_hyphen_values = true)]
    pub scale: Option<(f32, f32)>,
    /// Read the static valence column as arousal and vice versa (after checking the cross-check message).
    #[arg(long)]
    pub swap_va: bool,
    /// Cache root directory (created if missing); one subdirectory per step configuration.
    #[arg(long)]
    pub cache: PathBuf,
    /// Steps per context T, comma-separated (one decode serves all).
    #[arg(long, value_delimiter = ',', default_value = "99")]
    pub steps: Vec<u32>,
    /// Seconds of context a model sees; steps are context_s / T apart.
    #[arg(long, default_value_t = 45.0, value_parser = crate::arg_values::context_s, allow_hyphen_values = true)]
    pub context_s: f64,
    /// Seconds each step summarises.
    #[arg(long, default_value_t = 1.0, value_parser = crate::arg_values::window_s, allow_hyphen_values = true)]
    pub window_s: f64,
    /// Worker threads (0 = one per core; capped at the songs to extract and the cores).
    #[arg(long, default_value_t = 0, value_parser = crate::jobs::parse_jobs, allow_hyphen_values = true)]
    pub jobs: usize,
    /// Process only shard K of N (0-based K; songs whose stable id hash mod N is K).
    #[arg(long)]
    pub shard: Option<extract::Shard>,
    /// Afterwards, merge the cache's parts into one file per configuration.
    #[arg(long)]
    pub merge: bool,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// `moodtap extract`.
pub fn run(args: &ExtractArgs) -> anyhow::Result<()> {
    let opts = LoadOptions { swap_va: args.swap_va, scale: args.scale };
    let ds = dataset::load(args.kind, &args.dataset, &opts)
        .with_context(|| format!("loading the dataset {}", args.dataset.display()))?;
    let cfg = extract::ExtractConfig {
        cache: args.cache.clone(),
        steps: args.steps.clone(),
        context_s: args.context_s,
        window_s: args.window_s,
        jobs: args.jobs,
        shard: args.shard,
    };
    let bar = if args.quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(0) };
    bar.set_style(bar_style("{msg} [{bar:40}] {pos}/{len} songs, {elapsed_precise} elapsed, eta {eta}"));
    let broken = std::sync::atomic::AtomicUsize::new(0);
    let progress = |p: extract::ExtractProgress<'_>| match p {
        extract::ExtractProgress::Plan { to_extract, cached, threads, capped_by } => {
            if args.jobs > threads {
                bar.suspend(|| eprintln!("--jobs {}: using {threads} ({capped_by})", args.jobs));
            }
            bar.set_length(to_extract as u64);
            bar.set_message(format!("extracting ({cached} cached)"));
        }
        extract::ExtractProgress::Song { ok, .. } => {
            if !ok {
                let n = broken.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                bar.set_message(format!("extracting ({n} broken)"));
            }
            bar.inc(1);
        }
    };
    let summary = extract::extract(&ds, &opts, &cfg, &progress)
        .with_context(|| format!("extracting into {}", args.cache.display()))?;
    bar.finish_and_clear();
    eprintln!("moodtap extract: {}", summary.describe(20));
    eprintln!(
        "cache: {} ({}); summary: {}",
        args.cache.display(),
        summary.configs.join(", "),
        args.cache.join(extract::summary_file_name(args.shard)).display()
    );
    if args.merge {
        for m in
            cache::merge::merge(std::slice::from_ref(&args.cache), &args.cache, None).context("merging the cache")?
        {
            eprintln!("merged {}: {} songs, {} rows from {} parts", m.dir.display(), m.songs, m.rows, m.parts_read);
        }
    }
    if !summary.write_errors.is_empty() {
        anyhow::bail!(
            "{} songs could not be written to the cache (see above); fix the cause and run again to resume",
            summary.write_errors.len()
        );
    }
    if summary.songs_extracted == 0 && summary.songs_already_cached == 0 && summary.songs_in_shard > 0 {
        anyhow::bail!("no song could be extracted (all {} broken, see above)", summary.broken.len());
    }
    Ok(())
}

fn parse_scale(s: &str) -> Result<(f32, f32), String> {
    let bad = || format!("--scale '{s}': expected MIN,MAX with MIN < MAX (e.g. 1,9)");
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    let (lo, hi): (f32, f32) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(bad());
    }
    Ok((lo, hi))
}
