//! `moodtap`: synthetic corpus, feature extraction, training and analysis.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    match moodtap_trainer::cli::run(moodtap_trainer::cli::Cli::parse()) {
        // `moodtap features … | head`: a closed pipe is the reader's choice, not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(())
        }
        other => other,
    }
}
