#!/usr/bin/env bash
# Experiment behind docs/domain-gap.md, "Pseudo-labels from a peer on real recordings": the
# default model's recipe (synthetic corpus, 1500 × 45 s, seed 66; CBSA, T = 299, the default
# model's input columns) trained with real recordings added, labelled by a peer model
# (VibeNet 0.1.0, PyPI, GPL-3.0: its "valence" and its "energy" as arousal), to see whether
# real material with approximate labels closes the synthetic-to-real gap.
#   real pool: freely licensed Debian game music, 45 s excerpts from 10 s into each track
#     (at most PER_TRACK per track, one after another), 22.05 kHz mono WAV;
#     training tracks: POOL_DIRS, by default warzone2100-music (hyperrogue-music and singularity-music hold
#     the real contrasting pairs of docs/default-model.md §3, so neither may be trained on;
#     Wesnoth's music is kept out as the outside check the domain-gap issue reserves);
#     held out: singularity-music, the check of step 4;
#   1. VibeNet labels every excerpt (target/bench-venv, as scripts/bench_catalog.sh builds it)
#   2. one manifest: the corpus songs with their cue-model labels + the training excerpts
#      with VibeNet's, WEIGHT copies of each real excerpt (the trainer has no sample weights)
#   3. extract (T = 299) → train cbsa --selection models/default.moodtap (the same columns)
#   4. agreement with VibeNet on the held-out excerpts (Pearson r of the per-file mean over
#      full-context steps), for the default model and the candidate.
# Human-rated sets (EmoMusic clips, EMOPIA test, the pairs) are NOT run here: they are for the
# final report of a candidate (MOODTAP_MODEL=… cargo test -p moodtap-trainer --test default_model_*).
# Usage: scripts/pseudo_label_candidate.sh
# Env:   WORK (default target/pseudo-label), PER_TRACK (8), WEIGHT (1), SEED (66),
#        SPLIT_SEED (default: SEED; runs with one SPLIT_SEED share split and normalisation),
#        SELECTION (input columns: a model or selection file; default models/default.moodtap),
#        OUT (the model file; default $WORK/pseudo-k<PER_TRACK>-w<WEIGHT>-seed<SEED>[-split<S>].moodtap),
#        POOL_DIRS (directories of training tracks, space-separated; default warzone2100-music's
#        albums; never hyperrogue or singularity, see above),
#        CORPUS (an existing corpus dir of the recipe; default: generated into WORK),
#        MOODTAP_BIN (default target/release/moodtap, built if missing)
# Needs: ffmpeg, python3-venv; the Debian packages warzone2100-music and singularity-music.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-target/pseudo-label}
PER_TRACK=${PER_TRACK:-8}
WEIGHT=${WEIGHT:-1}
SEED=${SEED:-66}
POOL_DIRS=${POOL_DIRS:-$(echo /usr/share/games/warzone2100/music/albums/*)}
for d in $POOL_DIRS /usr/share/games/singularity/music; do
  [[ -d "$d" ]] || { echo "pseudo_label_candidate: $d is not a directory (install warzone2100-music and singularity-music, or fix POOL_DIRS)" >&2; exit 1; }
done
VENV=${CARGO_TARGET_DIR:-target}/bench-venv
if [[ -z "${MOODTAP_BIN:-}" ]]; then
  cargo build --release -p moodtap-trainer
fi
BIN=${MOODTAP_BIN:-${CARGO_TARGET_DIR:-target}/release/moodtap}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
CORPUS=${CORPUS:-$WORK/corpus}
if [[ ! -f "$CORPUS/manifest.csv" ]]; then
  "$BIN" corpus --quiet --out "$CORPUS" --count 1500 --duration-s 45 --seed 66
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q vibenet==0.1.0
fi

# Excerpts: <pool>/<track stem>-<k>.wav
cut_pool() { # pool-dir source-dirs…
  local pool=$1; shift
  mkdir -p "$pool"
  find "$@" -maxdepth 1 -type f \( -name '*.ogg' -o -name '*.opus' \) | sort | while IFS= read -r src; do
    dur=$(ffprobe </dev/null -v error -show_entries format=duration -of csv=p=0 "$src" | cut -d. -f1) || dur=0
    stem=$(basename "${src%.*}")
    for ((k = 0; k < PER_TRACK; k++)); do
      start=$((10 + 45 * k))
      ((start + 45 <= ${dur:-0})) || break
      out="$pool/$stem-$k.wav"
      [[ -f "$out" ]] && continue
      if ! ffmpeg -nostdin -loglevel error -y -ss "$start" -t 45 -i "$src" -ar 22050 -ac 1 -c:a pcm_s16le "$out"; then
        echo "skipping $src: ffmpeg cannot decode it" >&2
        rm -f "$out"
        break
      fi
    done
  done
  touch "$pool/.complete"
}
# shellcheck disable=SC2086 # POOL_DIRS is a list of directories
[[ -f "$WORK/train-pool/.complete" ]] || cut_pool "$WORK/train-pool" $POOL_DIRS
[[ -f "$WORK/heldout-pool/.complete" ]] || cut_pool "$WORK/heldout-pool" /usr/share/games/singularity/music
echo "excerpts: $(ls "$WORK/train-pool" | wc -l) training, $(ls "$WORK/heldout-pool" | wc -l) held out" >&2

# 1. VibeNet labels (one thread; a CSV per pool: path,valence,arousal on 0-1).
for pool in train-pool heldout-pool; do
  [[ -f "$WORK/$pool.vibenet.csv" ]] && continue
  "$VENV/bin/python" - "$WORK/$pool" "$WORK/$pool.vibenet.csv" <<'PY'
import csv, glob, os, sys
import vibenet
from vibenet.core import load_audio
net = vibenet.load_model()
with open(sys.argv[2] + ".tmp", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["path", "valence", "arousal"])
    for p in sorted(glob.glob(os.path.join(sys.argv[1], "*.wav"))):
        r = net.predict([load_audio(p, 16000)], 16000)[0]
        w.writerow([os.path.abspath(p), f"{r.valence:.6f}", f"{r.energy:.6f}"])
os.replace(sys.argv[2] + ".tmp", sys.argv[2])
PY
done

# 2. Combined manifest (absolute paths; WEIGHT copies of each real row under distinct names,
#    since the manifest refuses one file twice).
python3 - "$CORPUS" "$WORK/train-pool.vibenet.csv" "$WORK/combined.csv" "$WEIGHT" <<'PY'
import csv, os, shutil, sys
corpus, pool, out, weight = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rows = []
with open(os.path.join(corpus, "manifest.csv")) as f:
    for r in csv.DictReader(f):
        rows.append([os.path.abspath(os.path.join(corpus, r["path"])), r["valence"], r["arousal"]])
with open(pool) as f:
    for r in csv.DictReader(f):
        for k in range(weight):
            path = r["path"]
            if k:
                copy = f"{path[:-4]}.copy{k}.wav"
                if not os.path.exists(copy):
                    shutil.copyfile(path, copy)  # a real copy: the manifest reader resolves links
                path = copy
            rows.append([path, r["valence"], r["arousal"]])
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["path", "valence", "arousal"])
    w.writerows(rows)
PY

# 3. Features and training.
"$BIN" extract --quiet --dataset "$WORK/combined.csv" --kind manifest --cache "$WORK/cache-w$WEIGHT" --steps 299
NAME="pseudo-k$PER_TRACK-w$WEIGHT-seed$SEED${SPLIT_SEED:+-split$SPLIT_SEED}"
MODEL=${OUT:-$WORK/$NAME.moodtap}
"$BIN" train --cache "$WORK/cache-w$WEIGHT" --steps 299 --selection "${SELECTION:-models/default.moodtap}" --model cbsa \
  --seed "$SEED" --split-seed "${SPLIT_SEED:-$SEED}" \
  --description "moodtap synthetic corpus (1500 × 45 s, seed 66) + $(ls "$WORK/train-pool" | grep -vc copy) Debian game-music excerpts labelled by VibeNet 0.1.0 (×$WEIGHT)" \
  --out "$MODEL" 2>&1 | tee "$WORK/$NAME-train.txt"

# 4. Held-out agreement with VibeNet.
"$BIN" analyze --quiet --jobs 0 "$WORK"/heldout-pool/*.wav --summary "$WORK/heldout-default.csv" > /dev/null
"$BIN" analyze --quiet --jobs 0 --model "$MODEL" "$WORK"/heldout-pool/*.wav --summary "$WORK/$NAME-heldout.csv" > /dev/null
python3 - "$WORK/heldout-pool.vibenet.csv" "$WORK/heldout-default.csv" "$WORK/$NAME-heldout.csv" <<'PY' | tee "$WORK/$NAME-heldout.md"
import csv, math, os, sys
def table(path, v, a):
    with open(path) as f:
        return {os.path.basename(r["path" if "path" in r else "file"]): (float(r[v]), float(r[a])) for r in csv.DictReader(f)}
peer = table(sys.argv[1], "valence", "arousal")
def pearson(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x); syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")
print("| model | held-out excerpts | valence r vs VibeNet | arousal r vs VibeNet | mean valence (VibeNet) | mean arousal (VibeNet) |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for name, path in [("default", sys.argv[2]), ("candidate", sys.argv[3])]:
    ours = table(path, "valence_mean", "arousal_mean")
    keys = sorted(set(ours) & set(peer))
    rv = pearson([ours[k][0] for k in keys], [peer[k][0] for k in keys])
    ra = pearson([ours[k][1] for k in keys], [peer[k][1] for k in keys])
    mv = sum(ours[k][0] for k in keys) / len(keys); ma = sum(ours[k][1] for k in keys) / len(keys)
    pv = sum(peer[k][0] for k in keys) / len(keys); pa = sum(peer[k][1] for k in keys) / len(keys)
    print(f"| {name} | {len(keys)} | {rv:.3f} | {ra:.3f} | {mv:.3f} ({pv:.3f}) | {ma:.3f} ({pa:.3f}) |")
PY
