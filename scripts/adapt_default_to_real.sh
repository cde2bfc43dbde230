#!/usr/bin/env bash
# docs/domain-gap.md, "Adapting the input statistics": the default model re-standardised with the
# statistics of Debian's warzone2100-music (30 Opus tracks, 243 min; no labels used, and none of
# them in any evaluation), at blends 1 and 0.5, then the default-model checks on each.
#   manifest of the tracks (placeholder labels) → extract (T = 299) → moodtap adapt
#   → default_model_emomusic / default_model_pairs with MOODTAP_MODEL, and the switch test.
# Usage: scripts/adapt_default_to_real.sh
# Env:   WORK (default target/adapt-real), MOODTAP_BIN (default target/release/moodtap, built if
#        missing), PYTHON (default .venv/bin/python), MUSIC (default /usr/share/games/warzone2100/music)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-target/adapt-real}
PYTHON=${PYTHON:-.venv/bin/python}
MUSIC=${MUSIC:-/usr/share/games/warzone2100/music}
if [[ -z "${MOODTAP_BIN:-}" ]]; then
  cargo build --release -p moodtap-trainer
fi
BIN=${MOODTAP_BIN:-${CARGO_TARGET_DIR:-target}/release/moodtap}
[[ -d "$MUSIC" ]] || { echo "$MUSIC missing: apt-get install warzone2100-music" >&2; exit 1; }
mkdir -p "$WORK"
{
  echo "path,valence,arousal"
  find "$MUSIC" -type f \( -name '*.opus' -o -name '*.ogg' \) | sort | sed 's/.*/"&",0.5,0.5/'
} > "$WORK/manifest.csv"
"$BIN" extract --quiet --dataset "$WORK/manifest.csv" --kind manifest --cache "$WORK/cache" --steps 299
for blend in 1 0.5; do
  model="$WORK/default-adapted-$blend.moodtap"
  "$BIN" adapt --model models/default.moodtap --cache "$WORK/cache" --blend "$blend" --out "$model"
  echo "== blend $blend"
  # The pairs test fails when an adapted model misorders a pair the docs claim for the default
  # model: that is a result here, not an error, so its status is not fatal.
  MOODTAP_MODEL="$(realpath "$model")" cargo test -q -p moodtap-trainer --test default_model_emomusic --test default_model_pairs \
    -- --nocapture > "$WORK/checks-$blend.txt" 2>&1 || true
  grep -E '^\| (default model|[0-9]+ \| (Arousal|Valence))' "$WORK/checks-$blend.txt" ||
    { echo "the checks did not run: see $WORK/checks-$blend.txt" >&2; exit 1; }
  # Mean estimate minus mean rating over the EmoMusic clips (columns: song, label V, label A, model V, model A).
  grep -E '^\| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9]+ \|$' "$WORK/checks-$blend.txt" |
    awk -F'|' '{la+=$4; ma+=$6; lv+=$3; mv+=$5; n++} END {printf "EmoMusic bias: arousal %+.3f, valence %+.3f (%d clips)\n", (ma-la)/n, (mv-lv)/n, n}'
  "$PYTHON" scripts/switch_test.py --model "$model" | tail -n 3
done
