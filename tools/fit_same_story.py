#!/usr/bin/env python3
"""Fits the cross-outlet same-story score in src/dedup.rs (SCORE_WEIGHTS, STORY_THRESHOLD).

    target/release/marsad eval dedup --features /tmp/features.tsv
    pip install numpy scikit-learn
    python3 tools/fit_same_story.py /tmp/features.tsv

Procedure: a weighted logistic regression over the measures below, on pairs from different
outlets (same-outlet pairs keep their own rule). The threshold is the lowest at which the
5-fold cross-validated, band-weighted precision reaches TARGET. The procedure is first run
leaving each labelled set out in turn and scored on it (the honest estimate), then on all sets
(the weights to paste into src/dedup.rs). Same-outlet pairs are scored as in src/dedup.rs, and
so is the veto on leads whose figures differ (`numbers_differ`, unless containment >= 0.65).
"""
import csv
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

MEASURES = ["containment", "jaccard", "title", "words", "lead_words", "title_in_lead"]
TARGET = 0.98  # precision first: a wrong merge hides a story
C = 1.0
SAME_OUTLET_SCORE = 0.98


def arrays(rows):
    x = np.array([[float(r[m]) for m in MEASURES] for r in rows])
    y = np.array([r["same_story"] == "1" for r in rows])
    w = np.array([float(r["weight"]) for r in rows])
    same = np.array([r["same_outlet"] == "1" for r in rows])
    c, t = x[:, 0], x[:, 2]
    near_copy = (c >= 0.85) | ((c >= 0.75) & (t >= 0.6))
    vetoed = np.array([r["numbers_differ"] == "1" for r in rows]) & (c < 0.65)
    return x, y, w, same, near_copy, vetoed


def precision(pred, y, w):
    tp, fp = w[pred & y].sum(), w[pred & ~y].sum()
    return tp / (tp + fp) if tp + fp else 1.0


def fit(rows):
    x, y, w, same, _, vetoed = arrays(rows)
    x, y, w, vetoed = x[~same], y[~same], w[~same], vetoed[~same]
    model = LogisticRegression(C=C, max_iter=5000).fit(x, y, sample_weight=w / w.mean())
    cv = np.zeros((5, len(y)))
    for seed in range(5):
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(x, y):
            m = LogisticRegression(C=C, max_iter=5000).fit(x[tr], y[tr], sample_weight=w[tr] / w[tr].mean())
            cv[seed, te] = m.predict_proba(x[te])[:, 1]
    for t in np.arange(0.5, 0.95, 0.01):
        if np.mean([precision((p >= t) & ~vetoed, y, w) for p in cv]) >= TARGET:
            return model, t
    return model, 0.95


def score(model, threshold, rows):
    x, y, w, same, near_copy, vetoed = arrays(rows)
    p = model.predict_proba(x)[:, 1]
    pred = np.where(same, near_copy | (p >= SAME_OUTLET_SCORE), (p >= threshold) & ~vetoed)
    positives = w[y].sum()
    return precision(pred, y, w), (w[pred & y].sum() / positives if positives else 0.0)


def main():
    rows = [r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t") if r["same_story"] in ("0", "1")]
    sets = sorted({r["set"] for r in rows})
    results = []
    for held in sets:
        model, t = fit([r for r in rows if r["set"] != held])
        p, r = score(model, t, [r for r in rows if r["set"] == held])
        results.append((p, r))
        print(f"fitted without {held}: threshold {t:.2f}, on it precision {p:.3f} recall {r:.3f}")
    print("mean over held-out sets: precision %.3f recall %.3f" % tuple(np.mean(results, axis=0)))
    model, t = fit(rows)
    weights = [model.intercept_[0], *model.coef_[0]]
    print("SCORE_WEIGHTS:", "[" + ", ".join(f"{v:.3f}" for v in weights) + "]")
    print(f"STORY_THRESHOLD: {t:.2f}")


if __name__ == "__main__":
    main()
