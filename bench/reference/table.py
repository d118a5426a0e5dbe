"""pandas + scikit-learn doing what tabtune's explore and select_features do, for bench/table.ts.

Run as `python3 bench/reference/table.py '<json settings>'`; settings.job is
  "explore": read_csv with tabtune's missing tokens, then a profile comparable to
             profileTable's: dtypes, missing and distinct counts, the 5 most frequent values of
             every column, min/max/mean/std/quartiles and Tukey outliers of numbers, duplicate rows;
  "wide":    the same, then select_features' ranking on the same sizes: normalized variance
             filter, |Pearson r| with the (binary) target, plug-in mutual information on
             miBins equal-frequency bins, and a scikit-learn forest (forestTrees trees, depth 16,
             every feature per split, n_jobs=1) on at most forestMaxRows seeded rows of the
             forestMaxColumns columns best by correlation + MI ranks; average ranks, keep `keep`.
Prints one JSON line: seconds per phase (and, for "wide", how many planted columns g_<k*2000>
are in the top 20).
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.ensemble import RandomForestClassifier

settings = json.loads(sys.argv[1])
phases = {}
clock = time.perf_counter()


def phase(name):
    global clock
    now = time.perf_counter()
    phases[name] = round(now - clock, 2)
    clock = now


df = pd.read_csv(settings["csv"], na_values=settings["missing"], keep_default_na=False, low_memory=False)
phase("read")

numbers = df.select_dtypes("number")
q = numbers.quantile([0.25, 0.5, 0.75])
iqr = q.loc[0.75] - q.loc[0.25]
profile = {
    "dtypes": df.dtypes.astype(str).to_dict(),
    "missing": df.isna().sum().to_dict(),
    "distinct": df.nunique().to_dict(),
    "top": {c: df[c].value_counts().head(5).to_dict() for c in df.columns},
    "min": numbers.min().to_dict(),
    "max": numbers.max().to_dict(),
    "mean": numbers.mean().to_dict(),
    "std": numbers.std().to_dict(),
    "quartiles": q.to_dict(),
    "outliers": ((numbers < q.loc[0.25] - 1.5 * iqr) | (numbers > q.loc[0.75] + 1.5 * iqr)).sum().to_dict(),
    "duplicates": int(df.duplicated().sum()),
}
phase("profile")

if settings["job"] == "wide":
    target = settings["target"]
    y_text = df[target].astype(str)
    labels = sorted(y_text.unique())
    y = y_text.map({label: i for i, label in enumerate(labels)}).to_numpy()
    k = len(labels)
    features = [c for c in df.columns if c != target]
    X = df[features].to_numpy(dtype="float64")
    X = np.where(np.isnan(X), np.nanmedian(X, axis=0), X)
    n, p = X.shape
    variance = X.var(axis=0) / np.maximum((X**2).mean(axis=0), 1e-300)
    eligible = variance >= settings["minVariance"]
    # |Pearson r| with the 0/1 target (= the correlation ratio for two classes).
    xc = X - X.mean(axis=0)
    yc = y - y.mean()
    correlation = np.abs(xc.T @ yc) / np.maximum(np.sqrt((xc**2).sum(axis=0) * (yc**2).sum()), 1e-300)
    # Plug-in MI on miBins equal-frequency bins (by rank).
    bins = settings["miBins"]
    ranks = np.argsort(np.argsort(X, axis=0, kind="stable"), axis=0)
    binned = (ranks * bins) // n
    cells = (np.arange(p) * bins * k)[None, :] + binned * k + y[:, None]
    joint = np.bincount(cells.ravel(), minlength=p * bins * k).reshape(p, bins, k) / n
    px = joint.sum(axis=2, keepdims=True)
    py = joint.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = np.nansum(np.where(joint > 0, joint * np.log(joint / (px * py)), 0), axis=(1, 2))
    rank_corr = rankdata(-correlation)
    rank_mi = rankdata(-mi)
    columns = np.flatnonzero(eligible)
    columns = columns[np.argsort(rank_corr[columns] + rank_mi[columns], kind="stable")][: int(settings["forestMaxColumns"])]
    rows = np.arange(n) if n <= int(settings["forestMaxRows"]) else np.random.default_rng(settings["seed"]).choice(n, int(settings["forestMaxRows"]), replace=False)
    forest = RandomForestClassifier(n_estimators=int(settings["forestTrees"]), max_depth=16, max_features=None, n_jobs=1, random_state=settings["seed"])
    forest.fit(X[np.ix_(rows, columns)], y[rows])
    importance = np.zeros(p)
    importance[columns] = forest.feature_importances_
    average = (rank_corr + rank_mi + rankdata(-importance)) / 3
    order = np.argsort(average, kind="stable")
    top = [features[j] for j in order[:20]]
    phases["planted"] = sum(1 for name in top if name.startswith("g_") and int(name[2:]) % 2000 == 0)
    keep = p if settings["keep"] == "auto" else int(settings["keep"])
    phases["kept"] = len([j for j in order if eligible[j]][:keep])
    phase("rank")

print(json.dumps(phases))
