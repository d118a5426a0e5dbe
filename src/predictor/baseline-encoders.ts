/**
 * A saved baseline's feature encoders as numbers (src/predictor/baseline-model.ts): fitted on
 * the training rows as baseline-features.ts fits them (a number's training median, a
 * category's sorted training levels with missing among them, a date's five part medians), and
 * applied to cells to make the forest's columns.
 */
import { z } from "zod";
import { cellToNumber, dateParts, DATE_PARTS, type Cell, type FeatureSpec } from "../stats/baseline-features.js";
import { medianSorted } from "../stats/kernel.js";

/** The key baseline-features.ts gives a missing category (its own level, sorted with the others). */
const MISSING_CATEGORY = "\u0000missing";

/** One feature's fitted encoder, as numbers. */
export const EncoderState = z.discriminatedUnion("kind", [
  /** A number as is; missing or unreadable → `fill` (the training median). */
  z.object({ kind: z.literal("numeric"), fill: z.number() }),
  /** The code of a value is its index in `levels` (sorted training values, missing among them); unseen → NaN. */
  z.object({ kind: z.literal("categorical"), levels: z.array(z.string()) }),
  /** Five numbers (DATE_PARTS); an unreadable date → each part's training median. */
  z.object({ kind: z.literal("datetime"), fills: z.array(z.number()).length(DATE_PARTS.length) }),
]);
export type EncoderState = z.infer<typeof EncoderState>;

const categoryKey = (value: Cell): string => (value === null || value === undefined ? MISSING_CATEGORY : String(value));

/** numpy.median of a non-empty list, as baseline-features fills with. */
function median(values: number[]): number {
  return medianSorted(Float64Array.from(values).sort());
}

/** The encoder baseline-features.ts fits on these training values, as numbers. */
export function fitEncoderState(spec: FeatureSpec, values: Cell[]): EncoderState {
  if (spec.kind === "numeric") {
    const observed = values.map(cellToNumber).filter((v) => !Number.isNaN(v));
    return { kind: "numeric", fill: observed.length === 0 ? 0 : median(observed) };
  }
  if (spec.kind === "categorical") {
    return { kind: "categorical", levels: [...new Set(values.map(categoryKey))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) };
  }
  const parsed = values.map(dateParts).filter((p): p is number[] => p !== null);
  return { kind: "datetime", fills: DATE_PARTS.map((_, k) => (parsed.length === 0 ? 0 : median(parsed.map((p) => p[k] as number)))) };
}

/** The numeric columns of one feature for these cells (one, or five for a date; a category's codes, NaN when unseen). */
export function encodeWith(state: EncoderState, cells: Cell[]): Float64Array[] {
  if (state.kind === "numeric") {
    return [
      Float64Array.from(cells, (cell) => {
        const v = cellToNumber(cell);
        return Number.isNaN(v) ? state.fill : v;
      }),
    ];
  }
  if (state.kind === "categorical") {
    const codes = new Map(state.levels.map((level, i) => [level, i]));
    return [Float64Array.from(cells, (cell) => codes.get(categoryKey(cell)) ?? Number.NaN)];
  }
  const parts = cells.map(dateParts);
  return state.fills.map((fill, k) => Float64Array.from(parts, (p) => (p ? (p[k] as number) : fill)));
}
