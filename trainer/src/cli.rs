//! Command-line interface: the clap definitions of every subcommand and the
//! glue that turns parsed arguments into library calls (progress bars,
//! error context). Library modules never print; this module reports.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::analyze;
use crate::cache;
use crate::corpus;
use crate::dataset::{self, DatasetKind, LoadOptions};
use crate::extract;
use crate::features::{self, FeatureSet, Level};
use crate::select;

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
    /// Extract per-step features of a labelled dataset into a Parquet cache
    /// (resumable, parallel, shardable; see docs/feature-cache.md).
    Extract(ExtractArgs),
    /// Choose the MIR features (filter + ε-SVR wrapper) on a feature cache;
    /// writes _selection.json into the cache for `train`.
    Select(SelectArgs),
    /// Feature-cache maintenance: merge shards/parts, inspect.
    Cache(CacheArgs),
    /// Train CBSA, an ablation network or the SVR baseline on a feature cache;
    /// writes a model file with its metadata and test metrics.
    Train(crate::cli_train::TrainArgs),
    /// RMSE and R² of a model on held-out songs; `--ablation` trains and
    /// compares all models at several sequence lengths.
    Eval(crate::cli_train::EvalArgs),
    /// Valence/arousal over time of audio files (CSV, optional PNG plot and MIDI CC file).
    Analyze(analyze::command::AnalyzeArgs),
}

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
    #[arg(long, default_value_t = 5, value_parser = crate::arg_values::positive_count, allow_hyphen_values = true)]
    pub folds: usize,
    /// Fold shuffle seed (paper: 66).
    #[arg(long, default_value_t = 66)]
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
    #[arg(long, default_value_t = 0, value_parser = crate::jobs::parse_jobs, allow_hyphen_values = true)]
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
        Command::Extract(args) => run_extract(&args),
        Command::Select(args) => run_select(&args),
        Command::Cache(args) => match &args.command {
            CacheCommand::Merge(m) => run_merge(m),
            CacheCommand::Info(i) => run_cache_info(i),
        },
        Command::Train(args) => crate::cli_train::run_train(&args),
        Command::Eval(args) => crate::cli_train::run_eval(&args),
        Command::Analyze(args) => analyze::command::run(&args),
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

fn parse_scale(s: &str) -> Result<(f32, f32), String> {
    let bad = || format!("--scale '{s}': expected MIN,MAX with MIN < MAX (e.g. 1,9)");
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    let (lo, hi): (f32, f32) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(bad());
    }
    Ok((lo, hi))
}

fn bar_style(template: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ")
}

fn run_extract(args: &ExtractArgs) -> anyhow::Result<()> {
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
    let progress = |p: extract::Progress<'_>| match p {
        extract::Progress::Plan { to_extract, cached, threads, capped_by } => {
            if args.jobs > threads {
                bar.suspend(|| eprintln!("--jobs {}: using {threads} ({capped_by})", args.jobs));
            }
            bar.set_length(to_extract as u64);
            bar.set_message(format!("extracting ({cached} cached)"));
        }
        extract::Progress::Song { ok, .. } => {
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

fn run_select(args: &SelectArgs) -> anyhow::Result<()> {
    let opts = select::SelectOptions {
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
    let (file, _) =
        select::run(&args.cache, &opts).with_context(|| format!("feature selection on {}", args.cache.display()))?;
    let out = args.out.clone().unwrap_or_else(|| select::selection_path(std::path::Path::new(&file.cache_dir)));
    select::write_selection(&file, &out)?;
    println!("{}", select::describe(&file, args.top));
    eprintln!("wrote {}", out.display());
    Ok(())
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

fn run_cache_info(args: &InfoArgs) -> anyhow::Result<()> {
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
