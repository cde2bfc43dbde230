#!/usr/bin/env python3
"""How far do dynamic arousal ratings trail the music? (docs/training.md, "Dynamic labels")

For each clip of a MediaEval-layout dataset (EmoMusic: clips_45seconds/<id>.mp3 and
annotations/arousal_cont_average.csv; DEAM: MEMD_audio/<id>.mp3 and the dynamic arousal.csv
under annotations/; ratings every 0.5 s from 15 s, scale -1..1; the layouts the trainer reads) this
computes the loudness of the audio (RMS in dB over 1 s windows, 50 ms hop) and the
within-song Pearson r between the rating at time t and the loudness at t - lag, pooled over
all clips after removing each clip's means, for lags 0..8 s. Loudness is the strongest
arousal cue and acts at once in the music, so the lag that maximises r estimates the
annotators' reaction time (plus whatever delay their slider smoothing adds).

Usage: scripts/annotator_lag.py DATASET_ROOT  (needs numpy, librosa; the test venv has them)
"""
import csv
import sys
from pathlib import Path

import numpy as np
import librosa

HOP_S = 0.05
WINDOW_S = 1.0


def ratings(path):
    out = {}
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = [h.strip() for h in next(rows)]
        times = [(j, int(h[len("sample_"):-2]) / 1000.0) for j, h in enumerate(header) if h.startswith("sample_")]
        for row in rows:
            series = [(t, float(row[j])) for j, t in times if j < len(row) and row[j].strip()]
            if series:
                out[row[0].strip()] = series
    return out


def loudness_db(path):
    y, sr = librosa.load(path, sr=22050, mono=True)
    frame, hop = int(WINDOW_S * sr), int(HOP_S * sr)
    rms = librosa.feature.rms(y=y, frame_length=frame, hop_length=hop, center=False)[0]
    # Frame k covers [k*hop, k*hop + window): its time is the window's end.
    ends = (np.arange(len(rms)) * hop + frame) / sr
    return ends, 20 * np.log10(np.maximum(rms, 1e-6))


def main():
    root = Path(sys.argv[1])
    layouts = [
        ("clips_45seconds", "annotations/arousal_cont_average.csv"),
        ("MEMD_audio", "annotations/annotations averaged per song/dynamic (per second annotations)/arousal.csv"),
    ]
    found = [(root / a, root / r) for a, r in layouts if (root / r).is_file()]
    if not found:
        sys.exit(f"{root}: neither an EmoMusic nor a DEAM root (no dynamic arousal ratings found)")
    audio_dir, rating_file = found[0]
    arousal = ratings(rating_file)
    clips = []
    for song, series in sorted(arousal.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0):
        audio = audio_dir / f"{song}.mp3"
        if audio.is_file():
            clips.append((song, np.array(series), *loudness_db(audio)))
    if not clips:
        sys.exit(f"no clip of {root} has both audio and arousal ratings")
    print(f"{len(clips)} clips, {sum(len(c[1]) for c in clips)} ratings")
    print("| lag (s) | within-song r (loudness vs arousal rating) |\n| ---: | ---: |")
    best = (None, -2.0)
    for lag in np.arange(0.0, 8.01, 0.5):
        xs, ys = [], []
        for _, series, ends, db in clips:
            t = series[:, 0] - lag
            keep = (t >= ends[0]) & (t <= ends[-1])
            if keep.sum() < 2:
                continue
            x = np.interp(t[keep], ends, db)
            y = series[keep, 1]
            xs.append(x - x.mean())
            ys.append(y - y.mean())
        r = float(np.corrcoef(np.concatenate(xs), np.concatenate(ys))[0, 1])
        if r > best[1]:
            best = (lag, r)
        print(f"| {lag:.1f} | {r:.3f} |")
    print(f"\nbest lag {best[0]:.1f} s (r {best[1]:.3f})")


if __name__ == "__main__":
    main()
