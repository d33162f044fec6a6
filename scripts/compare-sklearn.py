#!/usr/bin/python3
"""Benchmark for scripts/train.ts: scikit-learn's HistGradientBoostingClassifier and LogisticRegression
on the same split.

Reads the CSV and the split indices `npm run model:train -- ... --split-out split.json` wrote, trains
both on every non-holdout row (fit + validation + calibration), and prints holdout AUC, log loss, Brier
and ECE (10 equal-width bins, as src/training/metrics.ts) of each, and which is better by AUC. Uses
Debian's python3-sklearn (apt), so run it with the system interpreter:

    /usr/bin/python3 scripts/compare-sklearn.py --data bank-marketing.csv --split split.json \
        --label output --positive yes [--drop duration] [--max-iter 100] [--ours manifest.json]

`--ours` adds the holdout metrics of a model:train manifest and its AUC gap to the better sklearn model.
Numeric labels compare as numbers (`1.0` = `1`), as the trainer does.
"""
import argparse
import json

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler


def ece(p, y, bins=10):
    b = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for k in range(bins):
        m = b == k
        if m.any():
            total += m.mean() * abs(p[m].mean() - y[m].mean())
    return total


def label_class(v):
    try:
        return repr(float(v))
    except ValueError:
        return v.strip()


def scores(p, y):
    return {"auc": roc_auc_score(y, p), "logLoss": log_loss(y, p), "brier": brier_score_loss(y, p), "ece": ece(p, y)}


def main():
    ap = argparse.ArgumentParser(description="scikit-learn on the same holdout as npm run model:train")
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", required=True, help="the --split-out file of npm run model:train")
    ap.add_argument("--label", required=True)
    ap.add_argument("--positive", required=True)
    ap.add_argument("--drop", action="append", default=[], help="column to leave out (repeatable)")
    ap.add_argument("--spec", help="use only the columns this feature spec reads (model:spec output or a list)")
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--ours", help="manifest.json of the model:train run to compare")
    args = ap.parse_args()

    df = pd.read_csv(args.data, dtype=str, keep_default_na=False)
    df = df.loc[:, [c for c in df.columns if not c.startswith("Unnamed")]]
    y = (df[args.label].map(label_class) == label_class(args.positive)).astype(int).to_numpy()
    X = df.drop(columns=[args.label, *args.drop])
    if args.spec:
        spec = json.load(open(args.spec))
        features = spec["features"] if isinstance(spec, dict) else spec
        X = X[list(dict.fromkeys(f["source"] for f in features))]
    categorical = []
    for c in X.columns:
        # A column is numeric when every non-empty cell is a number; empty cells stay missing (NaN).
        numeric = pd.to_numeric(X[c].replace("", np.nan), errors="coerce")
        if numeric.notna().sum() == (X[c] != "").sum():
            X[c] = numeric
            categorical.append(False)
        else:
            X[c] = X[c].str.lower()
            categorical.append(True)

    split = json.load(open(args.split))
    holdout = np.array(split["holdout"])
    train = np.setdiff1d(np.arange(len(df)), holdout)
    yh = y[holdout]

    # Native categorical splits: codes 0..k-1 by sorted category name.
    Xg = X.copy()
    for c, cat in zip(X.columns, categorical):
        if cat:
            Xg[c] = Xg[c].astype("category").cat.codes
    hgb = HistGradientBoostingClassifier(
        max_iter=args.max_iter, categorical_features=np.array(categorical), random_state=args.seed
    )
    hgb.fit(Xg.iloc[train], y[train])
    p_hgb = hgb.predict_proba(Xg.iloc[holdout])[:, 1]

    # Logistic regression: one-hot categories, standardised numbers, sklearn's default L2 (C=1).
    Xl = pd.get_dummies(X, columns=[c for c, cat in zip(X.columns, categorical) if cat], dtype=float)
    Xl = Xl.fillna(Xl.iloc[train].median())
    scaler = StandardScaler().fit(Xl.iloc[train])
    lr = LogisticRegression(max_iter=2000)
    lr.fit(scaler.transform(Xl.iloc[train]), y[train])
    p_lr = lr.predict_proba(scaler.transform(Xl.iloc[holdout]))[:, 1]

    result = {
        "sklearn": sklearn.__version__,
        "columns": list(X.columns),
        "trainRows": int(len(train)),
        "holdoutRows": int(len(holdout)),
        "HistGradientBoostingClassifier": {
            "model": f"max_iter={args.max_iter}, native categoricals, defaults otherwise",
            "iterations": int(hgb.n_iter_),
            **scores(p_hgb, yh),
        },
        "LogisticRegression": {"model": "one-hot + StandardScaler, C=1, lbfgs", **scores(p_lr, yh)},
    }
    best = max(("HistGradientBoostingClassifier", "LogisticRegression"), key=lambda k: result[k]["auc"])
    result["better"] = best
    if args.ours:
        m = json.load(open(args.ours))
        ours = {k: m["metrics"][k] for k in ("auc", "logLoss", "brier", "ece")}
        result["ours"] = {"algorithm": m["algorithm"], "calibration": m["calibration"]["method"], **ours}
        result["aucGapToBetter"] = ours["auc"] - result[best]["auc"]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
