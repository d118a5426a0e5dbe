/**
 * The regularized linear baseline beside the forest, as scikit-learn fits it in a pipeline of
 * StandardScaler and OneHotEncoder(handle_unknown="ignore"):
 * - features are prepared by baseline-features.ts (numbers and date parts with missing →
 *   the training median; categories as codes of their sorted training values, missing a
 *   level of its own), then numbers and date parts are standardized with the training mean
 *   and population sd (sd 0 → 1), and every category becomes one 0/1 column per training
 *   level; a level never seen in training is all zeros;
 * - classification: logistic regression with an L2 penalty, C·Σ log-loss + ½‖W‖² with the
 *   intercepts unpenalized (LogisticRegression(C=1.0), solver lbfgs): one coefficient vector
 *   and a sigmoid for two classes, one per class and a softmax (multinomial) for more;
 * - regression: ridge, ‖y − Xw − b‖² + α‖w‖² (Ridge(alpha=1.0)), solved exactly from the
 *   normal equations (Cholesky) up to `exactUpTo` design columns, by L-BFGS beyond.
 * The design matrix (scaling, one-hot, its products) is linear-design.ts.
 */
import type { FeatureSpec } from "./baseline-features.js";
import { classesOf, timedPredict, type BaselineResult, type BaselineRow } from "./baseline.js";
import { mean, variance } from "./kernel.js";
import { minimizeLbfgs } from "./lbfgs.js";
import { fitLinearEncoder, project, projectBack, type Design, type LinearEncoder } from "./linear-design.js";

export { fitLinearEncoder, type Design, type LinearEncoder } from "./linear-design.js";

export interface LinearOptions {
  /** Inverse L2 strength of the logistic regression (scikit-learn's C). */
  C: number;
  /** L2 strength of the ridge regression (scikit-learn's alpha). */
  alpha: number;
  /** L-BFGS iterations at most. */
  maxIterations: number;
  /** Ridge is solved exactly (Cholesky) up to this many design columns; default 1000. */
  exactUpTo?: number;
}

/** Gradient tolerance of the L-BFGS fits (the objective is a mean over rows, so O(1) at the start). */
const GRADIENT_TOLERANCE = 1e-9;

export interface LogisticModel {
  classes: number;
  /** Coefficient vectors: 1 (sigmoid, two classes) or `classes` (softmax). */
  outputs: number;
  /** width × outputs, row-major. */
  coef: Float64Array;
  intercept: Float64Array;
  iterations: number;
  converged: boolean;
}

const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * L2-regularized logistic regression on class codes 0..classes-1 (scikit-learn's objective,
 * divided by C·n: mean log-loss + ‖W‖²/(2·C·n)).
 * @throws RangeError with fewer than two classes or no rows.
 */
export function fitLogistic(X: Design, y: Int32Array, classes: number, C: number, maxIterations: number): LogisticModel {
  if (classes < 2) throw new RangeError("logistic regression needs at least two classes");
  if (X.rows === 0 || y.length !== X.rows) throw new RangeError("logistic regression needs one class code per design row");
  const n = X.rows;
  const d = X.width;
  const m = classes === 2 ? 1 : classes;
  const reg = 1 / (C * n);
  const S = new Float64Array(n * m);
  const R = new Float64Array(n * m);
  const G = new Float64Array(d * m);
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    const W = theta.subarray(0, d * m);
    S.fill(0);
    project(X, W, m, S);
    let loss = 0;
    const gradB = grad.subarray(d * m);
    gradB.fill(0);
    for (let i = 0; i < n; i++) {
      const yi = y[i] as number;
      if (m === 1) {
        const z = (S[i] as number) + (theta[d] as number);
        const t = yi === 1 ? 1 : 0;
        loss += softplus(z) - t * z;
        R[i] = sigmoid(z) - t;
        gradB[0]! += R[i] as number;
        continue;
      }
      let zmax = -Infinity;
      for (let k = 0; k < m; k++) zmax = Math.max(zmax, (S[i * m + k] as number) + (theta[d * m + k] as number));
      let sum = 0;
      for (let k = 0; k < m; k++) {
        const e = Math.exp((S[i * m + k] as number) + (theta[d * m + k] as number) - zmax);
        R[i * m + k] = e;
        sum += e;
      }
      loss += Math.log(sum) + zmax - ((S[i * m + yi] as number) + (theta[d * m + yi] as number));
      for (let k = 0; k < m; k++) {
        const r = (R[i * m + k] as number) / sum - (k === yi ? 1 : 0);
        R[i * m + k] = r;
        gradB[k]! += r;
      }
    }
    projectBack(X, R, m, G);
    let penalty = 0;
    for (let c = 0; c < d * m; c++) {
      const w = W[c] as number;
      penalty += w * w;
      grad[c] = (G[c] as number) / n + reg * w;
    }
    for (let k = 0; k < m; k++) gradB[k]! /= n;
    return loss / n + 0.5 * reg * penalty;
  };
  const fit = minimizeLbfgs(objective, new Float64Array(d * m + m), { maxIterations, gradientTolerance: GRADIENT_TOLERANCE });
  return { classes, outputs: m, coef: fit.x.slice(0, d * m), intercept: fit.x.slice(d * m), iterations: fit.iterations, converged: fit.converged };
}

/** Class probabilities per row: rows × classes, row-major. */
export function predictLogistic(model: Pick<LogisticModel, "classes" | "outputs" | "coef" | "intercept">, X: Design): Float64Array {
  const m = model.outputs;
  const S = new Float64Array(X.rows * m);
  project(X, model.coef, m, S);
  const out = new Float64Array(X.rows * model.classes);
  for (let i = 0; i < X.rows; i++) {
    if (m === 1) {
      const p = sigmoid((S[i] as number) + (model.intercept[0] as number));
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
      continue;
    }
    let zmax = -Infinity;
    for (let k = 0; k < m; k++) zmax = Math.max(zmax, (S[i * m + k] as number) + (model.intercept[k] as number));
    let sum = 0;
    for (let k = 0; k < m; k++) sum += out[i * m + k] = Math.exp((S[i * m + k] as number) + (model.intercept[k] as number) - zmax);
    for (let k = 0; k < m; k++) out[i * m + k]! /= sum;
  }
  return out;
}

export interface RidgeModel {
  coef: Float64Array;
  intercept: number;
  solver: "cholesky" | "lbfgs";
  /** L-BFGS iterations (0 for Cholesky) and whether it met its tolerance (always true for Cholesky). */
  iterations: number;
  converged: boolean;
}

/**
 * Ridge regression with an unpenalized intercept: minimizes ‖y − Xw − b‖² + α‖w‖².
 * @throws RangeError with no rows or a target of another length.
 */
export function fitRidge(X: Design, y: Float64Array, alpha: number, options: { exactUpTo?: number; maxIterations: number }): RidgeModel {
  const n = X.rows;
  const d = X.width;
  if (n === 0 || y.length !== n) throw new RangeError("ridge regression needs one target per design row");
  const yMean = mean(y);
  const means = new Float64Array(d);
  projectBack(X, new Float64Array(n).fill(1 / n), 1, means);
  if (d <= (options.exactUpTo ?? 1000)) {
    // Centered normal equations (XᵀX − n·μμᵀ + αI) w = Xᵀy − n·μ·ȳ, from each row's nonzeros.
    const A = new Float64Array(d * d);
    const rhs = new Float64Array(d);
    const idx = new Int32Array(X.dense.length + X.codes.length);
    const val = new Float64Array(idx.length);
    for (let i = 0; i < n; i++) {
      let nnz = 0;
      X.dense.forEach((col, c) => {
        idx[nnz] = c;
        val[nnz++] = col[i] as number;
      });
      X.codes.forEach((codes, b) => {
        const code = codes[i] as number;
        if (code < 0) return;
        idx[nnz] = (X.offsets[b] as number) + code;
        val[nnz++] = 1;
      });
      const yi = y[i] as number;
      for (let a = 0; a < nnz; a++) {
        const ia = idx[a] as number;
        const va = val[a] as number;
        rhs[ia]! += va * yi;
        for (let b = a; b < nnz; b++) A[ia * d + (idx[b] as number)]! += va * (val[b] as number);
      }
    }
    for (let a = 0; a < d; a++) {
      rhs[a]! -= n * (means[a] as number) * yMean;
      for (let b = a; b < d; b++) A[a * d + b]! -= n * (means[a] as number) * (means[b] as number);
      A[a * d + a]! += alpha;
    }
    const coef = solveCholesky(A, rhs, d);
    let intercept = yMean;
    for (let c = 0; c < d; c++) intercept -= (means[c] as number) * (coef[c] as number);
    return { coef, intercept, solver: "cholesky", iterations: 0, converged: true };
  }
  // Very wide: L-BFGS on the same objective, with the target standardized so the tolerance means the same on every scale.
  const ySd = Math.sqrt(variance(y)) || 1;
  const z = Float64Array.from(y, (v) => (v - yMean) / ySd);
  const S = new Float64Array(n);
  const R = new Float64Array(n);
  const G = new Float64Array(d);
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    const W = theta.subarray(0, d);
    const b = theta[d] as number;
    S.fill(0);
    project(X, W, 1, S);
    let loss = 0;
    let gradB = 0;
    for (let i = 0; i < n; i++) {
      const r = (S[i] as number) + b - (z[i] as number);
      R[i] = r;
      loss += r * r;
      gradB += r;
    }
    projectBack(X, R, 1, G);
    let penalty = 0;
    for (let c = 0; c < d; c++) {
      const w = W[c] as number;
      penalty += w * w;
      grad[c] = ((G[c] as number) + alpha * w) / n;
    }
    grad[d] = gradB / n;
    return (loss + alpha * penalty) / (2 * n);
  };
  const fit = minimizeLbfgs(objective, new Float64Array(d + 1), { maxIterations: options.maxIterations, gradientTolerance: GRADIENT_TOLERANCE });
  return {
    coef: Float64Array.from(fit.x.subarray(0, d), (w) => w * ySd),
    intercept: yMean + (fit.x[d] as number) * ySd,
    solver: "lbfgs",
    iterations: fit.iterations,
    converged: fit.converged,
  };
}

/** Predicted numbers per row. */
export function predictRidge(model: Pick<RidgeModel, "coef" | "intercept">, X: Design): Float64Array {
  const out = new Float64Array(X.rows).fill(model.intercept);
  project(X, model.coef, 1, out);
  return out;
}

/** Solves A x = b for symmetric positive definite A (upper triangle read, d × d row-major). */
function solveCholesky(A: Float64Array, b: Float64Array, d: number): Float64Array {
  // Lower factor L (row-major) with A = L Lᵀ, from A's upper triangle.
  const L = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let diag = A[j * d + j] as number;
    for (let k = 0; k < j; k++) diag -= (L[j * d + k] as number) ** 2;
    if (!(diag > 0)) throw new RangeError("ridge normal equations are not positive definite (alpha must be above 0)");
    const ljj = Math.sqrt(diag);
    L[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let s = A[j * d + i] as number;
      for (let k = 0; k < j; k++) s -= (L[i * d + k] as number) * (L[j * d + k] as number);
      L[i * d + j] = s / ljj;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < d; i++) {
    let s = x[i] as number;
    for (let k = 0; k < i; k++) s -= (L[i * d + k] as number) * (x[k] as number);
    x[i] = s / (L[i * d + i] as number);
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = x[i] as number;
    for (let k = i + 1; k < d; k++) s -= (L[k * d + i] as number) * (x[k] as number);
    x[i] = s / (L[i * d + i] as number);
  }
  return x;
}

/** The fitted linear model behind a LinearResult, for saving it (src/predictor/baseline-model.ts). */
export interface LinearFit {
  /** Design column names (LinearEncoder.columns). */
  columns: string[];
  /** Training means and scales of each standardized feature's columns (LinearEncoder.scaling). */
  scaling: LinearEncoder["scaling"];
  model: ({ kind: "logistic" } & LogisticModel) | ({ kind: "ridge" } & RidgeModel);
}

export interface LinearResult extends BaselineResult {
  /** "logistic regression (L2, C = 1)" or "ridge regression (α = 1)". */
  model: string;
  designColumns: number;
  iterations: number;
  converged: boolean;
  /** The fitted model that made `predictions`. */
  fitted: LinearFit;
}

/**
 * Fits the linear baseline on `train` and predicts `test`: `y` is the training target as
 * class codes (index in `labels`) or numbers (encodeBaselineTarget in baseline.ts).
 */
export function trainAndPredictLinear(args: {
  features: FeatureSpec[];
  labels: string[];
  task: "binary" | "multiclass" | "regression";
  train: BaselineRow[];
  y: { kind: "classification"; classes: number; y: Int32Array } | { kind: "regression"; y: Float64Array };
  test: BaselineRow[];
  options: LinearOptions;
  /** Gains the milliseconds spent encoding and predicting the test rows (the rest of the call is fitting). */
  timing?: { predictMs: number };
}): LinearResult {
  const { labels, task, y, options } = args;
  const encoder = fitLinearEncoder(args.features, args.train);
  const trainX = encoder.train;
  const common = { designColumns: trainX.width, featureImportance: null };
  const fitted = (model: LinearFit["model"]): LinearFit => ({ columns: encoder.columns, scaling: encoder.scaling, model });
  if (y.kind === "regression") {
    const ridge = fitRidge(trainX, y.y, options.alpha, { exactUpTo: options.exactUpTo, maxIterations: options.maxIterations });
    const predictions = timedPredict(args.timing, () => Array.from(predictRidge(ridge, encoder.encode(args.test))));
    return {
      ...common,
      model: `ridge regression (α = ${options.alpha})`,
      predictions,
      positiveScores: null,
      iterations: ridge.iterations,
      converged: ridge.converged,
      fitted: fitted({ kind: "ridge", ...ridge }),
    };
  }
  const logistic = fitLogistic(trainX, y.y, y.classes, options.C, options.maxIterations);
  const w = y.classes;
  const { predictions, positiveScores } = timedPredict(args.timing, () => classesOf(predictLogistic(logistic, encoder.encode(args.test)), args.test.length, w, labels, task));
  return {
    ...common,
    model: `logistic regression (L2, C = ${options.C}${w > 2 ? ", multinomial" : ""})`,
    predictions,
    positiveScores,
    iterations: logistic.iterations,
    converged: logistic.converged,
    fitted: fitted({ kind: "logistic", ...logistic }),
  };
}
