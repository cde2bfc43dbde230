//! Command-line interface: one module per subcommand, each holding its
//! arguments (clap) and its `run`, which turns them into library calls with
//! progress bars and error context. Library modules never print; these do.
//! Shared argument groups live in [`args`], bars and summaries in
//! [`progress`], defaults in [`moodtap_core::defaults`].

pub mod ablate;
pub mod adapt;
pub mod analyze;
pub mod args;
pub mod cache;
pub mod corpus;
pub mod ensemble;
pub mod eval;
pub mod extract;
pub mod features;
pub mod progress;
pub mod select;
pub mod train;

use clap::{Parser, Subcommand};

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
    Corpus(corpus::CorpusArgs),
    /// Feature table of one audio file (CSV): eGeMAPS v02 functionals over the
    /// whole file with openSMILE's 88 names, or the 25 LLDs every 10 ms.
    Features(features::FeaturesArgs),
    /// Extract per-step features of a labelled dataset into a Parquet cache
    /// (resumable, parallel, shardable; see docs/feature-cache.md).
    Extract(extract::ExtractArgs),
    /// Choose the MIR features (filter + ε-SVR wrapper) on a feature cache;
    /// writes _selection.json into the cache for `train`.
    Select(select::SelectArgs),
    /// Feature-cache maintenance: merge shards/parts, inspect.
    Cache(cache::CacheArgs),
    /// Train CBSA, an ablation network or the SVR baseline on a feature cache;
    /// writes a model file with its metadata and test metrics.
    Train(train::TrainArgs),
    /// RMSE and R² of a model file on held-out songs.
    Eval(eval::EvalArgs),
    /// Train and test all five models at several sequence lengths and
    /// compare them (paper Tables 3–4, Figures 3–4).
    Ablate(ablate::AblateArgs),
    /// Valence/arousal over time of audio files (CSV, optional PNG plot and MIDI CC file).
    Analyze(analyze::AnalyzeArgs),
    /// Re-standardise a network model for other recordings: its input statistics become
    /// those of a feature cache of unlabelled music like the music it will hear.
    Adapt(adapt::AdaptArgs),
    /// Combine network models into one model file whose estimates are their means per
    /// dimension (a seed ensemble, or valence from some models and arousal from others).
    ///
    /// The members must read the same input columns on the same time base; each keeps its own
    /// statistics. The first model given (in the order --member, --arousal, --valence)
    /// z-scores the input and the others see it re-standardised to their own statistics: their
    /// own reading, except for values beyond 100 standard deviations of the first model's.
    /// List first the model whose reading must stay exactly its own. Each member costs one
    /// forward pass per step (docs/training.md, "Ensembles").
    Ensemble(ensemble::EnsembleArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Corpus(args) => corpus::run(&args),
        Command::Features(args) => features::run(&args),
        Command::Extract(args) => extract::run(&args),
        Command::Select(args) => select::run(&args),
        Command::Cache(args) => cache::run(&args),
        Command::Train(args) => train::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Ablate(args) => ablate::run(&args),
        Command::Analyze(args) => analyze::run(&args),
        Command::Adapt(args) => adapt::run(&args),
        Command::Ensemble(args) => ensemble::run(&args),
    }
}
