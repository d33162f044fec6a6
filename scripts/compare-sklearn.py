#!/usr/bin/python3
"""Benchmark for scripts/train.ts: scikit-learn's HistGradientBoostingClassifier on the same split.

Reads the CSV and the split indices `npm run model:train -- ... --split-out split.json` wrote, trains
on every non-holdout row (fit + validation + calibration), and prints holdout AUC, log loss, Brier and
ECE (10 equal-width bins, as src/training/metrics.ts). Uses Debian's python3-sklearn (apt), so run it
with the system interpreter:

    /usr/bin/python3 scripts/compare-sklearn.py --data bank-marketing.csv --split split.json \
        [--label output --positive yes] [--drop duration] [--max-iter 100]
"""
import argparse
import json

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score


def ece(p, y, bins=10):
    b = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for k in range(bins):
        m = b == k
        if m.any():
            total += m.mean() * abs(p[m].mean() - y[m].mean())
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--label", default="output")
    ap.add_argument("--positive", default="yes")
    ap.add_argument("--drop", action="append", default=[], help="column to leave out (repeatable)")
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    df = pd.read_csv(args.data, dtype=str, keep_default_na=False)
    y = (df[args.label] == args.positive).astype(int).to_numpy()
    X = df.drop(columns=[args.label, *args.drop])
    categorical = []
    for c in X.columns:
        numeric = pd.to_numeric(X[c], errors="coerce")
        if numeric.notna().all():
            X[c] = numeric
            categorical.append(False)
        else:
            # Native categorical splits: codes 0..k-1 by sorted category name.
            X[c] = X[c].astype("category").cat.codes
            categorical.append(True)

    split = json.load(open(args.split))
    holdout = np.array(split["holdout"])
    train = np.setdiff1d(np.arange(len(df)), holdout)

    model = HistGradientBoostingClassifier(
        max_iter=args.max_iter, categorical_features=np.array(categorical), random_state=args.seed
    )
    model.fit(X.iloc[train], y[train])
    p = model.predict_proba(X.iloc[holdout])[:, 1]
    yh = y[holdout]
    result = {
        "sklearn": sklearn.__version__,
        "model": f"HistGradientBoostingClassifier(max_iter={args.max_iter}, native categoricals, defaults otherwise)",
        "columns": list(X.columns),
        "trainRows": int(len(train)),
        "holdoutRows": int(len(holdout)),
        "iterations": int(model.n_iter_),
        "auc": roc_auc_score(yh, p),
        "logLoss": log_loss(yh, p),
        "brier": brier_score_loss(yh, p),
        "ece": ece(p, yh),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
