/**
 * k-nearest-neighbour imputation in the manner of scikit-learn's KNNImputer: the distance
 * between two rows uses only the columns observed in both, scaled up by (all columns /
 * shared columns) (the "nan_euclidean" metric); numbers are standardized by the training
 * mean and standard deviation first, and a differing category counts 1. A missing number
 * becomes the mean of the k nearest reference rows that have it, a missing category their
 * most common level (ties: the nearer). Reference rows are the training rows, or a seeded
 * sample of `referenceRows` of them (every query scans them all: O(rows × reference × p)).
 */
import { copyFrame, observedMoments, sampleRows, takeRows, type Frame } from "./frame.js";
import { fitSimple, type SimpleFill } from "./simple.js";

export interface KnnSettings {
  k: number;
  referenceRows: number;
  seed: number;
}

export interface KnnModel {
  settings: KnnSettings;
  /** Training rows the neighbours come from (raw values). */
  reference: Frame;
  /** Training mean and sd per column (categorical: unused, 0 and 1). */
  scale: { mean: number; sd: number }[];
  /** Used when no reference row shares a column with the query or has the value. */
  fallback: SimpleFill[];
}

/** Fits on training rows: keeps the reference sample and the scaling. */
export function fitKnn(train: Frame, settings: KnnSettings): KnnModel {
  const reference = takeRows(train, sampleRows(train.rows, settings.referenceRows, settings.seed));
  const scale = train.columns.map((c) => (c.type === "numeric" ? observedMoments(c.values) : { mean: 0, sd: 1 }));
  return { settings, reference, scale, fallback: fitSimple(train, "mean") };
}

/** Row-major standardized matrix with NaN for missing; categories as their codes. */
function matrix(frame: Frame, scale: KnnModel["scale"]): Float64Array {
  const p = frame.columns.length;
  const m = new Float64Array(frame.rows * p);
  frame.columns.forEach((c, j) => {
    for (let i = 0; i < frame.rows; i++)
      m[i * p + j] = c.type === "numeric" ? (c.values[i]! - scale[j]!.mean) / scale[j]!.sd : c.codes[i]! < 0 ? Number.NaN : c.codes[i]!;
  });
  return m;
}

/**
 * A copy of `frame` with every missing cell filled from its nearest reference rows; with
 * `columns`, only the missing cells of those columns (rows missing none of them cost nothing).
 */
export function applyKnn(model: KnnModel, frame: Frame, columns: number[] | null = null): Frame {
  const fill = columns === null ? null : new Set(columns);
  const out = copyFrame(frame);
  const p = frame.columns.length;
  const ref = model.reference;
  const r = ref.rows;
  const refM = matrix(ref, model.scale);
  const queryM = matrix(frame, model.scale);
  const isCat = frame.columns.map((c) => c.type === "categorical");
  const dist = new Float64Array(r);
  const k = model.settings.k;
  for (let i = 0; i < frame.rows; i++) {
    const missing: number[] = [];
    for (let j = 0; j < p; j++) if (Number.isNaN(queryM[i * p + j]!) && (fill === null || fill.has(j))) missing.push(j);
    if (missing.length === 0) continue;
    for (let t = 0; t < r; t++) {
      let sum = 0;
      let shared = 0;
      for (let j = 0; j < p; j++) {
        const q = queryM[i * p + j]!;
        const v = refM[t * p + j]!;
        if (Number.isNaN(q) || Number.isNaN(v)) continue;
        shared++;
        sum += isCat[j] ? (q === v ? 0 : 1) : (q - v) * (q - v);
      }
      dist[t] = shared === 0 ? Number.POSITIVE_INFINITY : (sum * p) / shared;
    }
    for (const j of missing) {
      // The k nearest reference rows that have column j (insertion into a sorted top-k;
      // scanning in row order keeps the earlier row on a tie).
      const donors: number[] = [];
      const donorDist: number[] = [];
      for (let t = 0; t < r; t++) {
        const d = dist[t]!;
        if (!Number.isFinite(d) || Number.isNaN(refM[t * p + j]!)) continue;
        if (donors.length === k && d >= donorDist[k - 1]!) continue;
        let at = donors.length === k ? k - 1 : donors.length;
        while (at > 0 && donorDist[at - 1]! > d) {
          donors[at] = donors[at - 1]!;
          donorDist[at] = donorDist[at - 1]!;
          at--;
        }
        donors[at] = t;
        donorDist[at] = d;
      }
      const col = out.columns[j]!;
      const refCol = ref.columns[j]!;
      if (donors.length === 0) {
        const value = model.fallback[j]?.value ?? null;
        if (col.type === "numeric" && typeof value === "number") col.values[i] = value;
        else if (col.type === "categorical" && typeof value === "string") col.codes[i] = col.dictionary.indexOf(value);
        continue;
      }
      if (col.type === "numeric" && refCol.type === "numeric") col.values[i] = donors.reduce((s, t) => s + refCol.values[t]!, 0) / donors.length;
      else if (col.type === "categorical" && refCol.type === "categorical") {
        const votes = new Map<number, number>();
        for (const t of donors) votes.set(refCol.codes[t]!, (votes.get(refCol.codes[t]!) ?? 0) + 1);
        let best = refCol.codes[donors[0]!]!;
        for (const [code, n] of votes) if (n > votes.get(best)!) best = code;
        const level = refCol.dictionary[best]!;
        let code = col.dictionary.indexOf(level);
        if (code < 0) code = col.dictionary.push(level) - 1;
        col.codes[i] = code;
      }
    }
  }
  return out;
}
