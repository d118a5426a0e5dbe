/**
 * A CSV as typed columns (DESIGN §9): numbers in Float64Array with NaN for missing,
 * everything else as Int32Array codes (-1 = missing) into a dictionary. One streaming
 * pass; the file's sha256 is computed from the same bytes.
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import type { CsvOptions } from "./csv.js";
import { readRecords } from "./records.js";
import type { OnProgress } from "../events.js";

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

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * parseNumber, faster for the common cell: an optional sign, at most 15 digits and at most
 * one dot. Such a cell's digits make an integer m < 2^53 and its value is m / 10^k with
 * k ≤ 15; both are exact doubles and IEEE division rounds correctly, so the result is the
 * same double Number() gives (Clinger's fast path). Anything else goes to parseNumber.
 * @example parseDecimal("-12.50") // -12.5
 */
export function parseDecimal(cell: string): number {
  const n = cell.length;
  let i = 0;
  let code = cell.charCodeAt(0);
  const negative = code === 45; // "-"
  if (negative || code === 43) i = 1; // "+"
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < n; i++) {
    code = cell.charCodeAt(i);
    const digit = code - 48;
    if (digit >= 0 && digit <= 9) {
      mantissa = mantissa * 10 + digit;
      digits++;
      if (dot) fraction++;
    } else if (code === 46 && !dot) dot = true;
    else return parseNumber(cell);
  }
  if (digits === 0 || digits > 15) return parseNumber(cell);
  const value = fraction === 0 ? mantissa : mantissa / (POWERS_OF_TEN[fraction] ?? NaN);
  return negative ? -value : value;
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

/** How the cells of one file are read (the same for every column). */
interface CellRules {
  /** Trimmed cells equal to one of these are missing. */
  missing: ReadonlySet<string>;
  /** Some missing token spells a number ("-999"), so numbers are checked against the tokens first. */
  numericTokens: boolean;
  /** Numbers may be written "3,5" (see decimalCommaToDot). */
  decimalComma: boolean;
}

function cellRules(opts: CsvOptions, decimalComma: boolean): CellRules {
  const spell = (token: string) => (decimalComma ? decimalCommaToDot(token) : token);
  return {
    missing: new Set(opts.missingTokens),
    numericTokens: opts.missingTokens.some((token) => !Number.isNaN(parseNumber(spell(token.trim())))),
    decimalComma,
  };
}

/**
 * `cell` without surrounding whitespace. Most cells start and end with a printable ASCII
 * character and are returned as they are, without a call to trim().
 */
export function trimmed(cell: string): string {
  const n = cell.length;
  if (n === 0) return cell;
  const first = cell.charCodeAt(0);
  const last = cell.charCodeAt(n - 1);
  return first > 32 && first < 127 && last > 32 && last < 127 ? cell : cell.trim();
}

/**
 * Builds one column while streaming, a cell at a time. Starts as dictionary codes (exact
 * text kept); a column whose dictionary grows past DICTIONARY_LIMIT while every entry is a
 * number switches to a Float64Array, so a million distinct floats never sit in a Map. If
 * such a column later meets text, earlier numbers go back to codes as their shortest
 * decimal text.
 */
class ColumnBuilder {
  private codes: Int32Array<ArrayBuffer>;
  private values: Float64Array<ArrayBuffer> | null = null;
  /** Distinct non-missing cells as written (decimal commas are turned into dots in finish). */
  private dictionary: string[] = [];
  /** Cell text → code; missing tokens map to -1. */
  private lookup = new Map<string, number>();
  /** The number each dictionary entry spells, NaN for text. */
  private dictNumbers: number[] = [];
  private allNumeric = true;
  private length = 0;

  /** `capacity`: rows expected (an estimate; the column grows past it when needed). */
  constructor(
    private readonly rules: CellRules,
    capacity = 1024,
  ) {
    this.codes = new Int32Array(Math.max(16, capacity));
    this.seedMissing();
  }

  /** Makes room for `n` more cells, so add() never checks capacity (a mode switch keeps the capacity). */
  reserve(n: number): void {
    if (this.values !== null) {
      if (this.length + n > this.values.length) this.values = grow(this.values, this.length + n);
    } else if (this.length + n > this.codes.length) this.codes = grow(this.codes, this.length + n);
  }

  /** Appends one raw (untrimmed) cell; reserve() first. */
  add(raw: string): void {
    const cell = trimmed(raw);
    if (this.values !== null) {
      const rules = this.rules;
      let n = rules.numericTokens && rules.missing.has(cell) ? NaN : parseDecimal(cell);
      if (n !== n && !rules.missing.has(cell)) {
        if (rules.decimalComma) n = parseNumber(decimalCommaToDot(cell));
        if (n !== n) this.toCodes();
      }
      if (this.values !== null) {
        this.values[this.length++] = n;
        return;
      }
    }
    this.codes[this.length++] = this.lookup.get(cell) ?? this.addEntry(cell);
    if (this.allNumeric && this.dictionary.length > DICTIONARY_LIMIT) this.toNumbers();
  }

  /** A new dictionary entry for a cell not seen before (and not a missing token). */
  private addEntry(cell: string): number {
    const code = this.dictionary.length;
    this.dictionary.push(cell);
    this.lookup.set(cell, code);
    const n = parseNumber(this.rules.decimalComma ? decimalCommaToDot(cell) : cell);
    this.dictNumbers.push(n);
    if (Number.isNaN(n)) this.allNumeric = false;
    return code;
  }

  private seedMissing(): void {
    for (const token of this.rules.missing) this.lookup.set(token, -1);
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
    this.lookup = new Map();
  }

  private toCodes(): void {
    const values = this.values ?? new Float64Array(0);
    const codes = new Int32Array(Math.max(values.length, 1024));
    this.dictionary = [];
    this.dictNumbers = [];
    this.lookup = new Map();
    this.seedMissing();
    const byNumber = new Map<string, number>();
    for (let i = 0; i < this.length; i++) {
      const n = values[i] ?? NaN;
      if (Number.isNaN(n)) {
        codes[i] = -1;
        continue;
      }
      const text = String(n);
      let code = byNumber.get(text);
      if (code === undefined) {
        code = this.dictionary.length;
        this.dictionary.push(text);
        this.dictNumbers.push(n);
        byNumber.set(text, code);
        // A later cell spelled exactly like this number is the same entry.
        if (!this.lookup.has(text)) this.lookup.set(text, code);
      }
      codes[i] = code;
    }
    this.codes = codes;
    this.values = null;
    this.allNumeric = true;
  }

  /** The column; the builder lets go of its buffers, so a column read as codes does not hold them beside its numbers. */
  finish(name: string, index: number): Column {
    const column = this.build(name, index);
    this.codes = new Int32Array(0);
    this.values = null;
    this.lookup = new Map();
    this.dictionary = [];
    this.dictNumbers = [];
    return column;
  }

  private build(name: string, index: number): Column {
    if (this.values !== null) {
      const values = fit(this.values, this.length);
      let allIntegers = true;
      for (let i = 0; i < values.length && allIntegers; i++) {
        const v = values[i] ?? NaN;
        allIntegers = Number.isNaN(v) || Number.isInteger(v);
      }
      return { name, index, type: "numeric", values, allIntegers };
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
    const dictionary = this.rules.decimalComma ? mergeSpellings(codes, this.dictionary.map(decimalCommaToDot)) : this.dictionary;
    return { name, index, type: "categorical", codes, dictionary };
  }
}

/**
 * A dictionary whose entries may now repeat ("3,5" and "3.5" both read "3.5") as distinct
 * entries, codes rewritten in place; unchanged when nothing repeats.
 */
function mergeSpellings(codes: Int32Array, dictionary: string[]): string[] {
  const first = new Map<string, number>();
  const remap = new Int32Array(dictionary.length);
  const merged: string[] = [];
  dictionary.forEach((text, i) => {
    const at = first.get(text) ?? merged.length;
    if (at === merged.length) {
      first.set(text, at);
      merged.push(text);
    }
    remap[i] = at;
  });
  if (merged.length === dictionary.length) return dictionary;
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] ?? -1;
    if (code >= 0) codes[i] = remap[code] ?? code;
  }
  return merged;
}

/** Capacity ×1.5 (at least `needed`): at most a third of a column's buffer is slack while reading. */
function grow(array: Int32Array<ArrayBuffer>, needed: number): Int32Array<ArrayBuffer>;
function grow(array: Float64Array<ArrayBuffer>, needed: number): Float64Array<ArrayBuffer>;
function grow(array: Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>, needed: number): Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer> {
  const size = Math.max(needed, Math.ceil(array.length * 1.5) + 16);
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
export async function readTable(path: string, opts: CsvOptions, onProgress?: OnProgress): Promise<Table> {
  const hash = createHash("sha256");
  let builders: ColumnBuilder[] = [];
  let header: string[] = [];
  let rows = 0;
  for await (const batch of readRecords(path, hash)) {
    if (builders.length === 0) {
      header = batch.header;
      // Size the columns once from the first chunk's bytes per row, so a large file's
      // columns are not re-allocated ×1.5 again and again (each growth briefly holds two copies).
      const firstBytes = batch.records.reduce((sum, record) => sum + record.reduce((s, cell) => s + cell.length + 1, 0), 0);
      const expected = batch.records.length === 0 ? 1024 : Math.ceil((1.05 * statSync(path).size * batch.records.length) / Math.max(1, firstBytes));
      const rules = cellRules(opts, usesDecimalComma(batch.delimiter, opts));
      builders = header.map(() => new ColumnBuilder(rules, expected));
    }
    const records = batch.records;
    for (const builder of builders) builder.reserve(records.length);
    // Row by row: a row's cells lie together in memory (column by column measured ~2× slower).
    for (let r = 0; r < records.length; r++) {
      const record = records[r] ?? [];
      for (let c = 0; c < builders.length; c++) builders[c]?.add(record[c] ?? "");
    }
    rows += batch.records.length;
    onProgress?.(rows);
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
