"""scikit-learn's random forest on the matrix bench/forest.ts encodes, for its forest bench.

usage: python3 forest.py '{"path": ..., "trainRows": N, "trees": T, "maxDepth": D, "seed": S}'

path: a CSV of numeric feature columns and the 0/1 target "churned" (already encoded by
bench/forest.ts: medians for missing numbers, ordinal codes for categories). The first
trainRows rows train RandomForestClassifier(n_estimators=T, max_depth=D, n_jobs=1,
random_state=S) with its other defaults ("sqrt" features per split, bootstrap); the rest are
scored. Prints one JSON line: {cpuS, wallS, accuracy} — CPU (time.process_time) and wall
(time.perf_counter) seconds of fit() alone, test accuracy of predict().
"""
import json
import sys
import time

import pandas as pd
from sklearn.ensemble import RandomForestClassifier

settings = json.loads(sys.argv[1])
frame = pd.read_csv(settings["path"])
y = frame.pop("churned").to_numpy()
X = frame.to_numpy(dtype=float)
n = settings["trainRows"]
model = RandomForestClassifier(
    n_estimators=settings["trees"], max_depth=settings["maxDepth"], n_jobs=1, random_state=settings["seed"]
)
cpu, wall = time.process_time(), time.perf_counter()
model.fit(X[:n], y[:n])
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
accuracy = float((model.predict(X[n:]) == y[n:]).mean())
print(json.dumps({"cpuS": cpu, "wallS": wall, "accuracy": accuracy}))
