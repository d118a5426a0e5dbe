/**
 * The rows the whole app passes around, in the order they are made: a CSV row as read
 * (RawRow, declared beside the CSV reader), a row after the prep script's `clean`
 * (CleanRow), and one fine-tuning example after `render` (AlpacaRecord).
 */
export type { RawRow } from "./table/csv.js";

/** One value of a cleaned row. */
export type CleanValue = string | number | boolean | null;
/** A row after `clean`: flat, JSON-safe values only. */
export type CleanRow = Record<string, CleanValue>;

/** One fine-tuning example, as `render` writes it. */
export interface AlpacaRecord {
  instruction: string;
  input: string;
  output: string;
}

/**
 * Where the value of the top-level key whose text is `key` (`"name":`) starts in `line`, a
 * flat row as JSON.stringify writes it; -1 when the key is not in the line. In that text a
 * `"` inside a string is escaped, so `"name":` after `{` or `,` is the key itself. Searched
 * from the end: JSON.parse keeps a repeated key's last value, and the target, which split and
 * balance read, is usually the last column.
 * @example keyValueStart('{"a":1,"b":2}', '"b":') // 11
 */
export function keyValueStart(line: string, key: string): number {
  let at = line.lastIndexOf(key);
  while (at > 0 && line[at - 1] !== "," && line[at - 1] !== "{") at = line.lastIndexOf(key, at - 1);
  return at <= 0 ? -1 : at + key.length;
}

/**
 * String() of the row's cell `name`, read from the row's line (a cleaned row as
 * JSON.stringify writes it) without parsing the whole line: the text of a string without
 * escapes, or the parsed text of a number, boolean or null. Any other line (one that may
 * nest, a cell with escapes, the key absent, other spacing) is parsed whole, so the answer
 * is always String((JSON.parse(line))[name]).
 * @example cellString('{"age":41,"churned":"yes"}', "churned") // "yes"
 */
export function cellString(line: string, name: string, key = `${JSON.stringify(name)}:`): string {
  const start = line.indexOf("{", 1) < 0 && line.indexOf("[") < 0 ? keyValueStart(line, key) : -1;
  const first = start < 0 ? -1 : line.charCodeAt(start);
  if (first === 34 /* " */) {
    let end = start + 1;
    for (let c = line.charCodeAt(end); end < line.length && c !== 34 && c !== 92; c = line.charCodeAt(++end));
    if (line.charCodeAt(end) === 34) return line.slice(start + 1, end);
  } else if (first === 45 || (first >= 48 && first <= 57) || first === 116 || first === 102 || first === 110) {
    let end = start + 1;
    for (let c = line.charCodeAt(end); end < line.length && c !== 44 && c !== 125; c = line.charCodeAt(++end));
    return String(JSON.parse(line.slice(start, end)) as CleanValue);
  }
  return String((JSON.parse(line) as CleanRow)[name]);
}
