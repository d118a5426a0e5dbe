/**
 * Applying the chosen policies: every engine a column takes its values from is fitted once on
 * all training rows, for those columns only; the test rows get the same fitted imputers; the
 * model's columns are then asked of it while its budget lasts, the rest of their cells keeping
 * the scored choice's fill.
 */
import { combine, engineOf, fitEngine, type Engine, type EngineSettings, type FittedEngine } from "./engines.js";
import type { Frame } from "./frame.js";
import type { LlmImputer, LlmImputerSummary } from "./llm-imputer.js";
import type { ImputePolicy } from "./policies.js";

export interface Filled {
  /** The fitted engines by name. */
  engines: Map<Engine, FittedEngine>;
  trainFilled: Frame;
  testFilled: Frame;
  /** Per column the model filled: cells it answered and cells its budget left to the fallback. */
  llmFilled: LlmImputerSummary["filled"];
  /** The policy whose engine fills column j: the scored choice for the model's columns. */
  fallbackOf(j: number): ImputePolicy | null;
  /** Columns among `needs` whose values come from `engine`. */
  engineColumns(engine: Engine): number[];
}

export interface FillArgs {
  train: Frame;
  test: Frame;
  needs: number[];
  policies: (ImputePolicy | null)[];
  /** The lowest-scored policy per needing column (what a model's column falls back to). */
  scoredChoice: Map<number, ImputePolicy>;
  settings: EngineSettings;
  llm: LlmImputer | null;
  seed: number;
}

/** Fits the chosen engines on the training rows and fills both splits. */
export async function fillChosen(args: FillArgs): Promise<Filled> {
  const { train, test, needs, policies, settings, llm, seed } = args;
  // A column the model fills takes the scored choice's fill where its budget runs out.
  const fallbackOf = (j: number): ImputePolicy | null => (policies[j] === "llm" ? (args.scoredChoice.get(j) ?? null) : (policies[j] ?? null));
  const engines = new Map<Engine, FittedEngine>();
  const engineColumns = (engine: Engine) =>
    needs.filter((j) => {
      const p = fallbackOf(j);
      return p !== null && engineOf(p) === engine;
    });
  for (const j of needs) {
    const p = fallbackOf(j);
    const engine = p ? engineOf(p) : null;
    if (engine && !engines.has(engine)) engines.set(engine, fitEngine(engine, train, settings, engineColumns(engine), engineColumns(engine)));
  }
  const basePolicies = train.columns.map((_, j) => fallbackOf(j));
  const trainFilled = combine(train, new Map([...engines].map(([e, f]) => [e, f.trainFilled])), basePolicies);
  const testFilled = combine(test, new Map([...engines].map(([e, f]) => [e, f.apply(test)])), basePolicies);
  const llmFilled: LlmImputerSummary["filled"] = {};
  for (const j of needs) {
    if (policies[j] !== "llm" || !llm) continue;
    const a = await llm.fill(train, train, j, seed, trainFilled.columns[j]);
    const b = await llm.fill(test, train, j, seed, testFilled.columns[j]);
    trainFilled.columns[j] = a.column;
    testFilled.columns[j] = b.column;
    const fallback = fallbackOf(j);
    llmFilled[train.columns[j]!.name] = { asked: a.asked + b.asked, byFallback: a.unasked + b.unasked, fallback: fallback && fallback !== "llm" && engineOf(fallback) ? fallback : "none (left empty)" };
  }
  return { engines, trainFilled, testFilled, llmFilled, fallbackOf, engineColumns };
}
