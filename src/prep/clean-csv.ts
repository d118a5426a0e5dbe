/**
 * The row pipeline over a CSV: every row through the prep script's `clean` (and, when
 * asked, `render`) in the sandbox, one isolate crossing per batch, with the cleaned
 * table and the records written only when every row succeeded. The sandbox answers the
 * lines themselves (checked, not parsed: PrepSandbox.prepText), so they are written as
 * they came. execute, split (a test CSV), `tabtune apply` and the benches share it.
 */
import { AtomicLineWriter, JsonArrayWriter } from "../artifacts.js";
import type { OnProgress } from "../events.js";
import { collectIfExternalAbove, EXTERNAL_GARBAGE_BYTES } from "../memory.js";
import type { AlpacaRecord, CleanRow } from "../rows.js";
import { getConfig } from "../runtime.js";
import type { PrepSandbox, PrepTextOutcome } from "../sandbox/sandbox.js";
import type { ArtifactRef, DroppedRow, ExecutionError, ExecutionResult } from "../state.js";
import { streamCsvCells, toRawRow } from "../table/csv.js";

/** Dropped rows kept with their values for review_prep. */
const DROPPED_SAMPLE = 5;
/** Reason recorded when clean drops a row whose target cell is missing. */
export const TARGET_MISSING = "target missing";
/** Reason recorded for any other row clean returned null for. */
export const CLEAN_RETURNED_NULL = "clean returned null";

/**
 * What cleanCsv reports: rows in and out, why rows were dropped, the first records, and
 * (when every row succeeded) the refs of the files it wrote, hashed and counted as written.
 */
export type CleanCsvResult = Omit<ExecutionResult, "allData" | "sourceRows"> & {
  /** The records (`renderedPath`), null when not asked for or on failure. */
  rendered: ArtifactRef | null;
  /** The source-row file (`sourceRowsPath`), null when not asked for or on failure. */
  sourceRows: ArtifactRef | null;
};

/** A batch's cleaned rows as objects, null where dropped (only for onCleaned: the lines are checked JSON). */
function cleanedRows(kept: readonly boolean[], cleanedLines: string): (CleanRow | null)[] {
  const lines = cleanedLines.split("\n");
  const rows: (CleanRow | null)[] = new Array<CleanRow | null>(kept.length);
  for (let i = 0, next = 0; i < kept.length; i++) rows[i] = kept[i] ? JSON.parse(lines[next++] ?? "null") : null;
  return rows;
}

/**
 * Cleans (and, with `renderedPath`, renders) every row of a CSV, one isolate crossing
 * per batch; the next batch is read and started while the previous one's results are
 * checked and written. Output files appear only when every row succeeded: a failed
 * attempt never leaves files that look like output. A failure names the CSV line, the
 * data row and the row's values.
 */
export async function cleanCsv(args: {
  csv: string;
  sandbox: PrepSandbox;
  cleanedPath: string;
  renderedPath: string | null;
  sampleSize: number;
  /** Target column: rows dropped with it missing are counted as "target missing". */
  target?: string;
  /** Rows cleaned so far, after each batch. */
  onProgress?: OnProgress;
  /** Where to write each kept row's 0-based source (data) row, one per line, beside the cleaned table (split's mask needs it). */
  sourceRowsPath?: string;
  /** Sees each batch's cleaned rows (null for a dropped row) once the batch succeeded, before it is written. */
  onCleaned?: (rows: readonly (CleanRow | null)[]) => void;
}): Promise<CleanCsvResult> {
  const config = getConfig();
  const cleaned = new AtomicLineWriter(args.cleanedPath);
  const rendered = args.renderedPath ? new JsonArrayWriter(args.renderedPath) : null;
  const sources = args.sourceRowsPath ? new AtomicLineWriter(args.sourceRowsPath) : null;
  const sample: AlpacaRecord[] = [];
  const dropReasons: Record<string, number> = {};
  const droppedSample: DroppedRow[] = [];
  let rowsIn = 0;
  let rowsOut = 0;
  const summary = () => ({ rowsIn, rowsOut, dropped: rowsIn - rowsOut, dropReasons, droppedSample, sample });
  const fail = async (error: ExecutionError): Promise<CleanCsvResult> => {
    await cleaned.abort();
    await rendered?.abort();
    await sources?.abort();
    return { ok: false, error, ...summary(), cleaned: null, rendered: null, sourceRows: null };
  };

  // Rows go to the sandbox as cells under the header; a row object is built only for a message.
  type Pending = { header: string[]; cells: (string | null)[][]; firstLine: number; outcome: Promise<PrepTextOutcome> };
  const start = (header: string[], cells: (string | null)[][], firstLine: number): Pending => ({
    header,
    cells,
    firstLine,
    outcome: args.sandbox.prepText(header, cells, rendered !== null),
  });

  /** Checks and writes one finished batch; an ExecutionError when it failed. */
  const finish = async (pending: Pending): Promise<ExecutionError | null> => {
    const outcome = await pending.outcome;
    if (!outcome.ok) {
      const at = outcome.rowIndex;
      const values = at === null ? undefined : pending.cells[at];
      const input = values === undefined ? null : toRawRow(pending.header, values);
      return {
        message: outcome.op !== null && !outcome.error.startsWith(outcome.op) ? `${outcome.op}: ${outcome.error}` : outcome.error,
        line: at === null ? null : pending.firstLine + at,
        dataRow: at === null ? null : rowsIn + at + 1,
        row: outcome.op === "render" && outcome.cleaned !== null ? outcome.cleaned : input,
      };
    }
    const rows = outcome.kept;
    const targetAt = args.target === undefined ? -1 : pending.header.indexOf(args.target);
    let kept = 0;
    let keptRows = "";
    for (let i = 0; i < rows.length; i++) {
      if (rows[i]) {
        kept += 1;
        if (sources) keptRows += `${rowsIn + i}\n`;
        continue;
      }
      const values = pending.cells[i] ?? [];
      const reason = targetAt >= 0 && (values[targetAt] ?? null) === null ? TARGET_MISSING : CLEAN_RETURNED_NULL;
      dropReasons[reason] = (dropReasons[reason] ?? 0) + 1;
      if (droppedSample.length < DROPPED_SAMPLE) droppedSample.push({ dataRow: rowsIn + i + 1, reason, row: toRawRow(pending.header, values) });
    }
    rowsIn += rows.length;
    rowsOut += kept;
    collectIfExternalAbove(EXTERNAL_GARBAGE_BYTES);
    args.onProgress?.(rowsIn);
    args.onCleaned?.(cleanedRows(rows, outcome.cleanedLines));
    await cleaned.write(outcome.cleanedLines, kept);
    await sources?.write(keptRows, kept);
    if (rendered) {
      for (const record of outcome.records) {
        if (sample.length >= args.sampleSize) break;
        sample.push(JSON.parse(record));
      }
      await rendered.pushJson(outcome.records);
    }
    return null;
  };

  let pending: Pending | null = null;
  for await (const batch of streamCsvCells(args.csv, { ...config.csv, batchRows: config.sandbox.batchRows })) {
    const next = start(batch.header, batch.cells, batch.firstLine);
    if (pending) {
      const error = await finish(pending);
      if (error) return fail(error);
    }
    pending = next;
  }
  if (pending) {
    const error = await finish(pending);
    if (error) return fail(error);
  }
  const cleanedRef = await cleaned.commit();
  const renderedRef = (await rendered?.commit()) ?? null;
  const sourcesRef = (await sources?.commit()) ?? null;
  return { ok: true, error: null, ...summary(), cleaned: cleanedRef, rendered: renderedRef, sourceRows: sourcesRef };
}
