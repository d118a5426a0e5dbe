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
import { choleskyFlat, choleskySolveInPlace, invertSymmetric, quadraticForm, subMatrix } from "./linalg.js";

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
 * the starting standard deviations) or after `maxIterations`. The defaults are those of
 * norm::em.norm (criterion 1e-4, 1000 iterations), which naniar::mcar_test uses: near-
 * collinear columns (a radius, its perimeter and area) can keep EM crawling for thousands
 * of iterations below that without moving Little's statistic.
 * Each pattern's regression of the missing on the observed variables is a Cholesky solve
 * on flat arrays: O(|O|³ + |M|·|O|²) per pattern and iteration.
 * @throws if a column has fewer than two observed values or no spread.
 */
export function emMeanCovariance(columns: Float64Array[], options: { maxIterations?: number; tolerance?: number } = {}) {
  const p = columns.length;
  const n = columns[0]?.length ?? 0;
  const maxIterations = options.maxIterations ?? 1000;
  const tolerance = options.tolerance ?? 1e-4;
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
  let sigma = new Float64Array(p * p);
  for (let i = 0; i < p; i++) sigma[i * p + i] = scale[i]! * scale[i]!;
  const patterns = groupPatterns(columns, n);
  const rows = patterns.reduce((s, pt) => s + pt.rows.length, 0);
  const t1 = new Float64Array(p);
  const t2 = new Float64Array(p * p);
  const x = new Float64Array(p);
  // Per-pattern buffers, reused every iteration.
  const buffers = patterns.map((pt) => ({ soo: new Float64Array(pt.observed.length ** 2), coef: new Float64Array(pt.observed.length * pt.missing.length) }));
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    t1.fill(0);
    t2.fill(0);
    patterns.forEach((pt, ptIndex) => {
      const { observed: o, missing: m } = pt;
      const q = o.length;
      const r = m.length;
      // Regression of the missing on the observed variables: X = Σ_OO⁻¹ Σ_OM (q × r, so
      // the coefficients of missing a are X's column a), and the residual covariance
      // C = Σ_MM − Σ_MO X, added to the lower triangle of t2 like the cross products below.
      const { soo, coef } = buffers[ptIndex]!;
      if (r > 0) {
        for (let a = 0; a < q; a++) for (let c = 0; c < q; c++) soo[a * q + c] = sigma[o[a]! * p + o[c]!]!;
        for (let a = 0; a < q; a++) for (let c = 0; c < r; c++) coef[a * r + c] = sigma[o[a]! * p + m[c]!]!;
        if (q > 0) choleskySolveInPlace(choleskyFlat(soo, q), q, coef, r);
        const count = pt.rows.length;
        for (let a = 0; a < r; a++)
          for (let d = 0; d < r; d++) {
            const ja = m[a]!;
            const jd = m[d]!;
            if (jd > ja) continue;
            let v = sigma[ja * p + jd]!;
            for (let k = 0; k < q; k++) v -= sigma[ja * p + o[k]!]! * coef[k * r + d]!;
            t2[ja * p + jd]! += count * v;
          }
      }
      for (const i of pt.rows) {
        for (const j of o) x[j] = columns[j]![i]!;
        for (let a = 0; a < r; a++) {
          let v = mean[m[a]!]!;
          for (let c = 0; c < q; c++) v += coef[c * r + a]! * (columns[o[c]!]![i]! - mean[o[c]!]!);
          x[m[a]!] = v;
        }
        for (let a = 0; a < p; a++) {
          const xa = x[a]!;
          t1[a]! += xa;
          for (let d = 0; d <= a; d++) t2[a * p + d]! += xa * x[d]!;
        }
      }
    });
    const nextSigma = new Float64Array(p * p);
    let change = 0;
    for (let a = 0; a < p; a++) {
      const next = t1[a]! / rows;
      change = Math.max(change, Math.abs(next - mean[a]!) / scale[a]!);
      t1[a] = next;
    }
    for (let a = 0; a < p; a++)
      for (let d = 0; d <= a; d++) {
        const v = t2[a * p + d]! / rows - t1[a]! * t1[d]!;
        nextSigma[a * p + d] = v;
        nextSigma[d * p + a] = v;
        change = Math.max(change, Math.abs(v - sigma[a * p + d]!) / (scale[a]! * scale[d]!));
      }
    for (let a = 0; a < p; a++) mean[a] = t1[a]!;
    sigma = nextSigma;
    if (change < tolerance) {
      iterations++;
      break;
    }
  }
  const covariance = Array.from({ length: p }, (_, a) => Array.from(sigma.subarray(a * p, a * p + p)));
  return { mean, covariance, iterations, rows, patterns };
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
