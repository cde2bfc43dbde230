#!/usr/bin/env python3
"""Golden material and reference outputs for moodtap's eGeMAPS parity test.

Two steps, both deterministic:

  make_golden.py audio  [--out DIR]   render the test material (22 050 Hz mono
                                       16-bit WAV) into DIR (default
                                       target/golden-audio): synthetic tones,
                                       sweeps and noise (numpy, fixed seeds),
                                       speech (espeak-ng), and 45 s excerpts of
                                       freely licensed music from Debian's
                                       singularity-music, hyperrogue-music and
                                       warzone2100-music packages (sox/ffmpeg).
  make_golden.py golden [--audio DIR] run PyPI opensmile (eGeMAPSv02,
                                       Functionals and LowLevelDescriptors) on
                                       that material and write the CSVs and a
                                       manifest (sha256 of every WAV, tool
                                       versions) under tests/golden/egemaps/.
                                       Also runs openSMILE on the same audio
                                       with ±1 LSB dither, 8 seeds
                                       (<name>.dither.func.csv, one row per
                                       seed; .dither.lld.csv for the first
                                       seed, formant columns): openSMILE's own
                                       sensitivity to the last bit, the noise
                                       floor against which the formant-based
                                       features (an ill-conditioned LPC) are
                                       judged.

The Rust parity test re-renders the audio (CI runs the `audio` step), checks
each WAV's sha256 against the manifest, and compares its own output with the
committed CSVs. Re-run `golden` only when the material list changes.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

SR = 22050
DITHER_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GOLDEN_DIR = os.path.join(HERE, "egemaps")

SPEECH_TEXT = (
    "The quick brown fox jumps over the lazy dog. "
    "Music can make us feel calm, tense, joyful or sad, "
    "and listeners agree surprisingly well on which."
)

# (name, source file, start_s, duration_s)
MUSIC = [
    ("music_singularity_awakening", "/usr/share/games/singularity/music/Awakening.ogg", 30.0, 45.0),
    ("music_singularity_deprecation", "/usr/share/games/singularity/music/Deprecation.ogg", 30.0, 45.0),
    ("music_hyperrogue_caves", "/usr/share/hyperrogue/music/hr3-caves.ogg", 5.0, 45.0),
    ("music_hyperrogue_palace", "/usr/share/hyperrogue/music/hr-savino-palace.ogg", 10.0, 45.0),
    ("music_warzone_track10", "/usr/share/games/warzone2100/music/albums/legacy_soundtrack/track10.opus", 20.0, 45.0),
]


def write_wav(path, x):
    import wave

    x = np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0)
    pcm = np.round(x * 32767.0).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def synth(out):
    t3 = np.arange(3 * SR) / SR
    write_wav(os.path.join(out, "sine_220hz.wav"), 0.3 * np.sin(2 * np.pi * 220.0 * t3))
    t4 = np.arange(4 * SR) / SR
    f0, f1 = 55.0, 2000.0
    k = np.log(f1 / f0) / 4.0
    write_wav(os.path.join(out, "sweep_55_2000hz.wav"), 0.3 * np.sin(2 * np.pi * f0 * (np.exp(k * t4) - 1) / k))
    # Harmonic tone with vibrato and a 1/h spectrum, in bursts separated by silence,
    # so voiced-segment statistics have something to count.
    t = np.arange(5 * SR) / SR
    f = 150.0 * (1 + 0.02 * np.sin(2 * np.pi * 5.0 * t))
    phase = 2 * np.pi * np.cumsum(f) / SR
    tone = sum(np.sin(h * phase) / h for h in range(1, 11))
    gate = ((t % 1.0) < 0.6).astype(float)
    gate = np.convolve(gate, np.hanning(441) / np.hanning(441).sum(), mode="same")
    write_wav(os.path.join(out, "harmonic_bursts_150hz.wav"), 0.2 * tone * gate)
    rng = np.random.default_rng(66)
    write_wav(os.path.join(out, "white_noise.wav"), 0.1 * rng.standard_normal(3 * SR))
    # C-major triad with slow amplitude changes.
    chord = sum(np.sin(2 * np.pi * fr * t4) for fr in (261.63, 329.63, 392.0)) / 3
    write_wav(os.path.join(out, "c_major_triad.wav"), 0.4 * chord * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t4)))


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def speech(out):
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "speech.wav")
        run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", raw, SPEECH_TEXT])
        run(["sox", "-R", raw, "-r", str(SR), "-c", "1", "-b", "16", os.path.join(out, "speech_en.wav"), "rate", "-v"])


def music(out):
    for name, src, start, dur in MUSIC:
        if not os.path.exists(src):
            sys.exit(f"missing {src}: install singularity-music, hyperrogue-music and warzone2100-music (apt)")
        dst = os.path.join(out, name + ".wav")
        if src.endswith(".opus"):
            with tempfile.TemporaryDirectory() as tmp:
                mid = os.path.join(tmp, "x.wav")
                run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", src, "-ss", str(start), "-t", str(dur),
                     "-c:a", "pcm_f32le", mid])
                run(["sox", "-R", mid, "-r", str(SR), "-c", "1", "-b", "16", dst, "rate", "-v"])
        else:
            run(["sox", "-R", src, "-r", str(SR), "-c", "1", "-b", "16", dst, "trim", str(start), str(dur), "rate", "-v"])


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def cmd_audio(args):
    os.makedirs(args.out, exist_ok=True)
    synth(args.out)
    speech(args.out)
    music(args.out)
    for f in sorted(os.listdir(args.out)):
        print(f"{f}  {sha256(os.path.join(args.out, f))[:12]}")


def cmd_golden(args):
    import opensmile

    os.makedirs(GOLDEN_DIR, exist_ok=True)
    func = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                           feature_level=opensmile.FeatureLevel.Functionals)
    lld = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                          feature_level=opensmile.FeatureLevel.LowLevelDescriptors)
    manifest = {"opensmile": opensmile.__version__, "sample_rate_hz": SR, "dither_seeds": DITHER_SEEDS, "files": {}}
    for f in sorted(os.listdir(args.audio)):
        if not f.endswith(".wav"):
            continue
        path = os.path.join(args.audio, f)
        name = f[:-4]
        df = func.process_file(path)
        df.reset_index(drop=True).to_csv(os.path.join(GOLDEN_DIR, name + ".func.csv"), index=False, float_format="%.9g")
        dl = lld.process_file(path)
        starts = dl.index.get_level_values("start").total_seconds()
        dl = dl.reset_index(drop=True)
        dl.insert(0, "time_s", np.round(starts, 6))
        dl.to_csv(os.path.join(GOLDEN_DIR, name + ".lld.csv"), index=False, float_format="%.9g")
        # openSMILE against itself: the same file with ±1 LSB of seeded dither.
        import soundfile as sf

        pcm, sr = sf.read(path, dtype="int16")
        rows = []
        for seed in DITHER_SEEDS:
            rng = np.random.default_rng(seed)
            dith = (pcm.astype(np.int32) + rng.integers(-1, 2, size=pcm.shape)).clip(-32768, 32767).astype(np.int16)
            sig = dith.astype(np.float32) / 32768.0
            rows.append(func.process_signal(sig, sr).reset_index(drop=True))
            if seed == DITHER_SEEDS[0]:
                first = sig
        import pandas as pd

        pd.concat(rows, ignore_index=True).to_csv(
            os.path.join(GOLDEN_DIR, name + ".dither.func.csv"), index=False, float_format="%.9g")
        dd = lld.process_signal(first, sr).reset_index(drop=True)
        keep = [c for c in dd.columns if c.startswith(("F1", "F2", "F3", "logRelF0-H1-A3"))]
        dd[keep].to_csv(os.path.join(GOLDEN_DIR, name + ".dither.lld.csv"), index=False, float_format="%.9g")
        manifest["files"][f] = {"sha256": sha256(path), "lld_frames": len(dl)}
        print(f"{name}: {len(dl)} LLD frames")
    with open(os.path.join(GOLDEN_DIR, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2, sort_keys=True)
        fh.write("\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("audio")
    a.add_argument("--out", default=os.path.join(ROOT, "target", "golden-audio"))
    g = sub.add_parser("golden")
    g.add_argument("--audio", default=os.path.join(ROOT, "target", "golden-audio"))
    args = p.parse_args()
    {"audio": cmd_audio, "golden": cmd_golden}[args.cmd](args)


if __name__ == "__main__":
    main()
