//! The rendered golden test material (`tests/golden/make_golden.py audio`),
//! shared by the parity tests.
//!
//! Every WAV is checked against the sha256 in `tests/golden/egemaps/manifest.json`
//! before use: the committed openSMILE references are only valid for
//! byte-identical audio, and a renderer that drifts (a dithering `sox`, another
//! decoder) otherwise shows up as an unexplained parity failure.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `$MOODTAP_GOLDEN_AUDIO` or `<repo>/target/golden-audio`.
pub fn audio_dir() -> PathBuf {
    std::env::var_os("MOODTAP_GOLDEN_AUDIO")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/golden-audio"))
}

/// Path of `<name>.wav`, after checking that it exists and is the audio the
/// goldens were made from. Panics with what to do otherwise.
pub fn golden_wav(name: &str) -> PathBuf {
    let path = audio_dir().join(format!("{name}.wav"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "golden audio {}: {e}; render it with `tests/golden/make_golden.py audio` \
             (or point MOODTAP_GOLDEN_AUDIO at the rendered WAVs)",
            path.display()
        )
    });
    let manifest_path = repo_root().join("tests/golden/egemaps/manifest.json");
    let manifest = std::fs::read_to_string(&manifest_path).expect("tests/golden/egemaps/manifest.json");
    let v: serde_json::Value = serde_json::from_str(&manifest).expect("manifest.json is JSON");
    if let Some(expected) = v["files"][format!("{name}.wav")]["sha256"].as_str() {
        let got = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(
            got,
            expected,
            "{} is not the audio the goldens were made from (sha256 differs from manifest.json): \
             re-render with `tests/golden/make_golden.py audio`; if the renderer itself changed, \
             regenerate the goldens (`make_golden.py golden` and tests/golden/components/make_*.py)",
            path.display()
        );
    }
    path
}
