/**
 * Cells of the CSV and text files tabtune writes, made safe to open in a spreadsheet.
 * A text cell starting with = + - @ (or a tab or carriage return) is read by Excel,
 * LibreOffice and Google Sheets as a formula ("CSV injection"); OWASP's advice is to
 * prefix it with a single quote, which the spreadsheet then shows as text.
 * https://owasp.org/www-community/attacks/CSV_Injection
 */

/** Leading characters a spreadsheet takes as the start of a formula, plus the quote itself (see spreadsheetSafe). */
const NEEDS_PREFIX = /^[=+\-@\t\r']/;

/**
 * A text cell a spreadsheet shows as text: `'` before a leading = + - @ tab or CR.
 * A cell already starting with `'` gets one more, so fromSpreadsheetSafe can always
 * remove exactly one. Only for text: numbers such as -3.5 are written as numbers (csvCell).
 * @example spreadsheetSafe("=cmd|' /C calc'!A0") // "'=cmd|' /C calc'!A0"
 * @example spreadsheetSafe("income") // "income"
 */
export function spreadsheetSafe(text: string): string {
  return NEEDS_PREFIX.test(text) ? `'${text}` : text;
}

/**
 * The text spreadsheetSafe was given, for tabtune reading its own files back.
 * @example fromSpreadsheetSafe("'=cmd") // "=cmd"
 */
export function fromSpreadsheetSafe(cell: string): string {
  return cell.startsWith("'") && NEEDS_PREFIX.test(cell.slice(1)) ? cell.slice(1) : cell;
}

/**
 * One cell of a comma-separated line: text made spreadsheet-safe, then quoted when it
 * holds a quote, comma or line end; numbers and booleans as they are; null as empty.
 * @example csvCell("-x") // "'-x"
 * @example csvCell(-3.5) // "-3.5"
 * @example csvCell('a "b", c') // '"a ""b"", c"'
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return "";
  if (typeof value !== "string") return String(value);
  const text = spreadsheetSafe(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
