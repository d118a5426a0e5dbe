/**
 * execute: runs `clean` then `render` over every row inside the sandbox, writing the
 * cleaned table and all_data.json. Failures come back as values (row and error), so
 * the graph routes them to codegen instead of crashing.
 */
import { readFileSync } from "node:fs";
import { AtomicLineWriter, JsonArrayWriter, artifactRef } from "../artifacts.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { getConfig } from "../runtime.js";
import { PrepSandbox, type AlpacaRecord, type CleanRow } from "../sandbox/sandbox.js";
import type { Plan, TableProfile } from "../schemas.js";
import type { ExecutionError, ExecutionResult, State, Update } from "../state.js";
import { streamCsvRows } from "../table/csv.js";
import { requireOptions, requirePlan, requireProfile } from "./common.js";

/** What generated code may read besides the row: the plan and per-column statistics. */
export function sandboxContext(plan: Plan, profile: TableProfile) {
  return {
    plan,
    columns: Object.fromEntries(
      profile.columns.map((c) => [c.name, { kind: c.kind, missingRate: c.missingRate, median: c.numeric?.median ?? null }]),
    ),
  };
}

/** Opens the sandbox on a script file; the error is a value so callers can route it. */
export async function openPrepSandbox(scriptPath: string, plan: Plan, profile: TableProfile) {
  const config = getConfig();
  return PrepSandbox.open(readFileSync(scriptPath, "utf8"), sandboxContext(plan, profile), {
    memoryLimitMb: config.sandbox.memoryLimitMb,
    batchTimeoutMs: config.sandbox.batchTimeoutMs,
  });
}

/**
 * Cleans (and optionally renders) every row of a CSV. Output files appear only when
 * every row succeeded: a failed attempt never leaves files that look like output.
 */
export async function cleanCsv(args: {
  csv: string;
  sandbox: PrepSandbox;
  cleanedPath: string;
  renderedPath: string | null;
  sampleSize: number;
}): Promise<Omit<ExecutionResult, "cleaned" | "allData">> {
  const config = getConfig();
  const cleaned = new AtomicLineWriter(args.cleanedPath);
  const rendered = args.renderedPath ? new JsonArrayWriter(args.renderedPath) : null;
  const sample: AlpacaRecord[] = [];
  let rowsIn = 0;
  let rowsOut = 0;
  const fail = async (error: ExecutionError) => {
    await cleaned.abort();
    await rendered?.abort();
    return { ok: false, error, rowsIn, rowsOut, dropped: rowsIn - rowsOut, sample };
  };
  const batchRows = config.sandbox.batchRows;
  for await (const batch of streamCsvRows(args.csv, { missingTokens: config.csv.missingTokens, batchRows })) {
    const outcome = await args.sandbox.clean(batch.rows);
    if (!outcome.ok) {
      const at = outcome.rowIndex;
      return fail({
        message: `clean: ${outcome.error}`,
        line: at === null ? null : batch.firstLine + at,
        row: at === null ? null : (batch.rows[at] ?? null),
      });
    }
    const kept: CleanRow[] = outcome.rows.filter((r): r is CleanRow => r !== null);
    rowsIn += batch.rows.length;
    rowsOut += kept.length;
    for (const row of kept) await cleaned.write(JSON.stringify(row) + "\n");
    if (!rendered) continue;
    const out = await args.sandbox.render(kept);
    if (!out.ok) return fail({ message: `render: ${out.error}`, line: null, row: out.rowIndex === null ? null : (kept[out.rowIndex] ?? null) });
    for (const record of out.rows) {
      if (sample.length < args.sampleSize) sample.push(record);
      await rendered.push(record);
    }
  }
  await cleaned.commit();
  await rendered?.commit();
  return { ok: true, error: null, rowsIn, rowsOut, dropped: rowsIn - rowsOut, sample };
}

export async function execute(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const profile = requireProfile(state);
  const scriptPath = paths.prepScript(options.output);
  const opened = await openPrepSandbox(scriptPath, plan, profile);
  let result: ExecutionResult;
  if (!opened.ok) {
    result = { ok: false, error: { message: opened.error, line: null, row: null }, rowsIn: 0, rowsOut: 0, dropped: 0, cleaned: null, allData: null, sample: [] };
  } else {
    try {
      const run = await cleanCsv({
        csv: options.csv,
        sandbox: opened.sandbox,
        cleanedPath: paths.cleaned(options.output),
        renderedPath: paths.allData(options.output),
        sampleSize: 3,
      });
      result = {
        ...run,
        cleaned: run.ok ? await artifactRef(paths.cleaned(options.output), run.rowsOut) : null,
        allData: run.ok ? await artifactRef(paths.allData(options.output), run.rowsOut) : null,
      };
    } finally {
      opened.sandbox.dispose();
    }
  }
  if (result.ok) stage("execute", `${result.rowsIn} rows in → ${result.rowsOut} out (${result.dropped} dropped by clean)`);
  else stage("execute", `failed (try ${state.codeTries}): ${result.error?.message}${result.error?.line ? ` at line ${result.error.line} of ${options.csv}` : ""}`);
  return {
    execution: result,
    log: [
      logEntry("execute", result.ok ? "prep code ran on every row" : `failed: ${result.error?.message ?? "?"}`, started, {
        numbers: { rowsIn: result.rowsIn, rowsOut: result.rowsOut, dropped: result.dropped, attempt: state.codeTries },
        artifacts: result.ok ? [paths.cleaned(options.output), paths.allData(options.output)] : [],
      }),
    ],
  };
}
