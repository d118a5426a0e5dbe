/**
 * The report's baseline blocks: the metrics table headed by the chosen model, then both
 * candidates (random forest, linear model) with their cross-validated and test scores, which
 * one is the baseline the LLM is compared with, and why. The choice is read from
 * results.json's `baselineChoice`: `folds` (k-fold cross-validation) since issue 15, a
 * `validationRatio` (one validation fold) before it, both read; a results.json written before
 * the linear baseline shows the table alone, as before.
 */
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import type { EvaluationResult } from "../state.js";
import type { Block } from "./document.js";
import { metricsTable } from "./metrics-table.js";

/** A number, or null where JSON.stringify wrote a NaN (an undefined R², an empty interval). */
const num = z.number().nullable();
const Interval = z.object({ low: num, high: num });
const Classification = z.object({
  accuracy: num,
  macroF1: num,
  rocAuc: num.optional(),
  ci: z.object({ accuracy: Interval.optional(), macroF1: Interval.optional() }).passthrough().optional(),
});
const Regression = z.object({ rmse: num, mae: num, r2: num, ci: z.object({ rmse: Interval.optional() }).passthrough().optional() });
const Candidate = z.object({
  kind: z.enum(["random_forest", "linear"]),
  model: z.string(),
  chosen: z.boolean(),
  validation: z.union([z.object({ accuracy: num, macroF1: num }), z.object({ r2: num, rmse: num })]),
  test: z.union([Classification, Regression]),
  converged: z.boolean().optional(),
});
export const BaselineChoice = z.object({
  chosen: z.enum(["random_forest", "linear"]),
  model: z.string(),
  reason: z.string(),
  metric: z.enum(["accuracy", "r2"]),
  /** Cross-validation's folds (1: scored in sample); absent in a results.json of the one-fold choice. */
  folds: z.number().int().positive().optional(),
  /** Folds scored (the first ones in turn until baseline.cvValidationRows rows were scored); absent: all of them. */
  scoredFolds: z.number().int().positive().optional(),
  /** Rows dealt into the folds; absent: validationRows (every fold was scored). */
  cvRows: z.number().int().optional(),
  /** The one validation fold's share, in a results.json written before cross-validation. */
  validationRatio: z.number().optional(),
  fitRows: z.number().int(),
  validationRows: z.number().int(),
  /** Training rows the cross-validation sampled from (validationRows when it took them all). */
  sourceRows: z.number().int().optional(),
  /** Linear − forest cross-validated score and its standard error; absent in an older results.json. */
  difference: z.object({ mean: z.number(), se: z.number() }).optional(),
  candidates: z.array(Candidate),
  savedModel: z.string().optional(),
});
export type BaselineChoice = z.infer<typeof BaselineChoice>;

/** results.json's baselineChoice, or null (no file, or written before the linear baseline). */
export function readBaselineChoice(resultsPath: string): BaselineChoice | null {
  return existsSync(resultsPath) ? baselineChoiceOf(JSON.parse(readFileSync(resultsPath, "utf8"))) : null;
}

/** The baselineChoice of results.json's parsed content, or null (none, or written before the linear baseline). */
export function baselineChoiceOf(results: unknown): BaselineChoice | null {
  const parsed = z.object({ baselineChoice: BaselineChoice }).safeParse(results);
  return parsed.success ? parsed.data.baselineChoice : null;
}

const f4 = (x: number | null) => (x === null || !Number.isFinite(x) ? "—" : x.toFixed(4));
const withCi = (x: number | null, ci: { low: number | null; high: number | null } | undefined) => (ci && ci.low !== null && ci.high !== null && x !== null ? `${f4(x)} [${f4(ci.low)}, ${f4(ci.high)}]` : f4(x));

/** Both candidates, one row each: cross-validated (or, in an older results.json, validation-fold) scores, test scores, chosen or not. */
export function candidatesTable(choice: BaselineChoice): Block {
  const classification = choice.metric === "accuracy";
  const v = choice.folds === undefined ? "validation" : "CV";
  const head = classification
    ? ["model", `${v} accuracy`, `${v} macro-F1`, "test accuracy", "test macro-F1", "test ROC-AUC", "baseline"]
    : ["model", `${v} R²`, `${v} RMSE`, "test RMSE", "test MAE", "test R²", "baseline"];
  const rows = choice.candidates.map((c) => {
    const v = "accuracy" in c.validation ? [f4(c.validation.accuracy), f4(c.validation.macroF1)] : [f4(c.validation.r2), f4(c.validation.rmse)];
    const t =
      "accuracy" in c.test
        ? [withCi(c.test.accuracy, c.test.ci?.accuracy), withCi(c.test.macroF1, c.test.ci?.macroF1), f4(c.test.rocAuc ?? null)]
        : [withCi(c.test.rmse, c.test.ci?.rmse), f4(c.test.mae), f4(c.test.r2)];
    return [c.model + (c.converged === false ? " (not converged)" : ""), ...v, ...t, c.chosen ? "chosen" : ""];
  });
  return { table: { head, rows } };
}

/** The results section's baseline blocks (the metrics table first); `choice` is results.json's, read from e.results when not given. */
export function baselineBlocks(e: EvaluationResult, choice: BaselineChoice | null = readBaselineChoice(e.results.path)): Block[] {
  const table: Block = { pre: metricsTable(e.baseline, e.llm, choice ? `baseline: ${choice.model}` : "baseline") };
  if (!choice) return [table];
  return [
    table,
    {
      p:
        `Two classical models were fitted, a random forest and a regularized linear model (standardized numbers, one-hot categories). ` +
        `${howScored(choice)}; the stronger there is the baseline the LLM is compared with, so the test rows play no part in the choice. ${capitalize(choice.reason)}.`,
    },
    candidatesTable(choice),
    ...(choice.savedModel && choice.savedModel !== choice.chosen ? [{ note: `baseline/model.json (tabtune predict) holds the ${choice.savedModel === "random_forest" ? "random forest" : choice.savedModel}, not the chosen model.` }] : []),
  ];
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** How the candidates were scored: k-fold cross-validation, or (an older results.json) one validation fold. */
function howScored(choice: BaselineChoice): string {
  if (choice.folds === undefined) {
    const pct = choice.validationRatio === undefined ? "" : `${Math.round(choice.validationRatio * 100)}%, `;
    return `Each was scored on a seeded validation fold of the training rows (${pct}${choice.validationRows} rows, before balancing; fitted on the other ${choice.fitRows})`;
  }
  if (choice.folds === 1) return `Each was scored on the ${choice.validationRows} training rows it was fitted on (too few to hold a fold out)`;
  const cvRows = choice.cvRows ?? choice.validationRows;
  const sample = choice.sourceRows !== undefined && choice.sourceRows > cvRows ? `, a seeded sample of the ${choice.sourceRows}` : "";
  if (choice.scoredFolds !== undefined && choice.scoredFolds < choice.folds) {
    return (
      `Each was cross-validated on the training rows before balancing: ${choice.folds} seeded folds of ${cvRows} rows${sample}, ` +
      `the first ${choice.scoredFolds === 1 ? "fold" : `${choice.scoredFolds} folds`} scored (${choice.validationRows} rows, enough to measure the difference; each by models fitted on the other folds, at least ${choice.fitRows} rows), the out-of-fold predictions pooled into one score`
    );
  }
  return (
    `Each was cross-validated on the training rows before balancing: ${choice.folds} seeded folds of ${choice.validationRows} rows${sample}, ` +
    `each row scored once by models fitted on the other folds (at least ${choice.fitRows} rows), the out-of-fold predictions pooled into one score`
  );
}
