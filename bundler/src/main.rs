//! `cargo xtask …`: nice-plug's bundler, plus `install` (bundle, then copy
//! the bundles into the per-user plugin folders `~/.clap` and `~/.vst3`).

mod install;

fn main() -> nice_plug_xtask::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("install") => install::run(&args[1..]),
        _ => nice_plug_xtask::main_with_args("cargo xtask", args),
    }
}
