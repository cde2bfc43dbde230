#!/usr/bin/env bash
# Experiment behind docs/responsiveness.md, "Training on pieces whose mood changes": a CBSA
# trained with per-time labels on generated pieces whose cues change between sections, with the
# default model's input columns, to see what it does to the now reading (switch test,
# steadiness) and to the long one.
#   corpus (COUNT × 45 s, SECTIONS sections, seed 67: not the default model's songs)
#   → extract (T = 299, the default model's time base)
#   → train --labels dynamic --label-lag-s 0 (the labels are exact) --window-steps WINDOW
#   → switch test and EmoMusic over-time of the result (when EMOMUSIC is set).
# Usage: scripts/dynamic_candidate.sh
# Env:   WORK (default target/dynamic-candidate), COUNT (600), SECTIONS (3), WINDOW (20 steps = 3 s),
#        BATCH (32), LR (1e-3), EPOCHS (100), PATIENCE (10), SEED (training seed, 66), PER_SONG (windows drawn
#        per song and epoch; default all), EMOMUSIC (an EmoMusic root for eval --over-time; optional),
#        MOODTAP_BIN (default target/release/moodtap, built if missing), PYTHON (default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-target/dynamic-candidate}
COUNT=${COUNT:-600}
SECTIONS=${SECTIONS:-3}
WINDOW=${WINDOW:-20}
BATCH=${BATCH:-32}
EPOCHS=${EPOCHS:-100}
PATIENCE=${PATIENCE:-10}
LR=${LR:-1e-3}
SEED=${SEED:-66}
PER_SONG=${PER_SONG:-}
PYTHON=${PYTHON:-.venv/bin/python}
if [[ -z "${MOODTAP_BIN:-}" ]]; then
  cargo build --release -p moodtap-trainer
fi
BIN=${MOODTAP_BIN:-${CARGO_TARGET_DIR:-target}/release/moodtap}
mkdir -p "$WORK"
if [[ ! -f "$WORK/corpus/manifest.csv" ]]; then
  "$BIN" corpus --out "$WORK/corpus" --count "$COUNT" --duration-s 45 --sections "$SECTIONS" --seed 67
fi
"$BIN" extract --quiet --dataset "$WORK/corpus/manifest.csv" --kind manifest --cache "$WORK/cache" --steps 299
NAME="dynamic-w$WINDOW-lr$LR-seed$SEED${PER_SONG:+-k$PER_SONG}"
MODEL="$WORK/$NAME.moodtap"
"$BIN" train --cache "$WORK/cache" --steps 299 --selection models/default.moodtap --model cbsa --seed "$SEED" \
  --labels dynamic --label-lag-s 0 --window-steps "$WINDOW" --batch-size "$BATCH" --lr "$LR" --epochs "$EPOCHS" --patience "$PATIENCE" ${PER_SONG:+--windows-per-song "$PER_SONG"} \
  --description "moodtap sectioned corpus ($COUNT × 45 s, $SECTIONS sections, seed 67), per-time labels" \
  --out "$MODEL" --plot "$WORK/$NAME-curve.png" 2>&1 | tee "$WORK/$NAME-train.txt"
"$PYTHON" scripts/switch_test.py --model "$MODEL" --out "$WORK/$NAME-switch.md"
if [[ -n "${EMOMUSIC:-}" ]]; then
  "$BIN" extract --quiet --dataset "$EMOMUSIC" --kind emomusic --cache "$WORK/emomusic" --steps 299
  "$BIN" eval --over-time --model "$MODEL" --cache "$WORK/emomusic" --dataset "$EMOMUSIC" --out "$WORK/$NAME-emomusic.md"
  "$BIN" eval --model "$MODEL" --cache "$WORK/emomusic" --songs all --out "$WORK/$NAME-emomusic-static.md"
fi
