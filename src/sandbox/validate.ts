/**
 * Host-side checks of what comes back from the isolate. Everything here receives the
 * output of `JSON.parse` on the host, so values are plain data; the checks decide
 * whether that data has the shape `clean` and `render` promise, and copy it into fresh
 * objects. Messages name the offending key so codegen can fix the script.
 */
import { UNSUPPORTED_TAG } from "./harness.js";
import type { AlpacaRecord, CleanRow, CleanValue } from "../rows.js";

/** A checked value, or why it was rejected. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** Keys a render result must have, exactly. */
const ALPACA_KEYS: readonly string[] = ["instruction", "input", "output"];
const EXPECTED_RENDER = "expected an object with exactly the string keys instruction, input and output";

/** Plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The tag the harness put in place of NaN, undefined, a function…, or null. */
function unsupportedKind(value: unknown): string | null {
  if (!isRecord(value)) return null;
  const keys = Object.keys(value);
  const kind = value[UNSUPPORTED_TAG];
  return keys.length === 1 && keys[0] === UNSUPPORTED_TAG && typeof kind === "string" ? kind : null;
}

/**
 * How a returned value reads in a message.
 * @example kindOf([1]) // "an array"
 */
export function kindOf(value: unknown): string {
  const unsupported = unsupportedKind(value);
  if (unsupported !== null) {
    return ["NaN", "Infinity", "-Infinity", "undefined"].includes(unsupported) ? unsupported : `a ${unsupported}`;
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** One value of a cleaned row: string, finite number, boolean or null. */
function checkCleanValue(key: string, value: unknown): Checked<CleanValue> {
  if (value === null || typeof value === "string" || typeof value === "boolean") return { ok: true, value };
  if (typeof value === "number" && Number.isFinite(value)) return { ok: true, value };
  const kind = kindOf(value);
  if (kind === "NaN" || kind === "Infinity" || kind === "-Infinity") {
    return { ok: false, error: `clean returned ${kind} for "${key}"; only finite numbers are allowed (use null for a missing value)` };
  }
  if (kind === "undefined") return { ok: false, error: `clean returned undefined for "${key}"; use null for a missing value` };
  return {
    ok: false,
    error: `clean returned ${kind} for "${key}"; values must be strings, finite numbers, booleans or null (no nested objects or arrays)`,
  };
}

/**
 * Checks one result of `clean`: null (drop the row) or a flat object of
 * string / finite number / boolean / null. A `__proto__` key is rejected, so copying
 * the row later can never change a prototype.
 */
export function checkCleanResult(value: unknown): Checked<CleanRow | null> {
  if (value === null) return { ok: true, value: null };
  const kind = kindOf(value);
  if (kind === "undefined") return { ok: false, error: "clean returned undefined; return an object, or null to drop the row" };
  if (kind === "a Promise") return { ok: false, error: "clean returned a Promise; clean must be synchronous" };
  if (!isRecord(value) || unsupportedKind(value) !== null) {
    return { ok: false, error: `clean returned ${kind}; expected an object with one value per column, or null to drop the row` };
  }
  const entries: [string, CleanValue][] = [];
  for (const [key, item] of Object.entries(value)) {
    if (key === "__proto__") return { ok: false, error: 'clean returned the key "__proto__", which is not allowed' };
    const checked = checkCleanValue(key, item);
    if (!checked.ok) return checked;
    entries.push([key, checked.value]);
  }
  return { ok: true, value: Object.fromEntries(entries) };
}

/** A clean result's keys as the harness sent them: strings, none "__proto__" nor the tag, none twice. */
export function checkShape(shape: unknown): Checked<string[]> {
  if (!Array.isArray(shape)) return { ok: false, error: "the sandbox answered a key list that is not an array" };
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const key of shape) {
    if (typeof key !== "string") return { ok: false, error: "the sandbox answered a key that is not a string" };
    if (key === "__proto__") return { ok: false, error: 'clean returned the key "__proto__", which is not allowed' };
    if (key === UNSUPPORTED_TAG) return { ok: false, error: `clean returned the key "${key}", which tabtune reserves` };
    if (seen.has(key)) return { ok: false, error: `the sandbox answered the key "${key}" twice in one row` };
    seen.add(key);
    keys.push(key);
  }
  return { ok: true, value: keys };
}

/**
 * Checks a batch of `clean` results sent as `[shape, value, …]` arrays (see harness.ts)
 * and builds each row as a fresh object with its shape's keys, in order. A value that is
 * not a string, finite number, boolean or null is named as checkCleanResult names it.
 */
export function checkCleanBatch(
  shapes: readonly unknown[],
  values: readonly unknown[],
): { ok: true; rows: (CleanRow | null)[] } | { ok: false; index: number | null; error: string } {
  const keyLists: string[][] = [];
  for (const shape of shapes) {
    const checked = checkShape(shape);
    if (!checked.ok) return { ok: false, index: null, error: checked.error };
    keyLists.push(checked.value);
  }
  const rows: (CleanRow | null)[] = new Array<CleanRow | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null) {
      rows[i] = null;
      continue;
    }
    const shape: unknown = Array.isArray(value) ? value[0] : undefined;
    const keys = typeof shape === "number" ? keyLists[shape] : undefined;
    if (!Array.isArray(value) || keys === undefined || value.length !== keys.length + 1)
      return { ok: false, index: i, error: "the sandbox answered a cleaned row of the wrong shape" };
    const row: CleanRow = {};
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k] ?? "";
      const item: unknown = value[k + 1];
      if (item === null || typeof item === "string" || typeof item === "boolean" || (typeof item === "number" && Number.isFinite(item))) {
        row[key] = item;
        continue;
      }
      const checked = checkCleanValue(key, item);
      return { ok: false, index: i, error: checked.ok ? "the sandbox answered a cleaned value of the wrong kind" : checked.error };
    }
    rows[i] = row;
  }
  return { ok: true, rows };
}

/** Checks a batch of `render` results sent as [instruction, input, output] arrays of strings. */
export function checkRenderBatch(values: readonly unknown[]): { ok: true; rows: AlpacaRecord[] } | { ok: false; index: number; error: string } {
  const rows: AlpacaRecord[] = new Array<AlpacaRecord>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Array.isArray(value) || value.length !== 3) return { ok: false, index: i, error: "the sandbox answered a record of the wrong shape" };
    const [instruction, input, output]: unknown[] = value;
    if (typeof instruction !== "string" || typeof input !== "string" || typeof output !== "string")
      return { ok: false, index: i, error: "the sandbox answered a record field that is not a string" };
    rows[i] = { instruction, input, output };
  }
  return { ok: true, rows };
}

/** One string field of a render result. */
function readString(record: Record<string, unknown>, key: string): Checked<string> {
  const item = record[key];
  if (!Object.hasOwn(record, key)) return { ok: false, error: `render did not return "${key}"; ${EXPECTED_RENDER}` };
  if (typeof item !== "string") return { ok: false, error: `render returned ${kindOf(item)} for "${key}"; expected a string` };
  return { ok: true, value: item };
}

/** Checks one result of `render`: exactly `{instruction, input, output}`, all strings. */
export function checkRenderResult(value: unknown): Checked<AlpacaRecord> {
  if (!isRecord(value) || unsupportedKind(value) !== null) {
    return { ok: false, error: `render returned ${kindOf(value)}; ${EXPECTED_RENDER}` };
  }
  const extra = Object.keys(value).find((key) => !ALPACA_KEYS.includes(key));
  if (extra !== undefined) return { ok: false, error: `render returned an extra key "${extra}"; ${EXPECTED_RENDER}` };
  const instruction = readString(value, "instruction");
  if (!instruction.ok) return instruction;
  const input = readString(value, "input");
  if (!input.ok) return input;
  const output = readString(value, "output");
  if (!output.ok) return output;
  return { ok: true, value: { instruction: instruction.value, input: input.value, output: output.value } };
}
