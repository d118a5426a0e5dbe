/**
 * Imputation of a split, files in and files out (the impute node's library, DESIGN §7): read
 * the feature cells of the training and test rows, choose a policy per column on the
 * training rows only (choose.ts), fit the chosen imputers on all training rows and apply
 * the same fitted imputers to the test rows (fill.ts), and write the imputed rows,
 * imputation/policies.json (everything needed to re-apply) and imputation/report.md. Every
 * writer answers its file's ref; nothing written is read back.
 */
import { writeFileAtomic } from "../../artifacts.js";
import type { OnProgress } from "../../events.js";
import type { CallRecord } from "../../llm/index.js";
import type { ArtifactRef, ImputationResult } from "../../state.js";
import type { ColumnKind } from "../../schemas.js";
import { featureFamily } from "../../table/kinds.js";
import { choosePolicies, type ImputationConfig } from "./choose.js";
import { fillChosen } from "./fill.js";
import { FrameColumnBuilder, missingCount, type Frame } from "./frame.js";
import type { LlmImputer, LlmImputerSummary } from "./llm-imputer.js";
import { describeValue, engineFor, policiesDocument, policyReason, writeKnnReference, type ColumnSummary } from "./policies-file.js";
import type { ImputePolicy } from "./policies.js";
import { imputationReport } from "./report.js";
import { readFrameColumns, writeImputed } from "./rows-io.js";
import { mnarSensitivity } from "./scoring.js";

export interface ImputeSplitArgs {
  /** The split's training rows (JSON lines) and their hash, recorded as what the imputers were fitted on; their count when known (the columns are sized for it). */
  train: { path: string; sha256: string; rows?: number | null };
  /** The split's test rows, their hash and count. Both files are hash-checked as they are read. */
  test: { path: string; sha256: string; rows?: number | null };
  /** Where the imputed rows, policies.json, the KNN reference rows and report.md go. */
  out: { train: string; test: string; policies: string; knnReference: string; report: string };
  /** Feature columns (never the target nor an identifier) and every column's profile kind. */
  features: string[];
  kinds: Map<string, ColumnKind>;
  target: { name: string; task: "binary" | "multiclass" | "regression"; labels: string[] };
  /** The review's policy choices by column. */
  overrides: Record<string, ImputePolicy>;
  seed: number;
  config: ImputationConfig;
  /** The LLM imputer, or null (heuristic provider): the policy is then never offered. */
  llm: LlmImputer | null;
  /** Scoring progress (engine fits done of the most there can be), and its end. */
  progress?: { update: OnProgress; finish: () => void };
}

export interface ImputeSplitResult {
  columns: ColumnSummary[];
  littleMcar: ImputationResult["littleMcar"];
  policies: ArtifactRef;
  report: ArtifactRef;
  train: ArtifactRef;
  test: ArtifactRef;
  /** The LLM imputer's calls, for the pipeline log. */
  calls: CallRecord[];
}

type Family = "numeric" | "categorical" | "other";

/** Numbers and categories can be imputed; text, dates and unknown columns only stay unknown. */
function familyOf(kind: ColumnKind | undefined): Family {
  if (kind === undefined) return "other";
  const family = featureFamily(kind);
  return family === "numeric" || family === "categorical" ? family : "other";
}

/** Chooses, fits and applies every column's imputation; writes the imputed rows, policies.json and report.md. */
export async function imputeSplit(args: ImputeSplitArgs): Promise<ImputeSplitResult> {
  const { features, kinds, seed, llm } = args;
  const cfg = args.config.imputation;
  const family = (name: string): Family => familyOf(kinds.get(name));
  // Each split is read once straight into typed columns (no cell of every row is held): numbers
  // and categories as frame columns, the other features' missing cells counted, the target's cells kept.
  const typed = features.filter((f) => family(f) !== "other");
  const trainRead = await readFrameColumns(
    { ...args.train, what: "the training split" },
    { typed: typed.map((f) => new FrameColumnBuilder(f, family(f) === "numeric" ? "numeric" : "categorical", undefined, args.train.rows ?? undefined)), counted: features.filter((f) => family(f) === "other"), raw: [args.target.name] },
  );
  const missingTrain = (name: string) => trainRead.missing.get(name) ?? 0;

  // Imputable columns: numbers and categories with at least one observed training value.
  const imputable = features.filter((f) => family(f) !== "other" && missingTrain(f) < trainRead.rows);
  const train: Frame = { rows: trainRead.rows, columns: imputable.map((f) => trainRead.columns.get(f)!) };
  const testBuilders = train.columns.map((c) => new FrameColumnBuilder(c.name, c.type, c.type === "categorical" ? c.dictionary : undefined, args.test.rows ?? undefined));
  const testRead = await readFrameColumns({ ...args.test, what: "the test split" }, { typed: testBuilders, counted: features.filter((f) => !imputable.includes(f)), raw: [] });
  const missingTest = (name: string) => testRead.missing.get(name) ?? 0;
  const test: Frame = { rows: testRead.rows, columns: train.columns.map((c) => testRead.columns.get(c.name)!) };
  // Missing cells per column (NaN or no code, as the frames hold them), counted once.
  const gapsTrain = train.columns.map(missingCount);
  const gapsTest = test.columns.map(missingCount);
  const needs = train.columns.map((_, j) => j).filter((j) => gapsTrain[j]! + gapsTest[j]! > 0);
  const leftEmpty = features.filter((f) => !imputable.includes(f) && missingTrain(f) + missingTest(f) > 0);

  const chosen = await choosePolicies({
    train,
    needs,
    target: { ...args.target, cells: trainRead.raw.get(args.target.name)! },
    overrides: args.overrides,
    llm,
    config: args.config,
    seed,
    progress: args.progress,
  });
  const { policies, scored, engineSettings } = chosen;
  const filled = await fillChosen({ train, test, needs, policies, scoredChoice: chosen.scoredChoice, settings: engineSettings, llm, seed });

  const mnar = needs.filter((j) => chosen.mechanisms.get(j)?.mechanism === "MNAR (suspected)" && policies[j] !== "unknown" && train.columns[j]!.type === "numeric");
  const sensitivity = chosen.target && mnar.length > 0 ? mnarSensitivity(chosen.analysis, chosen.target, policies, mnar, cfg.mnarDeltas, chosen.scoring) : new Map();

  const filledTrain = new Map<string, number>();
  const filledTest = new Map<string, number>();
  const trainRef = await writeImputed(args.train.path, args.out.train, filled.trainFilled, needs, kinds, filledTrain, train);
  const testRef = await writeImputed(args.test.path, args.out.test, filled.testFilled, needs, kinds, filledTest, test);

  const columns: ColumnSummary[] = [
    ...needs.map((j, k): ColumnSummary => {
      const name = train.columns[j]!.name;
      const policy = policies[j]!;
      const m = chosen.mechanisms.get(j);
      const band = sensitivity.get(j);
      const by = chosen.chosenBy.get(j) ?? "score";
      return {
        column: name,
        kind: train.columns[j]!.type,
        missingTrain: gapsTrain[j]!,
        missingTest: gapsTest[j]!,
        policy,
        value: describeValue(policy, engineFor(filled.engines, policy), j, engineSettings, llm),
        filledTrain: filledTrain.get(name) ?? 0,
        filledTest: filledTest.get(name) ?? 0,
        mechanism: m?.mechanism ?? "undetermined",
        mechanismReason: m?.reason ?? "no missing training cell in the analysed rows (missing only in the test rows)",
        chosenBy: by,
        policyReason: policyReason(policy, by, scored.columns[k]!.simpleOnly, filled.llmFilled[name]),
        maskedError: {
          ...Object.fromEntries(scored.columns[k]!.candidates.filter((c) => c.policy !== "unknown").map((c) => [c.policy, c.maskedError])),
          ...(chosen.llmScores.has(j) ? { llm: chosen.llmScores.get(j)?.maskedError ?? null } : {}),
        },
        sensitivity: band ? { metric: band.metric, deltas: cfg.mnarDeltas, values: band.values } : null,
      };
    }),
    ...leftEmpty.map((name): ColumnSummary => ({
      column: name,
      kind: "other",
      missingTrain: missingTrain(name),
      missingTest: missingTest(name),
      policy: "unknown",
      value: "left empty (rendered as unknown)",
      filledTrain: 0,
      filledTest: 0,
      mechanism: "undetermined",
      mechanismReason: family(name) === "other" ? `a ${kinds.get(name)} column: never filled by a statistic` : "no observed training value",
      chosenBy: "rule",
      policyReason: "nothing can be fitted for this column",
      maskedError: {},
      sensitivity: null,
    })),
  ];

  const knnReference = filled.engines.has("knn") ? writeKnnReference(args.out.knnReference, train, engineSettings) : null;
  // The model, its calls, and per column what it measured on its probe cells beside the
  // candidates on the same cells (null: not measured: no hidden cell, or a fallback answer).
  const llmSummary: LlmImputerSummary | null = llm
    ? {
        model: llm.model,
        calls: llm.calls.length,
        fellBack: llm.calls.filter((c) => c.fellBack).length,
        scored: Object.fromEntries([...chosen.llmScores].map(([j, s]) => [train.columns[j]!.name, s ? { cells: s.cells, llm: s.maskedError, sameCells: s.sameCells } : null])),
        budget: { ...llm.budget },
        filled: filled.llmFilled,
      }
    : null;
  const document = policiesDocument({
    fittedOn: { path: args.train.path, sha256: args.train.sha256, rows: trainRef.rows ?? 0 },
    seed,
    train,
    columns,
    engines: filled.engines,
    settings: engineSettings,
    iterativeColumns: filled.engineColumns("iterative"),
    knnReference,
    littleMcar: chosen.littleMcar,
    llm: llmSummary,
  });
  const policiesRef = writeFileAtomic(args.out.policies, JSON.stringify(document, null, 2) + "\n");
  const report = imputationReport({
    trainRows: trainRef.rows ?? 0,
    testRows: testRef.rows ?? 0,
    analysisRows: chosen.analysis.rows,
    scoring: {
      rows: scored.rows,
      epsilon: cfg.epsilon,
      expensiveFractions: scored.expensiveFractions,
      weakCorrelation: cfg.weakCorrelation,
      weakAssociation: cfg.weakAssociation,
      iterative: { ...cfg.scoringIterative, finalRounds: cfg.iterative.rounds, finalTrees: cfg.iterative.trees },
    },
    fractions: cfg.maskFractions,
    weights: cfg.weights,
    columns,
    littleMcar: chosen.littleMcar,
    downstream: scored.downstream,
    deltas: cfg.mnarDeltas,
    llm: llmSummary,
  });
  const reportRef = writeFileAtomic(args.out.report, report);
  return { columns, littleMcar: chosen.littleMcar, policies: policiesRef, report: reportRef, train: trainRef, test: testRef, calls: llm?.calls ?? [] };
}
