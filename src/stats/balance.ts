/** Seeded random over- and under-sampling, expressed as how many times each row is written. */
import { createRng, shuffleInPlace } from "./random.js";

/**
 * Copies per row so every class reaches the largest class (oversample) or the smallest
 * (undersample). Rows are chosen with a seeded generator, so the result is reproducible.
 * @example rowMultiplicity(["a","a","b"], "oversample", 1) // e.g. [1, 1, 2]
 */
export function rowMultiplicity(labels: string[], strategy: "none" | "oversample" | "undersample", seed: number): Uint32Array {
  const copies = new Uint32Array(labels.length).fill(1);
  if (strategy === "none" || labels.length === 0) return copies;
  const rng = createRng(seed);
  const byClass = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const rows = byClass.get(label);
    if (rows) rows.push(i);
    else byClass.set(label, [i]);
  });
  const sizes = [...byClass.values()].map((rows) => rows.length);
  const goal = strategy === "oversample" ? Math.max(...sizes) : Math.min(...sizes);
  for (const key of [...byClass.keys()].sort()) {
    const rows = byClass.get(key) ?? [];
    if (strategy === "oversample") {
      for (let extra = rows.length; extra < goal; extra++) {
        const pick = rows[Math.floor(rng() * rows.length)];
        if (pick !== undefined) copies[pick] = (copies[pick] ?? 0) + 1;
      }
    } else {
      shuffleInPlace(rows, rng);
      for (const i of rows.slice(goal)) copies[i] = 0;
    }
  }
  return copies;
}
