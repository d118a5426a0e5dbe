/**
 * Cleaned rows (JSON lines) in and out of imputation frames: the cells of named columns
 * read into memory, and rows streamed back out with their missing feature cells filled
 * from an imputed frame, each in the row's own type.
 */
import { AtomicLineWriter, readLineBatches, readLinesChecked, requireSameHash } from "../../artifacts.js";
import { keyValueStart, type CleanRow } from "../../rows.js";
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
  const batches = typeof source === "string" ? readLineBatches(source) : readLinesChecked(source.path, (actual) => requireSameHash(source, actual, source.what));
  const columns = names.map((name) => ({ name, cells: cells.get(name)! }));
  for await (const lines of batches) {
    for (const line of lines) {
      const row = JSON.parse(line) as CleanRow;
      rows++;
      for (const { name, cells } of columns) {
        const v = row[name];
        cells.push(v === undefined || v === null || v === "" ? null : (v as Cell));
      }
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
  for await (const lines of readLinesChecked(source.path, (actual) => requireSameHash(source, actual, source.what))) {
    for (const line of lines) {
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

/** How many leading lines must read back exactly as JSON.stringify writes them before writeImputed edits lines as text. */
const CANONICAL_CHECK_LINES = 64;

/**
 * Line with the value of the key whose text is `key` (`"name":`) set to `json` when that
 * value is null or "" (a missing cell); the line itself when the cell holds a value; null
 * when the key is not in the line (an undefined cell; found as keyValueStart finds it); the
 * caller handles a line that may nest (`{` past its start, or `[`) on the parsed row.
 * @example spliceCell('{"a":null,"b":1}', '"a":', "2.5") // '{"a":2.5,"b":1}'
 */
export function spliceCell(line: string, key: string, json: string): string | null {
  const start = keyValueStart(line, key);
  if (start < 0) return null;
  const end = line.startsWith("null", start) ? start + 4 : line.startsWith('""', start) ? start + 2 : -1;
  if (end < 0 || (line[end] !== "," && line[end] !== "}")) return line;
  return line.slice(0, start) + json + line.slice(end);
}

/**
 * Streams `from` to `to`, filling each missing feature cell (null, undefined, "") of
 * `columns` from the imputed frame and counting the filled cells per column into `filled`.
 * `original` is the frame as read from `from` (before imputation): a row none of whose
 * `columns` is missing there is written as it was read, and a missing cell is set in the
 * line's text. Both are what JSON.stringify of the parsed and filled row writes when `from`
 * is JSON.stringify's text (the run's rows files are), which its first lines are checked to
 * be; otherwise, and for a line whose cell is absent or that may nest, the row is parsed,
 * filled and stringified. Answers the written file's ref (hash, bytes and rows counted while writing).
 */
export async function writeImputed(from: string, to: string, frame: Frame, columns: number[], kinds: Map<string, string>, filled: Map<string, number>, original: Frame): Promise<ArtifactRef> {
  const out = new AtomicLineWriter(to);
  const names = columns.map((j) => frame.columns[j]!.name);
  const keys = names.map((name) => `${JSON.stringify(name)}:`);
  const counts = columns.map(() => 0);
  const spliced = new Int32Array(columns.length);
  const firstFilled: number[] = [];
  const lastValue: Cell[] = columns.map(() => null);
  const lastJson: string[] = columns.map(() => "null");
  let asText = true;
  let i = 0;
  for await (const lines of readLineBatches(from)) {
    let written = "";
    for (const line of lines) {
      if (i < CANONICAL_CHECK_LINES && asText && JSON.stringify(JSON.parse(line)) !== line) asText = false;
      // The line with its missing cells set in its text (n of them: columns spliced[0..n)); null: parse it.
      let text: string | null = asText && line.indexOf("{", 1) < 0 && line.indexOf("[") < 0 ? line : null;
      let n = 0;
      for (let c = 0; c < columns.length && text !== null; c++) {
        const j = columns[c]!;
        if (!isMissing(original.columns[j]!, i)) continue;
        const value = cellValue(frame, j, i, kinds.get(names[c]!));
        if (value === null) continue;
        // A column filled with one value (mean, median, mode) stringifies it once.
        if (!Object.is(value, lastValue[c])) (lastValue[c] = value), (lastJson[c] = JSON.stringify(value));
        const next: string | null = spliceCell(text, keys[c]!, lastJson[c]!);
        if (next !== null && next !== text) spliced[n++] = c;
        text = next;
      }
      if (text === null) {
        const row = JSON.parse(line) as CleanRow;
        n = fillParsed(row, frame, columns, names, kinds, i, spliced);
        text = JSON.stringify(row);
      }
      for (let k = 0; k < n; k++) if (counts[spliced[k]!]!++ === 0) firstFilled.push(spliced[k]!);
      written += text + "\n";
      i++;
    }
    await out.write(written, lines.length);
  }
  // In the order the columns were first filled, as the map was filled a cell at a time.
  for (const c of firstFilled) filled.set(names[c]!, (filled.get(names[c]!) ?? 0) + counts[c]!);
  return out.commit();
}

/** Fills the parsed row's missing cells of `columns` from the frame's row i; answers how many, their positions in `columns` written to `into`. */
function fillParsed(row: CleanRow, frame: Frame, columns: number[], names: string[], kinds: Map<string, string>, i: number, into: Int32Array): number {
  let n = 0;
  columns.forEach((j, c) => {
    const name = names[c]!;
    if (row[name] !== null && row[name] !== undefined && row[name] !== "") return;
    const value = cellValue(frame, j, i, kinds.get(name));
    if (value === null) return;
    row[name] = value;
    into[n++] = c;
  });
  return n;
}
