/**
 * The linear baseline's design matrix, as scikit-learn's StandardScaler and
 * OneHotEncoder(handle_unknown="ignore") build it, from the features baseline-features.ts
 * prepares (numbers and date parts with missing → the training median; categories as codes of
 * their sorted training values, missing a level of its own), fitted on training rows only:
 * numbers and date parts standardized with the training mean and population sd (sd 0 → 1),
 * one 0/1 column per training level of a category (a level training never had: all zeros).
 * Category columns stay codes, so a wide one-hot design costs no memory; project and
 * projectBack are its products with a coefficient matrix (X·W) and a residual matrix (Xᵀ·R).
 */
import { DATE_PARTS, fitFeatureEncoder, type Cell, type FeatureSpec } from "./baseline-features.js";
import type { BaselineRow } from "./baseline.js";
import { mean, variance } from "./kernel.js";

/** A standardized, one-hot design matrix with the categories kept as codes. */
export interface Design {
  rows: number;
  /** Standardized columns: numbers and date parts, in feature order. */
  dense: Float64Array[];
  /** Per category feature, the training level of each row (-1: a level training never had). */
  codes: Int32Array[];
  /** The design column of each category's level 0 (after the dense columns). */
  offsets: number[];
  width: number;
}

export interface LinearEncoder {
  /** Design column names: a number, a date part ("date.month"), then one per level ("Island=Dream"). */
  columns: string[];
  /** The fitted standardization (for saving the model): per number or date feature, in feature order, its columns' training means and scales. */
  scaling: { name: string; means: number[]; scales: number[] }[];
  encode(rows: BaselineRow[]): Design;
  /** The design of the rows it was fitted on: encode(train), made from the columns fitting already encoded (the rows are not read again). */
  train: Design;
}

/**
 * Learns, on training rows only, how to turn the features into a design matrix.
 * @example fitLinearEncoder([{ name: "g", kind: "categorical" }], [{ g: "b" }, { g: "a" }]).columns // ["g=a", "g=b"]
 */
export function fitLinearEncoder(features: FeatureSpec[], train: BaselineRow[]): LinearEncoder {
  const scaled: { spec: FeatureSpec; encoder: ReturnType<typeof fitFeatureEncoder>; means: number[]; scales: number[] }[] = [];
  const onehot: { spec: FeatureSpec; encoder: ReturnType<typeof fitFeatureEncoder>; levels: string[] }[] = [];
  // The training design's columns, as encode() makes them, from the encodings fitting needs anyway.
  const trainDense: Float64Array[] = [];
  const trainCodes: Int32Array[] = [];
  for (const spec of features) {
    const values = train.map((row): Cell => row[spec.name]);
    const encoder = fitFeatureEncoder(spec, values);
    const columns = encoder.encode(values);
    if (spec.kind === "categorical") {
      const levels: string[] = [];
      (columns[0] as Float64Array).forEach((code, i) => {
        const v = values[i];
        levels[code] ??= v === null || v === undefined ? "(missing)" : String(v);
      });
      onehot.push({ spec, encoder, levels });
      trainCodes.push(codesOf(columns[0] as Float64Array));
    } else {
      const stats = columns.map((col) => meanAndScale(col));
      scaled.push({ spec, encoder, means: stats.map((s) => s.mean), scales: stats.map((s) => s.scale) });
      columns.forEach((col, k) => trainDense.push(standardize(col, stats[k]!.mean, stats[k]!.scale)));
    }
  }
  const columns = [
    ...scaled.flatMap(({ spec }) => (spec.kind === "datetime" ? DATE_PARTS.map((part) => `${spec.name}.${part}`) : [spec.name])),
    ...onehot.flatMap(({ spec, levels }) => levels.map((level) => `${spec.name}=${level}`)),
  ];
  const denseWidth = scaled.reduce((w, s) => w + s.means.length, 0);
  const offsets: number[] = [];
  let at = denseWidth;
  for (const o of onehot) {
    offsets.push(at);
    at += o.levels.length;
  }
  return {
    columns,
    scaling: scaled.map(({ spec, means, scales }) => ({ name: spec.name, means, scales })),
    encode: (rows) => ({
      rows: rows.length,
      dense: scaled.flatMap(({ spec, encoder, means, scales }) =>
        encoder.encode(rows.map((row) => row[spec.name])).map((col, k) => standardize(col, means[k] as number, scales[k] as number)),
      ),
      codes: onehot.map(({ spec, encoder }) => codesOf(encoder.encode(rows.map((row) => row[spec.name]))[0] as Float64Array)),
      offsets,
      width: at,
    }),
    train: { rows: train.length, dense: trainDense, codes: trainCodes, offsets, width: at },
  };
}

/** A number column standardized in place: (v − mean) / scale. */
function standardize(col: Float64Array, mean: number, scale: number): Float64Array {
  for (let i = 0; i < col.length; i++) col[i] = ((col[i] as number) - mean) / scale;
  return col;
}

/** A category's encoded codes as design codes (the unseen NaN → -1). */
function codesOf(col: Float64Array): Int32Array {
  return Int32Array.from(col, (c) => (Number.isNaN(c) ? -1 : c));
}

/** Mean and population sd (scikit-learn's StandardScaler; a constant column gets scale 1). */
function meanAndScale(col: Float64Array): { mean: number; scale: number } {
  if (col.length === 0) return { mean: 0, scale: 1 };
  const average = mean(col);
  const sd = Math.sqrt(variance(col));
  return { mean: average, scale: sd > 1e-12 * Math.max(1, Math.abs(average)) ? sd : 1 };
}

/** out[i·m + k] += Σ_c X[i][c]·W[c·m + k]  (W: width × m, row-major). */
export function project(X: Design, W: Float64Array, m: number, out: Float64Array): void {
  X.dense.forEach((col, c) => {
    for (let i = 0; i < X.rows; i++) {
      const x = col[i] as number;
      for (let k = 0; k < m; k++) out[i * m + k]! += x * (W[c * m + k] as number);
    }
  });
  X.codes.forEach((codes, b) => {
    const offset = X.offsets[b] as number;
    for (let i = 0; i < X.rows; i++) {
      const code = codes[i] as number;
      if (code < 0) continue;
      for (let k = 0; k < m; k++) out[i * m + k]! += W[(offset + code) * m + k] as number;
    }
  });
}

/** G[c·m + k] = Σ_i X[i][c]·R[i·m + k]  (Xᵀ R). */
export function projectBack(X: Design, R: Float64Array, m: number, G: Float64Array): void {
  G.fill(0);
  X.dense.forEach((col, c) => {
    for (let i = 0; i < X.rows; i++) {
      const x = col[i] as number;
      for (let k = 0; k < m; k++) G[c * m + k]! += x * (R[i * m + k] as number);
    }
  });
  X.codes.forEach((codes, b) => {
    const offset = X.offsets[b] as number;
    for (let i = 0; i < X.rows; i++) {
      const code = codes[i] as number;
      if (code < 0) continue;
      for (let k = 0; k < m; k++) G[(offset + code) * m + k]! += R[i * m + k] as number;
    }
  });
}
