/**
 * A CSV as typed columns (DESIGN §9): numbers in Float64Array with NaN for missing,
 * everything else as Int32Array codes (-1 = missing) into a dictionary. One streaming
 * pass; the file's sha256 is computed from the same bytes.
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import type { CsvOptions } from "./csv.js";
import { readRecords } from "./records.js";

export interface NumericColumn {
  name: string;
  index: number;
  type: "numeric";
  /** NaN = missing. */
  values: Float64Array;
  allIntegers: boolean;
}

export interface CategoricalColumn {
  name: string;
  index: number;
  type: "categorical";
  /** Index into `dictionary`; -1 = missing. */
  codes: Int32Array;
  /** Distinct non-missing cells (trimmed), in order of first appearance. */
  dictionary: string[];
}

export type Column = NumericColumn | CategoricalColumn;

export interface Table {
  path: string;
  sha256: string;
  rows: number;
  columns: Column[];
}

/**
 * The number a trimmed cell spells, or NaN. Decimal notation only: "1", "-2.5", ".5",
 * "1e3" are numbers; "0x1F", "Infinity", "1,000" and "" are not.
 * @example parseNumber("-2.5e1") // -25
 */
export function parseNumber(cell: string): number {
  if (cell === "") return NaN;
  const n = Number(cell);
  if (!Number.isFinite(n)) return NaN;
  const second = cell.length > 1 ? cell.charCodeAt(1) | 32 : 0;
  // Number() also reads 0x.., 0o.., 0b.. literals, which are not decimal data.
  if (cell.charCodeAt(0) === 48 && (second === 120 || second === 111 || second === 98)) return NaN;
  return n;
}

/**
 * A number written with a decimal comma ("3,5", "-0,25", ",5") in dot notation; any other
 * cell unchanged. Used only for files whose delimiter is ";" (European exports), where a
 * comma cannot be a field separator. Thousands separators ("1.234,5") are not read.
 * @example decimalCommaToDot("3,5") // "3.5"
 */
export function decimalCommaToDot(cell: string): string {
  return cell.includes(",") && DECIMAL_COMMA.test(cell) ? cell.replace(",", ".") : cell;
}
const DECIMAL_COMMA = /^[-+]?\d*,\d+(?:[eE][-+]?\d+)?$/;

/** Whether cells of a file read with `delimiter` may use decimal commas (CsvOptions.decimalComma, default on). */
export function usesDecimalComma(delimiter: string, opts: { decimalComma?: boolean }): boolean {
  return delimiter === ";" && opts.decimalComma !== false;
}

/** Past this many distinct values, a column that is numeric so far keeps numbers only. */
const DICTIONARY_LIMIT = 4096;

/**
 * Builds one column while streaming. Starts as dictionary codes (exact text kept);
 * a column whose dictionary grows past DICTIONARY_LIMIT while every entry is a number
 * switches to a Float64Array, so a million distinct floats never sit in a Map. If such a
 * column later meets text, earlier numbers go back to codes as their shortest decimal text.
 */
class ColumnBuilder {
  private codes: Int32Array<ArrayBuffer>;
  private values: Float64Array<ArrayBuffer> | null = null;
  private dictionary: string[] = [];
  private lookup: Map<string, number> | null = new Map();
  private dictNumbers: number[] = [];
  private allNumeric = true;
  private length = 0;

  /** `capacity`: rows expected (an estimate; the column grows past it when needed). */
  constructor(capacity = 1024) {
    this.codes = new Int32Array(Math.max(16, capacity));
  }

  push(cell: string | null): void {
    if (this.values !== null) return this.pushNumber(cell);
    if (this.length === this.codes.length) this.codes = grow(this.codes);
    if (cell === null) {
      this.codes[this.length++] = -1;
      return;
    }
    let code = this.lookup?.get(cell);
    if (code === undefined) {
      code = this.dictionary.length;
      this.dictionary.push(cell);
      this.lookup?.set(cell, code);
      const n = parseNumber(cell);
      this.dictNumbers.push(n);
      if (Number.isNaN(n)) this.allNumeric = false;
      if (this.allNumeric && this.dictionary.length > DICTIONARY_LIMIT) {
        this.codes[this.length++] = code;
        this.toNumbers();
        return;
      }
    }
    this.codes[this.length++] = code;
  }

  private pushNumber(cell: string | null): void {
    if (this.values === null) return;
    if (this.length === this.values.length) this.values = grow(this.values);
    const values = this.values;
    if (cell === null) {
      values[this.length++] = NaN;
      return;
    }
    const n = parseNumber(cell);
    if (Number.isNaN(n)) {
      this.toCodes();
      this.push(cell);
      return;
    }
    values[this.length++] = n;
  }

  private toNumbers(): void {
    const values = new Float64Array(Math.max(this.codes.length, 1024));
    for (let i = 0; i < this.length; i++) {
      const code = this.codes[i] ?? -1;
      values[i] = code < 0 ? NaN : (this.dictNumbers[code] ?? NaN);
    }
    this.values = values;
    this.codes = new Int32Array(0);
    this.dictionary = [];
    this.dictNumbers = [];
    this.lookup = null;
  }

  private toCodes(): void {
    const values = this.values ?? new Float64Array(0);
    const lookup = new Map<string, number>();
    const codes = new Int32Array(Math.max(values.length, 1024));
    this.dictionary = [];
    this.dictNumbers = [];
    for (let i = 0; i < this.length; i++) {
      const n = values[i] ?? NaN;
      if (Number.isNaN(n)) {
        codes[i] = -1;
        continue;
      }
      const text = String(n);
      let code = lookup.get(text);
      if (code === undefined) {
        code = this.dictionary.length;
        this.dictionary.push(text);
        this.dictNumbers.push(n);
        lookup.set(text, code);
      }
      codes[i] = code;
    }
    this.codes = codes;
    this.lookup = lookup;
    this.values = null;
    this.allNumeric = true;
  }

  finish(name: string, index: number): Column {
    if (this.values !== null) {
      const values = fit(this.values, this.length);
      return { name, index, type: "numeric", values, allIntegers: values.every((v) => Number.isNaN(v) || Number.isInteger(v)) };
    }
    const codes = fit(this.codes, this.length);
    if (this.allNumeric && this.dictionary.length > 0) {
      const values = new Float64Array(this.length);
      for (let i = 0; i < this.length; i++) {
        const code = codes[i] ?? -1;
        values[i] = code < 0 ? NaN : (this.dictNumbers[code] ?? NaN);
      }
      return { name, index, type: "numeric", values, allIntegers: this.dictNumbers.every((v) => Number.isInteger(v)) };
    }
    return { name, index, type: "categorical", codes, dictionary: this.dictionary };
  }
}

/** Capacity ×1.5: at most a third of a column's buffer is slack while reading. */
function grow(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer>;
function grow(array: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer>;
function grow(array: Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>): Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer> {
  const size = Math.ceil(array.length * 1.5) + 16;
  const next = array instanceof Int32Array ? new Int32Array(size) : new Float64Array(size);
  next.set(array);
  return next;
}

/** The first `length` entries: a view when the slack is small (no copy of a large column), else a copy. */
function fit<T extends Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(array: T, length: number): T {
  if (array.length - length <= array.length / 8) return array.subarray(0, length) as T;
  return array.slice(0, length) as T;
}

/**
 * Reads a CSV into typed columns in one streaming pass. A column is numeric when every
 * non-missing cell is a decimal number (see parseNumber); otherwise categorical. A column
 * with no non-missing cell is categorical with an empty dictionary.
 * @throws TabtuneError for a missing, empty, header-only or malformed file.
 */
export async function readTable(path: string, opts: CsvOptions): Promise<Table> {
  const missing = new Set(opts.missingTokens);
  const hash = createHash("sha256");
  let builders: ColumnBuilder[] = [];
  let header: string[] = [];
  let rows = 0;
  let decimalComma = false;
  for await (const batch of readRecords(path, hash)) {
    if (builders.length === 0) {
      header = batch.header;
      // Size the columns once from the first chunk's bytes per row, so a large file's
      // columns are not re-allocated ×1.5 again and again (each growth briefly holds two copies).
      const firstBytes = batch.records.reduce((sum, record) => sum + record.reduce((s, cell) => s + cell.length + 1, 0), 0);
      const expected = batch.records.length === 0 ? 1024 : Math.ceil((1.05 * statSync(path).size * batch.records.length) / Math.max(1, firstBytes));
      builders = header.map(() => new ColumnBuilder(expected));
      decimalComma = usesDecimalComma(batch.delimiter, opts);
    }
    for (const record of batch.records) {
      for (let c = 0; c < builders.length; c++) {
        const cell = (record[c] ?? "").trim();
        builders[c]?.push(missing.has(cell) ? null : decimalComma ? decimalCommaToDot(cell) : cell);
      }
    }
    rows += batch.records.length;
  }
  const columns = builders.map((b, i) => b.finish(header[i] ?? `column_${i + 1}`, i));
  return { path, sha256: hash.digest("hex"), rows, columns };
}

/** The cell at `row`: a number, the category text, or null when missing. */
export function columnValue(column: Column, row: number): string | number | null {
  if (column.type === "numeric") {
    const v = column.values[row];
    return v === undefined || Number.isNaN(v) ? null : v;
  }
  const code = column.codes[row] ?? -1;
  return code < 0 ? null : (column.dictionary[code] ?? null);
}
