"""The work of a tabtune run done with pandas + scikit-learn, for bench/pipeline.ts.

Run by the bench as `python3 bench/reference/pipeline.py '<json settings>'` (the same
figures tabtune's config gives: seed, test ratio, forest size, bootstrap resamples, ...).
Deterministic (seeded) and single-threaded where scikit-learn lets it be (n_jobs=1):

  read       pandas.read_csv with tabtune's missing tokens
  profile    dtypes, missing and distinct counts, top values, quantiles/mean/std and Tukey
             outliers of numbers, duplicate rows
  clean      rows without a target dropped; numbers as floats, other cells as text (what the
             template's prepare_data.js does); labels mapped
  split      stratified train/test split (sklearn train_test_split)
  impute     median (numbers) / most frequent value (text), fitted on the training rows
  balance    random oversampling of every class to the largest, when the smallest class is
             below balanceBelow of the largest (tabtune's rule for advising it) and tabtune's
             run resampled (settings "oversample"; with --yes it keeps strategy "none")
  baseline   cvFolds-fold stratified cross-validation (pooled out-of-fold accuracy) on a
             stratified sample of at most cvMaxRows training rows, the folds scored in turn
             until cvValidationRows rows were scored out of fold (the same folds' rows scored
             by both, so the linear model wins only by linearMargin standard errors of the
             paired difference, as tabtune's rule): a forest (trees, maxDepth,
             sqrt features) and a logistic regression (standardized numbers, one-hot text, C,
             lbfgs); then the chosen model refitted on at most maxTrainRows balanced training
             rows, predicting every test row
  bootstrap  `bootstrap` resamples of the test rows: accuracy and macro-F1 percentile intervals
  records    Alpaca JSON records (instruction, input "name: value" lines, output) for the
             balanced training rows and the test rows, written to out/

Prints one JSON line: seconds per phase and a few counts.
"""
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

settings = json.loads(sys.argv[1])
seed = int(settings["seed"])
target = settings["target"]
phases = {}
counts = {}
clock = time.perf_counter()


def phase(name):
    global clock
    now = time.perf_counter()
    phases[name] = round(now - clock, 2)
    clock = now


# read
df = pd.read_csv(settings["csv"], na_values=settings["missing"], keep_default_na=False, low_memory=False)
phase("read")

# profile
profile = {"rows": len(df), "duplicates": int(df.duplicated().sum()), "columns": []}
for name in df.columns:
    column = df[name]
    entry = {"name": name, "dtype": str(column.dtype), "missing": int(column.isna().sum()), "distinct": int(column.nunique())}
    entry["top"] = column.value_counts().head(20).to_dict()
    if pd.api.types.is_numeric_dtype(column):
        q = column.quantile([0.25, 0.5, 0.75])
        iqr = q[0.75] - q[0.25]
        entry.update(min=column.min(), max=column.max(), mean=column.mean(), std=column.std(), q1=q[0.25], median=q[0.5], q3=q[0.75])
        entry["outliers"] = int(((column < q[0.25] - 1.5 * iqr) | (column > q[0.75] + 1.5 * iqr)).sum())
    profile["columns"].append(entry)
phase("profile")

# clean
df = df[df[target].notna()]
features = [c for c in df.columns if c != target]
numeric = [c for c in features if pd.api.types.is_numeric_dtype(df[c])]
text = [c for c in features if c not in numeric]
for c in numeric:
    df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
for c in text:
    df[c] = df[c].astype(object)
labels = sorted(df[target].astype(str).unique())
y_all = df[target].astype(str).map({label: i for i, label in enumerate(labels)}).to_numpy()
phase("clean")

# split
train, test, y_train, y_test = train_test_split(df[features], y_all, test_size=settings["testRatio"], stratify=y_all, random_state=seed)
phase("split")

# impute
fill = {c: train[c].median() for c in numeric}
fill.update({c: train[c].mode(dropna=True).iloc[0] for c in text})
train = train.fillna(fill)
test = test.fillna(fill)
phase("impute")

# balance
class_counts = np.bincount(y_train, minlength=len(labels))
counts["train"] = int(len(train))
if settings.get("oversample", True) and class_counts.min() / class_counts.max() < settings["balanceBelow"]:
    rng = np.random.default_rng(seed)
    goal = class_counts.max()
    extra = [rng.choice(np.flatnonzero(y_train == k), goal - class_counts[k], replace=True) for k in range(len(labels)) if class_counts[k] < goal]
    take = np.concatenate([np.arange(len(train))] + extra)
    balanced, y_balanced = train.iloc[take], y_train[take]
else:
    balanced, y_balanced = train, y_train
counts["balanced"] = int(len(balanced))
phase("balance")

# baseline
ordinal = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(train[text])


def forest_matrix(frame):
    return np.hstack([frame[numeric].to_numpy(), ordinal.transform(frame[text])])


scaler = StandardScaler().fit(train[numeric])
onehot = OneHotEncoder(handle_unknown="ignore").fit(train[text])


def linear_matrix(frame):
    from scipy.sparse import csr_matrix, hstack

    return hstack([csr_matrix(scaler.transform(frame[numeric])), onehot.transform(frame[text])]).tocsr()


def capped(n, rng_seed):
    cap = int(settings["maxTrainRows"])
    return np.arange(n) if n <= cap else np.sort(np.random.default_rng(rng_seed).choice(n, cap, replace=False))


def new_forest():
    return RandomForestClassifier(n_estimators=int(settings["trees"]), max_depth=int(settings["maxDepth"]), max_features="sqrt", n_jobs=1, random_state=seed)


cv_max = int(settings["cvMaxRows"])
if len(train) > cv_max:
    cv_part, _, y_cv, _ = train_test_split(train, y_train, train_size=cv_max, stratify=y_train, random_state=seed)
else:
    cv_part, y_cv = train, y_train
folds = StratifiedKFold(n_splits=int(settings["cvFolds"]), shuffle=True, random_state=seed)
linear = LogisticRegression(C=float(settings["linearC"]), max_iter=int(settings["linearMaxIterations"]), solver="lbfgs")


def out_of_fold_hits(model, matrix):
    """Per scored row, 1 when predicted right: the folds scored in turn until cvValidationRows rows were scored."""
    hits = []
    for fit, held in folds.split(matrix, y_cv):
        if len(hits) >= int(settings["cvValidationRows"]):
            break
        predicted = clone(model).fit(matrix[fit], y_cv[fit]).predict(matrix[held])
        hits.extend((predicted == y_cv[held]).astype(float))
    return np.array(hits)


forest_hits = out_of_fold_hits(new_forest(), forest_matrix(cv_part))
linear_hits = out_of_fold_hits(linear, linear_matrix(cv_part))
forest_accuracy, linear_accuracy = float(forest_hits.mean()), float(linear_hits.mean())
# tabtune's rule: the linear model only with a lead above linearMargin standard errors of the paired difference.
paired = linear_hits - forest_hits
lead_se = float(paired.std(ddof=1) / np.sqrt(len(paired))) if len(paired) > 1 else 0.0
linear_wins = linear_accuracy > forest_accuracy and linear_accuracy - forest_accuracy > float(settings["linearMargin"]) * lead_se
rows = capped(len(balanced), seed + 1)
if not linear_wins:
    model = new_forest().fit(forest_matrix(balanced.iloc[rows]), y_balanced[rows])
    predicted = model.predict(forest_matrix(test))
else:
    model = linear.fit(linear_matrix(balanced.iloc[rows]), y_balanced[rows])
    predicted = model.predict(linear_matrix(test))
counts["chosen"] = "linear" if linear_wins else "forest"
phase("baseline")

# bootstrap
k = len(labels)
rng = np.random.default_rng(seed)
accuracy, macro_f1 = [], []
pair = y_test * k + predicted
for _ in range(int(settings["bootstrap"])):
    draw = rng.integers(0, len(pair), len(pair))
    confusion = np.bincount(pair[draw], minlength=k * k).reshape(k, k)
    tp = np.diag(confusion)
    accuracy.append(tp.sum() / len(pair))
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.nan_to_num(2 * tp / (confusion.sum(axis=0) + confusion.sum(axis=1)))
    macro_f1.append(f1.mean())
alpha = (1 - float(settings["confidence"])) / 2
counts["accuracy"] = [round(float(np.mean(predicted == y_test)), 4)] + [round(float(v), 4) for v in np.quantile(accuracy, [alpha, 1 - alpha])]
counts["macroF1"] = [round(float(v), 4) for v in np.quantile(macro_f1, [alpha, 1 - alpha])]
phase("bootstrap")

# records
os.makedirs(settings["out"], exist_ok=True)
instruction = f"Predict {target} from the row's features."


def shown(series):
    if series.dtype == object:
        return series.astype(str)
    values = series.to_numpy()
    # Whole numbers as JavaScript writes them ("35", not "35.0").
    return series.astype("int64").astype(str) if np.all(np.mod(values, 1) == 0) else series.astype(str)


def write_records(frame, y, path):
    parts = [f"{c}: " + shown(frame[c]) for c in features]
    inputs = parts[0].str.cat(parts[1:], sep="\n")
    records = pd.DataFrame({"instruction": instruction, "input": inputs.to_numpy(), "output": np.asarray(labels, dtype=object)[y]})
    records.to_json(path, orient="records", force_ascii=False)
    return len(records)


counts["trainRecords"] = write_records(balanced, y_balanced, os.path.join(settings["out"], "train.json"))
counts["testRecords"] = write_records(test, y_test, os.path.join(settings["out"], "test.json"))
phase("records")

print(json.dumps({**phases, **counts}))
