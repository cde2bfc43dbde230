//! moodtap's command-line tool as a library: one module per subcommand,
//! plus the clap definitions in [`cli`]. The `moodtap` binary
//! (`src/main.rs`) only parses arguments and dispatches.

pub mod adapt;
pub mod arg_values;
pub mod cache;
pub mod cli;
pub mod corpus;
pub mod dataset;
pub mod ensemble;
pub mod eval;
pub mod extract;
pub mod features;
pub mod file_analysis;
pub mod jobs;
pub mod mir_selection;
pub mod output;
pub mod plot;
pub mod train;
