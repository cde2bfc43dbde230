#!/usr/bin/env bash
# Builds and installs moodtap on a fresh Debian/Ubuntu machine, then runs the
# main job once on the embedded default model:
#   1. system packages needed to build the plugin (apt; skipped when present),
#   2. the plugin bundles (release) copied into ~/.clap and ~/.vst3,
#   3. the `moodtap` CLI installed with `cargo install` (into ~/.cargo/bin),
#   4. `moodtap analyze` on a freely licensed piece of music (Debian's
#      singularity-music, installed by step 1), writing valence/arousal over
#      time as CSV, a PNG plot and a MIDI file of CC lanes into ./moodtap-demo/.
# Idempotent; re-running rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential pkg-config cmake
  libx11-dev libx11-xcb-dev libxcb1-dev libxcb-dri2-0-dev libxcb-icccm4-dev libxcursor-dev
  libxkbcommon-dev libgl1-mesa-dev libglu1-mesa-dev libasound2-dev libjack-jackd2-dev
  libfontconfig1-dev libfreetype6-dev
  singularity-music
)
scripts/apt-ensure.sh "${APT_PACKAGES[@]}"
if ! command -v cargo >/dev/null; then
  echo "install: cargo not found; install Rust from https://rustup.rs and re-run" >&2
  exit 1
fi

echo "== plugin: bundling (release) and installing into ~/.clap and ~/.vst3"
cargo xtask install moodtap-plugin --release

echo "== CLI: cargo install --path trainer (binary 'moodtap')"
# Reuse the workspace build directory (cargo install would otherwise build in a temporary one).
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}" cargo install --locked --quiet --path trainer
MOODTAP="${CARGO_HOME:-$HOME/.cargo}/bin/moodtap"

DEMO_SRC=/usr/share/games/singularity/music/Awakening.ogg
if [ ! -f "$DEMO_SRC" ]; then
  echo "install: demo music $DEMO_SRC missing (apt package singularity-music); analyze your own file: moodtap analyze FILE.wav" >&2
  exit 1
fi
mkdir -p moodtap-demo
echo "== main job: moodtap analyze $DEMO_SRC (embedded default model)"
"$MOODTAP" analyze "$DEMO_SRC" --out moodtap-demo/estimates.csv --plot moodtap-demo/estimates.png \
  --midi moodtap-demo/estimates.mid
echo "== done: plugins in ~/.clap/moodtap.clap and ~/.vst3/moodtap.vst3;" \
  "moodtap-demo/estimates.{csv,png,mid} hold valence/arousal over time of $(basename "$DEMO_SRC")"
