/**
 * execute: runs `clean` then `render` over every row inside the sandbox (prep/clean-csv.ts),
 * writing the cleaned table and all_data.json. Failures come back as values (row and error), so
 * the graph routes them to codegen instead of crashing.
 */
import { readFileSync } from "node:fs";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { sandboxContext } from "../codegen/sidecar.js";
import { progressReporter } from "../events.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { cleanCsv } from "../prep/clean-csv.js";
import { openPrepCode } from "../prep/open.js";
import type { CodeFeedback, ExecutionError, ExecutionResult, State, Update } from "../state.js";
import { requireOptions, requirePlan, requireProfile, requireRunDir, requireScript } from "./common.js";

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
          sourceRowsPath: paths.cleanedSourceRows(runDir),
          onProgress: (done) => cleaning.update(done, profile.rows),
        });
        cleaning.finish(run.rowsIn);
        // The refs come from the writers (hashed and counted while writing): nothing is read back.
        const { cleaned, rendered, sourceRows, ...counts } = run;
        result = { ...counts, cleaned, allData: rendered, sourceRows };
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
