#!/usr/bin/env python3
"""Dump one intermediate openSMILE data-memory level of the eGeMAPS v02 graph.

  dump_level.py WAV LEVEL [OUT.csv]

LEVEL is any `dmLevel` of `egemaps/v02/eGeMAPSv02.conf` and its includes,
e.g. gemapsv01b_logPitch, gemapsv01b_loudness, gemapsv01b_formants,
gemapsv01b_harmonics, gemapsv01b_jitterShimmer, gemapsv01b_logSpectral,
egemapsv02_mfcc, lld, func. Used while developing an LLD family to compare
our component with openSMILE's frame by frame, before smoothing.
"""
import os
import sys

import numpy as np
import opensmile


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    wav, level = sys.argv[1], sys.argv[2]
    cfg = os.path.join(os.path.dirname(opensmile.__file__), "core", "config", "egemaps", "v02", "eGeMAPSv02.conf")
    df = opensmile.Smile(feature_set=cfg, feature_level=level).process_file(wav)
    starts = df.index.get_level_values("start").total_seconds()
    df = df.reset_index(drop=True)
    df.insert(0, "time_s", np.round(starts, 6))
    out = sys.argv[3] if len(sys.argv) > 3 else sys.stdout
    df.to_csv(out, index=False, float_format="%.9g")


if __name__ == "__main__":
    main()
