/**
 * Seeded randomness for everything tabtune samples (splits, bootstraps, forests): one
 * small generator, mulberry32, so the same seed gives the same run on every machine.
 */

/**
 * A seeded uniform generator on [0, 1) (mulberry32, 32-bit state).
 * The seed is taken modulo 2^32; any finite number is accepted.
 * @throws if seed is not finite.
 * @example const rng = createRng(42); rng() // 0.6011037519201636
 */
export function createRng(seed: number): () => number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A uniform integer in [0, n).
 * @example randomInt(createRng(1), 10) // an integer from 0 to 9
 */
export function randomInt(rng: () => number, n: number): number {
  return Math.floor(rng() * n);
}

/**
 * Fisher–Yates shuffle of arr in place; returns arr.
 * @example shuffleInPlace([1, 2, 3], createRng(7)) // a permutation of [1, 2, 3]
 */
export function shuffleInPlace<T>(arr: T[], rng: () => number): T[] {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const tmp = arr[i] as T;
    arr[i] = arr[j] as T;
    arr[j] = tmp;
  }
  return arr;
}

/**
 * k distinct indices from [0, n), in increasing order (a partial Fisher–Yates draw).
 * k ≥ n returns every index. For few of many (k < n / 8) the pool is kept sparse: a map of
 * the entries swapped so far, any other position still holding its own index, so 4,000 of
 * 800,000 rows do not build and copy an 800k-entry pool; the same draws give the same indices.
 * @example sampleIndices(10, 3, createRng(1)) // three sorted distinct indices below 10
 */
export function sampleIndices(n: number, k: number, rng: () => number): number[] {
  const take = Math.min(Math.max(0, Math.floor(k)), n);
  if (take * 8 < n) {
    const swapped = new Map<number, number>();
    const out = new Array<number>(take);
    for (let i = 0; i < take; i++) {
      const j = i + randomInt(rng, n - i);
      out[i] = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
    }
    return out.sort((a, b) => a - b);
  }
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < take; i++) {
    const j = i + randomInt(rng, n - i);
    const tmp = pool[i] as number;
    pool[i] = pool[j] as number;
    pool[j] = tmp;
  }
  return pool.slice(0, take).sort((a, b) => a - b);
}

/**
 * n indices from [0, n) drawn with replacement (a bootstrap resample).
 * @example bootstrapIndices(4, createRng(3)) // e.g. [2, 0, 2, 3]
 */
export function bootstrapIndices(n: number, rng: () => number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = randomInt(rng, n);
  return out;
}
