#!/usr/bin/env python3
"""Domain gap between the synthetic training corpus and real music, in the model's own feature space.

Reads two feature caches written by `moodtap extract` (one rendered with `moodtap corpus`, one of
real mixed/mastered tracks) and the metadata of a model file, and z-scores every raw step feature
exactly as the model does: (x - norm_mean) / norm_std in the model's feature order, a non-finite
value counts as 0, clamped to ±100 (docs/design.md). Every analysis below runs on a per-song
subsample of at most --steps-per-song steps (drawn with --seed), so long real tracks and 45 s corpus
songs weigh about equally per song.

  a. Two-sample test: out-of-fold ROC AUC of a logistic regression telling real steps from corpus
     steps, with GroupKFold by song (no song in both train and test fold), plus the AUC of each
     single feature (direction-free, max(AUC, 1 - AUC); no fitting, so no cross-validation).
  b. Per-feature shift: mean and std of z over real vs corpus steps; the features with the largest
     |mean z real - mean z corpus|, and their std ratio (real / corpus).
  c. Arousal/valence level bias (needs --corpus-est and --real-est, CSVs from `moodtap analyze`):
     mean model estimates on corpus vs real, the steps matched to the cache by file stem and time;
     like for like, only steps with time <= context_s (the estimate ramps in while the context fills,
     and corpus songs are context_s long); a ridge regression (alpha by RidgeCV) from z-features plus
     the step's coverage to the model's estimate, fitted on corpus steps, its R² on held-out corpus
     songs (GroupKFold) and on the real steps, and the first-order
     attribution of (mean ridge prediction real - mean ridge prediction corpus) to the features:
     coef_j × (mean z_j real - mean z_j corpus), which sums exactly to that difference. The same once
     the context is full: the estimate at the end of a context_s window vs the window-mean z-features
     (corpus: one window per song; real: one every --window-every-s seconds).

Writes a markdown results section (--out) and prints it. Needs numpy, pandas, pyarrow, sklearn.

Usage:
  scripts/domain_gap.py --model models/default.moodtap \
      --corpus-cache target/domain-gap/corpus-cache --real-cache target/domain-gap/real-cache \
      [--corpus-est target/domain-gap/corpus-est.csv --real-est target/domain-gap/real-est.csv] \
      --out target/domain-gap/results.md
A cache argument is either the step-configuration directory (…/T299_w1.0_c45) or the cache root;
from a root the directory matching the model's t_steps and context_s is used.
"""
import argparse
import glob
import json
import os
import struct
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

CLAMP = 100.0


def read_model_meta(path):
    with open(path, "rb") as f:
        head = f.read(16)
        if len(head) < 16 or not head.startswith(b"MOODTAP"):
            sys.exit(f"{path}: not a moodtap model file")
        version, meta_len = struct.unpack("<II", head[8:16])
        meta = json.loads(f.read(meta_len).decode("utf-8"))
    meta["_format_version"] = version
    return meta


def step_dir(cache, meta):
    if glob.glob(os.path.join(cache, "*.parquet")):
        return cache
    subs = sorted(d for d in glob.glob(os.path.join(cache, "T*_w*_c*")) if os.path.isdir(d))
    want = f"T{meta['t_steps']:03d}_"
    ctx = f"_c{meta['context_s']:g}"
    match = [d for d in subs if os.path.basename(d).startswith(want) and os.path.basename(d).endswith(ctx)]
    if len(match) != 1:
        sys.exit(f"{cache}: no unique step configuration matching {want}…{ctx} (found {subs})")
    return match[0]


def load_cache(cache, meta):
    d = step_dir(cache, meta)
    parts = sorted(glob.glob(os.path.join(d, "*.parquet")))
    if not parts:
        sys.exit(f"{d}: no parquet parts")
    df = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
    missing = [c for c in meta["feature_names"] if c not in df.columns]
    if missing:
        sys.exit(f"{d}: cache lacks model features {missing}")
    return df, d


def zscore(df, meta):
    x = df[meta["feature_names"]].to_numpy(np.float64)
    mean = np.asarray(meta["norm_mean"], np.float64)
    std = np.asarray(meta["norm_std"], np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x - mean) / std
    nonfinite = int((~np.isfinite(z)).sum())
    z[~np.isfinite(z)] = 0.0
    clamped = int((np.abs(z) > CLAMP).sum())
    return np.clip(z, -CLAMP, CLAMP), nonfinite, clamped


def subsample(df, per_song, rng):
    idx = []
    for _, g in df.groupby("song_id", sort=True):
        rows = g.index.to_numpy()
        if len(rows) > per_song:
            rows = np.sort(rng.choice(rows, per_song, replace=False))
        idx.append(rows)
    return df.loc[np.concatenate(idx)].reset_index(drop=True)


def load_estimates(path):
    est = pd.read_csv(path)
    if "file" not in est.columns:
        raise SystemExit(f"{path}: expected a leading `file` column (analyze several files at once)")
    est["song_id"] = est["file"].map(lambda p: os.path.splitext(os.path.basename(str(p)))[0])
    return est


def match_estimates(df, est, hop):
    """Attach the model's estimate at each cache step: same file stem, nearest time within hop/2."""
    out = np.full((len(df), 2), np.nan)
    cov = np.full(len(df), np.nan)
    by_song = {s: g.sort_values("time_s") for s, g in est.groupby("song_id")}
    for s, rows in df.groupby("song_id").groups.items():
        g = by_song.get(s)
        if g is None:
            continue
        t = g["time_s"].to_numpy()
        q = df.loc[rows, "time_s"].to_numpy()
        j = np.clip(np.searchsorted(t, q), 1, max(len(t) - 1, 1))
        j = np.where((j > 0) & (np.abs(t[j - 1] - q) <= np.abs(t[np.minimum(j, len(t) - 1)] - q)), j - 1, j)
        j = np.minimum(j, len(t) - 1)
        ok = np.abs(t[j] - q) <= hop / 2 + 1e-6
        pos = df.index.get_indexer(rows)
        out[pos[ok]] = g[["valence", "arousal"]].to_numpy()[j[ok]]
        cov[pos[ok]] = g["coverage"].to_numpy()[j[ok]] if "coverage" in g.columns else 1.0
    return out, cov


def fmt(x, nd=3):
    return f"{x:.{nd}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="model file (its feature_names, norm_mean, norm_std are used)")
    ap.add_argument("--corpus-cache", required=True, help="feature cache of the synthetic corpus")
    ap.add_argument("--real-cache", required=True, help="feature cache of the real tracks")
    ap.add_argument("--corpus-est", help="`moodtap analyze` CSV (with `file` column) of the corpus files")
    ap.add_argument("--real-est", help="`moodtap analyze` CSV (with `file` column) of the real files")
    ap.add_argument("--out", required=True, help="markdown results file")
    ap.add_argument("--steps-per-song", type=int, default=60, help="subsample at most this many steps per song [60]")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--top", type=int, default=15, help="rows of the shift table [15]")
    ap.add_argument("--top-attr", type=int, default=10, help="rows of the attribution table [10]")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--window-every-s", type=float, default=15.0,
                    help="spacing of the full-context windows on real tracks, seconds [15]")
    args = ap.parse_args()

    meta = read_model_meta(args.model)
    names = list(meta["feature_names"])
    rng = np.random.default_rng(args.seed)
    corpus_all, cdir = load_cache(args.corpus_cache, meta)
    real_all, rdir = load_cache(args.real_cache, meta)
    overlap = set(corpus_all.song_id) & set(real_all.song_id)
    if overlap:
        sys.exit(f"song ids in both caches: {sorted(overlap)[:5]}")
    corpus = subsample(corpus_all, args.steps_per_song, rng)
    real = subsample(real_all, args.steps_per_song, rng)
    zc, nf_c, cl_c = zscore(corpus, meta)
    zr, nf_r, cl_r = zscore(real, meta)

    L = []
    L.append("## Results\n")
    L.append(f"- Model: `{os.path.basename(args.model)}` (format {meta['_format_version']}, {len(names)} input features, "
             f"T = {meta['t_steps']}, context {meta['context_s']:g} s); features z-scored with its norm_mean/norm_std, "
             f"non-finite → 0, clamped to ±{CLAMP:g}.")
    L.append(f"- Corpus cache `{os.path.basename(cdir)}`: {corpus_all.song_id.nunique()} songs, {len(corpus_all)} steps; "
             f"subsample {len(corpus)} steps.")
    L.append(f"- Real cache `{os.path.basename(rdir)}`: {real_all.song_id.nunique()} songs, {len(real_all)} steps; "
             f"subsample {len(real)} steps.")
    L.append(f"- Subsample: at most {args.steps_per_song} steps per song, drawn with seed {args.seed}.")
    L.append(f"- z values set to 0 as non-finite: corpus {nf_c}, real {nf_r}; clamped at ±{CLAMP:g}: corpus {cl_c}, real {cl_r}.\n")

    # a. two-sample test
    X = np.vstack([zc, zr])
    y = np.r_[np.zeros(len(zc)), np.ones(len(zr))]
    groups = np.r_[corpus.song_id.to_numpy(), real.song_id.to_numpy()]
    oof = np.zeros(len(y))
    fold_auc = []
    for tr, te in GroupKFold(n_splits=args.folds).split(X, y, groups):
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
        clf.fit(X[tr], y[tr])
        oof[te] = clf.predict_proba(X[te])[:, 1]
        if len(np.unique(y[te])) == 2:
            fold_auc.append(roc_auc_score(y[te], oof[te]))
    auc = roc_auc_score(y, oof)
    single = np.array([roc_auc_score(y, X[:, j]) for j in range(X.shape[1])])
    single_abs = np.maximum(single, 1 - single)
    order_single = np.argsort(-single_abs)
    # song-level: mean out-of-fold probability per song
    song_p = pd.DataFrame({"g": groups, "p": oof, "y": y}).groupby("g").mean()
    song_auc = roc_auc_score(song_p.y, song_p.p)
    L.append("### a. Can a classifier tell real steps from corpus steps?\n")
    L.append(f"Logistic regression (standardised z-features, C = 1), GroupKFold by song, {args.folds} folds, "
             f"{len(zc)} corpus + {len(zr)} real steps:\n")
    L.append(f"- out-of-fold ROC AUC (pooled): **{fmt(auc)}**; per fold {', '.join(fmt(a) for a in fold_auc)}")
    L.append(f"- song level (mean out-of-fold probability per song): AUC {fmt(song_auc)}")
    L.append(f"- best single feature: `{names[order_single[0]]}` AUC {fmt(single_abs[order_single[0]])} "
             f"(real {'higher' if single[order_single[0]] > 0.5 else 'lower'}); next: "
             + ", ".join(f"`{names[j]}` {fmt(single_abs[j])}" for j in order_single[1:5]))
    L.append(f"- single features with AUC ≥ 0.9: {int((single_abs >= 0.9).sum())} of {len(names)}; ≥ 0.75: {int((single_abs >= 0.75).sum())}\n")

    # b. per-feature shift
    mc, mr = zc.mean(0), zr.mean(0)
    sc, sr = zc.std(0), zr.std(0)
    diff = mr - mc
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sc > 0, sr / sc, np.nan)
    order = np.argsort(-np.abs(diff))
    L.append("### b. Per-feature shift (z under the model's normalisation)\n")
    L.append(f"Sanity check: over all {len(names)} features the corpus subsample has mean |mean z| "
             f"{fmt(np.abs(mc).mean())} and median std {fmt(np.median(sc))} (≈ 0 and ≈ 1 if it matches the training "
             f"corpus); the real subsample {fmt(np.abs(mr).mean())} and {fmt(np.median(sr))}.\n")
    L.append(f"Top {args.top} features by |mean z real − mean z corpus|:\n")
    L.append("| # | feature | mean z corpus | mean z real | difference | std z corpus | std z real | std ratio real/corpus | single-feature AUC |")
    L.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for i, j in enumerate(order[: args.top], 1):
        L.append(f"| {i} | `{names[j]}` | {fmt(mc[j], 2)} | {fmt(mr[j], 2)} | {diff[j]:+.2f} | {fmt(sc[j], 2)} | "
                 f"{fmt(sr[j], 2)} | {fmt(ratio[j], 2)} | {fmt(single_abs[j])} |")
    rorder = np.argsort(-np.abs(np.log(np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0))))
    L.append("\nLargest std ratios (real/corpus, either direction): "
             + ", ".join(f"`{names[j]}` {fmt(ratio[j], 2)}" for j in rorder[:8]) + "\n")

    # c. estimate bias and attribution
    if args.corpus_est and args.real_est:
        hop = float(meta["hop_s"])
        ctx = float(meta["context_s"])
        ce = load_estimates(args.corpus_est)
        re_ = load_estimates(args.real_est)
        # Like for like: the model's estimate ramps in while its context fills (coverage < 1), and corpus songs
        # are only context_s long, so compare steps with time_s <= context_s on both sides (same coverage profile).
        lim = ctx + hop / 2
        c_sub = subsample(corpus_all[corpus_all.time_s <= lim].reset_index(drop=True), args.steps_per_song, rng)
        r_sub = subsample(real_all[real_all.time_s <= lim].reset_index(drop=True), args.steps_per_song, rng)
        zc2, _, _ = zscore(c_sub, meta)
        zr2, _, _ = zscore(r_sub, meta)
        ec, covc = match_estimates(c_sub, ce, hop)
        er, covr = match_estimates(r_sub, re_, hop)
        okc, okr = np.isfinite(ec[:, 1]), np.isfinite(er[:, 1])
        L.append("### c. Where the arousal (and valence) level difference comes from\n")
        L.append(f"Model estimates from `moodtap analyze` (no smoothing). The estimate ramps in while the model's "
                 f"{ctx:g} s context fills (coverage < 1) and corpus songs are only {ctx:g} s long, so this section "
                 f"compares like for like: steps with time ≤ {ctx:g} s of every song on both sides (a new subsample of at "
                 f"most {args.steps_per_song} per song: {len(c_sub)} corpus, {len(r_sub)} real steps), matched to the "
                 f"estimates by file stem and nearest time (within half a hop, {hop / 2:.3f} s): {okc.sum()} corpus and "
                 f"{okr.sum()} real steps matched.\n")

        def song_means(est):
            return est.groupby("song_id")[["valence", "arousal"]].mean()

        ce_l, re_l = ce[ce.time_s <= lim], re_[re_.time_s <= lim]
        full_r = re_[re_.coverage >= 0.999] if "coverage" in re_.columns else re_.iloc[0:0]
        L.append("| estimate | corpus | real | real − corpus |")
        L.append("|---|---:|---:|---:|")
        for d, k in (("arousal", 1), ("valence", 0)):
            a, b = ec[okc, k].mean(), er[okr, k].mean()
            L.append(f"| mean {d}, matched subsample steps (time ≤ {ctx:g} s) | {fmt(a)} | {fmt(b)} | {b - a:+.3f} |")
            a, b = song_means(ce_l)[d].mean(), song_means(re_l)[d].mean()
            L.append(f"| mean {d}, per-file means of all analyze steps with time ≤ {ctx:g} s ({ce_l.song_id.nunique()} / "
                     f"{re_l.song_id.nunique()} files) | {fmt(a)} | {fmt(b)} | {b - a:+.3f} |")
            a, b = song_means(ce)[d].mean(), song_means(re_)[d].mean()
            L.append(f"| mean {d}, per-file means of all analyze steps (real tracks up to their full length) | "
                     f"{fmt(a)} | {fmt(b)} | {b - a:+.3f} |")
            if len(full_r):
                b = song_means(full_r)[d].mean()
                L.append(f"| mean {d}, real steps with full context (coverage 1; per-file means, {full_r.song_id.nunique()} "
                         f"files), not like for like | — | {fmt(b)} | — |")
        L.append(f"\nFor reference, the corpus labels (cue model) average arousal "
                 f"{fmt(corpus_all.groupby('song_id').arousal.first().mean())}, valence "
                 f"{fmt(corpus_all.groupby('song_id').valence.first().mean())} over the {corpus_all.song_id.nunique()} corpus "
                 f"songs; the estimates above average over the ramp-in, so they sit below/above the labels.\n")

        alphas = np.logspace(-2, 5, 22)
        gc = c_sub.song_id.to_numpy()[okc]
        # regressors: the model's z-features plus the coverage of the step (explains the ramp-in; its mean is
        # nearly the same on both sides under the time restriction, so it takes almost none of the gap)
        rnames = names + ["(coverage of the step)"]
        for d, k in (("arousal", 1), ("valence", 0)):
            Xc, yc = np.column_stack([zc2[okc], covc[okc]]), ec[okc, k]
            Xr, yr = np.column_stack([zr2[okr], covr[okr]]), er[okr, k]
            pred = np.zeros(len(yc))
            for tr, te in GroupKFold(n_splits=args.folds).split(Xc, yc, gc):
                pred[te] = RidgeCV(alphas=alphas).fit(Xc[tr], yc[tr]).predict(Xc[te])
            r2_cv = r2_score(yc, pred)
            ridge = RidgeCV(alphas=alphas).fit(Xc, yc)
            pr, pc = ridge.predict(Xr), ridge.predict(Xc)
            r2_real = r2_score(yr, pr)
            dz = Xr.mean(0) - Xc.mean(0)
            contrib = ridge.coef_ * dz
            gap_ridge = pr.mean() - pc.mean()
            gap_model = yr.mean() - yc.mean()
            L.append(f"**{d.capitalize()}.** Ridge from the {len(names)} z-features and the step's coverage to the model's "
                     f"{d} estimate, fitted on {len(yc)} corpus steps (alpha {ridge.alpha_:.3g} by RidgeCV): R² on held-out "
                     f"corpus songs (GroupKFold, {args.folds} folds) **{fmt(r2_cv)}**; R² on the real steps {fmt(r2_real)} "
                     f"(ridge mean on real {fmt(pr.mean())} vs model mean {fmt(yr.mean())}). "
                     f"Model gap real − corpus {gap_model:+.3f}; ridge gap {gap_ridge:+.3f} = sum of the "
                     f"{len(rnames)} contributions coef × Δ mean (positive pushes real {d} up); the coverage term "
                     f"contributes {contrib[-1]:+.4f}.\n")
            top = np.argsort(-np.abs(contrib))[: args.top_attr]
            show_share = abs(gap_ridge) >= 0.1 * np.abs(contrib).sum()
            L.append("| # | feature | coef (per z) | Δ mean z (real − corpus) | contribution | share of ridge gap |")
            L.append("|---:|---|---:|---:|---:|---:|")
            for i, j in enumerate(top, 1):
                share = f"{contrib[j] / gap_ridge:+.0%}" if show_share else "—"
                L.append(f"| {i} | `{rnames[j]}` | {ridge.coef_[j]:+.4f} | {dz[j]:+.2f} | {contrib[j]:+.3f} | {share} |")
            pos, neg = contrib[contrib > 0].sum(), contrib[contrib < 0].sum()
            L.append(f"\nSum of positive contributions {pos:+.3f}, negative {neg:+.3f}; the top {args.top_attr} sum to "
                     f"{contrib[top].sum():+.3f}" + ("" if show_share else
                     " (the net gap is small against the contributions, so shares are not shown)") + ".\n")
        # Full context: the estimate once the context is full, from the mean z over that context window.
        # Corpus songs give one window each (ending at their last step); real tracks one every --window-every-s s
        # from context_s to their end.
        def windows(df, z, est, every):
            rows, feats, ys = [], [], []
            for sid, g in df.groupby("song_id"):
                e = est[(est.song_id == sid) & (est.coverage >= 0.999)]
                if e.empty:
                    continue
                t_end = g.time_s.max()
                ends = np.arange(ctx, t_end + hop / 2, every) if every > 0 else np.array([t_end])
                for te in ends:
                    m = ((g.time_s > te - ctx + hop / 2) & (g.time_s <= te + hop / 2)).to_numpy()
                    j = np.abs(e.time_s.to_numpy() - te).argmin()
                    if abs(e.time_s.iloc[j] - te) > hop or m.sum() < 0.9 * meta["t_steps"]:
                        continue
                    feats.append(z[g.index.to_numpy()[m]].mean(axis=0))
                    ys.append(e[["valence", "arousal"]].iloc[j].to_numpy())
                    rows.append(sid)
            return np.array(rows), np.array(feats), np.array(ys, dtype=float)

        zc_all, _, _ = zscore(corpus_all, meta)
        zr_all, _, _ = zscore(real_all, meta)
        wc_ids, wXc, wyc = windows(corpus_all, zc_all, ce, 0)
        wr_ids, wXr, wyr = windows(real_all, zr_all, re_, args.window_every_s)
        L.append(f"#### Full context ({ctx:g} s windows)\n")
        L.append(f"What a user sees once the context is full: the estimate at the end of a {ctx:g} s window, explained by "
                 f"the mean z of the window's steps. Corpus: {len(wc_ids)} windows (one per song, ending at its last "
                 f"step); real: {len(wr_ids)} windows from {len(set(wr_ids))} tracks (one every "
                 f"{args.window_every_s:g} s from {ctx:g} s to the end of each track; tracks shorter than {ctx:g} s have none).\n")
        if len(wc_ids) >= 2 * args.folds and len(wr_ids):
            L.append("| full-context estimate | corpus | real | real − corpus |")
            L.append("|---|---:|---:|---:|")
            rsong = pd.DataFrame({"s": wr_ids, "v": wyr[:, 0], "a": wyr[:, 1]}).groupby("s").mean()
            for d, k, col in (("arousal", 1, "a"), ("valence", 0, "v")):
                a, b = wyc[:, k].mean(), wyr[:, k].mean()
                L.append(f"| mean {d} (all windows) | {fmt(a)} | {fmt(b)} | {b - a:+.3f} |")
                L.append(f"| mean {d} (per-track means, real) | {fmt(a)} | {fmt(rsong[col].mean())} | {rsong[col].mean() - a:+.3f} |")
            L.append("")
            from sklearn.model_selection import KFold
            for d, k in (("arousal", 1), ("valence", 0)):
                yc, yr = wyc[:, k], wyr[:, k]
                pred = np.zeros(len(yc))
                for tr, te in KFold(n_splits=args.folds, shuffle=True, random_state=args.seed).split(wXc):
                    pred[te] = RidgeCV(alphas=alphas).fit(wXc[tr], yc[tr]).predict(wXc[te])
                r2_cv = r2_score(yc, pred)
                ridge = RidgeCV(alphas=alphas).fit(wXc, yc)
                pr, pc = ridge.predict(wXr), ridge.predict(wXc)
                dz = wXr.mean(0) - wXc.mean(0)
                contrib = ridge.coef_ * dz
                gap_ridge, gap_model = pr.mean() - pc.mean(), yr.mean() - yc.mean()
                L.append(f"**{d.capitalize()}, full context.** Ridge from the window-mean z-features to the model's "
                         f"{d} at the window end, fitted on the {len(yc)} corpus windows (alpha {ridge.alpha_:.3g}): R² on "
                         f"held-out corpus songs ({args.folds}-fold) **{fmt(r2_cv)}**; R² on the real windows "
                         f"{fmt(r2_score(yr, pr))} (ridge mean on real {fmt(pr.mean())} vs model mean {fmt(yr.mean())}). "
                         f"Model gap {gap_model:+.3f}; ridge gap {gap_ridge:+.3f}.\n")
                top = np.argsort(-np.abs(contrib))[: args.top_attr]
                show_share = abs(gap_ridge) >= 0.1 * np.abs(contrib).sum()
                L.append("| # | feature | coef (per z) | Δ mean z (real − corpus) | contribution | share of ridge gap |")
                L.append("|---:|---|---:|---:|---:|---:|")
                for i, j in enumerate(top, 1):
                    share = f"{contrib[j] / gap_ridge:+.0%}" if show_share else "—"
                    L.append(f"| {i} | `{names[j]}` | {ridge.coef_[j]:+.4f} | {dz[j]:+.2f} | {contrib[j]:+.3f} | {share} |")
                pos, neg = contrib[contrib > 0].sum(), contrib[contrib < 0].sum()
                L.append(f"\nSum of positive contributions {pos:+.3f}, negative {neg:+.3f}; the top {args.top_attr} sum "
                         f"to {contrib[top].sum():+.3f}" + ("" if show_share else
                         " (the net gap is small against the contributions, so shares are not shown)") + ".\n")
        else:
            L.append("Too few full-context windows for this part.\n")
    else:
        L.append("### c. Skipped (no --corpus-est/--real-est given)\n")

    text = "\n".join(L) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
