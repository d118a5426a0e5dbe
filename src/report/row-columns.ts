/**
 * Typed columns of a run's rows, collected in one pass (streamed from a JSON-lines file or
 * fed from rows already in memory), for the statistics evaluate and the report compute over
 * every row: numbers as a Float64Array (NaN = missing or not a number, as drift.ts reads
 * them), categories as counts per bin (drift.ts's driftKey). No row object is kept.
 */
import { forEachJsonLine } from "../artifacts.js";
import type { CleanRow } from "../rows.js";
import { driftKey } from "../stats/drift.js";

type Cell = CleanRow[string] | undefined;

/** A growable Float64Array (doubling), for numbers of a column whose length is not known up front. */
export class NumberColumn {
  private data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  /** The values so far (a view, no copy). */
  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** Which columns to collect, and how. A name may be in both lists. */
export interface ColumnSpec {
  numeric: string[];
  categorical: string[];
}

export interface Columns {
  rows: number;
  /** Number(value) per row, NaN where missing (null, "", absent) or not a number. */
  numeric: Map<string, Float64Array>;
  /** Rows per driftKey(value). */
  categorical: Map<string, Map<string, number>>;
}

const toNumber = (v: Cell) => (v === null || v === undefined || v === "" ? Number.NaN : Number(v));

/** Collects `spec`'s columns row by row. */
export class ColumnCollector {
  private rows = 0;
  private readonly numeric: [string, NumberColumn][];
  private readonly categorical: [string, Map<string, number>][];
  constructor(spec: ColumnSpec) {
    this.numeric = spec.numeric.map((name) => [name, new NumberColumn()]);
    this.categorical = spec.categorical.map((name) => [name, new Map()]);
  }
  add(row: CleanRow): void {
    this.rows++;
    for (const [name, column] of this.numeric) column.push(toNumber(row[name]));
    for (const [name, counts] of this.categorical) {
      const key = driftKey(row[name]);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  finish(): Columns {
    return { rows: this.rows, numeric: new Map(this.numeric.map(([n, c]) => [n, c.values()])), categorical: new Map(this.categorical) };
  }
}

/** `spec`'s columns of a JSON-lines rows file, streamed. */
export async function readColumns(path: string, spec: ColumnSpec): Promise<Columns> {
  const collector = new ColumnCollector(spec);
  await forEachJsonLine<CleanRow>(path, (row) => collector.add(row));
  return collector.finish();
}
