//! `moodtap`: synthetic corpus, feature extraction, training and analysis.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    moodtap_trainer::cli::run(moodtap_trainer::cli::Cli::parse())
}
