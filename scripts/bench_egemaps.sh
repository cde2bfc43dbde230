#!/usr/bin/env bash
# eGeMAPS v02 functionals of one 45 s 22 050 Hz WAV: `moodtap features`
# against openSMILE (PyPI opensmile, the same config) in the same run.
# Whole process on both sides (start-up, decoding, extraction, CSV), timed
# with hyperfine; plus openSMILE's in-process time without Python start-up,
# and the whole fused pipeline (decode → eGeMAPS + MIR steps, `--set fused
# --level steps`) as a realtime factor.
# Usage: scripts/bench_egemaps.sh [WAV]   (default: the golden music excerpt)
set -euo pipefail
cd "$(dirname "$0")/.."
WAV=${1:-target/golden-audio/music_hyperrogue_caves.wav}
PY=${MOODTAP_PYTHON:-.venv/bin/python}
[ -x "$PY" ] || { echo "no Python with opensmile at $PY: run scripts/setup-deps.sh or set MOODTAP_PYTHON" >&2; exit 1; }
[ -f "$WAV" ] || "$PY" tests/golden/make_golden.py audio >/dev/null
command -v hyperfine >/dev/null || { echo "install hyperfine (apt install hyperfine)" >&2; exit 1; }
cargo build --release -q -p moodtap-trainer
BIN=${CARGO_TARGET_DIR:-target}/release/moodtap
OUT=$(mktemp -d)
# Single-threaded on both sides.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 RAYON_NUM_THREADS=1
hyperfine --warmup 2 --runs 15 --export-json "$OUT/h.json" \
  -n moodtap "$BIN features $WAV --set egemaps --level functionals --out $OUT/ours.csv" \
  -n fused "$BIN features $WAV --set fused --level steps --out $OUT/fused.csv" \
  -n opensmile "$PY -c \"import opensmile; opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals).process_file('$WAV').to_csv('$OUT/ref.csv')\"" >&2
"$PY" - "$OUT/h.json" "$WAV" <<'PY'
import json, sys, time
import opensmile
h = json.load(open(sys.argv[1]))["results"]
t = {r["command"]: r["median"] for r in h}
# CPU time (user + system) of the whole process: on a shared machine the wall
# time also counts waiting for a core; both sides are single-threaded.
cpu = {r["command"]: r["user"] + r["system"] for r in h}
s = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals)
s.process_file(sys.argv[2])
runs, cpus = [], []
for _ in range(5):
    t0, c0 = time.perf_counter(), time.process_time()
    s.process_file(sys.argv[2])
    runs.append(time.perf_counter() - t0)
    cpus.append(time.process_time() - c0)
inproc = sorted(runs)[len(runs) // 2]
inproc_cpu = sorted(cpus)[len(cpus) // 2]
print("| what | wall (median) | CPU user+sys (mean) |")
print("| --- | --- | --- |")
print(f"| moodtap features, whole process | {t['moodtap']*1e3:.1f} ms | {cpu['moodtap']*1e3:.1f} ms |")
print(f"| openSMILE (Python API), whole process | {t['opensmile']*1e3:.1f} ms | {cpu['opensmile']*1e3:.1f} ms |")
print(f"| openSMILE process_file only (no start-up) | {inproc*1e3:.1f} ms | {inproc_cpu*1e3:.1f} ms |")
print(f"| ratio vs openSMILE whole process | {t['opensmile']/t['moodtap']:.1f}x | {cpu['opensmile']/cpu['moodtap']:.1f}x |")
print(f"| ratio vs openSMILE in-process | {inproc/t['moodtap']:.1f}x | {inproc_cpu/cpu['moodtap']:.1f}x |")
import soundfile
dur = soundfile.info(sys.argv[2]).duration
print(f"| fused steps (decode + eGeMAPS + MIR), whole process | {t['fused']*1e3:.1f} ms = {dur/t['fused']:.0f}x realtime | {cpu['fused']*1e3:.1f} ms = {dur/cpu['fused']:.0f}x realtime |")
PY
rm -rf "$OUT"
