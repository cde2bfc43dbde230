//! `moodtap`: synthetic corpus, feature extraction, training and analysis.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match moodtap_trainer::cli::run(moodtap_trainer::cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        // `moodtap features … | head`: a closed pipe is the reader's choice, not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        // A user error is one message (the context chain on one line), never
        // a stack trace, whatever RUST_BACKTRACE says: the trace would only
        // make a wrong path look like a crash.
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
