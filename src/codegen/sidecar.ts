/**
 * The contract's `ctx` (DESIGN §3): what generated code may read besides the row. It
 * is written next to the script as `prepare_data.ctx.json` at codegen time, so
 * `tabtune apply` runs the approved code with exactly the ctx it was written for.
 */
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { writeFileAtomic } from "../artifacts.js";
import { ColumnKind, Plan, type TableProfile } from "../schemas.js";
import type { Checked } from "../sandbox/validate.js";

/** Statistics of one column from the profile, as generated code sees them. */
export const ColumnStats = z.object({
  kind: ColumnKind,
  missingRate: z.number(),
  distinct: z.number().int(),
  /** Numeric columns only, else null. */
  min: z.number().nullable(),
  max: z.number().nullable(),
  mean: z.number().nullable(),
  median: z.number().nullable(),
  std: z.number().nullable(),
  /** Most frequent values, most frequent first. */
  topValues: z.array(z.string()),
});

/** `ctx`: the plan, the label mapping (raw target value → label text) and column statistics. */
export const SandboxContext = z.object({
  plan: Plan,
  labels: z.record(z.string(), z.string()),
  columns: z.record(z.string(), ColumnStats),
});
export type SandboxContext = z.infer<typeof SandboxContext>;

/** The sidecar file: the ctx and which plan and try the script belongs to. */
export const PrepSidecar = z.object({
  format: z.literal(1),
  planVersion: z.number().int(),
  attempt: z.number().int(),
  ctx: SandboxContext,
});
export type PrepSidecar = z.infer<typeof PrepSidecar>;

/** What generated code may read besides the row: the plan, the label mapping and per-column statistics. */
export function sandboxContext(plan: Plan, profile: Pick<TableProfile, "columns">): SandboxContext {
  return {
    plan,
    labels: plan.labels,
    columns: Object.fromEntries(
      profile.columns.map((c) => [
        c.name,
        {
          kind: c.kind,
          missingRate: c.missingRate,
          distinct: c.distinct,
          min: c.numeric?.min ?? null,
          max: c.numeric?.max ?? null,
          mean: c.numeric?.mean ?? null,
          median: c.numeric?.median ?? null,
          std: c.numeric?.std ?? null,
          topValues: c.topValues.map((t) => t.value),
        },
      ]),
    ),
  };
}

/** `scripts/prepare_data.js` → `scripts/prepare_data.ctx.json`. */
export function sidecarPath(scriptPath: string): string {
  return scriptPath.replace(/\.js$/, "") + ".ctx.json";
}

export function writePrepSidecar(scriptPath: string, sidecar: Omit<PrepSidecar, "format">): string {
  const path = sidecarPath(scriptPath);
  writeFileAtomic(path, JSON.stringify({ format: 1, ...sidecar }, null, 2) + "\n");
  return path;
}

/** Reads and validates the sidecar of a script; why not, as a sentence, when it cannot. */
export function readPrepSidecar(scriptPath: string): Checked<PrepSidecar> {
  const path = sidecarPath(scriptPath);
  if (!existsSync(path)) return { ok: false, error: `${path} does not exist (codegen writes it next to the script)` };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return { ok: false, error: `${path} is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = PrepSidecar.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, error: `${path} is not a tabtune ctx file: ${first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid"}` };
  }
  return { ok: true, value: parsed.data };
}
