#!/usr/bin/env bash
# Catalog throughput: `moodtap analyze` over 41 clips of 45 s (files/s, one
# job and one job per core) against a peer that predicts one value per clip,
# VibeNet 0.1.0 (PyPI, GPL-3.0, ONNX; forced to one thread), in the same run.
# Clips: 45 s from 20 s into freely licensed Debian game music
# (hyperrogue-music, singularity-music, warzone2100-music), as 44.1 kHz
# stereo 16-bit WAV, so decoding costs the same for both.
# Usage: scripts/bench_catalog.sh [RUNS]   (hyperfine runs per command, default 3)
# Needs: ffmpeg, hyperfine, python3-venv (apt); VibeNet goes into target/bench-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
command -v hyperfine >/dev/null || { echo "install hyperfine (apt install hyperfine)" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "install ffmpeg (apt install ffmpeg)" >&2; exit 1; }
cargo build --release -q -p moodtap-trainer
BIN=${CARGO_TARGET_DIR:-target}/release/moodtap
CLIPS=${CARGO_TARGET_DIR:-target}/bench-clips
VENV=${CARGO_TARGET_DIR:-target}/bench-venv

if [ "$(ls "$CLIPS"/*.wav 2>/dev/null | wc -l)" -lt 41 ]; then
  mkdir -p "$CLIPS"
  n=0
  while IFS= read -r src; do
    [ "$n" -lt 41 ] || break
    # Only sources long enough for 20 s + 45 s.
    dur=$(ffprobe </dev/null -v error -show_entries format=duration -of csv=p=0 "$src" | cut -d. -f1)
    [ "${dur:-0}" -ge 65 ] || continue
    ffmpeg -nostdin -loglevel error -y -ss 20 -t 45 -i "$src" -ar 44100 -ac 2 -c:a pcm_s16le "$CLIPS/$(printf %02d "$n").wav"
    n=$((n + 1))
  done < <(find /usr/share/games/hyperrogue /usr/share/games/singularity /usr/share/games/warzone2100 \
             -type f \( -name '*.ogg' -o -name '*.opus' \) 2>/dev/null | sort)
  [ "$n" -ge 41 ] || { echo "only $n clips: install hyperrogue-music singularity-music warzone2100-music" >&2; exit 1; }
fi

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q vibenet==0.1.0
fi
# VibeNet builds its onnxruntime session without its own one-thread options;
# give it one intra-op and one inter-op thread as the peer measurement did.
cat > "$CLIPS/vibenet_one_thread.py" <<'PY'
import sys, glob
import onnxruntime as ort
_Session = ort.InferenceSession
def one_thread(path, sess_options=None, **kw):
    so = sess_options or ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return _Session(path, sess_options=so, **kw)
ort.InferenceSession = one_thread
import vibenet
from vibenet.core import load_audio
net = vibenet.load_model()
for f in sorted(glob.glob(sys.argv[1] + "/*.wav")):
    net.predict([load_audio(f, 16000)], 16000)
PY

OUT=$(mktemp -d)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
CORES=$(nproc --all)
hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/h.json" \
  -n "moodtap --jobs 1" "$BIN analyze --quiet --jobs 1 $CLIPS/*.wav --summary $OUT/s1.csv --out $OUT/a1.csv" \
  -n "moodtap --jobs $CORES" "$BIN analyze --quiet --jobs $CORES $CLIPS/*.wav --summary $OUT/s2.csv --out $OUT/a2.csv" \
  -n "vibenet (1 thread)" "$VENV/bin/python $CLIPS/vibenet_one_thread.py $CLIPS" >&2
cmp "$OUT/a1.csv" "$OUT/a2.csv" && echo "CSV identical with --jobs 1 and --jobs $CORES" >&2
python3 - "$OUT/h.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["results"]
peer = next(r for r in h if r["command"].startswith("vibenet"))
print(f"| command | median wall | files/s | vs VibeNet (1 thread) |")
print(f"| --- | ---: | ---: | ---: |")
for r in h:
    print(f"| {r['command']} | {r['median']:.2f} s | {41 / r['median']:.2f} | {peer['median'] / r['median']:.2f}x |")
PY
rm -rf "$OUT"
