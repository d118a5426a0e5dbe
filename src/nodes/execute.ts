/**
 * execute: runs `clean` then `render` over every row inside the sandbox, writing the
 * cleaned table and all_data.json. Failures come back as values (row and error), so
 * the graph routes them to codegen instead of crashing.
 */
import { readFileSync } from "node:fs";
import { AtomicLineWriter, artifactRef } from "../artifacts.js";
import { sandboxContext, type SandboxContext } from "../codegen/sidecar.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { getConfig } from "../runtime.js";
import { PrepSandbox, type AlpacaRecord, type CleanRow, type PrepOutcome } from "../sandbox/sandbox.js";
import type { Plan, TableProfile } from "../schemas.js";
import type { CodeFeedback, DroppedRow, ExecutionError, ExecutionResult, State, Update } from "../state.js";
import { streamCsvCells, toRawRow } from "../table/csv.js";
import { requireOptions, requirePlan, requireProfile, requireRunDir, requireScript } from "./common.js";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { progressReporter, type OnProgress } from "../events.js";

export { sandboxContext };

/** Dropped rows kept with their values for review_prep. */
const DROPPED_SAMPLE = 5;
/** Reason recorded when clean drops a row whose target cell is missing. */
export const TARGET_MISSING = "target missing";
/** Reason recorded for any other row clean returned null for. */
export const CLEAN_RETURNED_NULL = "clean returned null";

/** Opens the sandbox on code with a ctx; the error is a value so callers can route it. */
export async function openPrepCode(code: string, ctx: SandboxContext) {
  const config = getConfig();
  return PrepSandbox.open(code, ctx, { memoryLimitMb: config.sandbox.memoryLimitMb, batchTimeoutMs: config.sandbox.batchTimeoutMs });
}

/** Opens the sandbox on a script file; the error is a value so callers can route it. */
export async function openPrepSandbox(scriptPath: string, plan: Plan, profile: TableProfile) {
  return openPrepCode(readFileSync(scriptPath, "utf8"), sandboxContext(plan, profile));
}

/** What cleanCsv reports: rows in and out, why rows were dropped, the first records. */
export type CleanCsvResult = Omit<ExecutionResult, "cleaned" | "allData">;

/**
 * Writes a JSON array one record per line (the JsonArrayWriter format, so
 * readJsonArrayLines reads it), one write per batch.
 */
class BatchJsonArrayWriter {
  readonly #out: AtomicLineWriter;
  count = 0;

  constructor(path: string) {
    this.#out = new AtomicLineWriter(path);
  }

  async pushAll(records: readonly AlpacaRecord[]): Promise<void> {
    if (records.length === 0) return;
    let text = "";
    for (const record of records) text += (this.count++ === 0 ? "[\n" : ",\n") + JSON.stringify(record);
    await this.#out.write(text);
  }

  async commit(): Promise<void> {
    await this.#out.write(this.count === 0 ? "[]\n" : "\n]\n");
    await this.#out.commit();
  }

  abort(): Promise<void> {
    return this.#out.abort();
  }
}

/** The cleaned rows of a batch as JSON lines, in one string. */
function jsonLines(rows: readonly (CleanRow | null)[]): string {
  let text = "";
  for (const row of rows) if (row !== null) text += JSON.stringify(row) + "\n";
  return text;
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
}): Promise<CleanCsvResult> {
  const config = getConfig();
  const cleaned = new AtomicLineWriter(args.cleanedPath);
  const rendered = args.renderedPath ? new BatchJsonArrayWriter(args.renderedPath) : null;
  const sample: AlpacaRecord[] = [];
  const dropReasons: Record<string, number> = {};
  const droppedSample: DroppedRow[] = [];
  let rowsIn = 0;
  let rowsOut = 0;
  const summary = () => ({ rowsIn, rowsOut, dropped: rowsIn - rowsOut, dropReasons, droppedSample, sample });
  const fail = async (error: ExecutionError): Promise<CleanCsvResult> => {
    await cleaned.abort();
    await rendered?.abort();
    return { ok: false, error, ...summary() };
  };

  // Rows go to the sandbox as cells under the header; a row object is built only for a message.
  type Pending = { header: string[]; cells: (string | null)[][]; firstLine: number; outcome: Promise<PrepOutcome> };
  const start = (header: string[], cells: (string | null)[][], firstLine: number): Pending => ({
    header,
    cells,
    firstLine,
    outcome: rendered ? args.sandbox.prepCells(header, cells) : cleanOnly(args.sandbox, header, cells),
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
    const rows = outcome.cleaned;
    const targetAt = args.target === undefined ? -1 : pending.header.indexOf(args.target);
    let kept = 0;
    for (let i = 0; i < rows.length; i++) {
      if (rows[i] !== null) {
        kept += 1;
        continue;
      }
      const values = pending.cells[i] ?? [];
      const reason = targetAt >= 0 && (values[targetAt] ?? null) === null ? TARGET_MISSING : CLEAN_RETURNED_NULL;
      dropReasons[reason] = (dropReasons[reason] ?? 0) + 1;
      if (droppedSample.length < DROPPED_SAMPLE) droppedSample.push({ dataRow: rowsIn + i + 1, reason, row: toRawRow(pending.header, values) });
    }
    rowsIn += rows.length;
    rowsOut += kept;
    args.onProgress?.(rowsIn);
    await cleaned.write(jsonLines(rows));
    if (rendered) {
      for (const record of outcome.rendered) {
        if (sample.length >= args.sampleSize) break;
        sample.push(record);
      }
      await rendered.pushAll(outcome.rendered);
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
  await cleaned.commit();
  await rendered?.commit();
  return { ok: true, error: null, ...summary() };
}

/** `clean` alone (no render), in the shape of a prep outcome. */
async function cleanOnly(sandbox: PrepSandbox, header: string[], cells: (string | null)[][]): Promise<PrepOutcome> {
  const outcome = await sandbox.cleanCells(header, cells);
  if (outcome.ok) return { ok: true, cleaned: outcome.rows, rendered: [] };
  return { ok: false, op: outcome.rowIndex === null ? null : "clean", error: outcome.error, rowIndex: outcome.rowIndex, row: outcome.row, cleaned: null };
}

/** The result of a try that never ran rows (the script did not compile or load). */
function notRun(error: ExecutionError): ExecutionResult {
  return { ok: false, error, rowsIn: 0, rowsOut: 0, dropped: 0, dropReasons: {}, droppedSample: [], cleaned: null, allData: null, sample: [] };
}

export async function execute(state: State, runConfig?: LangGraphRunnableConfig): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const profile = requireProfile(state);
  const runDir = requireRunDir(state);
  let result: ExecutionResult;
  let code = "";
  if (state.script === null) {
    // codegen rejected this try's code before saving it (it did not compile).
    result = notRun(state.codeFeedback?.error ?? { message: "codegen saved no script for this try", line: null, row: null });
  } else {
    code = readFileSync(await requireScript(state), "utf8");
    const opened = await openPrepCode(code, sandboxContext(plan, profile));
    if (!opened.ok) {
      result = notRun({ message: opened.error, line: null, row: null });
    } else {
      const cleaning = progressReporter(runConfig, "execute", "sandbox", "rows");
      try {
        const run = await cleanCsv({
          csv: options.csv,
          sandbox: opened.sandbox,
          cleanedPath: paths.cleaned(runDir),
          renderedPath: paths.allData(runDir),
          sampleSize: 3,
          target: plan.target,
          onProgress: (done) => cleaning.update(done, profile.rows),
        });
        cleaning.finish(run.rowsIn);
        result = {
          ...run,
          cleaned: run.ok ? await artifactRef(paths.cleaned(runDir), run.rowsOut) : null,
          allData: run.ok ? await artifactRef(paths.allData(runDir), run.rowsOut) : null,
        };
      } finally {
        opened.sandbox.dispose();
      }
    }
  }
  const at = result.error?.line ? ` at line ${result.error.line} of ${options.csv} (data row ${result.error.dataRow ?? "?"})` : "";
  if (result.ok) stage("execute", `${result.rowsIn} rows in → ${result.rowsOut} out (${result.dropped} dropped by clean)`);
  else stage("execute", `failed (try ${state.codeTries}): ${result.error?.message}${at}`);
  // The next try (an LLM coder) gets the error, the failing row and this code; a script that
  // never compiled keeps the feedback codegen recorded.
  const feedback: CodeFeedback | null = result.ok
    ? null
    : state.script === null
      ? state.codeFeedback
      : { attempt: state.codeTries, code, error: result.error ?? { message: "unknown failure", line: null, row: null } };
  return {
    execution: result,
    codeFeedback: feedback,
    log: [
      logEntry("execute", result.ok ? "prep code ran on every row" : `failed: ${result.error?.message ?? "?"}${at}`, started, {
        numbers: { rowsIn: result.rowsIn, rowsOut: result.rowsOut, dropped: result.dropped, attempt: state.codeTries },
        artifacts: result.ok ? [paths.cleaned(runDir), paths.allData(runDir)] : [],
      }),
    ],
  };
}
