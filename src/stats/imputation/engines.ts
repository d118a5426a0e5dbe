/**
 * The four ways of producing values (mean, median — whose categorical half is the mode —,
 * KNN, iterative) behind one interface: fit on training rows, get the imputed training
 * copy, apply the same fitted imputer to any other rows. A column's policy names the
 * engine whose output it takes; "unknown" takes none and leaves the cell empty.
 */
import type { Frame } from "./frame.js";
import { applyIterative, fitIterative, type IterativeSettings } from "./iterative.js";
import { applyKnn, fitKnn, type KnnSettings } from "./knn.js";
import type { ImputePolicy } from "./policies.js";
import { applySimple, fitSimple, type SimpleFill } from "./simple.js";

export const ENGINES = ["median", "mean", "knn", "iterative"] as const;
export type Engine = (typeof ENGINES)[number];

export interface EngineSettings {
  knn: KnnSettings;
  iterative: IterativeSettings;
}

export interface FittedEngine {
  engine: Engine;
  /** The training rows imputed (fit_transform). */
  trainFilled: Frame;
  /** The same fitted imputer applied to other rows (transform). */
  apply(frame: Frame): Frame;
  /** Simple fills per column (mean/median/mode; for KNN and iterative the fallback / start). */
  fills: SimpleFill[];
}

/**
 * The engine a policy takes its values from; null for "unknown" and for "llm" (its cells
 * are filled by the model after the engines, see llm-imputer.ts).
 * @example engineOf("mode") // "median" (categorical columns of the median engine get the mode)
 */
export function engineOf(policy: ImputePolicy): Engine | null {
  if (policy === "unknown" || policy === "llm") return null;
  return policy === "mode" ? "median" : policy;
}

/**
 * Fits one engine on training rows. `keep`: columns iterative must model for new rows.
 * `only`: the columns that take this engine's values (KNN and the simple engines fill,
 * iterative models only these; the simple engines still fit every column, policies.json
 * lists them all); null: every column. Outside `only` the filled frames hold the input's
 * own columns.
 */
export function fitEngine(engine: Engine, train: Frame, settings: EngineSettings, keep: number[] = [], only: number[] | null = null): FittedEngine {
  if (engine === "mean" || engine === "median") {
    const fills = fitSimple(train, engine);
    return { engine, fills, trainFilled: applySimple(train, fills, only), apply: (frame) => applySimple(frame, fills, only) };
  }
  if (engine === "knn") {
    const model = fitKnn(train, settings.knn);
    return { engine, fills: model.fallback, trainFilled: applyKnn(model, train, only), apply: (frame) => applyKnn(model, frame, only) };
  }
  const { model, filled } = fitIterative(train, settings.iterative, keep, only);
  return { engine, fills: model.init, trainFilled: filled, apply: (frame) => applyIterative(model, frame) };
}

/**
 * Column j from the engine its policy names (policies by column position; null or
 * "unknown" keeps the original, missing cells and all).
 */
export function combine(original: Frame, filled: Map<Engine, Frame>, policies: (ImputePolicy | null)[]): Frame {
  return {
    rows: original.rows,
    columns: original.columns.map((col, j) => {
      const policy = policies[j] ?? null;
      const engine = policy === null ? null : engineOf(policy);
      const source = engine === null ? undefined : filled.get(engine);
      return source ? source.columns[j]! : col;
    }),
  };
}
