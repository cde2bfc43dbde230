#!/usr/bin/env python3
"""openSMILE references for moodtap's voice-quality and formant LLDs.

  make_voice.py [--audio DIR]

Runs PyPI opensmile (openSMILE 3.0.2, config egemaps/v02/eGeMAPSv02.conf) on
a few inputs and writes, per input, `voice_<name>.csv` next to this script
with one row per LLD frame (time_s = k * 221 / 22050) and the columns

  F0final                                  level gemapsv01b_logPitch (input of
                                           harmonics and jitter, after the
                                           0.001 RMS volume gate)
  formantFreqLpc[1..5], formantBandwidthLpc[1..5]
                                           level gemapsv01b_formants
  HarmonicsToNoiseRatioACFLogdB, HarmonicDifferenceLogRelH1-H2,
  HarmonicDifferenceLogRelH1-A3, FormantAmplitudeByMaxHarmonicLogRelF0[1..3]
                                           level gemapsv01b_harmonics
  jitterLocal, shimmerLocalDB              level gemapsv01b_jitterShimmer

Rows stop at the last complete 60 ms frame (the formant level, computed on
20 ms frames, has a few more). Values are printed with 7 significant digits
(openSMILE computes in f32).

Inputs: speech_en, harmonic_bursts_150hz, sine_220hz and the first 10 s of
music_singularity_awakening from the rendered golden audio (DIR defaults to
$MOODTAP_GOLDEN_AUDIO or target/golden-audio; `tests/golden/make_golden.py
audio` renders it), plus two synthetic signals generated here and, with the
same formulas, in core/tests/voice_parity.rs:

  synth_resonators  1 s: 150 Hz impulse train through two-pole resonators
                    at 700 Hz (80 Hz bandwidth) and 1800 Hz (120 Hz), x 0.015
  synth_jitter      2 s: raised-cosine pulses (30 % of the period wide) with
                    periods 147 + (i*7919 mod 11) - 5 samples and amplitudes
                    0.4 + 0.1 * (i*104729 mod 7) / 6

All signals are written as 16-bit PCM (round(x * 32767)) before analysis.
"""
import argparse
import os
import tempfile
import wave

import numpy as np
import opensmile
import soundfile as sf

SR = 22050
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CONFIG = os.path.join(os.path.dirname(opensmile.__file__), "core", "config", "egemaps", "v02", "eGeMAPSv02.conf")

LEVELS = [
    ("gemapsv01b_logPitch", ["F0final"]),
    ("gemapsv01b_formants", [f"formantFreqLpc[{i}]" for i in range(1, 6)]
     + [f"formantBandwidthLpc[{i}]" for i in range(1, 6)]),
    ("gemapsv01b_harmonics", ["HarmonicsToNoiseRatioACFLogdB", "HarmonicDifferenceLogRelH1-H2",
                              "HarmonicDifferenceLogRelH1-A3"]
     + [f"FormantAmplitudeByMaxHarmonicLogRelF0[{i}]" for i in range(1, 4)]),
    ("gemapsv01b_jitterShimmer", ["jitterLocal", "shimmerLocalDB"]),
]


def write_wav(path, x):
    pcm = np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def resonators():
    n = SR
    y1 = [0.0, 0.0]
    y2 = [0.0, 0.0]
    out = np.zeros(n)

    def res(f, bw, y, u):
        r = np.exp(-np.pi * bw / SR)
        th = 2.0 * np.pi * f / SR
        o = u + 2.0 * r * np.cos(th) * y[0] - r * r * y[1]
        y[1] = y[0]
        y[0] = o
        return o

    for i in range(n):
        e = 1.0 if i % 147 == 0 else 0.0
        out[i] = 0.015 * res(1800.0, 120.0, y2, res(700.0, 80.0, y1, e))
    return out


def jitter_pulses():
    n = 2 * SR
    x = np.zeros(n)
    pos, i = 0, 0
    while pos < n:
        p = 147 + (i * 7919) % 11 - 5
        a = 0.4 + 0.1 * ((i * 104729) % 7) / 6.0
        w = int(p * 0.3)
        k = np.arange(w)
        seg = a * 0.5 * (1.0 - np.cos(2.0 * np.pi * k / w))
        m = min(w, n - pos)
        x[pos:pos + m] += seg[:m]
        pos += p
        i += 1
    return x


def dump(wav, name):
    cols = {}
    n_rows = None
    for level, names in LEVELS:
        df = opensmile.Smile(feature_set=CONFIG, feature_level=level).process_file(wav)
        if level == "gemapsv01b_logPitch":
            n_rows = len(df)
            starts = df.index.get_level_values("start").total_seconds()
            cols["time_s"] = np.round(np.asarray(starts), 6)
        for c in names:
            cols[c] = df[c].to_numpy()[:n_rows]
    import pandas as pd

    out = pd.DataFrame(cols)
    path = os.path.join(HERE, f"voice_{name}.csv")
    out.to_csv(path, index=False, float_format="%.7g")
    print(f"{name}: {len(out)} frames -> {os.path.relpath(path, ROOT)}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--audio", default=os.environ.get("MOODTAP_GOLDEN_AUDIO", os.path.join(ROOT, "target", "golden-audio")))
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ["speech_en", "harmonic_bursts_150hz", "sine_220hz"]:
            dump(os.path.join(args.audio, name + ".wav"), name)
        # First 10 s of one music excerpt, cut sample-exactly.
        x, sr = sf.read(os.path.join(args.audio, "music_singularity_awakening.wav"), dtype="int16")
        assert sr == SR
        cut = os.path.join(tmp, "music_10s.wav")
        sf.write(cut, x[:10 * SR], SR, subtype="PCM_16")
        dump(cut, "music_singularity_awakening_10s")
        for name, sig in [("synth_resonators", resonators()), ("synth_jitter", jitter_pulses())]:
            path = os.path.join(tmp, name + ".wav")
            write_wav(path, sig)
            dump(path, name)


if __name__ == "__main__":
    main()
