//! `moodtap cache merge|info`: feature-cache maintenance.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::cache;

/// Arguments of `moodtap cache`.
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// What to do with the cache.
    #[command(subcommand)]
    pub command: CacheCommand,
}

/// `moodtap cache` subcommands.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Combine shards or per-song parts into one part-merged.parquet per configuration.
    Merge(MergeArgs),
    /// Check a cache and print its configurations, songs and rows.
    Info(InfoArgs),
}

/// Arguments of `moodtap cache merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Cache roots (or step-configuration directories) to combine.
    #[arg(required = true)]
    pub sources: Vec<PathBuf>,
    /// Output cache root (default: the first source, merged in place; parts it
    /// replaces there are deleted, other sources are left untouched).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// When sources give one song different labels: keep the labels of the
    /// first or the last source given (default: stop and list the songs).
    #[arg(long, value_enum)]
    pub prefer: Option<cache::merge::Prefer>,
}

/// Arguments of `moodtap cache info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Cache root or step-configuration directory.
    pub cache: PathBuf,
}

/// `moodtap cache …`.
pub fn run(args: &CacheArgs) -> anyhow::Result<()> {
    match &args.command {
        CacheCommand::Merge(m) => run_merge(m),
        CacheCommand::Info(i) => run_info(i),
    }
}

fn run_merge(args: &MergeArgs) -> anyhow::Result<()> {
    let out = args.out.clone().unwrap_or_else(|| args.sources[0].clone());
    let results = cache::merge::merge(&args.sources, &out, args.prefer)
        .with_context(|| format!("merging into {}", out.display()))?;
    for m in results {
        for c in &m.conflicts {
            eprintln!("labels differed, kept --prefer {:?}'s: {c}", args.prefer.unwrap_or(cache::merge::Prefer::First));
        }
        eprintln!(
            "{}: {} songs, {} rows from {} parts ({} duplicate rows skipped, {} replaced parts removed)",
            m.dir.join(cache::MERGED_PART).display(),
            m.songs,
            m.rows,
            m.parts_read,
            m.duplicate_rows,
            m.parts_removed
        );
    }
    Ok(())
}

fn run_info(args: &InfoArgs) -> anyhow::Result<()> {
    let dirs = cache::config_dirs(&args.cache)?;
    if dirs.is_empty() {
        anyhow::bail!("{} is not a moodtap feature cache", args.cache.display());
    }
    for d in dirs {
        let t = cache::read(&d, &cache::CacheRequest::default()).with_context(|| format!("reading {}", d.display()))?;
        let steps: Vec<usize> = t.songs.iter().map(|s| s.n_steps()).collect();
        println!(
            "{}: T = {}, window {} s, hop {:.6} s, context {} s; {} songs, {} rows (steps per song {}–{}), {} parts; dataset {} {}",
            d.display(),
            t.meta.steps,
            t.meta.window_s,
            t.meta.hop_s,
            t.meta.context_s,
            t.songs.len(),
            t.n_rows(),
            steps.iter().min().unwrap_or(&0),
            steps.iter().max().unwrap_or(&0),
            cache::list_parts(&d)?.len(),
            t.meta.dataset_kind,
            t.meta.dataset_path
        );
    }
    Ok(())
}
