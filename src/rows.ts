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
