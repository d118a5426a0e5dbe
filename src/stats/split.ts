/** Deterministic, seeded train/test assignment; stratified for classification. */
import { TabtuneError } from "../errors.js";
import type { Column } from "../table/columns.js";
import { createRng, shuffleInPlace } from "./random.js";

/**
 * Test rows a group of `n` rows gives: round(n·ratio), and for a stratified group of two
 * or more rows at least one and at most n − 1, so rare classes appear on both sides.
 * @example testRowsOf(3, 0.999, true) // 2
 * @example testRowsOf(10, 0.25, false) // 3
 */
export function testRowsOf(n: number, ratio: number, stratify: boolean): number {
  const take = Math.round(n * ratio);
  return stratify && n >= 2 ? Math.min(Math.max(take, 1), n - 1) : Math.min(take, n);
}

/**
 * Row indices per group, in row order: a group per class label when stratified, else one
 * group ("") of all rows. The split and the baseline's cross-validation folds deal from these.
 * @example rowGroups(["a", "b", "a"], true) // Map { "a" => [0, 2], "b" => [1] }
 */
export function rowGroups(labels: readonly string[], stratify: boolean): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const key = stratify ? label : "";
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  return groups;
}

/**
 * Returns a mask with 1 for test rows. Each group (a class when stratified, else all rows)
 * contributes testRowsOf(n, ratio, stratify) test rows.
 * @example testMask(["a","a","b","b"], 0.5, 1, true) // two 1s: one "a", one "b"
 */
export function testMask(labels: string[], ratio: number, seed: number, stratify: boolean): Uint8Array {
  const mask = new Uint8Array(labels.length);
  const rng = createRng(seed);
  const groups = rowGroups(labels, stratify);
  for (const key of [...groups.keys()].sort()) {
    const indices = groups.get(key) ?? [];
    shuffleInPlace(indices, rng);
    for (const i of indices.slice(0, testRowsOf(indices.length, ratio, stratify))) mask[i] = 1;
  }
  return mask;
}

/** A source row's side in a split mask: training, test, or neither (its target is missing). */
export const MASK_TRAIN = 0;
export const MASK_TEST = 1;
export const MASK_NONE = 2;
/** The mask file's character per side (one per source row, in file order). */
const MASK_CHARS = ["0", "1", "."] as const;

/**
 * The split fixed at explore, over the SOURCE rows of the CSV: testMask over the rows
 * whose target is present (label null = missing → MASK_NONE, in no part), so the same
 * target column, ratio and seed always give the same mask. `ratio` null (a --test-csv
 * run): every row with a target is training.
 * @example sourceMask(["a", null, "a", "b", "b"], 0.5, 1, true) // one "a" and one "b" row are 1, row 1 is 2
 */
export function sourceMask(labels: readonly (string | null)[], ratio: number | null, seed: number, stratify: boolean): Uint8Array {
  const mask = new Uint8Array(labels.length);
  const present: number[] = [];
  const presentLabels: string[] = [];
  labels.forEach((label, i) => {
    if (label === null) mask[i] = MASK_NONE;
    else {
      present.push(i);
      presentLabels.push(label);
    }
  });
  if (ratio === null) return mask;
  const inner = testMask(presentLabels, ratio, seed, stratify);
  present.forEach((row, j) => (mask[row] = inner[j] ? MASK_TEST : MASK_TRAIN));
  return mask;
}

/**
 * The target column's cells as split labels: the text of each present cell, null when the
 * cell is missing (a regression target that is not a number counts as missing, as in
 * rankFeatures). Numbers print as JavaScript writes them, so labels group like the values.
 */
export function targetLabels(column: Column, regression: boolean): (string | null)[] {
  if (column.type === "numeric") return Array.from(column.values, (v) => (Number.isNaN(v) ? null : String(v)));
  return Array.from(column.codes, (code) => {
    const text = code < 0 ? null : (column.dictionary[code] ?? null);
    return text === null || (regression && Number.isNaN(Number(text))) ? null : text;
  });
}

/** The mask as file text: one character per source row ("0" train, "1" test, "." neither), then a newline. */
export function maskText(mask: Uint8Array): string {
  let text = "";
  for (let i = 0; i < mask.length; i += 65536) text += Array.from(mask.subarray(i, i + 65536), (m) => MASK_CHARS[m] ?? ".").join("");
  return text + "\n";
}

/**
 * Reads maskText back.
 * @throws TabtuneError "split_mask_invalid" on any other character.
 */
export function parseMask(text: string, file: string): Uint8Array {
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  const mask = new Uint8Array(body.length);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    const side = c === "0" ? MASK_TRAIN : c === "1" ? MASK_TEST : c === "." ? MASK_NONE : -1;
    if (side < 0)
      throw new TabtuneError("split_mask_invalid", `${file}: character ${i + 1} is ${JSON.stringify(c)}, not 0, 1 or .`, { suggestion: "start the run again from explore; the mask file was edited" });
    mask[i] = side;
  }
  return mask;
}

/** Rows on `side` of the mask, increasing. @example rowsOn(Uint8Array.from([0, 1, 0, 2]), MASK_TRAIN) // [0, 2] */
export function rowsOn(mask: Uint8Array, side: number): Int32Array {
  let n = 0;
  for (const m of mask) if (m === side) n++;
  const rows = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === side) rows[k++] = i;
  return rows;
}

/** A group the split would leave with too few training rows. */
export interface TrainShortfall {
  /** The class; null for the one group of a regression (unstratified) split. */
  label: string | null;
  /** Its rows before the split. */
  rows: number;
  /** Its training rows after the split. */
  train: number;
}

/** Rows per group: per label when stratified, else one group (label null) of all rows. */
function groupSizes(labels: readonly string[], stratify: boolean): Map<string | null, number> {
  const sizes = new Map<string | null, number>();
  for (const label of labels) {
    const key = stratify ? label : null;
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  return sizes;
}

/** Groups of `sizes` left with fewer than `min` training rows at `ratio`: fewest training rows, then smallest group, first. */
function shortfallsOf(sizes: ReadonlyMap<string | null, number>, ratio: number, stratify: boolean, min: number): TrainShortfall[] {
  const short: TrainShortfall[] = [];
  for (const [label, rows] of sizes) {
    const train = rows - testRowsOf(rows, ratio, stratify);
    if (train < min) short.push({ label, rows, train });
  }
  return short.sort((a, b) => a.train - b.train || a.rows - b.rows || String(a.label).localeCompare(String(b.label)));
}

/**
 * Groups testMask(labels, ratio, ·, stratify) would leave with fewer than `min` training
 * rows, fewest training rows (then smallest group) first; exact, since the mask takes
 * testRowsOf from each group.
 * Empty labels: no groups, no shortfall.
 * @example trainShortfalls(["a","a","a","b","b","b","b","b","b"], 0.5, true, 3) // [{ label: "a", rows: 3, train: 1 }]
 */
export function trainShortfalls(labels: readonly string[], ratio: number, stratify: boolean, min: number): TrainShortfall[] {
  return shortfallsOf(groupSizes(labels, stratify), ratio, stratify, min);
}

/**
 * The largest ratio in steps of 0.01 that leaves every group at least `min` training
 * rows, or null when none does (a group has too few rows whatever the ratio).
 * @example largestSafeRatio(Array(10).fill("x"), false, 4) // 0.64 (0.65 tests round(6.5) = 7 rows)
 */
export function largestSafeRatio(labels: readonly string[], stratify: boolean, min: number): number | null {
  const sizes = groupSizes(labels, stratify);
  for (let hundredths = 99; hundredths >= 1; hundredths--) {
    const ratio = hundredths / 100;
    if (shortfallsOf(sizes, ratio, stratify, min).length === 0) return ratio;
  }
  return null;
}

export interface TrainRowMinimums {
  /** Classification: training rows every class keeps at least (split.minTrainRowsPerClass). */
  minTrainRowsPerClass: number;
  /** Regression: training rows in all at least (split.minTrainRows). */
  minTrainRows: number;
}

/**
 * Refuses a ratio split that would leave a class (regression: the whole table) with
 * fewer training rows than the config's minimum, before any row is written. The error
 * names the class, its rows, what the ratio leaves, and the largest ratio that works.
 * @throws TabtuneError "split_too_few_train_rows"
 */
export function requireTrainRows(labels: readonly string[], ratio: number, regression: boolean, minimums: TrainRowMinimums): void {
  const min = regression ? minimums.minTrainRows : minimums.minTrainRowsPerClass;
  const key = regression ? "split.minTrainRows" : "split.minTrainRowsPerClass";
  const short = trainShortfalls(labels, ratio, !regression, min);
  const worst = short[0];
  if (!worst) return;
  const group = worst.label === null ? "the table" : `class "${worst.label}"`;
  const others = short.length > 1 ? ` (and ${short.length - 1} more class${short.length > 2 ? "es" : ""})` : "";
  const safe = largestSafeRatio(labels, !regression, min);
  const message = `test ratio ${ratio} leaves ${group} ${worst.train} training row${worst.train === 1 ? "" : "s"} of its ${worst.rows}${others}, fewer than ${key} (${min})`;
  const lower = `or lower ${key} in a config file passed as TABTUNE_CONFIG`;
  throw new TabtuneError("split_too_few_train_rows", message, {
    suggestion:
      safe !== null
        ? `use a test ratio of at most ${safe} (--test-ratio ${safe}, or "test_ratio: ${safe}" at review_prep), ${lower}`
        : `no ratio leaves ${min} training rows: ${regression ? "use a larger CSV" : `collect more rows of ${group}, or merge or drop it at review_plan`}, ${lower}`,
  });
}
