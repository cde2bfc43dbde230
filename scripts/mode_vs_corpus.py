#!/usr/bin/env python3
"""How well the MIR `mode` descriptor hears the mode the corpus was composed in.

Runs `moodtap features --set mir --level steps` on the first N tonal songs of a
`moodtap corpus` manifest and prints the Pearson r (and sign accuracy) between
the true mode (+1 major, -1 minor) and the descriptor at the last step of each
song (the step whose key context is all music). Standard library only.

Usage: scripts/mode_vs_corpus.py CORPUS_DIR [--count 80] [--bin target/release/moodtap]
"""
import argparse
import csv
import io
import math
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def last_mode(binary, wav):
    out = subprocess.run(
        [binary, "features", "--set", "mir", "--level", "steps", "--hop-s", "5", str(wav)],
        capture_output=True, text=True, check=True,
    ).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    return float(rows[-1]["mode"])


def pearson(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--count", type=int, default=80)
    ap.add_argument("--bin", default="target/release/moodtap")
    a = ap.parse_args()
    rows = [r for r in csv.DictReader(open(a.corpus / "manifest.csv")) if r["mode"] != "atonal"][: a.count]
    truth = [1.0 if r["mode"] == "major" else -1.0 for r in rows]
    with ThreadPoolExecutor(2) as ex:
        modes = list(ex.map(lambda r: last_mode(a.bin, a.corpus / r["path"]), rows))
    acc = sum((m > 0) == (t > 0) for m, t in zip(modes, truth)) / len(rows)
    print(f"{len(rows)} tonal songs: r(mode descriptor, true mode) = {pearson(modes, truth):.2f}, sign accuracy {acc:.2f}")


if __name__ == "__main__":
    main()
