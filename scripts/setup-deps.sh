#!/usr/bin/env bash
# Installs everything moodtap's build and tests need on a fresh Debian/Ubuntu
# machine: system packages (apt), the Rust toolchain check, and a Python venv
# (.venv) with the reference oracles of tests/requirements.txt.
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # build
  build-essential pkg-config python3-venv cmake
  # plugin GUI / standalone (baseview, egui_glow, nice-plug standalone)
  libx11-dev libx11-xcb-dev libxcb1-dev libxcb-dri2-0-dev libxcb-icccm4-dev libxcursor-dev
  libxkbcommon-dev libgl1-mesa-dev libglu1-mesa-dev libasound2-dev libjack-jackd2-dev
  libfontconfig1-dev libfreetype6-dev libgl1-mesa-dri libegl1
  # headless X for editor tests and screenshots
  xvfb xauth x11-apps imagemagick
  # a real DAW for the VST3 host test (tests/hosts/ardour_vst3.py; ardour7-lua, headless)
  ardour
  # test material: speech, conversion, freely licensed music
  espeak-ng sox libsox-fmt-all ffmpeg timgm6mb-soundfont
  # GNU time: peak memory of CLI runs (trainer/tests/hostile_cli.rs)
  time
  singularity-music hyperrogue-music warzone2100-music
)

scripts/apt-ensure.sh "${APT_PACKAGES[@]}"

if ! command -v cargo >/dev/null; then
  echo "setup-deps: cargo not found; install Rust (https://rustup.rs) and re-run" >&2
  exit 1
fi

# The lint gate needs rustfmt and clippy (rustup components of the toolchain).
for tool in fmt clippy; do
  if ! cargo "$tool" --version >/dev/null 2>&1; then
    component=$([ "$tool" = fmt ] && echo rustfmt || echo clippy)
    rustup component add "$component" || {
      echo "setup-deps: cargo $tool missing and 'rustup component add $component' failed; install it and re-run" >&2
      exit 1
    }
  fi
done

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import opensmile, librosa, pedalboard" 2>/dev/null \
   || ! cmp -s tests/requirements.txt .venv/.requirements.installed; then
  .venv/bin/pip install -q -r tests/requirements.txt
  cp tests/requirements.txt .venv/.requirements.installed
fi
echo "setup-deps: ok"
