/**
 * One typed table kept in memory between explore and select_features, so a wide CSV is
 * parsed once per run rather than twice. Explore keeps its table only when the graph will
 * route it through select_features (narrow long tables would hold their columns for
 * nothing); readTable hands a kept table out once, then forgets it, so its memory goes
 * with the step that used it. An entry holds only while the file's size and modification
 * time and the read options are those it was read with; a process holds at most one.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Table } from "./columns.js";
import type { CsvOptions } from "./csv.js";

let kept: { key: string; table: Table } | null = null;

/** What a table read from `path` with `opts` depends on, or null when the file cannot be stat'ed. */
function cacheKey(path: string, opts: CsvOptions): string | null {
  try {
    const stat = statSync(path);
    // batchRows changes how rows are grouped, never the table.
    return JSON.stringify([resolve(path), stat.size, stat.mtimeMs, opts.missingTokens, opts.decimalComma ?? true]);
  } catch {
    return null;
  }
}

/**
 * Keeps `table` (read from its own path with `opts`) for the next readTable of that file,
 * replacing any table kept before.
 */
export function keepTable(table: Table, opts: CsvOptions): void {
  const key = cacheKey(table.path, opts);
  kept = key === null ? null : { key, table };
}

/** The kept table for `path` read with `opts`, handed out once; null when none is kept or the file changed since. */
export function takeTable(path: string, opts: CsvOptions): Table | null {
  if (kept === null) return null;
  const entry = kept;
  if (cacheKey(path, opts) !== entry.key) return null;
  kept = null;
  return entry.table;
}

/** Forgets the kept table, if any. */
export function forgetTable(): void {
  kept = null;
}
