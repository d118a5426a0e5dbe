/**
 * codegen: writes scripts/prepare_data.js (and its ctx, prepare_data.ctx.json) for the
 * current plan. The code is syntax-checked inside an isolate before it is saved as this
 * try's output; code that does not compile is kept as prepare_data.rejected.js and the
 * try fails with the compiler's message, so no earlier try's file stands in for it.
 * A retry within a round passes the failed try's code, error and row to the coder.
 * The first try of a round counts the round (state.prepRounds, bounded at review_prep).
 */
import { existsSync, rmSync } from "node:fs";
import { artifactRef, writeFileAtomic } from "../artifacts.js";
import { heuristicCoder, type PrepCoder } from "../codegen/coder.js";
import { llmCoder } from "../codegen/llm-coder.js";
import { answeredBy, promptLimits, type CallRecord } from "../llm/index.js";
import { sandboxContext, sidecarPath, writePrepSidecar } from "../codegen/sidecar.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { getConfig, getDecider } from "../runtime.js";
import { PrepSandbox } from "../sandbox/sandbox.js";
import { requireTestCsvColumns } from "../table/alignment.js";
import type { LogEntry, State, Update } from "../state.js";
import { modelCallLog, requireOptions, requirePlan, requireProfile, requireRunDir } from "./common.js";

/** Where code that failed the syntax check is kept for the reader (never run). */
export function rejectedScriptPath(scriptPath: string): string {
  return scriptPath.replace(/\.js$/, "") + ".rejected.js";
}

/**
 * The coder for this round: the template for the heuristic provider and for the one round
 * it stands in for a failed model round (state.prepTemplateFallback), else the coder
 * model (template as its fallback).
 */
function chooseCoder(state: State): PrepCoder & { readonly lastCall?: CallRecord | null } {
  const decider = getDecider(requireOptions(state));
  return decider.provider === "heuristic" || state.prepTemplateFallback ? heuristicCoder : llmCoder(decider, promptLimits(getConfig()));
}

export async function codegen(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const profile = requireProfile(state);
  // The approved plan's kept features must all be in the test CSV before any code or data is written.
  if (options.testCsv) await requireTestCsvColumns(options.testCsv, plan, profile.columns.map((c) => c.name));
  const attempt = state.codeTries + 1;
  const prepRounds = attempt === 1 ? state.prepRounds + 1 : state.prepRounds;
  // Feedback belongs to this round only: plan and review_prep reset codeTries to 0.
  const feedback = state.codeTries > 0 ? state.codeFeedback : null;
  const ctx = sandboxContext(plan, profile);
  const coder = chooseCoder(state);
  const code = await coder.write({ plan, profile, ctx, planVersion: state.planVersion, attempt, feedback });
  const path = paths.prepScript(requireRunDir(state));
  const sandbox = getConfig().sandbox;
  const syntaxError = await PrepSandbox.checkSyntax(code, { memoryLimitMb: sandbox.memoryLimitMb, batchTimeoutMs: sandbox.batchTimeoutMs });
  const after = feedback ? ` (after: ${feedback.error.message})` : "";
  const call = coder.lastCall ?? null;
  const calls: LogEntry[] = call ? modelCallLog("codegen", call) : [];
  const by = call && calls.length > 0 ? { by: answeredBy(call) } : {};

  if (syntaxError !== null) {
    const rejected = rejectedScriptPath(path);
    writeFileAtomic(rejected, code);
    // An earlier try's script must not count as this try's output.
    for (const stale of [path, sidecarPath(path)]) if (existsSync(stale)) rmSync(stale);
    stage("codegen", `prepare_data.js attempt ${attempt} rejected: ${syntaxError}`);
    return {
      codeTries: attempt,
      prepRounds,
      script: null,
      codeFeedback: { attempt, code, error: { message: syntaxError, line: null, row: null } },
      log: [...calls, logEntry("codegen", `attempt ${attempt} rejected: ${syntaxError}`, started, { ...by, numbers: { attempt, round: prepRounds }, artifacts: [rejected] })],
    };
  }

  writeFileAtomic(path, code);
  rmSync(rejectedScriptPath(path), { force: true });
  const ctxPath = writePrepSidecar(path, { planVersion: state.planVersion, attempt, ctx });
  const round = prepRounds > 1 ? `round ${prepRounds}, ` : "";
  const standIn = state.prepTemplateFallback && options.provider !== "heuristic" ? ", standing in for the coder model" : "";
  stage("codegen", `prepare_data.js, ${round}attempt ${attempt} (${coder.name}${standIn})${after}`);
  return {
    codeTries: attempt,
    prepRounds,
    script: await artifactRef(path, null),
    log: [...calls, logEntry("codegen", `prepare_data.js attempt ${attempt} (${coder.name})`, started, { ...by, numbers: { attempt, round: prepRounds }, artifacts: [path, ctxPath] })],
  };
}
