/** codegen: writes scripts/prepare_data.js for the current plan; a retry sees the last error. */
import { artifactRef, writeFileAtomic } from "../artifacts.js";
import { prepCodeFromPlan } from "../codegen/template.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import type { State, Update } from "../state.js";
import { requireOptions, requirePlan, requireProfile } from "./common.js";

export async function codegen(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const attempt = state.codeTries + 1;
  // The heuristic template follows the plan exactly; an error it meets is in the data or the
  // plan, so a retry writes the same code. An LLM coder gets state.execution.error here.
  const code = prepCodeFromPlan(requirePlan(state), requireProfile(state), { planVersion: state.planVersion, attempt });
  const path = paths.prepScript(options.output);
  writeFileAtomic(path, code);
  const previousError = state.execution?.ok === false ? state.execution.error?.message : undefined;
  stage("codegen", `prepare_data.js, attempt ${attempt}${previousError ? ` (after: ${previousError})` : ""}`);
  return {
    codeTries: attempt,
    script: await artifactRef(path, null),
    log: [logEntry("codegen", `prepare_data.js attempt ${attempt}`, started, { numbers: { attempt }, artifacts: [path] })],
  };
}
