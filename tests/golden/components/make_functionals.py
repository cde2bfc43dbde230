#!/usr/bin/env python3
"""openSMILE's own raw eGeMAPS v02 LLDs, for testing smoothing/selection/functionals alone.

  make_functionals.py [--audio DIR] [--out DIR]

For every WAV of the golden material (default target/golden-audio) this runs PyPI opensmile (openSMILE 3.0.2,
egemaps/v02/eGeMAPSv02.conf) and dumps the raw data-memory levels that feed
the smoothers (`egemapsv02_lldsetE`, `egemapsv02_lldsetF`, the V/UV selectors)
and the Leq functional, before any smoothing:

  gemapsv01b_loudness          loudness                      (20 ms frames)
  gemapsv01b_logSpectral       alphaRatio, Hammarberg, slopes (20 ms frames)
  egemapsv02_logSpectral_flux  spectral flux                 (20 ms frames)
  egemapsv02_mfcc              mfcc[1..4]                    (20 ms frames)
  egemapsv02_energyRMS         pcm_SQUAREDenergy (for Leq)   (20 ms frames)
  gemapsv01b_logPitch          F0finalLog (semitones, 0 = unvoiced) (60 ms frames)
  gemapsv01b_jitterShimmer     jitterLocal, shimmerLocalDB   (60 ms frames)
  gemapsv01b_harmonics         HNR, H1-H2, H1-A3, F1..3 amplitude (60 ms frames)
  gemapsv01b_formants          F1..3 frequency and bandwidth (20 ms frames, only
                               the first n60 frames are used by openSMILE's graph)

One gzipped CSV per WAV under tests/golden/components/functionals/<name>.raw.csv.gz,
one row per 20 ms frame (n25 rows). The 60 ms part (the last 16 columns) is
empty for the frames n60..n25-1 that only the 20 ms framing has. Values are
openSMILE's float32 printed with 9 significant digits (exact round trip).

The last column, `flushed`, marks the long frames P..n60-1 that openSMILE's
Viterbi pitch smoother released only at end of input (flushTrellis). openSMILE
exposes no level for that count, so P is read off the `lld` golden: it is the
one P < n60 for which the 15 F0-synchronous lld columns show the end-padding
artifact that the early end-of-input read leaves (row P-1 smoothed over frames
0..P-1 with x[P] := x[P-1], row P = x[P-1]), and n60 (no flag) if none does.
The parity test then checks every lld row and all 88 functionals against
this single integer per file.
The final outputs (lld and func levels) to compare against are the existing
goldens in tests/golden/egemaps/.
"""
import argparse
import gzip
import io
import os
import sys

import numpy as np
import opensmile
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CFG = os.path.join(os.path.dirname(opensmile.__file__), "core", "config", "egemaps", "v02", "eGeMAPSv02.conf")

# (level, [columns]) of the 20 ms part, in RawLlds order.
PART25 = [
    ("gemapsv01b_loudness", ["loudness"]),
    ("gemapsv01b_logSpectral", [
        "pcm_fftMag_alphaRatioDB", "pcm_fftMag_hammarbergIndexDB",
        "pcm_fftMag_logSpectralSlopeOfBand0-500", "pcm_fftMag_logSpectralSlopeOfBand500-1500"]),
    ("egemapsv02_logSpectral_flux", ["pcm_fftMag_spectralFlux"]),
    ("egemapsv02_mfcc", ["mfcc[1]", "mfcc[2]", "mfcc[3]", "mfcc[4]"]),
    ("egemapsv02_energyRMS", ["pcm_SQUAREDenergy"]),
]
NAMES25 = ["loudness", "alphaRatio", "hammarbergIndex", "slope0-500", "slope500-1500",
           "spectralFlux", "mfcc1", "mfcc2", "mfcc3", "mfcc4", "energy_sq"]
# the 60 ms part (formants come from the 20 ms framing but only their first n60
# frames enter the graph, always joined with F0)
PART60 = [
    ("gemapsv01b_logPitch", ["F0finalLog"]),
    ("gemapsv01b_jitterShimmer", ["jitterLocal", "shimmerLocalDB"]),
    ("gemapsv01b_harmonics", [
        "HarmonicsToNoiseRatioACFLogdB", "HarmonicDifferenceLogRelH1-H2", "HarmonicDifferenceLogRelH1-A3",
        "FormantAmplitudeByMaxHarmonicLogRelF0[1]", "FormantAmplitudeByMaxHarmonicLogRelF0[2]",
        "FormantAmplitudeByMaxHarmonicLogRelF0[3]"]),
    ("gemapsv01b_formants", [
        "formantFreqLpc[1]", "formantFreqLpc[2]", "formantFreqLpc[3]",
        "formantBandwidthLpc[1]", "formantBandwidthLpc[2]", "formantBandwidthLpc[3]"]),
]
NAMES60 = ["F0semitone", "jitterLocal", "shimmerLocaldB", "HNRdBACF", "H1-H2", "H1-A3",
           "F1amplitude", "F2amplitude", "F3amplitude",
           "F1frequency", "F2frequency", "F3frequency", "F1bandwidth", "F2bandwidth", "F3bandwidth",
           "flushed"]
# lld golden columns in the order of a60 (without the flag)
LLD60 = ["F0semitoneFrom27.5Hz_sma3nz", "jitterLocal_sma3nz", "shimmerLocaldB_sma3nz", "HNRdBACF_sma3nz",
         "logRelF0-H1-H2_sma3nz", "logRelF0-H1-A3_sma3nz",
         "F1amplitudeLogRelF0_sma3nz", "F2amplitudeLogRelF0_sma3nz", "F3amplitudeLogRelF0_sma3nz",
         "F1frequency_sma3nz", "F2frequency_sma3nz", "F3frequency_sma3nz",
         "F1bandwidth_sma3nz", "F2bandwidth_sma3nz", "F3bandwidth_sma3nz"]


def sma3nz_end(x):
    """Rows len(x)-1 and len(x) of openSMILE's sma3nz over x (float32 order)."""
    f = np.float32
    def one(p, c, q):
        if c == 0:
            return f(0)
        y, k = f(c), 1
        if p != 0:
            y, k = f(y + p), k + 1
        if q != 0:
            y, k = f(y + q), k + 1
        return f(y / f(k))
    c = x[-1]
    p = x[-2] if len(x) > 1 else c
    return one(p, c, c), one(c, c, c)


def find_flush(a60, lld):
    """P as described in the module doc, from the lld golden (DataFrame)."""
    n60 = a60.shape[0]
    g = lld[LLD60].to_numpy(np.float64)
    for P in range(n60 - 1, max(n60 - 8, 0), -1):
        ok = True
        for j in range(a60.shape[1]):
            last, pad = sma3nz_end(a60[:P, j])
            for row, want in ((P - 1, last), (P, pad)):
                if abs(g[row, j] - float(want)) > 1e-6 * max(abs(float(want)), 1e-3):
                    ok = False
        if ok:
            return P
    return n60


def run(src, level_name):
    """openSMILE output of one level for a WAV path or a float32 signal."""
    smile = opensmile.Smile(feature_set=CFG, feature_level=level_name)
    if isinstance(src, str):
        return smile.process_file(src)
    return smile.process_signal(src[None, :], SR)


def level(src, name, cols):
    return run(src, name)[cols].to_numpy(dtype=np.float32)


def fmt(v):
    return "%.9g" % v


def dump(src, out, lld_golden):
    p25 = [level(src, n, c) for n, c in PART25]
    p60 = [level(src, n, c) for n, c in PART60]
    n25 = min(a.shape[0] for a in p25)
    assert all(a.shape[0] == n25 for a in p25), [a.shape for a in p25]
    n60 = p60[0].shape[0]
    assert all(a.shape[0] == n60 for a in p60[:3]), [a.shape for a in p60]
    assert p60[3].shape[0] == n25 and n60 <= n25
    a25 = np.concatenate(p25, axis=1)
    a60 = np.concatenate([p60[0], p60[1], p60[2], p60[3][:n60]], axis=1)
    P = find_flush(a60, pd.read_csv(lld_golden))
    flag = (np.arange(n60) >= P).astype(np.float32)[:, None]
    a60 = np.concatenate([a60, flag], axis=1)
    # mtime=0: byte-identical output on every run
    with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as gz, io.TextIOWrapper(gz, encoding="ascii") as f:
        f.write(",".join(NAMES25 + NAMES60) + "\n")
        for i in range(n25):
            row = [fmt(v) for v in a25[i]]
            row += [fmt(v) for v in a60[i]] if i < n60 else [""] * len(NAMES60)
            f.write(",".join(row) + "\n")
    return n25, n60, P


SR = 22050
# Synthetic inputs without a golden in tests/golden/egemaps/: their lld and func
# outputs are written next to the raw CSV (<name>.lld.csv, <name>.func.csv).
SYNTHETIC = {
    # digital silence: openSMILE's LLD floors (loudness 0.001, formant
    # amplitude -201 dB, Leq -120 dB) and no voiced frame
    "silence_1s": np.zeros(SR, dtype=np.float32),
}


def write_golden(src, name, out_dir):
    for lvl in ("lld", "func"):
        df = run(src, lvl)
        starts = df.index.get_level_values("start").total_seconds()
        df = df.reset_index(drop=True)
        if lvl == "lld":
            df.insert(0, "time_s", np.round(starts, 6))
        df.to_csv(os.path.join(out_dir, "%s.%s.csv" % (name, lvl)), index=False, float_format="%.9g")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_audio = os.path.join(ROOT, "target", "golden-audio")
    ap.add_argument("--audio", default=default_audio)
    ap.add_argument("--out", default=os.path.join(HERE, "functionals"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    wavs = sorted(f for f in os.listdir(args.audio) if f.endswith(".wav"))
    if not wavs:
        sys.exit("no WAVs in %s (run tests/golden/make_golden.py audio first)" % args.audio)
    for w in wavs:
        name = w[:-4]
        lld = os.path.join(HERE, "..", "egemaps", name + ".lld.csv")
        n25, n60, P = dump(os.path.join(args.audio, w), os.path.join(args.out, name + ".raw.csv.gz"), lld)
        print("%s: n25=%d n60=%d P=n60%+d" % (name, n25, n60, P - n60))
    for name, x in SYNTHETIC.items():
        write_golden(x, name, args.out)
        lld = os.path.join(args.out, name + ".lld.csv")
        n25, n60, P = dump(x, os.path.join(args.out, name + ".raw.csv.gz"), lld)
        print("%s: n25=%d n60=%d P=n60%+d" % (name, n25, n60, P - n60))


if __name__ == "__main__":
    main()
