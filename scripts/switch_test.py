#!/usr/bin/env python3
"""Switch test: how fast an arousal reading follows a change of music, and how steady it stays.

Builds calm -> intense -> calm from two real recordings (60 s each; by default Debian's
singularity-music "Awakening" and "Through Space" from 20 s in, the same calm excerpt twice),
runs `moodtap analyze` on it (the plugin's analysis, no smoothing unless --smoothing-s), and
measures for every requested CSV column (default `arousal,arousal_now`: the long and the now reading):

- plateau levels: the median of the column over the last 20 s of each segment;
- half-way time after each switch: seconds from the switch until the column first crosses the
  midpoint between the plateau before and the plateau after (undefined if it never does);
- steadiness: the standard deviation of (column - its centred 2 s moving mean) over the last 30 s
  of each segment, the largest of the three.

Targets of the responsive reading (issue 14): half-way <= 3 s after each switch with plateaus
>= 0.2 apart, steadiness <= 0.02. Printed as a markdown table (also --out). Needs ffmpeg, the
`moodtap` binary (default target/release/moodtap) and singularity-music (apt) unless --calm and
--intense name other files. Standard library only.

Usage: scripts/switch_test.py [--model M] [--columns arousal,...] [--smoothing-s 0] [--out table.md]
       scripts/switch_test.py --keep-wav switch.wav ...   (also keep the joined input)
       scripts/switch_test.py --csv readings.csv --columns a,b   (measure columns of another tool's
                                                                  CSV over the same input: time_s + columns)
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

MUSIC = "/usr/share/games/singularity/music"
SEGMENT_S = 60.0
PLATEAU_S = 20.0
STEADY_S = 30.0
MOVING_S = 2.0


def build_input(calm, intense, offset_s, out_wav):
    """calm[offset, offset+60) + intense[offset, offset+60) + calm[offset, offset+60), 44.1 kHz stereo."""
    parts = []
    for i in range(3):
        parts += ["-ss", str(offset_s), "-t", str(SEGMENT_S), "-i", calm if i != 1 else intense]
    filt = "".join(f"[{i}:a]aresample=44100,aformat=channel_layouts=stereo[a{i}];" for i in range(3))
    filt += "[a0][a1][a2]concat=n=3:v=0:a=1[out]"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *parts, "-filter_complex", filt, "-map", "[out]",
         "-c:a", "pcm_s16le", out_wav],
        check=True,
    )


def moving_mean(t, x, width_s):
    out = []
    lo = hi = 0
    acc = 0.0
    for i, ti in enumerate(t):
        while hi < len(t) and t[hi] <= ti + width_s / 2:
            acc += x[hi]
            hi += 1
        while t[lo] < ti - width_s / 2:
            acc -= x[lo]
            lo += 1
        out.append(acc / (hi - lo))
    return out


def measure(t, x):
    seg_end = [SEGMENT_S * (k + 1) for k in range(3)]
    plateaus = [statistics.median(v for ti, v in zip(t, x) if e - PLATEAU_S <= ti < e) for e in seg_end]
    halfway = []
    for k, switch in enumerate(seg_end[:2]):
        before, after = plateaus[k], plateaus[k + 1]
        mid = (before + after) / 2
        rising = after > before
        hit = next((ti - switch for ti, v in zip(t, x) if ti >= switch and (v >= mid if rising else v <= mid)), None)
        halfway.append(hit)
    mm = moving_mean(t, x, MOVING_S)
    steady = []
    for e in seg_end:
        dev = [v - m for ti, v, m in zip(t, x, mm) if e - STEADY_S <= ti < e - MOVING_S / 2]
        steady.append(statistics.pstdev(dev))
    return plateaus, halfway, max(steady)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=os.environ.get("MOODTAP", "target/release/moodtap"))
    ap.add_argument("--model", help="model file (default: the embedded default model)")
    ap.add_argument("--calm", default=f"{MUSIC}/Awakening.ogg")
    ap.add_argument("--intense", default=f"{MUSIC}/Through Space.ogg")
    ap.add_argument("--offset-s", type=float, default=20.0)
    ap.add_argument("--columns", default="arousal,arousal_now", help="CSV columns of `moodtap analyze` to measure")
    ap.add_argument("--smoothing-s", type=float, default=0.0)
    ap.add_argument("--out")
    ap.add_argument("--keep-wav", help="also write the joined calm/intense/calm input here")
    ap.add_argument("--csv", help="measure this CSV (time_s + the columns) instead of running analyze")
    a = ap.parse_args()
    for f in (a.calm, a.intense):
        if not a.csv and not os.path.isfile(f):
            sys.exit(f"{f} not found: install singularity-music (apt) or pass --calm/--intense")
    if a.csv:
        rows = list(csv.DictReader(open(a.csv)))
    else:
        with tempfile.TemporaryDirectory() as d:
            wav, est = os.path.join(d, "switch.wav"), os.path.join(d, "switch.csv")
            build_input(a.calm, a.intense, a.offset_s, wav)
            if a.keep_wav:
                shutil.copyfile(wav, a.keep_wav)
            cmd = [a.binary, "analyze", "--quiet", wav, "--out", est, "--smoothing-s", str(a.smoothing_s)]
            if a.model:
                cmd += ["--model", a.model]
            subprocess.run(cmd, check=True)
            rows = list(csv.DictReader(open(est)))
    t = [float(r["time_s"]) for r in rows]
    fmt = lambda v: "never" if v is None else f"{v:.1f} s"
    lines = [
        f"Switch test: calm `{os.path.basename(a.calm)}` -> intense `{os.path.basename(a.intense)}` -> calm, "
        f"{SEGMENT_S:.0f} s each from {a.offset_s:g} s in; model {a.model or 'embedded default'}; "
        f"smoothing {a.smoothing_s:g} s",
        "",
        "| column | plateaus (calm / intense / calm) | half-way after switch 1 | after switch 2 "
        "| steadiness (std around 2 s mean) | targets met |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for col in a.columns.split(","):
        if col not in rows[0]:
            sys.exit(f"column {col} not in the analyze output (has {', '.join(rows[0])})")
        x = [float(r[col]) for r in rows]
        plateaus, halfway, steady = measure(t, x)
        apart = min(abs(plateaus[1] - plateaus[0]), abs(plateaus[1] - plateaus[2]))
        ok = apart >= 0.2 and all(h is not None and h <= 3.0 for h in halfway) and steady <= 0.02
        lines.append(
            f"| {col} | {' / '.join(f'{p:.3f}' for p in plateaus)} | {fmt(halfway[0])} | {fmt(halfway[1])} "
            f"| {steady:.4f} | {'yes' if ok else 'no'} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        open(a.out, "w").write(text)


if __name__ == "__main__":
    main()
