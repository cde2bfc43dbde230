#!/usr/bin/env python3
"""Model-free musical cues for the default-model pair check (issue 6).

For each piece: a 45 s excerpt starting at ``clamp(duration - 45, 0, 15)`` s
(the whole piece when it is 45 s or shorter; the same rule as
``trainer/tests/default_model_pairs.rs``), mono at 22 050 Hz, and these cues,
computed with librosa only (no moodtap code or model):

- ``tempo_bpm``: ``librosa.beat.beat_track`` global tempo;
- ``rms_db``: mean frame RMS in dBFS (2048/512 frames);
- ``onsets_s``: onsets per second (``librosa.onset.onset_detect``);
- ``centroid_hz``: median spectral centroid;
- ``key`` / ``mode_score``: Krumhansl-Kessler key profiles correlated with the
  excerpt's mean CQT chroma over all 24 rotations; ``mode_score`` is the best
  major correlation minus the best minor one (> 0: major-leaning).

``arousal_cue`` and ``valence_cue`` are z-score composites over the pieces
listed (arousal: tempo, RMS, onset rate, centroid; valence: mode score and
centroid, brightness being a secondary valence cue) used only to rank
contrast; the pairs themselves are fixed in ``PAIRS`` with the reason each was
chosen.

Usage: pair_cues.py [--all]   (markdown table on stdout; --all lists every piece)
"""
import glob
import os
import sys
import warnings

import librosa
import numpy as np

warnings.filterwarnings("ignore")

SR = 22050
EXCERPT_S = 45.0
MAX_OFFSET_S = 15.0
SING = "/usr/share/games/singularity/music"
HYPER = "/usr/share/hyperrogue/music"

# Krumhansl & Kessler (1982) probe-tone profiles, C first.
MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]

# (dimension, expected higher, expected lower, why): the first piece is expected
# to score higher on the dimension. Chosen from the --all table before the
# model was run; must match PAIRS in trainer/tests/default_model_pairs.rs.
PAIRS = [
    ("arousal", "hr/hr3-motion.ogg", "lose/March Thee to Dis.ogg",
     "all four cues agree; 12 dB louder, 6x the onsets; defeat jingle vs action level"),
    ("arousal", "Through Space.ogg", "Awakening.ogg",
     "faster, 3.8x the onsets, 3.6x the centroid; equal level"),
    ("arousal", "hr/hr-savino-caribbean.ogg", "hr/hr3-rlyeh.ogg",
     "tempo 136 vs 76, 2x the onsets, level and centroid slightly higher"),
    ("arousal", "hr/hr3-desert.ogg", "hr/hr3-graveyard.ogg",
     "faster, 1.8x the onsets, brighter; equal level"),
    ("arousal", "win/Apex Aleph.ogg", "lose/Chimes They Fade.ogg",
     "win vs lose jingle (composer intent); 6 dB louder, 2.8x the onsets, 5x the centroid; "
     "beat tracker's 185 BPM for the sparse chimes is an octave error (1.6 onsets/s)"),
    ("arousal", "hr/hr-savino-palace.ogg", "Awakening.ogg",
     "all four cues agree; 4 dB louder, 3.2x the onsets, 3.4x the centroid"),
    ("valence", "hr/hr3-mirror.ogg", "hr/hr3-caves.ogg",
     "clearest major (D, +0.21) vs clearest minor (Em, -0.29) of the set"),
    ("valence", "Aberrations.ogg", "hr/hr3-icyland.ogg",
     "major (C, +0.12) vs minor (F#m, -0.26), brighter"),
    ("valence", "Deprecation.ogg", "A New Journey.ogg",
     "major (C#, +0.11) vs minor (Dm, -0.22); the minor piece is brighter and faster"),
    ("valence", "hr/hr-savino-ivory.ogg", "hr/hr3-graveyard.ogg",
     "major (F, +0.07) vs minor (Em, -0.13), brighter; title: graveyard"),
    ("valence", "win/Apex Aleph.ogg", "lose/March Thee to Dis.ogg",
     "win vs lose jingle (composer intent; 'Dis' is Dante's city of Hell); mode cue weak "
     "(both minor-leaning), brighter by 7x"),
]


def excerpt_offset(duration_s):
    return float(min(max(duration_s - EXCERPT_S, 0.0), MAX_OFFSET_S))


def key_of(chroma_mean):
    best = {}
    for mode, prof in (("major", MAJOR), ("minor", MINOR)):
        rs = [np.corrcoef(np.roll(prof, k), chroma_mean)[0, 1] for k in range(12)]
        k = int(np.argmax(rs))
        best[mode] = (rs[k], k)
    mode = "major" if best["major"][0] >= best["minor"][0] else "minor"
    name = NAMES[best[mode][1]] + ("" if mode == "major" else "m")
    return name, best["major"][0] - best["minor"][0]


def cues(path):
    duration = librosa.get_duration(path=path)
    off = excerpt_offset(duration)
    y, _ = librosa.load(path, sr=SR, mono=True, offset=off, duration=EXCERPT_S)
    tempo, _ = librosa.beat.beat_track(y=y, sr=SR)
    rms = librosa.feature.rms(y=y, frame_length=2048, hop_length=512)[0]
    rms_db = float(np.mean(20 * np.log10(np.maximum(rms, 1e-6))))
    onsets = librosa.onset.onset_detect(y=y, sr=SR, units="time")
    cent = float(np.median(librosa.feature.spectral_centroid(y=y, sr=SR)[0]))
    chroma = librosa.feature.chroma_cqt(y=y, sr=SR).mean(axis=1)
    key, mode_score = key_of(chroma)
    return {
        "offset_s": off,
        "len_s": len(y) / SR,
        "tempo_bpm": float(np.atleast_1d(tempo)[0]),
        "rms_db": rms_db,
        "onsets_s": len(onsets) / (len(y) / SR),
        "centroid_hz": cent,
        "key": key,
        "mode_score": float(mode_score),
    }


def short(path):
    return os.path.relpath(path, SING) if path.startswith(SING) else "hr/" + os.path.basename(path)


def all_pieces():
    files = sorted(glob.glob(SING + "/*.ogg") + glob.glob(SING + "/*/*.ogg") + glob.glob(HYPER + "/*.ogg"))
    return files


def main():
    files = all_pieces()
    if not files:
        sys.exit("no pieces: install singularity-music and hyperrogue-music (scripts/setup-deps.sh)")
    table = {short(f): cues(f) for f in files}
    z = {}
    for k in ("tempo_bpm", "rms_db", "onsets_s", "centroid_hz", "mode_score"):
        v = np.array([c[k] for c in table.values()])
        for name, c in table.items():
            z.setdefault(name, {})[k] = (c[k] - v.mean()) / (v.std() + 1e-9)
    for name, c in table.items():
        zz = z[name]
        c["arousal_cue"] = (zz["tempo_bpm"] + zz["rms_db"] + zz["onsets_s"] + zz["centroid_hz"]) / 4
        c["valence_cue"] = (2 * zz["mode_score"] + zz["centroid_hz"]) / 3
    cols = ["offset_s", "tempo_bpm", "rms_db", "onsets_s", "centroid_hz", "key", "mode_score", "arousal_cue", "valence_cue"]
    fmt = lambda v: v if isinstance(v, str) else f"{v:.2f}" if abs(v) < 10 else f"{v:.0f}"
    if "--all" in sys.argv:
        print("| piece | " + " | ".join(cols) + " |")
        print("|" + "---|" * (len(cols) + 1))
        for name, c in sorted(table.items(), key=lambda kv: -kv[1]["arousal_cue"]):
            print(f"| {name} | " + " | ".join(fmt(c[k]) for k in cols) + " |")
        return
    print("| # | dim | expected higher | expected lower | cue contrast (higher vs lower) | why |")
    print("|---|---|---|---|---|---|")
    for i, (dim, hi, lo, why) in enumerate(PAIRS, 1):
        a, b = table[hi], table[lo]
        if dim == "arousal":
            d = (f"tempo {a['tempo_bpm']:.0f}/{b['tempo_bpm']:.0f} BPM, RMS {a['rms_db']:.1f}/{b['rms_db']:.1f} dB, "
                 f"onsets {a['onsets_s']:.1f}/{b['onsets_s']:.1f} /s, centroid {a['centroid_hz']:.0f}/{b['centroid_hz']:.0f} Hz")
        else:
            d = (f"key {a['key']}/{b['key']}, mode score {a['mode_score']:+.2f}/{b['mode_score']:+.2f}, "
                 f"centroid {a['centroid_hz']:.0f}/{b['centroid_hz']:.0f} Hz")
        print(f"| {i} | {dim} | {hi} | {lo} | {d} | {why} |")


if __name__ == "__main__":
    main()
