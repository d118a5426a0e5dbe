/**
 * The host's check of a prep answer (harness.ts, the "prep" and "prepCells" ops): a head
 * line `{"ok":true,"shapes":[…],"ids":[…]}`, then one JSON line per kept row, then one per
 * record (a renderLines answer: `{"ok":true}` and the records). The lines are what cleanCsv writes, so instead of parsing them (and stringifying
 * again) each line is matched, in place, against a pattern built from its key list: the
 * keys exactly, in order, and JSON scalars as values (strings with JSON.stringify's
 * escapes only and no lone surrogate, finite numbers, true, false, null). What passes is
 * data that checkCleanBatch / checkRenderBatch would accept, written the way
 * JSON.stringify writes it; the few lines a pattern cannot prove finite (an exponent of
 * 300 or more) are parsed and checked value by value.
 */
import type { CleanRow } from "../rows.js";
import { MAX_ROW_CHARS } from "./harness.js";
import { checkCleanResult, checkShape, isRecord } from "./validate.js";

/** A JSON string as JSON.stringify writes it: escapes for `"`, `\`, controls and lone surrogates only. */
const STRING = String.raw`"(?:[^"\\\x00-\x1f\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff]|\\["\\bfnrt]|\\u[0-9a-f]{4})*"`;
/**
 * A number as JS writes a finite one: at most 21 integer digits without an exponent, one
 * digit before the point with one. Finite whenever the exponent is below +300.
 */
const NUMBER = String.raw`-?(?:(?:0|[1-9][0-9]{0,20})(?:\.[0-9]+)?|[1-9](?:\.[0-9]+)?e[+-][0-9]{1,3})`;
const VALUE = `(?:${STRING}|${NUMBER}|true|false|null)`;
/** A record line: exactly instruction, input and output, strings. */
const RECORD = new RegExp(String.raw`\{"instruction":${STRING},"input":${STRING},"output":${STRING}\}\n`, "y");
/** An exponent of +300 or more: the number may be too large for the patterns to prove it finite. */
const LARGE_EXPONENT = /e\+[3-9][0-9]{2}/;
/** Key lists whose patterns are kept (a script whose rows all differ still gets one compiled per shape). */
const MAX_PATTERNS = 256;

/** A checked prep answer: per input row whether clean kept it, the cleaned lines and the records' JSON texts. */
export type TextAnswer =
  | { ok: true; kept: boolean[]; cleanedLines: string; records: string[] }
  /** index: the input row, or null; cleaned: for a record, the cleaned row render was given. */
  | { ok: false; error: string; index: number | null; op: "clean" | "render" | null; cleaned: CleanRow | null };

/** Patterns of cleaned lines, by key list, for one sandbox. */
export class LinePatterns {
  readonly #byKeys = new Map<string, RegExp>();

  /** The sticky pattern of a cleaned line with `keys` (checked by checkShape), ending in "\n". */
  of(keys: readonly string[]): RegExp {
    const id = JSON.stringify(keys);
    let pattern = this.#byKeys.get(id);
    if (pattern === undefined) {
      let source = "\\{";
      for (let k = 0; k < keys.length; k++) source += `${k === 0 ? "" : ","}${escapeRegExp(JSON.stringify(keys[k]))}:${VALUE}`;
      pattern = new RegExp(`${source}\\}\\n`, "y");
      if (this.#byKeys.size >= MAX_PATTERNS) this.#byKeys.clear();
      this.#byKeys.set(id, pattern);
    }
    return pattern;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** Whether `pattern` matches `text` exactly at `at`; its lastIndex is then where the match ends. */
function matchesAt(pattern: RegExp, text: string, at: number): boolean {
  pattern.lastIndex = at;
  return pattern.test(text);
}

/**
 * Checks the text answer to a prep op over `rowCount` rows (with `withRender`, records
 * follow the cleaned lines). A failure names the input row where it can.
 */
export function checkTextAnswer(text: string, rowCount: number, withRender: boolean, patterns: LinePatterns): TextAnswer {
  const broken = (why: string, index: number | null = null, op: "clean" | "render" | null = null, cleaned: CleanRow | null = null): TextAnswer => ({
    ok: false,
    error: `the sandbox answered ${why}`,
    index,
    op,
    cleaned,
  });
  if (text.length > (2 * rowCount + 1) * (MAX_ROW_CHARS + 64)) return broken(`${text.length} characters, more than allowed`);
  const headEnd = text.indexOf("\n");
  let head: unknown;
  try {
    head = JSON.parse(text.slice(0, headEnd < 0 ? text.length : headEnd));
  } catch {
    return broken("text that is not JSON");
  }
  if (headEnd < 0 || !isRecord(head) || head.ok !== true || !Array.isArray(head.shapes) || !Array.isArray(head.ids)) return broken("an envelope of the wrong shape");
  if (head.ids.length !== rowCount) return broken(`${head.ids.length} results for ${rowCount} rows`);
  const linePatterns: RegExp[] = [];
  for (const shape of head.shapes) {
    const checked = checkShape(shape);
    if (!checked.ok) return { ok: false, error: checked.error, index: null, op: "clean", cleaned: null };
    linePatterns.push(patterns.of(checked.value));
  }
  const kept: boolean[] = new Array<boolean>(rowCount);
  const keptIndex: number[] = [];
  let at = headEnd + 1;
  for (let i = 0; i < rowCount; i++) {
    const id: unknown = head.ids[i];
    if (id === -1) {
      kept[i] = false;
      continue;
    }
    const pattern = typeof id === "number" ? linePatterns[id] : undefined;
    if (pattern === undefined || !matchesAt(pattern, text, at)) return broken("a cleaned row of the wrong shape", i, "clean");
    at = pattern.lastIndex;
    kept[i] = true;
    keptIndex.push(i);
  }
  const cleanedLines = text.slice(headEnd + 1, at);
  if (LARGE_EXPONENT.test(cleanedLines)) {
    const lines = cleanedLines.split("\n");
    for (let k = 0; k < keptIndex.length; k++) {
      // JSON.parse reads 1e999 as Infinity, which checkCleanResult refuses.
      const checked = checkCleanResult(JSON.parse(lines[k] ?? "null"));
      if (!checked.ok) return { ok: false, error: checked.error, index: keptIndex[k] ?? null, op: "clean", cleaned: null };
    }
  }
  const records: string[] = [];
  if (withRender) {
    const read = readRecords(text, at, keptIndex.length, records);
    if (read.failedAt !== null) {
      const k = read.failedAt;
      const cleaned = checkCleanResult(JSON.parse(cleanedLines.split("\n")[k] ?? "null"));
      return broken("a record of the wrong shape", keptIndex[k] ?? null, "render", cleaned.ok ? cleaned.value : null);
    }
    at = read.at;
  }
  if (at !== text.length) return broken("more lines than it was given rows");
  return { ok: true, kept, cleanedLines, records };
}

/** Reads `count` record lines from `at` into `records`: where they end, or which one failed. */
function readRecords(text: string, at: number, count: number, records: string[]): { at: number; failedAt: number | null } {
  for (let k = 0; k < count; k++) {
    if (!matchesAt(RECORD, text, at)) return { at, failedAt: k };
    records.push(text.slice(at, RECORD.lastIndex - 1));
    at = RECORD.lastIndex;
  }
  return { at, failedAt: null };
}

/** The head line of a renderLines answer; anything else is a failure envelope (wire.ts parseEnvelope). */
export const RECORDS_HEAD = '{"ok":true}\n';

/**
 * Checks the text answer to renderLines over `rowCount` rows (RECORDS_HEAD, then one record
 * line per row): each record's JSON text, or the row whose record is of the wrong shape.
 */
export function checkRecordAnswer(text: string, rowCount: number): { ok: true; records: string[] } | { ok: false; error: string; index: number | null } {
  if (text.length > (rowCount + 1) * (MAX_ROW_CHARS + 64)) return { ok: false, error: `the sandbox answered ${text.length} characters, more than allowed`, index: null };
  if (!text.startsWith(RECORDS_HEAD)) return { ok: false, error: "the sandbox answered an envelope of the wrong shape", index: null };
  const records: string[] = [];
  const read = readRecords(text, RECORDS_HEAD.length, rowCount, records);
  if (read.failedAt !== null) return { ok: false, error: "the sandbox answered a record of the wrong shape", index: read.failedAt };
  if (read.at !== text.length) return { ok: false, error: "the sandbox answered more lines than it was given rows", index: null };
  return { ok: true, records };
}
