/**
 * Re-applies a run's fitted imputation to new cleaned rows, from its imputation/policies.json:
 * the same engines are refitted on the same training rows with the same settings and seed
 * (every engine is deterministic, so they are the imputers the run used), then applied to
 * the new rows exactly as impute applied them to the test rows.
 */
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { sha256File } from "../../artifacts.js";
import { TabtuneError } from "../../errors.js";
import { combine, ENGINES, engineOf, fitEngine, type Engine, type EngineSettings } from "./engines.js";
import { buildColumn, type Frame } from "./frame.js";
import { IMPUTE_POLICIES, type ImputePolicy } from "./policies.js";
import { readColumns, writeImputed } from "./rows-io.js";

const KnnSettings = z.object({ k: z.number().int().positive(), referenceRows: z.number().int().positive(), seed: z.number() });
const IterativeSettings = z.object({
  rounds: z.number().int().positive(),
  trees: z.number().int().positive(),
  maxDepth: z.number().int().positive(),
  minLeaf: z.number().int().positive(),
  fitRows: z.number().int().positive(),
  seed: z.number(),
  modelled: z.array(z.string()),
});

/** The part of policies.json that re-applying reads. */
const Policies = z.object({
  fittedOn: z.object({ path: z.string(), sha256: z.string(), rows: z.number().int() }),
  columnOrder: z.array(z.object({ name: z.string(), kind: z.enum(["numeric", "categorical"]), levels: z.array(z.string()).optional() })),
  columns: z.array(z.object({ column: z.string(), policy: z.enum(IMPUTE_POLICIES) })),
  engines: z.object({ knn: KnnSettings.optional(), iterative: IterativeSettings.optional() }).loose(),
});

export interface Reapplied {
  rows: number;
  /** Cells filled per column. */
  filled: Map<string, number>;
  /** Columns with missing new cells that the run had no policy for (they stay empty: "unknown"). */
  unfitted: Map<string, number>;
  /** Columns the run filled by asking a model: apply calls no model, so their new gaps stay empty. */
  askedModel: string[];
}

function policiesError(path: string, message: string, suggestion: string): TabtuneError {
  return new TabtuneError("policies_invalid", `${path}: ${message}`, { suggestion });
}

/**
 * Fills the missing cells of the cleaned rows in `from` (JSON lines) with the imputers of
 * `policiesPath` and writes them to `to`. `kinds`: each column's profile kind, so an
 * integer stays an integer and a boolean a boolean.
 * @throws TabtuneError when policies.json is not a tabtune policies file or the training
 * rows it was fitted on are gone or changed.
 */
export async function reapplyImputation(policiesPath: string, from: string, to: string, kinds: Map<string, string>): Promise<Reapplied> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(policiesPath, "utf8"));
  } catch (error) {
    throw policiesError(policiesPath, `not readable JSON (${error instanceof Error ? error.message : String(error)})`, "pass <run>/imputation/policies.json of a tabtune run");
  }
  const parsed = Policies.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw policiesError(policiesPath, `not a tabtune policies file (${first ? `${first.path.join(".")}: ${first.message}` : "invalid"})`, "pass <run>/imputation/policies.json of a tabtune run");
  }
  const p = parsed.data;
  const fit = p.fittedOn;
  if (!existsSync(fit.path)) throw policiesError(policiesPath, `the training rows it was fitted on, ${fit.path}, no longer exist`, "re-apply from a run whose folder is complete, or re-run tabtune");
  if ((await sha256File(fit.path)) !== fit.sha256) throw policiesError(policiesPath, `the training rows it was fitted on, ${fit.path}, have changed since`, "re-run tabtune to fit the imputers again");

  const names = p.columnOrder.map((c) => c.name);
  const trainCells = await readColumns(fit.path, names);
  const train: Frame = { rows: trainCells.rows, columns: p.columnOrder.map((c) => buildColumn(c.name, c.kind, trainCells.cells.get(c.name)!, c.levels)) };
  const newCells = await readColumns(from, names);
  const fresh: Frame = {
    rows: newCells.rows,
    columns: train.columns.map((c) => buildColumn(c.name, c.type, newCells.cells.get(c.name)!, c.type === "categorical" ? c.dictionary : undefined)),
  };

  const policyOf = new Map(p.columns.map((c) => [c.column, c.policy]));
  const policies: (ImputePolicy | null)[] = names.map((name) => policyOf.get(name) ?? null);
  const { knn, iterative } = p.engines;
  const settings: EngineSettings = {
    knn: knn ?? { k: 1, referenceRows: 1, seed: 0 },
    iterative: iterative ? { ...iterative } : { rounds: 1, trees: 1, maxDepth: 1, minLeaf: 1, fitRows: 1, seed: 0 },
  };
  const keep = (iterative?.modelled ?? []).map((name) => names.indexOf(name)).filter((j) => j >= 0);
  const filledFrames = new Map<Engine, Frame>();
  for (const policy of policies) {
    const engine = policy ? engineOf(policy) : null;
    if (engine === null || filledFrames.has(engine)) continue;
    if ((engine === "knn" && !knn) || (engine === "iterative" && !iterative) || !ENGINES.includes(engine))
      throw policiesError(policiesPath, `policy ${policy} has no fitted ${engine} settings`, "re-run tabtune to write the policies again");
    // Each engine is fitted for the columns that take its values, as the impute node fitted it.
    const only = names.map((_, j) => j).filter((j) => { const q = policies[j]; return q !== null && q !== undefined && engineOf(q) === engine; });
    filledFrames.set(engine, fitEngine(engine, train, settings, keep, only).apply(fresh));
  }
  const filledFrame = combine(fresh, filledFrames, policies);
  const columns = names.map((_, j) => j).filter((j) => policies[j] !== null && policies[j] !== "unknown");
  const filled = new Map<string, number>();
  const rows = (await writeImputed(from, to, filledFrame, columns, kinds, filled, fresh)).rows ?? 0;

  const unfitted = new Map<string, number>();
  for (const [name, cells] of newCells.cells) {
    const gaps = cells.filter((c) => c === null).length;
    if (gaps > 0 && !policyOf.has(name)) unfitted.set(name, gaps);
  }
  const askedModel = names.filter((_, j) => policies[j] === "llm");
  return { rows, filled, unfitted, askedModel };
}
