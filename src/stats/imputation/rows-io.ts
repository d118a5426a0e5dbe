/**
 * Cleaned rows (JSON lines) in and out of imputation frames: the cells of named columns
 * read into memory, and rows streamed back out with their missing feature cells filled
 * from an imputed frame, each in the row's own type.
 */
import { AtomicLineWriter, readJsonLines, readLinesChecked, readTextLines, requireSameHash } from "../../artifacts.js";
import type { CleanRow } from "../../rows.js";
import type { ArtifactRef } from "../../state.js";
import { isMissing, type Frame, type FrameColumn, type FrameColumnBuilder } from "./frame.js";

export type Cell = string | number | boolean | null;

/** A rows file an earlier step of the run wrote: its recorded hash, and what it is (for the error). */
export interface CheckedSource {
  path: string;
  sha256: string;
  what: string;
}

/**
 * The cells of `names`, row by row (undefined and "" read as missing). A `CheckedSource` is
 * hash-checked against its recorded SHA-256 while it is read, so a changed or missing file
 * throws (after its last line, before anything is written); a plain path is read as it is.
 * @throws TabtuneError when a checked file is gone or changed since it was written.
 */
export async function readColumns(source: string | CheckedSource, names: string[]): Promise<{ rows: number; cells: Map<string, Cell[]> }> {
  const cells = new Map<string, Cell[]>(names.map((n) => [n, []]));
  let rows = 0;
  const lines = typeof source === "string" ? readTextLines(source) : readLinesChecked(source.path, (actual) => requireSameHash(source, actual, source.what));
  for await (const line of lines) {
    const row = JSON.parse(line) as CleanRow;
    rows++;
    for (const name of names) {
      const v = row[name];
      cells.get(name)!.push(v === undefined || v === null || v === "" ? null : (v as Cell));
    }
  }
  return { rows, cells };
}

/**
 * One pass over a rows file into typed columns (`typed`, built a cell at a time), the
 * missing cells (null, undefined, "") of every column of `typed` and `counted`, and the raw
 * cells of `raw` only. Hash-checked as readColumns checks a `CheckedSource`.
 * @throws TabtuneError when the file is gone or changed since it was written.
 */
export async function readFrameColumns(
  source: CheckedSource,
  names: { typed: FrameColumnBuilder[]; counted: string[]; raw: string[] },
): Promise<{ rows: number; columns: Map<string, FrameColumn>; missing: Map<string, number>; raw: Map<string, Cell[]> }> {
  const counts = names.counted.map((name) => ({ name, missing: 0 }));
  const raw = names.raw.map((name) => ({ name, cells: [] as Cell[] }));
  let rows = 0;
  for await (const line of readLinesChecked(source.path, (actual) => requireSameHash(source, actual, source.what))) {
    const row = JSON.parse(line) as CleanRow;
    rows++;
    for (const builder of names.typed) builder.push(row[builder.name]);
    for (const c of counts) {
      const v = row[c.name];
      if (v === undefined || v === null || v === "") c.missing++;
    }
    for (const r of raw) {
      const v = row[r.name];
      r.cells.push(v === undefined || v === null || v === "" ? null : (v as Cell));
    }
  }
  const missing = new Map([...names.typed.map((b) => [b.name, b.missingCells] as const), ...counts.map((c) => [c.name, c.missing] as const)]);
  return { rows, columns: new Map(names.typed.map((b) => [b.name, b.finish()])), missing, raw: new Map(raw.map((r) => [r.name, r.cells])) };
}

/** A filled cell back in the row's own type: integers rounded, booleans as booleans. */
export function cellValue(frame: Frame, j: number, i: number, kind: string | undefined): Cell {
  const col = frame.columns[j]!;
  if (isMissing(col, i)) return null;
  if (col.type === "numeric") return kind === "integer" ? Math.round(col.values[i]!) : col.values[i]!;
  const level = col.dictionary[col.codes[i]!]!;
  return kind === "boolean" ? level === "true" : level;
}

/**
 * Streams `from` to `to`, filling each missing feature cell from the imputed frame and
 * counting the filled cells per column into `filled`. Answers the written file's ref (hash,
 * bytes and rows counted while writing).
 */
export async function writeImputed(from: string, to: string, frame: Frame, columns: number[], kinds: Map<string, string>, filled: Map<string, number>): Promise<ArtifactRef> {
  const out = new AtomicLineWriter(to);
  let i = 0;
  for await (const row of readJsonLines<CleanRow>(from)) {
    for (const j of columns) {
      const name = frame.columns[j]!.name;
      if (row[name] !== null && row[name] !== undefined && row[name] !== "") continue;
      const value = cellValue(frame, j, i, kinds.get(name));
      if (value === null) continue;
      row[name] = value;
      filled.set(name, (filled.get(name) ?? 0) + 1);
    }
    await out.write(JSON.stringify(row) + "\n");
    i++;
  }
  return out.commit();
}
