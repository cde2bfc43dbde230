//! `cargo xtask install <package> [cargo build args…]`.
//!
//! nice-plug-xtask only bundles. This subcommand bundles the same way and then
//! copies `<target>/bundled/<name>.clap` into `~/.clap/` and
//! `<target>/bundled/<name>.vst3/` into `~/.vst3/`, the per-user search paths
//! of the CLAP and VST3 specifications on Linux (`$HOME/.clap`,
//! `$HOME/.vst3`). An existing bundle of the same name is replaced.
//! `MOODTAP_INSTALL_ROOT` overrides `$HOME` (used by tests and packagers).

use nice_plug_xtask::Result;
use std::path::{Path, PathBuf};

/// Bundles `args[0]` with the remaining args, then copies the bundles.
pub fn run(args: &[String]) -> Result<()> {
    let Some(package) = args.first() else {
        anyhow::bail!("Usage: cargo xtask install <package> [--release] [cargo build args]");
    };
    let mut bundle_args = vec![String::from("bundle")];
    bundle_args.extend(args.iter().cloned());
    nice_plug_xtask::main_with_args("cargo xtask", bundle_args)?;

    // main_with_args has changed into the workspace root.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target"));
    let bundled = target_dir.join("bundled");
    let root = std::env::var_os("MOODTAP_INSTALL_ROOT")
        .or_else(|| std::env::var_os("HOME"))
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("HOME is not set"))?;
    let name = bundle_name(package);

    let mut copied = 0;
    for (ext, folder) in [("clap", ".clap"), ("vst3", ".vst3")] {
        let src = bundled.join(format!("{name}.{ext}"));
        if !src.exists() {
            continue;
        }
        let dst_dir = root.join(folder);
        std::fs::create_dir_all(&dst_dir)?;
        let dst = dst_dir.join(format!("{name}.{ext}"));
        remove_any(&dst)?;
        copy_recursive(&src, &dst)?;
        eprintln!("Installed '{}'", dst.display());
        copied += 1;
    }
    if copied == 0 {
        anyhow::bail!("No bundles for '{package}' in '{}'", bundled.display());
    }
    Ok(())
}

/// The bundle name from `bundler.toml` (`[package] name = "…"`), else the package name.
fn bundle_name(package: &str) -> String {
    let Ok(text) = std::fs::read_to_string("bundler.toml") else {
        return package.to_string();
    };
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_section = line == format!("[{package}]");
        } else if in_section {
            if let Some(value) = line.strip_prefix("name").map(str::trim) {
                if let Some(value) = value.strip_prefix('=') {
                    return value.trim().trim_matches('"').to_string();
                }
            }
        }
    }
    package.to_string()
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    }
}

fn copy_recursive(src: &Path, dst: &Path) -> std::io::Result<()> {
    if src.is_dir() {
        std::fs::create_dir_all(dst)?;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            copy_recursive(&entry.path(), &dst.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(src, dst).map(|_| ())
    }
}
