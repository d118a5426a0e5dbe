/**
 * Choosing a policy per column on the training rows only: the analysis sample, Little's
 * test, each column's mechanism, candidate scores on masked cells and downstream, the LLM
 * imputer's probe scores, then per column the review's override or the lowest score (the
 * model only when it measured better than the scored choice on the same cells).
 */
import type { Config } from "../../config.js";
import type { OnProgress } from "../../events.js";
import type { ImputationResult, ImputedColumn } from "../../state.js";
import { weakMcarReason } from "./budget.js";
import type { EngineSettings } from "./engines.js";
import { missingCount, sampleRows, takeRows, type Frame } from "./frame.js";
import { littleMcarTest } from "./little-mcar.js";
import type { LlmImputer, LlmScore } from "./llm-imputer.js";
import { columnMechanisms, type ColumnMechanism } from "./mechanism.js";
import { policyFits, type ImputePolicy } from "./policies.js";
import { scoreColumns, type DownstreamTarget, type ScoringRun, type ScoringSettings } from "./scoring.js";

/** The imputation and baseline settings choosing reads (config.imputation, config.baseline). */
export type ImputationConfig = Pick<Config, "imputation" | "baseline">;

/** The prediction target of the training rows: its name, task, class labels and raw cells. */
export interface TrainingTarget {
  name: string;
  task: DownstreamTarget["task"];
  labels: string[];
  cells: (string | number | boolean | null)[];
}

export interface ChooseArgs {
  /** Imputable training columns (numbers and categories with an observed value). */
  train: Frame;
  /** Columns (frame positions) with a missing cell in the training or the test rows. */
  needs: number[];
  target: TrainingTarget;
  /** The review's choices by column name; one that does not fit the column is ignored. */
  overrides: Record<string, ImputePolicy>;
  /** The LLM imputer, or null with the heuristic provider. */
  llm: LlmImputer | null;
  config: ImputationConfig;
  seed: number;
  /** Scoring progress (engine fits done of the most there can be), and its end. */
  progress?: { update: OnProgress; finish: () => void };
}

export interface Choices {
  /** The seeded analysis sample of the training rows (positions) and its frame. */
  index: number[];
  analysis: Frame;
  littleMcar: ImputationResult["littleMcar"];
  mechanisms: Map<number, ColumnMechanism>;
  engineSettings: EngineSettings;
  scoring: ScoringSettings;
  scored: ScoringRun;
  /** The downstream target of the analysis rows; null when no column is imputable. */
  target: DownstreamTarget | null;
  llmScores: Map<number, LlmScore | null>;
  /** Policy per frame column (null where nothing is missing). */
  policies: (ImputePolicy | null)[];
  chosenBy: Map<number, ImputedColumn["chosenBy"]>;
  /** The lowest-scored policy of each needing column (the LLM column's fallback). */
  scoredChoice: Map<number, ImputePolicy>;
}

/** Little's test on the numeric columns of the analysis rows; null when nothing is missing or the covariance is singular. */
function littleOn(analysis: Frame): ImputationResult["littleMcar"] {
  const numeric = analysis.columns.filter((c) => c.type === "numeric");
  if (!numeric.some((c) => missingCount(c) > 0)) return null;
  try {
    const t = littleMcarTest(numeric.map((c) => (c.type === "numeric" ? c.values : new Float64Array())));
    return t ? { ...t, columns: numeric.map((c) => c.name) } : null;
  } catch {
    return null; // a singular covariance (collinear columns): reported as not computed
  }
}

/** Mechanisms, scores and the policy of every column in `needs`. */
export async function choosePolicies(args: ChooseArgs): Promise<Choices> {
  const { train, needs, llm, seed } = args;
  const cfg = args.config.imputation;
  const baseline = args.config.baseline;
  // Analysis rows: a seeded sample at scale; mechanisms and scores never see the test rows.
  const index = sampleRows(train.rows, cfg.maxAnalysisRows, seed);
  const analysis = takeRows(train, index);
  const littleMcar = littleOn(analysis);
  const withTrainGaps = needs.filter((j) => missingCount(analysis.columns[j]!) > 0);
  const mechanisms = new Map<number, ColumnMechanism>(
    columnMechanisms(analysis, withTrainGaps, { ...cfg.probe, marAuc: cfg.marAuc, mcarAlpha: cfg.mcarAlpha, seed }).map((m, k) => [withTrainGaps[k]!, m]),
  );

  const engineSettings: EngineSettings = { knn: { ...cfg.knn, seed }, iterative: { ...cfg.iterative, seed } };
  // Scoring ranks the candidates with a lighter iterative engine (imputation.scoringIterative).
  const scoring: ScoringSettings = {
    fractions: cfg.maskFractions,
    weights: cfg.weights,
    engines: { knn: engineSettings.knn, iterative: { ...engineSettings.iterative, ...cfg.scoringIterative } },
    downstream: { trees: cfg.downstream.trees, maxDepth: baseline.maxDepth, maxFeatures: baseline.maxFeatures, validationRatio: cfg.downstream.validationRatio },
    seed,
    maxRows: cfg.scoringRows,
    epsilon: cfg.epsilon,
  };
  // MCAR columns the others barely predict: nothing for KNN or iterative to learn (budget.ts).
  const simpleOnly = new Map<number, string>();
  const weak = { correlation: cfg.weakCorrelation, association: cfg.weakAssociation };
  for (const j of needs) {
    const reason = weakMcarReason(analysis, j, mechanisms.get(j)?.mechanism, weak);
    if (reason) simpleOnly.set(j, reason);
  }
  const t = args.target;
  const target: DownstreamTarget | null =
    analysis.columns.length > 0 ? { name: t.name, task: t.task, labels: t.labels, values: index.map((i) => (t.task === "regression" ? Number(t.cells[i]) : String(t.cells[i]))) } : null;
  // With a model, categorical columns may also be asked of it: on a bounded share of the
  // same hidden cells (probes), beside every candidate's error on exactly those cells. No
  // downstream check: that would ask it for every validation row.
  const llmColumns = llm ? needs.filter((j) => train.columns[j]!.type === "categorical") : [];
  const probe = llm && llmColumns.length > 0 ? { columns: llmColumns, maxCells: cfg.llm.maxScoredCells, examples: llm.exampleRows } : null;
  const scored: ScoringRun =
    needs.length > 0
      ? scoreColumns(analysis, needs, target, scoring, { probe, onProgress: args.progress?.update, simpleOnly })
      : { columns: [], downstream: null, probes: new Map(), rows: 0, expensiveFractions: 0 };
  if (needs.length > 0) args.progress?.finish();
  const llmScores = new Map<number, LlmScore | null>();
  if (llm) for (const j of llmColumns) llmScores.set(j, await llm.score(j, scored.probes.get(j) ?? []));

  // Choice per column: the review override, else the lowest score.
  const policies: (ImputePolicy | null)[] = train.columns.map(() => null);
  const chosenBy = new Map<number, ImputedColumn["chosenBy"]>();
  needs.forEach((j, k) => {
    const col = train.columns[j]!;
    const override = args.overrides[col.name];
    if (override && policyFits(override, col.type) && (override !== "llm" || llm !== null)) {
      policies[j] = override;
      chosenBy.set(j, "user");
    } else {
      // The model wins only by measuring better than the scored choice on the same cells.
      const best = scored.columns[k]!.best;
      const asked = llmScores.get(j);
      policies[j] = asked && asked.maskedError < (asked.sameCells[best] ?? Number.POSITIVE_INFINITY) - 1e-12 ? "llm" : best;
      chosenBy.set(j, "score");
    }
  });
  const scoredChoice = new Map(needs.map((j, k) => [j, scored.columns[k]!.best]));
  return { index, analysis, littleMcar, mechanisms, engineSettings, scoring, scored, target, llmScores, policies, chosenBy, scoredChoice };
}
