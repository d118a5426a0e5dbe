/**
 * imputation/policies.json: everything needed to re-apply a run's imputation (reapply.ts
 * reads it), and the sentences that say why each column got its policy. KNN keeps its
 * reference rows in a file beside it; iterative forests are not serialized: re-applying
 * refits them from `fittedOn` with the same settings and seed (deterministic), then applies
 * them to the new rows.
 */
import { writeFileAtomic } from "../../artifacts.js";
import type { ArtifactRef, ImputationResult, ImputedColumn } from "../../state.js";
import { engineOf, type Engine, type EngineSettings, type FittedEngine } from "./engines.js";
import { sampleRows, takeRows, type Frame } from "./frame.js";
import type { LlmImputer, LlmImputerSummary } from "./llm-imputer.js";
import type { ImputePolicy } from "./policies.js";
import type { Cell } from "./rows-io.js";
import type { SimpleOnly } from "./scoring.js";

/** A column of the imputation summary: what state keeps, plus what only the files show. */
export type ColumnSummary = ImputedColumn & {
  kind: "numeric" | "categorical" | "other";
  missingTrain: number;
  missingTest: number;
  policyReason: string;
};

/** What fills a column, for people: the fitted value, or the engine in words. */
export function describeValue(policy: ImputePolicy, engine: FittedEngine | undefined, j: number, settings: EngineSettings, llm: LlmImputer | null): string | number {
  if (policy === "unknown") return "left empty (rendered as unknown)";
  if (policy === "llm") return `asked of ${llm?.model ?? "the model"} one row at a time, training values only`;
  if (policy === "knn") return `${settings.knn.k} nearest neighbours`;
  if (policy === "iterative") return `forest chained equations, ${settings.iterative.rounds} rounds`;
  const value = engine?.fills[j]?.value;
  return value === null || value === undefined ? "no observed training value" : typeof value === "number" ? Number(value.toPrecision(6)) : value;
}

/** Why a column got its policy, in a sentence for policies.json and the report. */
export function policyReason(policy: ImputePolicy, by: ImputedColumn["chosenBy"], simpleOnly: SimpleOnly | null, llm: LlmImputerSummary["filled"][string] | undefined): string {
  const budget = llm && llm.byFallback > 0 ? `; the model's budget (imputation.llm.maxCalls / maxTokens) ran out: ${llm.byFallback} of ${llm.asked + llm.byFallback} cells took the scored choice (${llm.fallback})` : "";
  if (by === "user") return `your choice at the review${budget}`;
  if (policy === "llm") return `the model's masked error beat the scored choice's on the same cells${budget}`;
  if (!simpleOnly) return "lowest score among every candidate";
  if (simpleOnly.rule === "given") return `lowest score among the simple policies: ${simpleOnly.reason}`;
  return `lowest score among the simple policies: after ${simpleOnly.afterFractions} mask fraction${simpleOnly.afterFractions === 1 ? "" : "s"} the best simple policy's error ${simpleOnly.simple.toFixed(3)} was within ε = ${simpleOnly.epsilon} of the best ${simpleOnly.best.toFixed(3)} (imputation.epsilon), so KNN and iterative were not scored further nor chosen`;
}

/** The KNN reference rows (raw values, missing as null) as the fitted KNN imputer samples them. */
function knnReferenceRows(train: Frame, settings: EngineSettings): Record<string, Cell>[] {
  const ref = takeRows(train, sampleRows(train.rows, settings.knn.referenceRows, settings.knn.seed));
  return Array.from({ length: ref.rows }, (_, i) =>
    Object.fromEntries(ref.columns.map((c) => [c.name, c.type === "numeric" ? (Number.isNaN(c.values[i]!) ? null : c.values[i]!) : c.codes[i]! < 0 ? null : c.dictionary[c.codes[i]!]!])),
  );
}

/** Writes the KNN reference rows (JSON lines) and answers their ref (hash and rows from the writer). */
export function writeKnnReference(path: string, train: Frame, settings: EngineSettings): ArtifactRef {
  const rows = knnReferenceRows(train, settings);
  return writeFileAtomic(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n", rows.length);
}

export interface PoliciesArgs {
  fittedOn: { path: string; sha256: string; rows: number };
  seed: number;
  train: Frame;
  columns: ColumnSummary[];
  engines: Map<Engine, FittedEngine>;
  settings: EngineSettings;
  /** Columns the iterative engine models. */
  iterativeColumns: number[];
  knnReference: ArtifactRef | null;
  littleMcar: ImputationResult["littleMcar"];
  llm: LlmImputerSummary | null;
}

/** The policies.json document: the columns' policies and every fitted parameter. */
export function policiesDocument(a: PoliciesArgs): unknown {
  const { engines, settings, train } = a;
  const knn = engines.get("knn");
  const reference = a.knnReference ? { path: a.knnReference.path, sha256: a.knnReference.sha256, rows: a.knnReference.rows } : null;
  return {
    fittedOn: a.fittedOn,
    seed: a.seed,
    columnOrder: train.columns.map((c) => ({ name: c.name, kind: c.type, levels: c.type === "categorical" ? c.dictionary : undefined })),
    columns: a.columns.map(({ column, kind, policy, chosenBy, mechanism, value, policyReason: reason }) => ({
      column,
      kind,
      policy,
      chosenBy,
      mechanism,
      value,
      reason,
      // The model's column: where its budget ran out, the cells took this policy's fill.
      ...(policy === "llm" && a.llm?.filled[column] ? { fallback: a.llm.filled[column].fallback } : {}),
    })),
    engines: {
      ...(engines.has("median") ? { median: engines.get("median")!.fills } : {}),
      ...(engines.has("mean") ? { mean: engines.get("mean")!.fills } : {}),
      ...(knn ? { knn: { ...settings.knn, metric: "nan_euclidean on training-standardized numbers, 0/1 for categories", fallback: knn.fills, reference } } : {}),
      ...(engines.has("iterative")
        ? {
            iterative: {
              ...settings.iterative,
              start: engines.get("iterative")!.fills,
              modelled: a.iterativeColumns.map((j) => train.columns[j]!.name),
              reapply: "refit on fittedOn with these settings and seed, then apply the last round's forests `rounds` times",
            },
          }
        : {}),
    },
    littleMcar: a.littleMcar,
    llmImputer: a.llm,
  };
}

/** The policy's engine, for describeValue (the simple fills live in the median engine). */
export function engineFor(engines: Map<Engine, FittedEngine>, policy: ImputePolicy): FittedEngine | undefined {
  return engines.get(engineOf(policy) ?? "median");
}
