/**
 * The target-leakage check of explore: a feature identical to the target, whose value
 * alone names the class (λ), that one threshold separates into the two classes (AUC),
 * or that correlates with a numeric target (|r|), on a seeded sample of rows. A leak is
 * always a high-severity finding (the plan drops the column).
 */
import type { Config } from "../config.js";
import type { QualityFinding, TableProfile, TargetChoice } from "../schemas.js";
import { lookupLambda } from "../stats/association.js";
import { binaryAuc, pearson } from "../stats/kernel.js";
import { createRng, sampleIndices } from "../stats/random.js";
import type { Column, Table } from "./columns.js";

type QualityConfig = Config["quality"];

/** The target on the sampled rows where it is present: class codes, or numbers for regression. */
interface TargetView {
  rows: Int32Array;
  classes: Int32Array | null;
  classCount: number;
  numbers: Float64Array | null;
}

function targetView(column: Column, target: TargetChoice, sample: Int32Array): TargetView {
  if (column.type === "numeric") {
    const keep: number[] = [];
    for (const r of sample) if (!Number.isNaN(column.values[r] as number)) keep.push(r);
    const rows = Int32Array.from(keep);
    const numbers = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) numbers[i] = column.values[rows[i] as number] as number;
    if (target.task === "regression") return { rows, classes: null, classCount: 0, numbers };
    const ids = new Map<number, number>();
    const classes = new Int32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const v = numbers[i] as number;
      let id = ids.get(v);
      if (id === undefined) ids.set(v, (id = ids.size));
      classes[i] = id;
    }
    return { rows, classes, classCount: ids.size, numbers: null };
  }
  const keep: number[] = [];
  for (const r of sample) if ((column.codes[r] as number) >= 0) keep.push(r);
  const rows = Int32Array.from(keep);
  const classes = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) classes[i] = column.codes[rows[i] as number] as number;
  return { rows, classes, classCount: column.dictionary.length, numbers: null };
}

/** Dense group ids of the feature on `rows` (-1 = missing) and how many groups. */
function groupIds(column: Column, rows: Int32Array): { ids: Int32Array; groups: number } {
  const ids = new Int32Array(rows.length);
  if (column.type === "categorical") {
    for (let i = 0; i < rows.length; i++) ids[i] = column.codes[rows[i] as number] as number;
    return { ids, groups: column.dictionary.length };
  }
  const seen = new Map<number, number>();
  for (let i = 0; i < rows.length; i++) {
    const v = column.values[rows[i] as number] as number;
    if (Number.isNaN(v)) {
      ids[i] = -1;
      continue;
    }
    let id = seen.get(v);
    if (id === undefined) seen.set(v, (id = seen.size));
    ids[i] = id;
  }
  return { ids, groups: seen.size };
}

/**
 * Whether the feature holds the target's value in (nearly) every sampled row: numbers equal
 * to numbers, category text equal to category text (columns of different types never match).
 */
function identicalToTarget(feature: Column, target: Column, rows: Int32Array): boolean {
  let compared = 0;
  if (feature.type === "numeric" && target.type === "numeric") {
    for (const r of rows) {
      const v = feature.values[r] as number;
      if (Number.isNaN(v)) continue;
      if (v !== target.values[r]) return false;
      compared++;
    }
  } else if (feature.type === "categorical" && target.type === "categorical") {
    const targetCode = new Map(target.dictionary.map((d, i) => [d, i]));
    const same = Int32Array.from(feature.dictionary, (d) => targetCode.get(d) ?? -2);
    for (const r of rows) {
      const code = feature.codes[r] as number;
      if (code < 0) continue;
      if (same[code] !== target.codes[r]) return false;
      compared++;
    }
  } else return false;
  return compared >= Math.max(2, 0.9 * rows.length);
}

/** Features that give the target away: identical to it, each value one class, or |r| / |2·AUC − 1| ≈ 1. */
export function targetLeakage(table: Table, profile: TableProfile, target: TargetChoice, cfg: QualityConfig, seed: number): QualityFinding[] {
  const targetColumn = table.columns.find((c) => c.name === target.column);
  if (!targetColumn) return [];
  const sample =
    table.rows > cfg.leakageMaxRows ? Int32Array.from(sampleIndices(table.rows, cfg.leakageMaxRows, createRng(seed))) : Int32Array.from({ length: table.rows }, (_, i) => i);
  const view = targetView(targetColumn, target, sample);
  if (view.rows.length < 10) return [];
  const out: QualityFinding[] = [];
  const leak = (column: Column, how: string): QualityFinding => ({
    check: "target_leakage",
    columns: [column.name],
    severity: "high",
    affectedRows: table.rows,
    message: `"${column.name}" leaks the target "${target.column}": ${how}`,
    suggestion: `drop "${column.name}" unless it is really known before "${target.column}" is`,
  });
  table.columns.forEach((column, i) => {
    const p = profile.columns[i];
    if (column.name === target.column || !p || p.kind === "identifier" || p.distinct <= 1) return;
    if (identicalToTarget(column, targetColumn, view.rows)) {
      out.push(leak(column, "it holds the same value as the target in every row"));
      return;
    }
    if (view.classes) {
      // Values seen once count as misses, so mostly-unique columns never reach the threshold.
      if (p.distinct <= view.rows.length / 2) {
        const { ids, groups } = groupIds(column, view.rows);
        const { lambda, rows } = lookupLambda(ids, groups, view.classes, view.classCount);
        if (rows >= 10 && lambda >= cfg.leakageCoverage) {
          out.push(leak(column, `its value alone names the class in ${(100 * lambda).toFixed(1)}% of the rows a majority guess gets wrong`));
          return;
        }
      }
      if (column.type === "numeric" && view.classCount === 2) {
        const classes = view.classes;
        const pos = new Float64Array(view.rows.length);
        const neg = new Float64Array(view.rows.length);
        let np = 0;
        let nn = 0;
        for (let k = 0; k < view.rows.length; k++) {
          const v = column.values[view.rows[k] as number] as number;
          if (Number.isNaN(v)) continue;
          if (classes[k] === 1) pos[np++] = v;
          else neg[nn++] = v;
        }
        if (np + nn < 10) return;
        const auc = binaryAuc(pos.subarray(0, np), neg.subarray(0, nn));
        if (Math.abs(2 * auc - 1) >= cfg.leakageCorrelation)
          out.push(leak(column, `a single threshold on it separates the two classes (AUC ${Math.max(auc, 1 - auc).toFixed(3)})`));
      }
      return;
    }
    if (column.type === "numeric" && view.numbers) {
      const xs: number[] = [];
      const ys: number[] = [];
      view.rows.forEach((r, k) => {
        const v = column.values[r] as number;
        if (Number.isNaN(v)) return;
        xs.push(v);
        ys.push(view.numbers?.[k] ?? 0);
      });
      if (xs.length < 10) return;
      const r = pearson(xs, ys);
      if (Math.abs(r) >= cfg.leakageCorrelation) out.push(leak(column, `its correlation with the target is ${r.toFixed(3)}`));
    }
  });
  return out;
}
