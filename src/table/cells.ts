/**
 * How one CSV cell is read: trimming, decimal numbers (with a fast path for the common
 * cell), decimal commas and missing tokens. Pure functions; columns.ts re-exports them.
 */
import type { CsvOptions } from "./csv.js";

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
 * The number of a "simple" cell, an optional sign, at most 15 digits and at most one dot,
 * else NaN (not necessarily no number: "1e3" is not simple). Such a cell's digits make an
 * integer m < 2^53 and its value is m / 10^k with k ≤ 15; both are exact doubles and IEEE
 * division rounds correctly, so the result is the same double Number() gives (Clinger's
 * fast path).
 * @example simpleDecimal("-12.50") // -12.5
 */
export function simpleDecimal(cell: string): number {
  return simpleDecimalIn(cell, 0, cell.length);
}

/** simpleDecimal of `text.slice(start, end)`, without making that string. */
export function simpleDecimalIn(text: string, start: number, end: number): number {
  const n = end;
  let i = start;
  let code = start < end ? text.charCodeAt(start) : NaN;
  const negative = code === 45; // "-"
  if (negative || code === 43) i = start + 1; // "+"
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < n; i++) {
    code = text.charCodeAt(i);
    const digit = code - 48;
    if (digit >= 0 && digit <= 9) {
      mantissa = mantissa * 10 + digit;
      digits++;
      if (dot) fraction++;
    } else if (code === 46 && !dot) dot = true;
    else return NaN;
  }
  if (digits === 0 || digits > 15) return NaN;
  const value = fraction === 0 ? mantissa : mantissa / (POWERS_OF_TEN[fraction] ?? NaN);
  return negative ? -value : value;
}

/**
 * parseNumber, faster for the common cell (simpleDecimal first).
 * @example parseDecimal("-12.50") // -12.5
 */
export function parseDecimal(cell: string): number {
  const value = simpleDecimal(cell);
  return value === value ? value : parseNumber(cell);
}

/**
 * The number a cell spells when the cell is exactly how String() writes that number
 * ("12", "-0.5", "0.000001"), else NaN. A fast check for the common cell: at most 15
 * digits (so the digits are the double's shortest spelling), no "+", no leading or
 * trailing zeros, no "-0", nothing below 1e-6 (String() writes exponents there). A NaN
 * does not mean the cell is no number: callers compare String(parseNumber(cell)) then.
 * @example canonicalNumber("-0.5") // -0.5
 * @example canonicalNumber("0.50") // NaN (String(0.5) is "0.5")
 */
export function canonicalNumber(cell: string): number {
  return canonicalNumberIn(cell, 0, cell.length);
}

/** canonicalNumber of `text.slice(start, end)`, without making that string. */
export function canonicalNumberIn(text: string, start: number, end: number): number {
  const n = end;
  const negative = start < end && text.charCodeAt(start) === 45; // "-"
  let i = negative ? start + 1 : start;
  const intStart = i;
  let mantissa = 0;
  for (; i < n; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    mantissa = mantissa * 10 + digit;
  }
  const intDigits = i - intStart;
  if (intDigits === 0 || (intDigits > 1 && text.charCodeAt(intStart) === 48)) return NaN;
  let fraction = 0;
  if (i < n) {
    if (text.charCodeAt(i) !== 46) return NaN; // "."
    for (i++; i < n; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return NaN;
      mantissa = mantissa * 10 + digit;
      fraction++;
    }
    if (fraction === 0 || text.charCodeAt(n - 1) === 48) return NaN;
  }
  if (intDigits + fraction > 15) return NaN;
  if (mantissa === 0) return negative ? NaN : 0;
  const value = fraction === 0 ? mantissa : mantissa / (POWERS_OF_TEN[fraction] ?? NaN);
  if (value < 1e-6) return NaN;
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

/** How the cells of one file are read (the same for every column). */
export interface CellRules {
  /** Trimmed cells equal to one of these are missing. */
  missing: ReadonlySet<string>;
  /** Some missing token spells a number ("-999"), so numbers are checked against the tokens first. */
  numericTokens: boolean;
  /** Numbers may be written "3,5" (see decimalCommaToDot). */
  decimalComma: boolean;
}

export function cellRules(opts: CsvOptions, decimalComma: boolean): CellRules {
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
