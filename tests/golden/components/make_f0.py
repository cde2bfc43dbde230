#!/usr/bin/env python3
"""openSMILE reference frames for moodtap's F0 chain (core/tests/f0_parity.rs).

  make_f0.py [--audio DIR] [--out DIR]

Runs PyPI opensmile (openSMILE 3.0.2, egemaps/v02/eGeMAPSv02.conf) on a few
rendered WAVs (default DIR: target/golden-audio, made by
`tests/golden/make_golden.py audio`) and writes one CSV per input to
tests/golden/components/f0/, one row per 60 ms frame (frame k starts at
sample k*221), joining four data-memory levels:

  gemapsv01b_pitchShsG60  nCand, F0Cand0..5, candVoicing0..5 (SHS candidates)
  gemapsv01b_e60          e60 (RMS energy of the Gaussian-windowed frame)
  gemapsv01b_logPitchRaw  F0raw, voicingRaw (Viterbi output before the gate)
  gemapsv01b_logPitch     F0final, F0finalLog, voicing (after the volume gate)

Inputs: sine_220hz, harmonic_bursts_150hz, speech_en, and music_cut10s =
samples [MUSIC_CUT_START, MUSIC_CUT_START + MUSIC_CUT_LEN) of
music_singularity_awakening.wav (the Rust test cuts the same samples).
Audio is read as int16/32768 and fed with process_signal (as process_file
does), so the cut and the full files take the same path; opensmile-python
converts it back to int16 and openSMILE scales that by 1/32767, so the Rust
test reads samples as int16/32767.
"""
import argparse
import os

import numpy as np
import opensmile
import pandas as pd
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SR = 22050
HOP = 221
N_CAND = 6

MUSIC_SOURCE = "music_singularity_awakening"
MUSIC_CUT_START = 10 * SR
MUSIC_CUT_LEN = 10 * SR

INPUTS = ["sine_220hz", "harmonic_bursts_150hz", "speech_en", "music_cut10s"]

LEVELS = ["gemapsv01b_pitchShsG60", "gemapsv01b_e60", "gemapsv01b_logPitchRaw", "gemapsv01b_logPitch"]


def load(audio_dir, name):
    src = MUSIC_SOURCE if name == "music_cut10s" else name
    x, sr = sf.read(os.path.join(audio_dir, src + ".wav"), dtype="int16")
    assert sr == SR and x.ndim == 1, (src, sr, x.shape)
    x = x.astype(np.float32) / np.float32(32768.0)
    if name == "music_cut10s":
        x = x[MUSIC_CUT_START:MUSIC_CUT_START + MUSIC_CUT_LEN]
    return x


def level(signal, name):
    cfg = os.path.join(os.path.dirname(opensmile.__file__), "core", "config", "egemaps", "v02", "eGeMAPSv02.conf")
    df = opensmile.Smile(feature_set=cfg, feature_level=name).process_signal(signal, SR)
    starts = df.index.get_level_values("start").total_seconds().to_numpy()
    frames = np.rint(starts * SR / HOP).astype(int)
    assert np.array_equal(frames, np.arange(len(frames))), f"{name}: frames not contiguous from 0"
    return df.reset_index(drop=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--audio", default=os.path.join(ROOT, "target", "golden-audio"))
    ap.add_argument("--out", default=os.path.join(HERE, "f0"))
    ap.add_argument("names", nargs="*", default=INPUTS, help="WAV names (without .wav) instead of the committed set")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.names:
        x = load(args.audio, name)
        shs, e60, raw, gated = (level(x, lv) for lv in LEVELS)
        n = len(shs)
        assert len(e60) == len(raw) == len(gated) == n, (name, len(shs), len(e60), len(raw), len(gated))
        out = pd.DataFrame({"frame": np.arange(n)})
        out["nCand"] = shs["nCandidates"].astype(int)
        for k in range(N_CAND):
            out[f"F0Cand{k}"] = shs[f"F0Cand[{k}]"]
        for k in range(N_CAND):
            out[f"candVoicing{k}"] = shs[f"candVoicing[{k}]"]
        out["e60"] = e60["pcm_RMSenergy"]
        out["F0raw"] = raw["F0final"]
        out["voicingRaw"] = raw["voicingFinalUnclipped"]
        out["F0final"] = gated["F0final"]
        out["F0finalLog"] = gated["F0finalLog"]
        out["voicing"] = gated["voicingFinalUnclipped"]
        path = os.path.join(args.out, name + ".csv")
        # %.9g round-trips every f32 exactly, so the Viterbi can be fed openSMILE's own candidates.
        out.to_csv(path, index=False, float_format="%.9g")
        print(f"{path}: {n} frames")


if __name__ == "__main__":
    main()
