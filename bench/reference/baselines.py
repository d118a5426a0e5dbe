"""scikit-learn's random forest on tabtune's baseline splits (bench/baselines.ts).

usage: python3 baselines.py SPLITS.json OUT.json

SPLITS.json: {trees, seed, missing: [tokens], tables: [{set, file, path, target, task,
train: [row numbers], test: [row numbers]}]}; row numbers are 0-based data rows of the CSV.
For each table: the features a data scientist would make with pandas — numbers as they are
(missing: the training median), ISO dates as days since 1970 plus year, month, weekday and
day of year, other strings as ordinal codes learned on the training rows (missing and unseen:
-1), and identifiers left out (a string column with a different value in nearly every row:
names, ids; an integer column that just counts the rows) — then RandomForestClassifier or
RandomForestRegressor with scikit-learn's defaults, n_estimators = trees, random_state = seed,
scored on the test rows (accuracy, or R²), and the same with random_state = seed + 1 (the
forest's own seed-to-seed spread on that split). Writes [{set, file, value, nextSeed}] to OUT.json.
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import OrdinalEncoder

# Share of distinct values among the present ones above which a string column names rows.
NEAR_UNIQUE = 0.5
MIN_ROWS_FOR_SHAPE = 20


def is_row_counter(s):
    v = s.dropna()
    if len(v) < MIN_ROWS_FOR_SHAPE or not np.all(np.equal(np.mod(v, 1), 0)):
        return False
    d = np.diff(v.to_numpy())
    return bool(len(d) > 0 and np.all(d == 1))


def features(frame, target, train):
    """The feature frame (train rows fitted, all rows transformed) and the columns left out."""
    out = {}
    dropped = []
    for name in frame.columns:
        if name == target:
            continue
        s = frame[name]
        if pd.api.types.is_bool_dtype(s):
            s = s.astype(float)
        if pd.api.types.is_numeric_dtype(s):
            if is_row_counter(s):
                dropped.append(name)
                continue
            out[name] = s.fillna(s.iloc[train].median())
            continue
        present = s.dropna()
        iso = present.astype(str).str.match(r"^\d{4}-\d{2}-\d{2}")
        if len(present) and iso.mean() > 0.9:
            d = pd.to_datetime(s.where(s.astype(str).str.match(r"^\d{4}-\d{2}-\d{2}")), errors="coerce", utc=True).dt.tz_localize(None)
            parts = {
                "days": (d - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1),
                "year": d.dt.year, "month": d.dt.month, "weekday": d.dt.weekday, "yearday": d.dt.dayofyear,
            }
            for part, values in parts.items():
                values = values.astype(float)
                out[f"{name}_{part}"] = values.fillna(values.iloc[train].median())
            continue
        if len(present) >= MIN_ROWS_FOR_SHAPE and present.nunique() / len(present) > NEAR_UNIQUE:
            dropped.append(name)
            continue
        enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
        codes = s.fillna("\0missing").astype(str).to_frame()
        enc.fit(codes.iloc[train])
        out[name] = enc.transform(codes)[:, 0]
    return pd.DataFrame(out, index=frame.index), dropped


def main():
    spec = json.load(open(sys.argv[1]))
    results = []
    for job in spec["tables"]:
        frame = pd.read_csv(job["path"], na_values=spec["missing"], keep_default_na=True, low_memory=False)
        train, test = job["train"], job["test"]
        X, dropped = features(frame, job["target"], train)
        y = frame[job["target"]]
        regression = job["task"] == "regression"
        y = y.astype(float) if regression else y.astype(str)

        def score(seed):
            model = (RandomForestRegressor if regression else RandomForestClassifier)(n_estimators=spec["trees"], random_state=seed, n_jobs=1)
            model.fit(X.iloc[train], y.iloc[train])
            predicted = model.predict(X.iloc[test])
            return float(r2_score(y.iloc[test], predicted) if regression else accuracy_score(y.iloc[test], predicted))

        # The same forest with the next seed: how far scikit-learn moves from itself on this split.
        results.append({"set": job["set"], "file": job["file"], "value": score(spec["seed"]), "nextSeed": score(spec["seed"] + 1), "dropped": dropped})
    json.dump(results, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
