/** Deterministic, seeded train/test assignment; stratified for classification. */
import { createRng, shuffleInPlace } from "./random.js";

/**
 * Returns a mask with 1 for test rows. Each class contributes round(n·ratio) test rows
 * (at least one when it has two or more rows), so rare classes appear on both sides.
 * @example testMask(["a","a","b","b"], 0.5, 1, true) // two 1s: one "a", one "b"
 */
export function testMask(labels: string[], ratio: number, seed: number, stratify: boolean): Uint8Array {
  const mask = new Uint8Array(labels.length);
  const rng = createRng(seed);
  const groups = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const key = stratify ? label : "";
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  for (const key of [...groups.keys()].sort()) {
    const indices = groups.get(key) ?? [];
    shuffleInPlace(indices, rng);
    let take = Math.round(indices.length * ratio);
    if (stratify && indices.length >= 2) take = Math.min(Math.max(take, 1), indices.length - 1);
    for (const i of indices.slice(0, take)) mask[i] = 1;
  }
  return mask;
}
