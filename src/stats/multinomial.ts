/**
 * Seeded binomial and multinomial draws from a uniform stream (createRng), for bootstraps
 * that resample counts instead of rows: a resample of n rows that fall in c cells with
 * counts m₁…m_c is a multinomial draw Mult(n; m₁/n, …, m_c/n), so it costs O(c) draws, not n.
 * Pure functions of the stream; exact in distribution (inversion for small means,
 * Hörmann's BTRS transformed rejection for large ones, as numpy/scipy do for binomials).
 */

const LOG_FACTORIAL_TABLE: number[] = (() => {
  const table = [0];
  for (let k = 1; k < 16; k++) table.push((table[k - 1] as number) + Math.log(k));
  return table;
})();

/**
 * ln(k!) for a whole number k ≥ 0: a table below 16, Stirling's series (to 1/k⁵) above,
 * accurate to ~1e-15 relative.
 * @example logFactorial(5) // 4.787491742782046 (ln 120)
 */
export function logFactorial(k: number): number {
  if (k < 16) return LOG_FACTORIAL_TABLE[k] as number;
  const x = k + 1;
  const inv = 1 / x;
  const inv2 = inv * inv;
  // ln Γ(x) = (x − ½) ln x − x + ½ ln 2π + 1/(12x) − 1/(360x³) + 1/(1260x⁵)
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

/** Inversion: walk the pmf from 0 (expected n·p steps); for n·p below ~10. */
function binomialInversion(n: number, p: number, rng: () => number): number {
  const q = 1 - p;
  const ratio = p / q;
  let pmf = Math.exp(n * Math.log1p(-p));
  let cdf = pmf;
  const u = rng();
  let x = 0;
  while (u > cdf && x < n) {
    pmf *= ((n - x) / (x + 1)) * ratio;
    x++;
    cdf += pmf;
    if (pmf === 0) break; // the tail below double precision: u sits in rounding error
  }
  return x;
}

/** Hörmann (1993), "The generation of binomial random variates", algorithm BTRS; for n·p ≥ 10, p ≤ ½. */
function binomialBtrs(n: number, p: number, rng: () => number): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const alpha = (2.83 + 5.1 / b) * spq;
  const lpq = Math.log(p / q);
  const m = Math.floor((n + 1) * p);
  const h = logFactorial(m) + logFactorial(n - m);
  for (;;) {
    const u = rng() - 0.5;
    let v = rng();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    if (v <= h - logFactorial(k) - logFactorial(n - k) + (k - m) * lpq) return k;
  }
}

/**
 * A Binomial(n, p) draw: successes in n trials of probability p.
 * @throws RangeError when n is not a whole number ≥ 0 or p is outside [0, 1].
 * @example binomialDraw(10, 0, createRng(1)) // 0
 */
export function binomialDraw(n: number, p: number, rng: () => number): number {
  if (!(Number.isInteger(n) && n >= 0) || !(p >= 0 && p <= 1)) throw new RangeError(`binomialDraw needs a whole n ≥ 0 and 0 ≤ p ≤ 1 (got ${n}, ${p})`);
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  if (p > 0.5) return n - binomialDraw(n, 1 - p, rng);
  return n * p < 10 ? binomialInversion(n, p, rng) : binomialBtrs(n, p, rng);
}

/**
 * A multinomial resample of whole counts: `total` draws over the cells with probabilities
 * counts[i] / Σ counts, written into `out` (same length), by conditional binomials
 * (cell i gets Binomial(left, counts[i] / Σ_{j ≥ i} counts[j])). Cells with a zero count stay 0.
 * @throws RangeError when the lengths differ or the counts sum to 0 while total > 0.
 * @example multinomialDraw([0, 5, 0], 5, new Float64Array(3), createRng(1)) // [0, 5, 0]
 */
export function multinomialDraw(counts: ArrayLike<number>, total: number, out: Float64Array | Int32Array, rng: () => number): void {
  if (counts.length !== out.length) throw new RangeError(`multinomialDraw: ${counts.length} counts but ${out.length} outputs`);
  let rest = 0;
  for (let i = 0; i < counts.length; i++) rest += counts[i] as number;
  if (rest <= 0 && total > 0) throw new RangeError("multinomialDraw: the counts sum to 0");
  let left = total;
  for (let i = 0; i < counts.length; i++) {
    const m = counts[i] as number;
    if (m === 0 || left === 0) {
      out[i] = 0;
      continue;
    }
    const x = m >= rest ? left : binomialDraw(left, m / rest, rng);
    out[i] = x;
    left -= x;
    rest -= m;
  }
}
