/** Opens the prep sandbox on a prep script with the run's limits (config.sandbox); the error is a value so callers can route it. */
import { readFileSync } from "node:fs";
import { sandboxContext, type SandboxContext } from "../codegen/sidecar.js";
import { getConfig } from "../runtime.js";
import { PrepSandbox } from "../sandbox/sandbox.js";
import type { Plan, TableProfile } from "../schemas.js";

/** Opens the sandbox on code with a ctx; the error is a value so callers can route it. */
export async function openPrepCode(code: string, ctx: SandboxContext) {
  const config = getConfig();
  return PrepSandbox.open(code, ctx, { memoryLimitMb: config.sandbox.memoryLimitMb, batchTimeoutMs: config.sandbox.batchTimeoutMs });
}

/** Opens the sandbox on a script file; the error is a value so callers can route it. */
export async function openPrepSandbox(scriptPath: string, plan: Plan, profile: TableProfile) {
  return openPrepCode(readFileSync(scriptPath, "utf8"), sandboxContext(plan, profile));
}
