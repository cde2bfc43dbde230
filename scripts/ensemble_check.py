#!/usr/bin/env python3
"""Seed ensembles of moodtap models, measured before any file format holds one.

Runs `moodtap analyze --summary` with every model on each evaluation set and scores each
model and the ensemble (the mean of its members' per-file estimates: the per-file mean of the
per-step ensemble mean, since all members see the same steps) on:
  held-out real excerpts: Pearson r with a peer's labels (CSV path,valence,arousal), e.g. the
      held-out pool of scripts/pseudo_label_candidate.sh labelled by VibeNet;
  class-labelled renders (EMOPIA-style, quadrant = the first two characters of the file name,
      Q1 = V+A+, Q2 = V-A+, Q3 = V-A-, Q4 = V+A-): ROC AUC per dimension (ties count half);
  rated clips (--emomusic, the EmoMusic sample: clips_45seconds/*.mp3 with
      annotations/static_annotations.csv, 1-9 scaled (x - 1)/8): Pearson r, RMSE, mean bias.
      For the final report of a chosen candidate only (docs/domain-gap.md, evaluation rules).
The per-file estimate is the summary's `valence_mean` / `arousal_mean`: the mean over the
full-context steps, or over all steps of a file shorter than the context.

Usage: scripts/ensemble_check.py --bin target/release/moodtap --default models/default.moodtap \
         --member a.moodtap --member b.moodtap [--heldout DIR --heldout-labels CSV] \
         [--emopia DIR] [--emomusic DIR] [--work DIR] [--sweep]
--sweep adds rows mixing the default with the members' mean at fixed weights (both dimensions).
"""
import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile


def pearson(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")


def auc(scores, positive):
    pos = [s for s, p in zip(scores, positive) if p]
    neg = [s for s, p in zip(scores, positive) if not p]
    if not pos or not neg:
        return float("nan")
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def summaries(binary, model, files, out):
    """{basename: (valence_mean, arousal_mean)} of `moodtap analyze --summary`."""
    if not os.path.exists(out):
        cmd = [binary, "analyze", "--quiet", "--jobs", "0", "--model", model, *files, "--summary", out + ".tmp"]
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            sys.exit(f"{' '.join(cmd[:6])} … failed:\n{done.stderr}")
        os.replace(out + ".tmp", out)
    with open(out) as f:
        return {os.path.basename(r["file"]): (float(r["valence_mean"]), float(r["arousal_mean"])) for r in csv.DictReader(f)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/moodtap")
    ap.add_argument("--default", default="models/default.moodtap", help="the model to compare against")
    ap.add_argument("--member", action="append", required=True, help="an ensemble member (repeat)")
    ap.add_argument("--heldout", help="directory of held-out real excerpts (*.wav)")
    ap.add_argument("--heldout-labels", help="peer labels of the held-out excerpts: path,valence,arousal")
    ap.add_argument("--emopia", help="directory of class-labelled renders (Qn_*.wav)")
    ap.add_argument("--emomusic", help="EmoMusic sample directory (final report only)")
    ap.add_argument("--work", help="where the summaries are kept (reused when present)")
    ap.add_argument("--sweep", action="store_true",
                    help="also print mixes w * default + (1 - w) * member mean, w = 0, 0.25, 0.5, 0.75, 1, in both dimensions")
    a = ap.parse_args()
    if bool(a.heldout) != bool(a.heldout_labels):
        ap.error("--heldout and --heldout-labels go together (the excerpts and the peer's labels of them)")
    for path in [a.default, *a.member]:
        if not os.path.isfile(path):
            ap.error(f"model file {path} not found")
    work = a.work or tempfile.mkdtemp(prefix="ensemble-check-")
    os.makedirs(work, exist_ok=True)
    models = [("default", a.default)] + [(f"member {i + 1}", m) for i, m in enumerate(a.member)]

    sets = []  # (name, files, scorer)
    if a.heldout:
        with open(a.heldout_labels) as f:
            peer = {os.path.basename(r["path"]): (float(r["valence"]), float(r["arousal"])) for r in csv.DictReader(f)}
        files = sorted(os.path.join(a.heldout, n) for n in os.listdir(a.heldout) if n.endswith(".wav") and n in peer)

        def held(est, peer=peer):
            keys = sorted(set(est) & set(peer))
            return [f"{pearson([est[k][d] for k in keys], [peer[k][d] for k in keys]):.3f}" for d in (0, 1)]

        sets.append(("held-out real vs peer: V r, A r", files, held))
    if a.emopia:
        files = sorted(os.path.join(a.emopia, n) for n in os.listdir(a.emopia) if n[:2] in ("Q1", "Q2", "Q3", "Q4") and n.endswith(".wav"))

        def quad(est):
            keys = sorted(est)
            vpos = [k[:2] in ("Q1", "Q4") for k in keys]
            apos = [k[:2] in ("Q1", "Q2") for k in keys]
            return [f"{auc([est[k][0] for k in keys], vpos):.3f}", f"{auc([est[k][1] for k in keys], apos):.3f}"]

        sets.append((f"class renders ({len(files)}): V AUC, A AUC", files, quad))
    if a.emomusic:
        labels = {}
        with open(os.path.join(a.emomusic, "annotations/static_annotations.csv")) as f:
            for r in csv.DictReader(f, skipinitialspace=True):
                labels[f"{r['song_id'].strip()}.mp3"] = ((float(r["mean_valence"]) - 1) / 8, (float(r["mean_arousal"]) - 1) / 8)
        clips = os.path.join(a.emomusic, "clips_45seconds")
        files = sorted(os.path.join(clips, n) for n in os.listdir(clips) if n in labels)

        def rated(est, labels=labels):
            keys = sorted(set(est) & set(labels))
            out = []
            for d in (0, 1):
                x = [est[k][d] for k in keys]
                y = [labels[k][d] for k in keys]
                rmse = math.sqrt(sum((p - t) ** 2 for p, t in zip(x, y)) / len(x))
                bias = sum(p - t for p, t in zip(x, y)) / len(x)
                out.append(f"{pearson(x, y):.2f} / {rmse:.3f} / {bias:+.3f}")
            return out

        sets.append((f"rated clips ({len(files)}): r / RMSE / bias, V then A", files, rated))
    if not sets:
        sys.exit("nothing to score: give --heldout (with --heldout-labels), --emopia or --emomusic")

    print("| model | " + " | ".join(f"{name.split(':')[0]} V | {name.split(':')[0]} A" for name, _, _ in sets) + " |")
    print("| --- |" + " ---: | ---: |" * len(sets))
    per_model = {}
    for label, path in models:
        per_model[label] = [summaries(a.bin, path, files, os.path.join(work, f"{label.replace(' ', '-')}-{k}.csv")) for k, (_, files, _) in enumerate(sets)]
    members = [m for m in per_model if m != "default"]
    ensemble = []
    for k in range(len(sets)):
        keys = set.intersection(*(set(per_model[m][k]) for m in members))
        ensemble.append({f: tuple(sum(per_model[m][k][f][d] for m in members) / len(members) for d in (0, 1)) for f in keys})
    per_model[f"mean of {len(members)} members"] = ensemble
    if a.sweep:
        for w in (0.0, 0.25, 0.5, 0.75, 1.0):
            mixed = []
            for k, mean in enumerate(ensemble):
                default = per_model["default"][k]
                mixed.append({f: tuple(w * default[f][d] + (1 - w) * mean[f][d] for d in (0, 1)) for f in mean if f in default})
            per_model[f"w = {w} default + {1 - w} member mean"] = mixed
    for label, ests in per_model.items():
        cells = []
        for (_, _, score), est in zip(sets, ests):
            cells += score(est)
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(f"(summaries kept in {work}; sets: " + "; ".join(name for name, _, _ in sets) + ")")


if __name__ == "__main__":
    main()
