/**
 * A table with planted missingness: x and noise complete; `mcar` missing at random (20%);
 * `mar` missing more often when x is high (logistic in x); `mnar` missing when its own
 * value is in the top 30% (weakly related to x, so the observed columns barely predict it).
 */
import type { Frame } from "../../src/stats/imputation/frame.js";
import type { Row } from "./impute-state.js";
import { createRng } from "../../src/stats/random.js";

export function plantedFrame(seed: number, n: number): { frame: Frame; label: number[] } {
  const rng = createRng(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const x = new Float64Array(n);
  const noise = new Float64Array(n);
  const mcar = new Float64Array(n);
  const mar = new Float64Array(n);
  const mnar = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = g();
    noise[i] = g();
    mcar[i] = 0.5 * x[i]! + g();
    mar[i] = 0.5 * noise[i]! + g();
    mnar[i] = 0.2 * x[i]! + g();
  }
  const cut = Float64Array.from(mnar).sort()[Math.floor(n * 0.7)]!;
  const label: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rng() < 0.2) mcar[i] = Number.NaN;
    if (rng() < 1 / (1 + Math.exp(-(3 * x[i]! - 2)))) mar[i] = Number.NaN;
    if (mnar[i]! > cut) mnar[i] = Number.NaN;
    label.push(x[i]! + noise[i]! > 0 ? 1 : 0);
  }
  const columns = [
    { name: "x", values: x },
    { name: "noise", values: noise },
    { name: "mcar", values: mcar },
    { name: "mar", values: mar },
    { name: "mnar", values: mnar },
  ].map((c) => ({ ...c, type: "numeric" as const }));
  return { frame: { rows: n, columns }, label };
}

/** plantedFrame's numbers as JSON rows (six decimals, null where missing) with its label as "yes"/"no" in y. */
export function plantedRows(seed: number, n: number): { names: string[]; rows: Row[] } {
  const { frame, label } = plantedFrame(seed, n);
  const names = [...frame.columns.map((c) => c.name), "y"];
  const rows = Array.from({ length: n }, (_, i) => {
    const row: Row = { y: label[i] === 1 ? "yes" : "no" };
    for (const c of frame.columns) if (c.type === "numeric") row[c.name] = Number.isNaN(c.values[i]!) ? null : Number(c.values[i]!.toFixed(6));
    return row;
  });
  return { names, rows };
}
