/**
 * The wire encoding between host and isolate: a batch of rows goes in as one JSON text
 * (rows with the same keys share a shape, see harness.ts), or CSV cells as one joined
 * string; the harness's answer comes back as text, checked here (run ops) or in
 * text-answer.ts (prep ops) because it is untrusted.
 */
import { toRawRow } from "../table/csv.js";
import { CELL_SEPARATOR, MAX_ROW_CHARS } from "./harness.js";
import { clip } from "./limits.js";
import { isRecord, type Checked } from "./validate.js";

/** A failure the harness reported for one row (or the batch). */
export interface FailedEnvelope {
  kind: "failed";
  op: "clean" | "render" | undefined;
  rowIndex: number | null;
  error: string | undefined;
  /** A result of the wrong shape (unsupported values tagged), for the host to name. */
  invalid: unknown;
  /** For a render failure in `prep`: the cleaned row it was given. */
  cleaned: unknown;
}

/** What the harness answers for a batch, once checked; `shapes` are the key lists of cleaned rows. */
export type Envelope = { kind: "rows"; shapes: unknown[]; rows: unknown[] } | FailedEnvelope;

/** A batch ready to cross: the entry's arguments after the op, its row count, and each input row (for messages). */
export interface EncodedBatch {
  /** JSON rows (`[batchJson]`), cells as text (`[headerJson, cellsText, nullsJson, count]`) or lines (`[linesText, count]`), see harness.ts. */
  args: (string | number)[];
  /** Whether `args` are cells as text (the "prepCells" op). */
  cellsText: boolean;
  size: number;
  row(index: number): unknown;
}

/**
 * A batch of row objects as the harness reads it: `{"shapes":[[key, …]],"rows":[[shape, value, …]]}`
 * (see harness.ts). Rows with the same keys in the same order share a shape.
 */
export function encodeBatch(rows: readonly unknown[]): string {
  const shapes: string[][] = [];
  const encoded: unknown[][] = new Array<unknown[]>(rows.length);
  let last: string[] | null = null;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const record: Record<string, unknown> = isRecord(row) ? row : {};
    const keys = Object.keys(record);
    if (last === null || keys.length !== last.length || keys.some((key, k) => key !== last?.[k])) {
      last = keys;
      shapes.push(keys);
    }
    const values: unknown[] = new Array<unknown>(keys.length + 1);
    values[0] = shapes.length - 1;
    for (let k = 0; k < keys.length; k++) values[k + 1] = record[keys[k] ?? ""];
    encoded[i] = values;
  }
  return JSON.stringify({ shapes, rows: encoded });
}

export function objectBatch(rows: readonly unknown[]): EncodedBatch {
  return { args: [encodeBatch(rows)], cellsText: false, size: rows.length, row: (index) => rows[index] ?? null };
}

/** A row object of `cells` under `header`, built only when a message needs one. */
function cellRow(header: readonly string[], cells: readonly (string | null)[][]): (index: number) => unknown {
  return (index) => {
    const values = cells[index];
    return values === undefined ? null : toRawRow(header, values);
  };
}

/**
 * CSV cells under one header as a batch (one shape), encoded without building row
 * objects; a row object is built only when a message needs one.
 */
export function cellBatch(header: readonly string[], cells: readonly (string | null)[][]): EncodedBatch {
  const rows: (number | string | null)[][] = new Array<(number | string | null)[]>(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const values = cells[i] ?? [];
    const row: (number | string | null)[] = new Array<number | string | null>(values.length + 1);
    row[0] = 0;
    for (let k = 0; k < values.length; k++) row[k + 1] = values[k] ?? null;
    rows[i] = row;
  }
  // One JSON.stringify for the whole batch: ~30% faster than joining per-row texts.
  return { args: [JSON.stringify({ shapes: [header], rows })], cellsText: false, size: cells.length, row: cellRow(header, cells) };
}

/** cleaned.jsonl lines for the "renderLines" op, joined by "\n"; a row object (parsed) only for a message. */
export function lineBatch(lines: readonly string[]): EncodedBatch {
  return {
    args: [lines.join("\n"), lines.length],
    cellsText: false,
    size: lines.length,
    row: (index) => {
      try {
        return JSON.parse(lines[index] ?? "null");
      } catch {
        return lines[index] ?? null;
      }
    },
  };
}

/**
 * CSV cells under one header as text for the "prepCells" op: every cell (header.length a
 * row; null as "" with its flat index listed) joined by CELL_SEPARATOR, so the isolate
 * splits one string instead of parsing JSON. Null when a cell holds the separator (the
 * batch then goes as cellBatch).
 */
export function cellTextBatch(header: readonly string[], cells: readonly (string | null)[][]): EncodedBatch | null {
  const width = header.length;
  const parts: string[] = new Array<string>(cells.length * width);
  const nulls: number[] = [];
  let j = 0;
  for (let i = 0; i < cells.length; i++) {
    const values = cells[i] ?? [];
    for (let k = 0; k < width; k++, j++) {
      const cell = values[k] ?? null;
      if (cell === null) {
        nulls.push(j);
        parts[j] = "";
      } else if (cell.includes(CELL_SEPARATOR)) return null;
      else parts[j] = cell;
    }
  }
  return {
    args: [JSON.stringify(header), parts.join(CELL_SEPARATOR), JSON.stringify(nulls), cells.length],
    cellsText: true,
    size: cells.length,
    row: cellRow(header, cells),
  };
}

/** Parses and checks the harness's answer; it is untrusted text. */
export function parseEnvelope(text: unknown, rowCount: number): Checked<Envelope> {
  const broken = (why: string): Checked<Envelope> => ({ ok: false, error: `the sandbox answered ${why}` });
  if (typeof text !== "string") return broken("something other than text");
  if (text.length > (2 * rowCount + 1) * (MAX_ROW_CHARS + 64)) return broken(`${text.length} characters, more than allowed`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return broken("text that is not JSON");
  }
  if (!isRecord(parsed)) return broken("JSON that is not an object");
  const shapes: unknown[] = Array.isArray(parsed.shapes) ? parsed.shapes : [];
  if (parsed.ok === true && Array.isArray(parsed.rows)) {
    if (parsed.rows.length !== rowCount) return broken(`${parsed.rows.length} results for ${rowCount} rows`);
    return { ok: true, value: { kind: "rows", shapes, rows: parsed.rows } };
  }
  const { rowIndex, error, op } = parsed;
  const indexOk = rowIndex === null || (typeof rowIndex === "number" && Number.isInteger(rowIndex) && rowIndex >= 0 && rowIndex < rowCount);
  const opOk = op === undefined || op === "clean" || op === "render";
  const hasInvalid = Object.hasOwn(parsed, "invalid");
  if (parsed.ok === false && indexOk && opOk && (typeof error === "string" || (hasInvalid && rowIndex !== null))) {
    return {
      ok: true,
      value: {
        kind: "failed",
        op,
        rowIndex,
        error: typeof error === "string" ? clip(error) : undefined,
        invalid: hasInvalid ? parsed.invalid : undefined,
        cleaned: Object.hasOwn(parsed, "cleaned") ? parsed.cleaned : undefined,
      },
    };
  }
  return broken("an envelope of the wrong shape");
}
