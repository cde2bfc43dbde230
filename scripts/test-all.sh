#!/usr/bin/env bash
# Runs every moodtap test on a fresh machine: installs dependencies, renders
# the golden test material, then runs the whole workspace's tests (unit,
# parity against openSMILE goldens, bad-input, real-host plugin tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
export PATH="$PWD/.venv/bin:$PATH"
export MOODTAP_PYTHON="$PWD/.venv/bin/python"

echo "== rendering golden test material"
python tests/golden/make_golden.py audio >/dev/null

echo "== cargo test (workspace)"
cargo test --workspace --locked
