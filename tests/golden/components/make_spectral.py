#!/usr/bin/env python3
"""Per-frame openSMILE reference for moodtap's eGeMAPS v02 energy and spectral LLDs.

  make_spectral.py [--audio DIR] [--out DIR] [--levels DIR] [--all]

Runs PyPI opensmile (openSMILE 3.0.2, `egemaps/v02/eGeMAPSv02.conf`) on a few
WAVs rendered by `tests/golden/make_golden.py audio` (default DIR:
target/golden-audio) and writes one CSV per input into
tests/golden/components/spectral/. Every row is one 20 ms frame (441 samples
at 22 050 Hz, hop 221) *before* smoothing, with the columns

  frame, energy_sq, loudness, alpha_ratio_db, hammarberg_db, slope_0_500,
  slope_500_1500, flux, mfcc1, mfcc2, mfcc3, mfcc4

taken from the data-memory levels egemapsv02_energyRMS (pcm_SQUAREDenergy),
gemapsv01b_loudness, gemapsv01b_logSpectral, egemapsv02_logSpectral_flux and
egemapsv02_mfcc. core/tests/spectral_parity.rs compares moodtap's
`SpectralLlds` with these frame by frame.

The music input is a 10 s cut (MUSIC_CUT below) so the committed CSVs stay
small; the Rust test cuts the same samples. `--levels DIR` additionally dumps
the raw melspec / audspec levels (gemapsv01b_melspec1, gemapsv01b_audspec,
egemapsv02_melspecMfcc) there for debugging; those are not committed.
`--all --out DIR` writes references for every WAV of the audio directory,
whole, for the extended check (`MOODTAP_SPECTRAL_REFS=DIR cargo test
--test spectral_parity`); those are not committed either.
"""
import argparse
import os
import tempfile
import wave

import numpy as np
import opensmile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CONFIG = os.path.join(os.path.dirname(opensmile.__file__), "core", "config", "egemaps", "v02", "eGeMAPSv02.conf")

# Whole files.
FILES = ["sine_220hz", "white_noise", "speech_en"]
# (output name, source file, first sample, number of samples) -- keep in sync with spectral_parity.rs.
MUSIC_CUT = ("music_hyperrogue_palace_10s", "music_hyperrogue_palace", 10 * 22050, 10 * 22050)

# (level, column in that level, output column)
COLUMNS = [
    ("egemapsv02_energyRMS", "pcm_SQUAREDenergy", "energy_sq"),
    ("gemapsv01b_loudness", "loudness", "loudness"),
    ("gemapsv01b_logSpectral", "pcm_fftMag_alphaRatioDB", "alpha_ratio_db"),
    ("gemapsv01b_logSpectral", "pcm_fftMag_hammarbergIndexDB", "hammarberg_db"),
    ("gemapsv01b_logSpectral", "pcm_fftMag_logSpectralSlopeOfBand0-500", "slope_0_500"),
    ("gemapsv01b_logSpectral", "pcm_fftMag_logSpectralSlopeOfBand500-1500", "slope_500_1500"),
    ("egemapsv02_logSpectral_flux", "pcm_fftMag_spectralFlux", "flux"),
    ("egemapsv02_mfcc", "mfcc[1]", "mfcc1"),
    ("egemapsv02_mfcc", "mfcc[2]", "mfcc2"),
    ("egemapsv02_mfcc", "mfcc[3]", "mfcc3"),
    ("egemapsv02_mfcc", "mfcc[4]", "mfcc4"),
]
DEBUG_LEVELS = ["gemapsv01b_melspec1", "gemapsv01b_audspec", "egemapsv02_melspecMfcc"]


def level(wav, name):
    return opensmile.Smile(feature_set=CONFIG, feature_level=name).process_file(wav).reset_index(drop=True)


def cut_wav(src, dst, first, count):
    with wave.open(src, "rb") as r:
        params = r.getparams()
        r.setpos(first)
        frames = r.readframes(count)
    with wave.open(dst, "wb") as w:
        w.setparams(params)
        w.writeframes(frames)


def dump(wav, name, out_dir, levels_dir):
    cache = {}
    cols = {}
    for lvl, col, out_col in COLUMNS:
        if lvl not in cache:
            cache[lvl] = level(wav, lvl)
        cols[out_col] = cache[lvl][col].to_numpy()
    n = min(len(v) for v in cols.values())
    path = os.path.join(out_dir, name + ".csv")
    with open(path, "w") as f:
        f.write("frame," + ",".join(c for _, _, c in COLUMNS) + "\n")
        for i in range(n):
            f.write(str(i) + "," + ",".join("%.8g" % cols[c][i] for _, _, c in COLUMNS) + "\n")
    print(f"{path}: {n} frames")
    if levels_dir:
        for lvl in DEBUG_LEVELS:
            level(wav, lvl).to_csv(os.path.join(levels_dir, f"{name}.{lvl}.csv"), index=False, float_format="%.9g")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--audio", default=os.path.join(ROOT, "target", "golden-audio"))
    ap.add_argument("--out", default=os.path.join(HERE, "spectral"))
    ap.add_argument("--levels", default=None)
    ap.add_argument("--all", action="store_true", help="every WAV in --audio, whole files")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.levels:
        os.makedirs(args.levels, exist_ok=True)
    if args.all:
        for wav in sorted(f for f in os.listdir(args.audio) if f.endswith(".wav")):
            dump(os.path.join(args.audio, wav), wav[:-4], args.out, args.levels)
        return
    for name in FILES:
        dump(os.path.join(args.audio, name + ".wav"), name, args.out, args.levels)
    out_name, src, first, count = MUSIC_CUT
    with tempfile.TemporaryDirectory() as tmp:
        cut = os.path.join(tmp, out_name + ".wav")
        cut_wav(os.path.join(args.audio, src + ".wav"), cut, first, count)
        dump(cut, out_name, args.out, args.levels)


if __name__ == "__main__":
    main()
