/**
 * Little's (1988) test of missing completely at random: with μ, Σ the maximum-likelihood
 * estimates under a multivariate normal (EM), and for every missingness pattern j with
 * n_j rows, observed variables O_j and observed means ȳ_j,
 *   d² = Σ_j n_j (ȳ_j − μ_O)ᵀ Σ_OO⁻¹ (ȳ_j − μ_O),   df = Σ_j |O_j| − p,
 * which is χ²(df) under MCAR (R. J. A. Little, JASA 83(404):1198–1202). Checked against
 * naniar::mcar_test(airquality) in test/impute-mechanism.test.ts.
 *
 * Input columns hold NaN for a missing cell. Rows with no observed value carry no
 * information and are left out; columns with fewer than two observed values or no spread
 * are left out by the caller (`littleMcarTest` does it and says which it kept).
 */
import { chiSquareSurvival } from "./chi-square.js";
import { invertSymmetric, quadraticForm, subMatrix } from "./linalg.js";

export interface McarTest {
  statistic: number;
  df: number;
  pValue: number;
  /** Distinct missingness patterns among rows with at least one observed value. */
  patterns: number;
  rows: number;
}

interface Pattern {
  observed: number[];
  missing: number[];
  rows: number[];
}

function groupPatterns(columns: Float64Array[], n: number): Pattern[] {
  const byKey = new Map<string, Pattern>();
  for (let i = 0; i < n; i++) {
    let key = "";
    for (const col of columns) key += Number.isNaN(col[i]!) ? "0" : "1";
    if (!key.includes("1")) continue;
    let pattern = byKey.get(key);
    if (!pattern) {
      const observed: number[] = [];
      const missing: number[] = [];
      for (let j = 0; j < key.length; j++) (key[j] === "1" ? observed : missing).push(j);
      pattern = { observed, missing, rows: [] };
      byKey.set(key, pattern);
    }
    pattern.rows.push(i);
  }
  return [...byKey.values()];
}

/**
 * Maximum-likelihood mean and covariance of incomplete multivariate-normal data by EM
 * (Dempster, Laird & Rubin 1977; Little & Rubin 2002 §11.2), starting from the observed
 * means and variances. Stops when no estimate moves by more than `tolerance` (in units of
 * the starting standard deviations) or after `maxIterations`.
 * @throws if a column has fewer than two observed values or no spread.
 */
export function emMeanCovariance(columns: Float64Array[], options: { maxIterations?: number; tolerance?: number } = {}) {
  const p = columns.length;
  const n = columns[0]?.length ?? 0;
  const maxIterations = options.maxIterations ?? 2000;
  const tolerance = options.tolerance ?? 1e-9;
  const scale: number[] = [];
  const mean: number[] = [];
  for (const col of columns) {
    let s = 0;
    let ss = 0;
    let k = 0;
    for (const v of col) if (!Number.isNaN(v)) (s += v), (ss += v * v), k++;
    const m = k > 0 ? s / k : Number.NaN;
    const variance = k > 0 ? ss / k - m * m : Number.NaN;
    if (k < 2 || !(variance > 0)) throw new RangeError("EM needs at least two distinct observed values per column");
    mean.push(m);
    scale.push(Math.sqrt(variance));
  }
  let sigma = scale.map((s, i) => scale.map((_, j) => (i === j ? s * s : 0)));
  const patterns = groupPatterns(columns, n);
  const rows = patterns.reduce((s, pt) => s + pt.rows.length, 0);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const t1 = new Array<number>(p).fill(0);
    const t2 = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    const x = new Array<number>(p).fill(0);
    for (const pt of patterns) {
      const { observed: o, missing: m } = pt;
      // Regression of the missing on the observed variables, and its residual covariance.
      let b: number[][] = [];
      if (m.length > 0) {
        const inv = invertSymmetric(subMatrix(sigma, o));
        const smo = subMatrix(sigma, m, o);
        b = smo.map((r) => o.map((_, c) => r.reduce((s, v, k) => s + v * inv[k]![c]!, 0)));
        const c = subMatrix(sigma, m).map((r, a) => r.map((v, d) => v - b[a]!.reduce((s, w, k) => s + w * smo[d]![k]!, 0)));
        const count = pt.rows.length;
        // Lower triangle only (t2[a][d] with d ≤ a), like the cross products below.
        m.forEach((ja, a) => m.forEach((jd, d) => {
          if (jd <= ja) t2[ja]![jd]! += count * c[a]![d]!;
        }));
      }
      for (const i of pt.rows) {
        for (const j of o) x[j] = columns[j]![i]!;
        m.forEach((j, a) => {
          let v = mean[j]!;
          o.forEach((jo, c) => (v += b[a]![c]! * (columns[jo]![i]! - mean[jo]!)));
          x[j] = v;
        });
        for (let a = 0; a < p; a++) {
          t1[a]! += x[a]!;
          const row = t2[a]!;
          for (let d = 0; d <= a; d++) row[d]! += x[a]! * x[d]!;
        }
      }
    }
    const nextMean = t1.map((v) => v / rows);
    const nextSigma = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    for (let a = 0; a < p; a++)
      for (let d = 0; d <= a; d++) {
        const v = t2[a]![d]! / rows - nextMean[a]! * nextMean[d]!;
        nextSigma[a]![d] = v;
        nextSigma[d]![a] = v;
      }
    let change = 0;
    for (let a = 0; a < p; a++) {
      change = Math.max(change, Math.abs(nextMean[a]! - mean[a]!) / scale[a]!);
      for (let d = 0; d < p; d++) change = Math.max(change, Math.abs(nextSigma[a]![d]! - sigma[a]![d]!) / (scale[a]! * scale[d]!));
    }
    mean.splice(0, p, ...nextMean);
    sigma = nextSigma;
    if (change < tolerance) {
      iterations++;
      break;
    }
  }
  return { mean, covariance: sigma, iterations, rows, patterns };
}

/**
 * Little's MCAR test on numeric columns (NaN = missing).
 * @returns null when no column has two distinct observed values, or nothing is missing.
 * @example littleMcarTest(airqualityColumns) // { statistic: 35.106, df: 14, pValue: 0.00142, patterns: 4, rows: 153 }
 */
export function littleMcarTest(columns: Float64Array[]): McarTest | null {
  const usable = columns.filter((col) => {
    const seen = new Set<number>();
    for (const v of col) if (!Number.isNaN(v)) seen.add(v);
    return seen.size >= 2;
  });
  if (usable.length === 0) return null;
  const { mean, covariance, rows, patterns } = emMeanCovariance(usable);
  const p = usable.length;
  if (patterns.length < 2) return null;
  let statistic = 0;
  let df = -p;
  for (const pt of patterns) {
    const o = pt.observed;
    df += o.length;
    const diff = o.map((j) => {
      let s = 0;
      for (const i of pt.rows) s += usable[j]![i]!;
      return s / pt.rows.length - mean[j]!;
    });
    statistic += pt.rows.length * quadraticForm(invertSymmetric(subMatrix(covariance, o)), diff);
  }
  if (df <= 0) return null;
  return { statistic, df, pValue: chiSquareSurvival(Math.max(0, statistic), df), patterns: patterns.length, rows };
}

/**
 * Little's statistic for one column: its missingness indicator splits the rows into two
 * patterns, compared on the other numeric columns (rows where those are all observed;
 * constant ones left out); df = the number of those columns. Under MCAR the rows missing
 * this column look like the rest on every other column.
 * @returns null with no usable other column or fewer than two rows in either group.
 * @example indicatorMcarTest(Uint8Array.of(1,0,0,1,0,0), [Float64Array.of(5,1,2,6,1,2)]) // a small p-value
 */
export function indicatorMcarTest(missing: Uint8Array, others: Float64Array[]): Omit<McarTest, "patterns"> | null {
  const n = missing.length;
  const complete: number[] = [];
  for (let i = 0; i < n; i++) if (others.every((col) => !Number.isNaN(col[i]!))) complete.push(i);
  const cols = others.filter((col) => {
    let first: number | null = null;
    for (const i of complete) {
      if (first === null) first = col[i]!;
      else if (col[i] !== first) return true;
    }
    return false;
  });
  const q = cols.length;
  const groups = [complete.filter((i) => missing[i] === 1), complete.filter((i) => missing[i] !== 1)];
  if (q === 0 || groups.some((g) => g.length < 2) || complete.length <= q + 1) return null;
  const m = complete.length;
  const mean = cols.map((col) => complete.reduce((s, i) => s + col[i]!, 0) / m);
  const cov = cols.map((a, ja) =>
    cols.map((b, jb) => complete.reduce((s, i) => s + (a[i]! - mean[ja]!) * (b[i]! - mean[jb]!), 0) / m),
  );
  const inv = invertSymmetric(cov);
  let statistic = 0;
  for (const g of groups) {
    const diff = cols.map((col, j) => g.reduce((s, i) => s + col[i]!, 0) / g.length - mean[j]!);
    statistic += g.length * quadraticForm(inv, diff);
  }
  return { statistic, df: q, pValue: chiSquareSurvival(Math.max(0, statistic), q), rows: m };
}
