/**
 * Row-level reading of a CSV: batches of header-keyed rows with trimmed cells and
 * missing tokens turned into null. Parsing and its errors live in records.ts.
 */
import { decimalCommaToDot, trimmed, usesDecimalComma } from "./cells.js";
import { readRecords } from "./records.js";

export interface CsvOptions {
  /** Cells equal to one of these after trimming are missing (config csv.missingTokens). */
  missingTokens: string[];
  /** Rows per yielded batch. */
  batchRows: number;
  /** In ";"-delimited files, read "3,5" as 3.5 (config csv.decimalComma; default true). */
  decimalComma?: boolean;
}

/** Header name → trimmed cell, null when missing. */
export type RawRow = Record<string, string | null>;

/** One record as trimmed cells, null when missing; `decimalComma`: numbers written "3,5" become "3.5" (see decimalCommaToDot). */
function toCells(width: number, record: string[], missing: ReadonlySet<string>, decimalComma: boolean): (string | null)[] {
  const cells: (string | null)[] = new Array<string | null>(width);
  for (let c = 0; c < width; c++) {
    const cell = trimmed(record[c] ?? "");
    cells[c] = missing.has(cell) ? null : decimalComma ? decimalCommaToDot(cell) : cell;
  }
  return cells;
}

/** Cells under `header` as a row object. */
export function toRawRow(header: readonly string[], cells: readonly (string | null)[]): RawRow {
  const row: RawRow = {};
  for (let c = 0; c < header.length; c++) {
    const key = header[c] ?? String(c);
    // A column named __proto__ must be an own cell, not a write to the object's prototype.
    if (key === "__proto__") Object.defineProperty(row, key, { value: cells[c] ?? null, enumerable: true, writable: true, configurable: true });
    else row[key] = cells[c] ?? null;
  }
  return row;
}

/**
 * Streams a CSV as batches of at most `opts.batchRows` rows of cells (trimmed, null when
 * missing) under the header; `firstLine` is the 1-based file line of the batch's first
 * row (the header is line 1). Rows are yielded in file order; blank lines are skipped.
 * Throws TabtuneError on a malformed file.
 */
export async function* streamCsvCells(
  path: string,
  opts: CsvOptions,
): AsyncGenerator<{ header: string[]; cells: (string | null)[][]; firstLine: number }> {
  const missing = new Set(opts.missingTokens);
  const size = Math.max(1, opts.batchRows);
  let header: string[] = [];
  let cells: (string | null)[][] = [];
  let firstLine = 0;
  for await (const batch of readRecords(path)) {
    header = batch.header;
    const decimalComma = usesDecimalComma(batch.delimiter, opts);
    for (let i = 0; i < batch.records.length; i++) {
      if (cells.length === 0) firstLine = batch.lines[i] ?? 0;
      cells.push(toCells(header.length, batch.records[i] ?? [], missing, decimalComma));
      if (cells.length >= size) {
        yield { header, cells, firstLine };
        cells = [];
      }
    }
  }
  if (cells.length > 0) yield { header, cells, firstLine };
}

/** streamCsvCells as header-keyed row objects. */
export async function* streamCsvRows(path: string, opts: CsvOptions): AsyncGenerator<{ rows: RawRow[]; firstLine: number }> {
  for await (const { header, cells, firstLine } of streamCsvCells(path, opts)) yield { rows: cells.map((row) => toRawRow(header, row)), firstLine };
}

/** The header's column names (trimmed), reading no further than needed. */
export async function readCsvHeader(path: string): Promise<string[]> {
  for await (const batch of readRecords(path)) return batch.header;
  // readRecords throws on a file without a header before getting here.
  return [];
}

/** The first `n` data rows, for the profile's sample (reads no further than needed). */
export async function readTableSample(path: string, opts: CsvOptions, n: number): Promise<RawRow[]> {
  const out: RawRow[] = [];
  if (n <= 0) return out;
  const missing = new Set(opts.missingTokens);
  for await (const batch of readRecords(path)) {
    for (const record of batch.records) {
      out.push(toRawRow(batch.header, toCells(batch.header.length, record, missing, usesDecimalComma(batch.delimiter, opts))));
      if (out.length >= n) return out;
    }
  }
  return out;
}
