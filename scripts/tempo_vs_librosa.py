#!/usr/bin/env python3
"""Compare moodtap's MIR tempo with librosa.beat.beat_track on music files.

Usage (from the repository root):
  cargo build -p moodtap-core --release --example mir_tempo
  .venv/bin/python scripts/tempo_vs_librosa.py \
      --ours $CARGO_TARGET_DIR/release/examples/mir_tempo \
      --cut-dir /tmp/mir-tempo \
      --cut /usr/share/games/singularity/music/*.ogg /usr/share/hyperrogue/music/*.ogg \
      --wav target/golden-audio/music_*.wav > docs/tempo_vs_librosa.md

--cut FILES: each file is cut to 45 s (from --offset s, or from the start
when shorter), downmixed to mono at 22 050 Hz with sox into --cut-dir (audio
is never committed). --wav FILES: used as they are (22 050 Hz mono WAV).

Ours: the median of the per-step tempi (1 s steps, each over the last 6 s of
onsets, steps from 6 s on), as printed by the mir_tempo example. librosa:
beat_track's global tempo estimate (onset autocorrelation with a log-normal
prior around 120 BPM) at sr = 22 050 Hz, default hop 512.

Classes: "agree" when within 4 %; "octave" when ours/librosa is within 4 %
of 2 or 1/2; "metrical" for 3, 1/3, 3/2, 2/3; otherwise "other".
Prints a Markdown table and a summary to stdout.
"""
import argparse
import os
import subprocess
import sys

import librosa
import numpy as np

SR = 22050
CLIP_S = 45.0


def cut(src, out_dir, offset_s):
    base = os.path.splitext(os.path.basename(src))[0].replace(" ", "_").lower()
    parent = os.path.basename(os.path.dirname(os.path.dirname(src))) or "x"
    dst = os.path.join(out_dir, f"{parent}_{base}.wav")
    if not os.path.exists(dst):
        dur = float(subprocess.check_output(["soxi", "-D", src], text=True).strip())
        start = offset_s if dur >= offset_s + CLIP_S else max(0.0, dur - CLIP_S)
        subprocess.check_call(
            ["sox", src, "-r", str(SR), "-c", "1", "-b", "16", dst, "trim", f"{start}", f"{CLIP_S}"],
            stderr=subprocess.DEVNULL,
        )
    return dst


def classify(ours, ref):
    if ours <= 0 or ref <= 0:
        return "other"
    r = ours / ref
    def near(x):
        return abs(r / x - 1.0) <= 0.04
    if near(1.0):
        return "agree"
    if near(2.0) or near(0.5):
        return "octave"
    if any(near(x) for x in (3.0, 1 / 3, 1.5, 2 / 3)):
        return "metrical"
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True, help="path to the mir_tempo example binary")
    ap.add_argument("--cut-dir", default="/tmp/mir-tempo")
    ap.add_argument("--offset", type=float, default=30.0, help="start of each cut, s")
    ap.add_argument("--cut", nargs="*", default=[])
    ap.add_argument("--wav", nargs="*", default=[])
    a = ap.parse_args()
    os.makedirs(a.cut_dir, exist_ok=True)
    files = list(a.wav) + [cut(f, a.cut_dir, a.offset) for f in a.cut]
    out = subprocess.check_output([a.ours] + files, text=True)
    ours = {}
    for line in out.splitlines():
        path, tempo, _clarity = line.split("\t")
        ours[path] = float(tempo)
    rows = []
    for f in files:
        y, _ = librosa.load(f, sr=SR, mono=True)
        tempo, _beats = librosa.beat.beat_track(y=y, sr=SR)
        ref = float(np.atleast_1d(tempo)[0])
        o = ours.get(f, 0.0)
        rows.append((os.path.basename(f), o, ref, classify(o, ref)))
    print("| file | ours (BPM) | librosa (BPM) | ratio | class |")
    print("|---|---:|---:|---:|---|")
    for name, o, ref, c in rows:
        ratio = o / ref if ref > 0 else float("nan")
        print(f"| {name} | {o:.1f} | {ref:.1f} | {ratio:.3f} | {c} |")
    counts = {k: sum(1 for r in rows if r[3] == k) for k in ("agree", "octave", "metrical", "other")}
    n = len(rows)
    print()
    print(
        f"{n} files: {counts['agree']} agree within 4 %, {counts['octave']} octave-related, "
        f"{counts['metrical']} other metrical ratio (3, 1/3, 3/2, 2/3), {counts['other']} other."
    )


if __name__ == "__main__":
    sys.exit(main())
