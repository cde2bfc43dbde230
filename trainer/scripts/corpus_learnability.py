#!/usr/bin/env python3
"""Sanity check of a `moodtap corpus` output: are the labels recoverable from
the audio with simple, independent descriptors?

Computes 11 librosa descriptors per excerpt (active level, log centroid,
onset rate, tempo, Krumhansl-Kessler mode strength and key clarity, chroma
entropy, mean log frequency, flatness, level slope, level SD) and reports the
5-fold cross-validated R^2 of a ridge regression and of gradient boosting for
valence and arousal, plus each descriptor's Pearson r with the labels.

Usage: corpus_learnability.py CORPUS_DIR   (needs librosa, scikit-learn)
"""
import sys
import warnings

import librosa
import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_score

warnings.filterwarnings("ignore")
MAJ = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MIN = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def descriptors(path):
    y, sr = librosa.load(path, sr=None)
    dur = len(y) / sr
    S = np.abs(librosa.stft(y, n_fft=2048, hop_length=512))
    db = 20 * np.log10(librosa.feature.rms(S=S)[0] + 1e-9)
    oenv = librosa.onset.onset_strength(y=y, sr=sr)
    ch = librosa.feature.chroma_stft(S=S**2, sr=sr).mean(1)
    kk = [(np.corrcoef(ch, np.roll(MAJ, k))[0, 1], np.corrcoef(ch, np.roll(MIN, k))[0, 1]) for k in range(12)]
    bmaj, bmin = max(a for a, _ in kk), max(b for _, b in kk)
    p = ch / ch.sum()
    freqs = librosa.fft_frequencies(sr=sr, n_fft=2048)
    band = (freqs > 60) & (freqs < 3000)
    P = (S**2)[band].sum(1)
    n = len(db)
    return dict(
        level=np.sort(db)[n // 2:].mean(),
        log_centroid=np.log(librosa.feature.spectral_centroid(S=S, sr=sr)[0].mean()),
        onsets_per_s=len(librosa.onset.onset_detect(onset_envelope=oenv, sr=sr)) / dur,
        log_tempo=np.log(librosa.feature.tempo(onset_envelope=oenv, sr=sr)[0]),
        mode=bmaj - bmin,
        key_clarity=max(bmaj, bmin),
        chroma_entropy=-(p * np.log(p + 1e-12)).sum(),
        mean_log2_hz=(P * np.log2(freqs[band])).sum() / P.sum(),
        flatness=librosa.feature.spectral_flatness(S=S)[0].mean(),
        level_slope=db[2 * n // 3:int(n * 0.93)].mean() - db[: n // 3].mean(),
        level_sd=db.std(),
    )


def main():
    root = sys.argv[1]
    d = pd.read_csv(f"{root}/manifest.csv")
    F = pd.DataFrame([descriptors(f"{root}/{p}") for p in d.path])
    cv = KFold(5, shuffle=True, random_state=0)
    for t in ["valence", "arousal"]:
        ridge = cross_val_score(RidgeCV(alphas=np.logspace(-3, 3, 13)), (F - F.mean()) / F.std(), d[t], cv=cv, scoring="r2")
        gbr = cross_val_score(GradientBoostingRegressor(random_state=0), F, d[t], cv=cv, scoring="r2")
        print(f"{t}: ridge R2 {ridge.mean():.3f}, gradient boosting R2 {gbr.mean():.3f}")
    print("r with valence:", F.corrwith(d.valence).round(2).to_dict())
    print("r with arousal:", F.corrwith(d.arousal).round(2).to_dict())


if __name__ == "__main__":
    main()
