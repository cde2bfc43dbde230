#!/usr/bin/env python3
"""How much of a feature cache's labels simple song-level features can explain.

Averages each song's raw step features over its last 20 steps (full context),
z-scores them and reports the 5-fold cross-validated R² of a ridge regression
(alpha chosen by RidgeCV) for valence and arousal, on all raw step columns (99 in feature schema 3), the
11 MIR descriptors and the 88 eGeMAPS functionals. A model-free ceiling check
for the features, independent of the network. Needs pandas, pyarrow, sklearn.

Usage: scripts/song_level_ridge.py CACHE_STEP_DIR   (e.g. target/default-model/corpus-network/cache/T099_w1.0_c45)
"""
import glob
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import cross_val_score

MIR = ["pitch", "tempo", "pulse_clarity", "key_clarity", "mode", "brightness", "roughness", "irregularity", "novelty", "onset_rate", "dissonance"]


def main():
    cache = sys.argv[1]
    df = pd.concat([pq.read_table(f).to_pandas() for f in sorted(glob.glob(cache + "/part-*.parquet"))])
    df = df[df.step >= df.step.max() - 19]
    song = df.groupby("song_id").mean(numeric_only=True)
    y = song[["valence", "arousal"]]
    x = song.drop(columns=["step", "time_s", "valence", "arousal"])
    x = ((x - x.mean()) / x.std().replace(0, 1)).fillna(0)
    for name, cols in [("all", list(x.columns)), ("mir", MIR), ("egemaps", [c for c in x.columns if c not in MIR])]:
        r2 = [
            cross_val_score(RidgeCV(alphas=np.logspace(-2, 3, 12)), x[cols], y[d], cv=5, scoring="r2").mean()
            for d in ("valence", "arousal")
        ]
        print(f"{name:8s} ({len(cols):2d} features): R² valence {r2[0]:.2f}, arousal {r2[1]:.2f}")


if __name__ == "__main__":
    main()
