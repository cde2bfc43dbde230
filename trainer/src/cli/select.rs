//! `moodtap select`: choose the MIR features on a feature cache.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::cache;
use crate::mir_selection;

/// Arguments of `moodtap select`.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Feature cache: a cache root or one of its step-configuration directories.
    #[arg(long)]
    pub cache: PathBuf,
    /// T of the configuration to use, when the cache holds several.
    #[arg(long)]
    pub steps: Option<u32>,
    /// Subset search.
    #[arg(long, value_enum, default_value_t = SearchArg::Exhaustive)]
    pub search: SearchArg,
    /// Cross-validation folds.
    #[arg(long, default_value_t = moodtap_core::defaults::SELECTION_FOLDS, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub folds: usize,
    /// Fold shuffle seed (paper: 66).
    #[arg(long, value_parser = crate::arg_values::seed, allow_hyphen_values = true, default_value_t = moodtap_core::defaults::SEED)]
    pub seed: u64,
    /// Filter: offer the wrapper only features with |r| ≥ this for valence or arousal.
    #[arg(long, default_value_t = 0.0)]
    pub min_abs_r: f64,
    /// Output JSON (default: _selection.json in the step-configuration directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Subsets shown in the printed table.
    #[arg(long, default_value_t = 10, value_parser = crate::arg_values::count, allow_hyphen_values = true)]
    pub top: usize,
}

/// Subset search of `moodtap select`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SearchArg {
    /// Every non-empty subset (2047 for the 11 MIR features).
    Exhaustive,
    /// Greedy forward selection.
    Forward,
}

/// `moodtap select`.
pub fn run(args: &SelectArgs) -> anyhow::Result<()> {
    let opts = mir_selection::SelectOptions {
        request: cache::CacheRequest { steps: args.steps, ..Default::default() },
        config: moodtap_core::selection::SelectionConfig {
            folds: args.folds,
            seed: args.seed,
            min_abs_r: args.min_abs_r,
            search: match args.search {
                SearchArg::Exhaustive => moodtap_core::selection::Search::Exhaustive,
                SearchArg::Forward => moodtap_core::selection::Search::Forward,
            },
            ..Default::default()
        },
    };
    let (file, _) = mir_selection::run(&args.cache, &opts)
        .with_context(|| format!("feature selection on {}", args.cache.display()))?;
    let out = args.out.clone().unwrap_or_else(|| mir_selection::selection_path(std::path::Path::new(&file.cache_dir)));
    mir_selection::write_selection(&file, &out)?;
    println!("{}", mir_selection::describe(&file, args.top));
    eprintln!("wrote {}", out.display());
    Ok(())
}
