/**
 * One column built while a CSV streams, a cell at a time (readTable in columns.ts).
 *
 * Modes, and why the result is the same whatever the path:
 * - "early": every column starts as numbers in a Float64Array. It stays there while every
 *   non-missing cell is a number; a number not spelled as String() writes it ("1.50", "+3",
 *   "3,5") is kept aside as an exception (row + text). The first text cell (or too many
 *   exceptions) turns it into codes exactly as if it had been read as codes from the start:
 *   each row's text is String(value) or its exception, so the dictionary, its order and the
 *   codes are those of the plain path. A 500-row numeric column therefore never builds a
 *   string dictionary (wide tables).
 * - "codes": dictionary codes with the exact text kept. A column whose dictionary grows past
 *   DICTIONARY_LIMIT while every entry is a number switches to "numbers", so a million
 *   distinct floats never sit in a Map.
 * - "numbers": a Float64Array; if text comes later, earlier numbers go back to codes as their
 *   shortest decimal text (String(value)).
 * The plain path is "codes" from the first cell; "early" only skips work it would not need.
 */
import { canonicalNumber, canonicalNumberIn, decimalCommaToDot, parseDecimal, parseNumber, simpleDecimal, simpleDecimalIn, trimmed, type CellRules } from "./cells.js";
import type { Column } from "./columns.js";
import { RangeLookup } from "./range-lookup.js";

/** Past this many distinct values, a column that is numeric so far keeps numbers only. */
const DICTIONARY_LIMIT = 4096;

type Mode = "early" | "codes" | "numbers";

export class ColumnBuilder {
  private mode: Mode = "early";
  private codes: Int32Array<ArrayBuffer> = new Int32Array(0);
  private values: Float64Array<ArrayBuffer>;
  /** Distinct non-missing cells as written (decimal commas are turned into dots in finish). */
  private dictionary: string[] = [];
  /** Cell text → code; missing tokens map to -1. */
  private lookup = new Map<string, number>();
  /** The dictionary's codes by a cell's position in its chunk (addRange). */
  private readonly ranges = new RangeLookup();
  /** The number each dictionary entry spells, NaN for text. */
  private dictNumbers: number[] = [];
  private allNumeric = true;
  private length = 0;
  /** Early mode: rows (ascending) whose number is not spelled as String() writes it, and their text. */
  private exceptionRows: number[] = [];
  private exceptionTexts: string[] = [];
  /** Early mode: the exception count at which their distinct texts are counted next (doubling). */
  private nextExceptionCheck = DICTIONARY_LIMIT + 1;
  /** Early mode: some cell was not missing. */
  private seen = false;

  /**
   * `capacity`: rows expected (an estimate; the column grows past it when needed), or the
   * numbers' first buffer itself (a view into one block shared by many columns: see
   * numberBuffers).
   */
  constructor(
    private readonly rules: CellRules,
    capacity: number | Float64Array<ArrayBuffer> = 1024,
  ) {
    this.values = typeof capacity === "number" ? new Float64Array(Math.max(16, capacity)) : capacity;
  }

  /** Makes room for `n` more cells, so add() never checks capacity (a mode switch keeps the capacity). */
  reserve(n: number): void {
    if (this.mode !== "codes") {
      if (this.length + n > this.values.length) this.values = grow(this.values, this.length + n);
    } else if (this.length + n > this.codes.length) this.codes = grow(this.codes, this.length + n);
  }

  /** Appends one raw (untrimmed) cell; reserve() first. */
  add(raw: string): void {
    const cell = trimmed(raw);
    if (this.mode === "early") {
      const rules = this.rules;
      if (rules.numericTokens && rules.missing.has(cell)) {
        this.values[this.length++] = NaN;
        return;
      }
      const fast = canonicalNumber(cell);
      if (fast === fast) {
        this.values[this.length++] = fast;
        this.seen = true;
        return;
      }
      if (this.addEarlySlow(cell)) return;
    }
    if (this.mode === "numbers") {
      const rules = this.rules;
      let n = rules.numericTokens && rules.missing.has(cell) ? NaN : parseDecimal(cell);
      if (n !== n && !rules.missing.has(cell)) {
        if (rules.decimalComma) n = parseNumber(decimalCommaToDot(cell));
        if (n !== n) this.toCodes();
      }
      if (this.mode === "numbers") {
        this.values[this.length++] = n;
        return;
      }
    }
    this.codes[this.length++] = this.lookup.get(cell) ?? this.addEntry(cell);
    if (this.allNumeric && this.dictionary.length > DICTIONARY_LIMIT) this.toNumbers();
  }

  /**
   * add(text.slice(start, end)), without making that string for the common number or a
   * category seen before: a cell with printable ASCII at both ends needs no trimming, and
   * without numeric missing tokens no dictionary text is a missing token and a number read
   * here is what add() would store (add() takes every other cell).
   */
  addRange(text: string, start: number, end: number): void {
    if (end > start && !this.rules.numericTokens) {
      const first = text.charCodeAt(start);
      const last = text.charCodeAt(end - 1);
      if (first > 32 && first < 127 && last > 32 && last < 127) {
        if (this.mode === "codes") {
          // A text seen before; a new one (or a missing token) takes add() and is indexed then.
          const code = this.ranges.find(this.dictionary, text, start, end);
          if (code >= 0) {
            this.codes[this.length++] = code;
            return;
          }
        } else if (this.mode === "early") {
          const fast = canonicalNumberIn(text, start, end);
          if (fast === fast) {
            this.values[this.length++] = fast;
            this.seen = true;
            return;
          }
        } else {
          const n = simpleDecimalIn(text, start, end);
          if (n === n) {
            this.values[this.length++] = n;
            return;
          }
        }
      }
    }
    this.add(text.slice(start, end));
  }

  /** Early mode, a cell that is not a canonical number: true when it was stored (still early or now numbers). */
  private addEarlySlow(cell: string): boolean {
    const rules = this.rules;
    if (rules.missing.has(cell)) {
      this.values[this.length++] = NaN;
      return true;
    }
    // A simple cell ("1.50", "+3", ".5") that canonicalNumber turned down is never spelled as String() writes it.
    let n = simpleDecimal(cell);
    let canonical = false;
    if (n !== n) {
      n = parseNumber(cell);
      if (n !== n && rules.decimalComma) n = parseNumber(decimalCommaToDot(cell));
      if (n !== n) {
        this.leaveEarly();
        return false;
      }
      canonical = String(n) === cell;
    }
    this.seen = true;
    this.values[this.length++] = n;
    if (!canonical) {
      this.exceptionRows.push(this.length - 1);
      this.exceptionTexts.push(cell);
      if (this.exceptionRows.length >= this.nextExceptionCheck) this.checkExceptions();
    }
    return true;
  }

  /**
   * Many exceptions: past DICTIONARY_LIMIT distinct exception texts the plain path holds
   * numbers by now (so they are not needed); mostly exceptions ("0.10", "0.20") cost more
   * than codes, so the column turns into codes now.
   */
  private checkExceptions(): void {
    this.nextExceptionCheck *= 2;
    if (new Set(this.exceptionTexts).size > DICTIONARY_LIMIT) this.earlyToNumbers();
    else if (this.exceptionRows.length * 8 > this.length) this.leaveEarly();
  }

  /** Early mode → numbers, as the plain path stands once its dictionary passed the limit. */
  private earlyToNumbers(): void {
    this.mode = "numbers";
    this.exceptionRows = [];
    this.exceptionTexts = [];
  }

  /**
   * Early mode → codes with each row's exact text (String(value) or its exception), as the
   * plain path would hold them now; numbers instead if that dictionary is past the limit.
   */
  private leaveEarly(): void {
    const values = this.values;
    const codes = new Int32Array(Math.max(values.length, 1024));
    this.dictionary = [];
    this.dictNumbers = [];
    this.lookup = new Map();
    this.seedMissing();
    let next = 0;
    for (let i = 0; i < this.length; i++) {
      const v = values[i] ?? NaN;
      if (v !== v) {
        codes[i] = -1;
        continue;
      }
      let text: string;
      if (this.exceptionRows[next] === i) text = this.exceptionTexts[next++] ?? String(v);
      else text = String(v);
      let code = this.lookup.get(text);
      if (code === undefined) {
        code = this.dictionary.length;
        this.dictionary.push(text);
        this.dictNumbers.push(v);
        this.lookup.set(text, code);
        if (this.dictionary.length > DICTIONARY_LIMIT) {
          this.earlyToNumbers();
          this.dictionary = [];
          this.dictNumbers = [];
          this.lookup = new Map();
          return;
        }
      }
      codes[i] = code;
    }
    this.exceptionRows = [];
    this.exceptionTexts = [];
    this.codes = codes;
    this.values = new Float64Array(0);
    this.mode = "codes";
    this.allNumeric = true;
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
    this.mode = "numbers";
    this.codes = new Int32Array(0);
    this.dictionary = [];
    this.dictNumbers = [];
    this.lookup = new Map();
  }

  private toCodes(): void {
    const values = this.values;
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
    this.values = new Float64Array(0);
    this.mode = "codes";
    this.allNumeric = true;
  }

  /** The column; the builder lets go of its buffers, so a column read as codes does not hold them beside its numbers. */
  finish(name: string, index: number): Column {
    const column = this.build(name, index);
    this.codes = new Int32Array(0);
    this.values = new Float64Array(0);
    this.lookup = new Map();
    this.dictionary = [];
    this.dictNumbers = [];
    this.exceptionRows = [];
    this.exceptionTexts = [];
    return column;
  }

  private build(name: string, index: number): Column {
    // A column with no non-missing cell is categorical with an empty dictionary, as read as codes.
    if (this.mode === "early" && !this.seen) return { name, index, type: "categorical", codes: new Int32Array(this.length).fill(-1), dictionary: [] };
    if (this.mode !== "codes") {
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

/** Rows per column up to which the columns' first buffers come from one block. */
const SHARED_BLOCK_ROWS = 65_536;

/**
 * The first number buffer of each of `columns` columns for `rows` expected rows. A wide table
 * (few rows each) gets views into one block: 20,000 separate Float64Array(525) cost ~0.45 s
 * to allocate, one block ~0.03 s. A column that turns into codes leaves its part of the
 * block unused while the table lives (at most SHARED_BLOCK_ROWS × 8 bytes a column).
 */
export function numberBuffers(columns: number, rows: number): (number | Float64Array<ArrayBuffer>)[] {
  const capacity = Math.max(16, rows);
  if (capacity > SHARED_BLOCK_ROWS || columns < 2) return new Array<number>(columns).fill(capacity);
  const block = new Float64Array(columns * capacity);
  return Array.from({ length: columns }, (_, c) => block.subarray(c * capacity, (c + 1) * capacity));
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
