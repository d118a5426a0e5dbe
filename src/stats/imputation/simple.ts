/** Mean, median and mode fills, fitted on training cells only. */
import { medianSorted } from "../kernel.js";
import type { Frame, FrameColumn } from "./frame.js";
import { copyFrame } from "./frame.js";

export interface SimpleFill {
  column: string;
  policy: "mean" | "median" | "mode";
  /** The fill value; null when the column has no observed training value. */
  value: number | string | null;
}

/**
 * Mean (or median) of a numeric column's observed values, mode of a categorical one (ties
 * go to the level that sorts first). The median is numpy.median's (kernel.medianSorted), the
 * value scikit-learn's SimpleImputer(strategy="median") fills with.
 * @example fitSimpleColumn({ name: "x", type: "numeric", values: Float64Array.of(1, NaN, 5) }, "mean") // { value: 3 }
 */
export function fitSimpleColumn(col: FrameColumn, numeric: "mean" | "median"): SimpleFill {
  if (col.type === "numeric") {
    // One pass over the typed values, summed in row order (the same sum, bit for bit, as
    // reducing the observed list); the median sorts a typed copy of the observed values only.
    const values = col.values;
    let n = 0;
    let sum = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v === v) (sum += v), n++;
    }
    if (n === 0) return { column: col.name, policy: numeric, value: null };
    if (numeric === "mean") return { column: col.name, policy: numeric, value: sum / n };
    const observed = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v === v) observed[k++] = v;
    }
    return { column: col.name, policy: numeric, value: medianSorted(observed.sort()) };
  }
  const counts = new Int32Array(col.dictionary.length);
  for (const c of col.codes) if (c >= 0) counts[c]! += 1;
  let best = -1;
  // Levels are sorted, so the first maximum is the tie-break by name.
  for (let l = 0; l < counts.length; l++) if (counts[l]! > 0 && (best < 0 || counts[l]! > counts[best]!)) best = l;
  return { column: col.name, policy: "mode", value: best < 0 ? null : col.dictionary[best]! };
}

export function fitSimple(frame: Frame, numeric: "mean" | "median"): SimpleFill[] {
  return frame.columns.map((c) => fitSimpleColumn(c, numeric));
}

/** A copy of the frame with every missing cell set to its column's fill (fills by position). */
export function applySimple(frame: Frame, fills: SimpleFill[]): Frame {
  const out = copyFrame(frame);
  out.columns.forEach((col, j) => {
    const value = fills[j]?.value ?? null;
    if (value === null) return;
    if (col.type === "numeric" && typeof value === "number") {
      for (let i = 0; i < out.rows; i++) if (Number.isNaN(col.values[i]!)) col.values[i] = value;
    } else if (col.type === "categorical" && typeof value === "string") {
      let code = col.dictionary.indexOf(value);
      if (code < 0) code = col.dictionary.push(value) - 1;
      for (let i = 0; i < out.rows; i++) if (col.codes[i]! < 0) col.codes[i] = code;
    }
  });
  return out;
}
