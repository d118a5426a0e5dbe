/**
 * impute (the Impute-Agent capability, DESIGN §7): on the training rows only, estimate why
 * each feature's values are missing, score candidate policies on masked cells and on the
 * baseline's validation metric, choose per column (a review override wins), fit the chosen
 * imputers on all training rows and apply the same fitted imputers to the test rows. Writes
 * imputation/policies.json (everything needed to re-apply) and imputation/report.md.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifactRef, sha256File, writeFileAtomic } from "../artifacts.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { callLogEntry } from "../llm/index.js";
import { getConfig, getDecider } from "../runtime.js";
import type { ImputedColumn, State, Update } from "../state.js";
import { combine, fitEngine, engineOf, type Engine, type EngineSettings, type FittedEngine } from "../stats/imputation/engines.js";
import { buildColumn, missingCount, sampleRows, takeRows, type Frame } from "../stats/imputation/frame.js";
import { littleMcarTest } from "../stats/imputation/little-mcar.js";
import { columnMechanisms, type ColumnMechanism } from "../stats/imputation/mechanism.js";
import { createLlmImputer, type LlmImputer, type LlmImputerSummary, type LlmScore } from "../stats/imputation/llm-imputer.js";
import { policyFits, type ImputePolicy } from "../stats/imputation/policies.js";
import { imputationReport } from "../stats/imputation/report.js";
import { readColumns, writeImputed, type Cell } from "../stats/imputation/rows-io.js";
import { mnarSensitivity, scoreColumns, type DownstreamTarget, type ScoringRun, type ScoringSettings, type SimpleOnly } from "../stats/imputation/scoring.js";
import { weakMcarReason } from "../stats/imputation/budget.js";
import { requireOptions, requirePlan, requireProfile, requireRunDir } from "./common.js";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { progressReporter } from "../events.js";

type Family = "numeric" | "categorical" | "other";

function describeValue(policy: ImputePolicy, engine: FittedEngine | undefined, j: number, settings: EngineSettings, llm: LlmImputer | null): string | number {
  if (policy === "unknown") return "left empty (rendered as unknown)";
  if (policy === "llm") return `asked of ${llm?.model ?? "the model"} one row at a time, training values only`;
  if (policy === "knn") return `${settings.knn.k} nearest neighbours`;
  if (policy === "iterative") return `forest chained equations, ${settings.iterative.rounds} rounds`;
  const value = engine?.fills[j]?.value;
  return value === null || value === undefined ? "no observed training value" : typeof value === "number" ? Number(value.toPrecision(6)) : value;
}

export async function impute(state: State, runConfig?: LangGraphRunnableConfig): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const profile = requireProfile(state);
  const runDir = requireRunDir(state);
  const split = state.splitResult;
  if (!split) throw new Error("impute needs the split");
  const config = getConfig();
  const cfg = config.imputation;
  const seed = options.seed;

  const kinds = new Map(profile.columns.map((c) => [c.name, c.kind as string]));
  const family = (name: string): Family => {
    const kind = kinds.get(name);
    return kind === "numeric" || kind === "integer" ? "numeric" : kind === "categorical" || kind === "boolean" ? "categorical" : "other";
  };
  // Identifiers and the target are never imputed; text and dates can only stay unknown.
  const features = plan.features.filter((f) => f !== plan.target && kinds.get(f) !== "identifier");
  const trainCells = await readColumns(split.train.path, [...features, plan.target]);
  const testCells = await readColumns(split.test.path, features);
  const missingIn = (cells: Map<string, Cell[]>, name: string) => (cells.get(name) ?? []).filter((v) => v === null).length;

  // Imputable columns: numbers and categories with at least one observed training value.
  const imputable = features.filter((f) => family(f) !== "other" && missingIn(trainCells.cells, f) < trainCells.rows);
  const train: Frame = { rows: trainCells.rows, columns: imputable.map((f) => buildColumn(f, family(f) === "numeric" ? "numeric" : "categorical", trainCells.cells.get(f)!)) };
  const test: Frame = {
    rows: testCells.rows,
    columns: train.columns.map((c) => buildColumn(c.name, c.kind, testCells.cells.get(c.name)!, c.kind === "categorical" ? c.levels : undefined)),
  };
  const needs = train.columns.map((_, j) => j).filter((j) => missingCount(train.columns[j]!) + missingCount(test.columns[j]!) > 0);
  const leftEmpty = features.filter((f) => !imputable.includes(f) && missingIn(trainCells.cells, f) + missingIn(testCells.cells, f) > 0);

  // Analysis rows: a seeded sample at scale; mechanisms and scores never see the test rows.
  const index = sampleRows(train.rows, cfg.maxAnalysisRows, seed);
  const analysis = takeRows(train, index);
  const numericWithGaps = analysis.columns.filter((c) => c.kind === "numeric");
  let littleMcar: NonNullable<State["imputation"]>["littleMcar"] = null;
  if (numericWithGaps.some((c) => missingCount(c) > 0)) {
    try {
      const t = littleMcarTest(numericWithGaps.map((c) => (c.kind === "numeric" ? c.values : new Float64Array())));
      littleMcar = t ? { ...t, columns: numericWithGaps.map((c) => c.name) } : null;
    } catch {
      littleMcar = null; // a singular covariance (collinear columns): reported as not computed
    }
  }
  const withTrainGaps = needs.filter((j) => missingCount(analysis.columns[j]!) > 0);
  const mechanisms = new Map<number, ColumnMechanism>(
    columnMechanisms(analysis, withTrainGaps, { ...cfg.probe, marAuc: cfg.marAuc, mcarAlpha: cfg.mcarAlpha, seed }).map((m, k) => [withTrainGaps[k]!, m]),
  );

  const engineSettings: EngineSettings = { knn: { ...cfg.knn, seed }, iterative: { ...cfg.iterative, seed } };
  const scoring: ScoringSettings = {
    fractions: cfg.maskFractions,
    weights: cfg.weights,
    engines: engineSettings,
    downstream: { trees: cfg.downstream.trees, maxDepth: config.baseline.maxDepth, maxFeatures: config.baseline.maxFeatures, validationRatio: cfg.downstream.validationRatio },
    seed,
    maxRows: cfg.scoringRows,
    epsilon: cfg.epsilon,
  };
  // Weakly correlated MCAR numbers: nothing for KNN or iterative to learn (budget.ts).
  const simpleOnly = new Map<number, string>();
  for (const j of needs) {
    const reason = weakMcarReason(analysis, j, mechanisms.get(j)?.mechanism, cfg.weakCorrelation);
    if (reason) simpleOnly.set(j, reason);
  }
  const targetCells = trainCells.cells.get(plan.target)!;
  const target: DownstreamTarget | null =
    analysis.columns.length > 0
      ? { name: plan.target, task: plan.task, labels: Object.keys(plan.labels), values: index.map((i) => (plan.task === "regression" ? Number(targetCells[i]) : String(targetCells[i]))) }
      : null;
  // With a model, categorical columns may also be asked of it: on a bounded share of the
  // same hidden cells (probes), beside every candidate's error on exactly those cells. No
  // downstream check: that would ask it for every validation row.
  const llm = createLlmImputer(getDecider(options), options, config);
  const llmColumns = llm ? needs.filter((j) => train.columns[j]!.kind === "categorical") : [];
  const probe = llm && llmColumns.length > 0 ? { columns: llmColumns, maxCells: cfg.llm.maxScoredCells, examples: llm.exampleRows } : null;
  const scoringProgress = progressReporter(runConfig, "impute", "scoring imputations", "fits");
  const scored: ScoringRun =
    needs.length > 0
      ? scoreColumns(analysis, needs, target, scoring, { probe, onProgress: scoringProgress.update, simpleOnly })
      : { columns: [], downstream: null, probes: new Map(), rows: 0, expensiveFractions: 0 };
  if (needs.length > 0) scoringProgress.finish();
  const llmScores = new Map<number, LlmScore | null>();
  if (llm) for (const j of llmColumns) llmScores.set(j, await llm.score(j, scored.probes.get(j) ?? []));

  // Choice per column: the review override, else the lowest score.
  const policies: (ImputePolicy | null)[] = train.columns.map(() => null);
  const chosenBy = new Map<number, ImputedColumn["chosenBy"]>();
  needs.forEach((j, k) => {
    const name = train.columns[j]!.name;
    const override = state.imputeOverrides[name];
    if (override && policyFits(override, family(name)) && (override !== "llm" || llm !== null)) {
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

  // A column the model fills takes the scored choice's fill where its budget runs out.
  const scoredChoice = new Map(needs.map((j, k) => [j, scored.columns[k]!.best]));
  const fallbackOf = (j: number): ImputePolicy | null => (policies[j] === "llm" ? (scoredChoice.get(j) ?? null) : policies[j] ?? null);
  // Fit the chosen engines on all training rows, each only for the columns that take its
  // values; the test rows get the same fitted imputers.
  const engines = new Map<Engine, FittedEngine>();
  const engineColumns = (engine: Engine) => needs.filter((j) => { const p = fallbackOf(j); return p !== null && engineOf(p) === engine; });
  for (const j of needs) {
    const p = fallbackOf(j);
    const engine = p ? engineOf(p) : null;
    if (engine && !engines.has(engine)) engines.set(engine, fitEngine(engine, train, engineSettings, engineColumns(engine), engineColumns(engine)));
  }
  const basePolicies = train.columns.map((_, j) => fallbackOf(j));
  const trainFilled = combine(train, new Map([...engines].map(([e, f]) => [e, f.trainFilled])), basePolicies);
  const testFilled = combine(test, new Map([...engines].map(([e, f]) => [e, f.apply(test)])), basePolicies);
  const llmFilled: NonNullable<LlmImputerSummary["filled"]> = {};
  for (const j of needs) {
    if (policies[j] !== "llm" || !llm) continue;
    const a = await llm.fill(train, train, j, seed, trainFilled.columns[j]);
    const b = await llm.fill(test, train, j, seed, testFilled.columns[j]);
    trainFilled.columns[j] = a.column;
    testFilled.columns[j] = b.column;
    const fallback = fallbackOf(j);
    llmFilled[train.columns[j]!.name] = { asked: a.asked + b.asked, byFallback: a.unasked + b.unasked, fallback: fallback && fallback !== "llm" && engineOf(fallback) ? fallback : "none (left empty)" };
  }

  const mnar = needs.filter((j) => mechanisms.get(j)?.mechanism === "MNAR (suspected)" && policies[j] !== "unknown" && train.columns[j]!.kind === "numeric");
  const sensitivity = target && mnar.length > 0 ? mnarSensitivity(analysis, target, policies, mnar, cfg.mnarDeltas, scoring) : new Map();

  const filledTrain = new Map<string, number>();
  const filledTest = new Map<string, number>();
  const trainRows = await writeImputed(split.train.path, paths.imputedTrain(runDir), trainFilled, needs, kinds, filledTrain);
  const testRows = await writeImputed(split.test.path, paths.imputedTest(runDir), testFilled, needs, kinds, filledTest);

  const columns = [
    ...needs.map((j, k) => {
      const name = train.columns[j]!.name;
      const policy = policies[j]!;
      const m = mechanisms.get(j);
      const band = sensitivity.get(j);
      return {
        column: name,
        kind: train.columns[j]!.kind,
        missingTrain: missingCount(train.columns[j]!),
        missingTest: missingCount(test.columns[j]!),
        policy,
        value: describeValue(policy, engines.get(engineOf(policy) ?? "median"), j, engineSettings, llm),
        filledTrain: filledTrain.get(name) ?? 0,
        filledTest: filledTest.get(name) ?? 0,
        mechanism: m?.mechanism ?? "undetermined",
        mechanismReason: m?.reason ?? "no missing training cell in the analysed rows (missing only in the test rows)",
        chosenBy: chosenBy.get(j) ?? "score",
        policyReason: policyReason(policies[j]!, chosenBy.get(j) ?? "score", scored.columns[k]!.simpleOnly, llmFilled[name]),
        maskedError: {
          ...Object.fromEntries(scored.columns[k]!.candidates.filter((c) => c.policy !== "unknown").map((c) => [c.policy, c.maskedError])),
          ...(llmScores.has(j) ? { llm: llmScores.get(j)?.maskedError ?? null } : {}),
        },
        sensitivity: band ? { metric: band.metric, deltas: cfg.mnarDeltas, values: band.values } : null,
      };
    }),
    ...leftEmpty.map((name) => ({
      column: name,
      kind: "other" as const,
      missingTrain: missingIn(trainCells.cells, name),
      missingTest: missingIn(testCells.cells, name),
      policy: "unknown" as const,
      value: "left empty (rendered as unknown)",
      filledTrain: 0,
      filledTest: 0,
      mechanism: "undetermined" as const,
      mechanismReason: family(name) === "other" ? `a ${kinds.get(name)} column: never filled by a statistic` : "no observed training value",
      chosenBy: "rule" as const,
      policyReason: "nothing can be fitted for this column",
      maskedError: {},
      sensitivity: null,
    })),
  ];

  // policies.json: every fitted parameter. KNN keeps its reference rows in a file beside it;
  // iterative forests are not serialized: re-applying refits them from `fittedOn` with the
  // same settings and seed (deterministic), then applies them to the new rows.
  const policiesPath = paths.policies(runDir);
  mkdirSync(join(runDir, "imputation"), { recursive: true });
  const knn = engines.get("knn");
  let knnReference: { path: string; sha256: string; rows: number } | null = null;
  if (knn) {
    const refPath = join(runDir, "imputation", "knn_reference.jsonl");
    const model = fitEngineReference(train, engineSettings);
    writeFileAtomic(refPath, model.map((r) => JSON.stringify(r)).join("\n") + "\n");
    knnReference = { path: refPath, sha256: await sha256File(refPath), rows: model.length };
  }
  // The model, its calls, and per column what it measured on its probe cells beside the
  // candidates on the same cells (null: not measured: no hidden cell, or a fallback answer).
  const llmSummary: LlmImputerSummary | null = llm
    ? {
        model: llm.model,
        calls: llm.calls.length,
        fellBack: llm.calls.filter((c) => c.fellBack).length,
        scored: Object.fromEntries([...llmScores].map(([j, s]) => [train.columns[j]!.name, s ? { cells: s.cells, llm: s.maskedError, sameCells: s.sameCells } : null])),
        budget: { ...llm.budget },
        filled: llmFilled,
      }
    : null;
  const policiesJson = {
    fittedOn: { path: split.train.path, sha256: split.train.sha256, rows: trainRows },
    seed,
    columnOrder: train.columns.map((c) => ({ name: c.name, kind: c.kind, levels: c.kind === "categorical" ? c.levels : undefined })),
    columns: columns.map(({ column, kind, policy, chosenBy: by, mechanism, value, policyReason: why }) => ({
      column,
      kind,
      policy,
      chosenBy: by,
      mechanism,
      value,
      reason: why,
      // The model's column: where its budget ran out, the cells took this policy's fill.
      ...(policy === "llm" && llmFilled[column] ? { fallback: llmFilled[column].fallback } : {}),
    })),
    engines: {
      ...(engines.has("median") ? { median: engines.get("median")!.fills } : {}),
      ...(engines.has("mean") ? { mean: engines.get("mean")!.fills } : {}),
      ...(knn ? { knn: { ...engineSettings.knn, metric: "nan_euclidean on training-standardized numbers, 0/1 for categories", fallback: knn.fills, reference: knnReference } } : {}),
      ...(engines.has("iterative")
        ? { iterative: { ...engineSettings.iterative, start: engines.get("iterative")!.fills, modelled: engineColumns("iterative").map((j) => train.columns[j]!.name), reapply: "refit on fittedOn with these settings and seed, then apply the last round's forests `rounds` times" } }
        : {}),
    },
    littleMcar,
    llmImputer: llmSummary,
  };
  writeFileAtomic(policiesPath, JSON.stringify(policiesJson, null, 2) + "\n");
  const report = imputationReport({
    trainRows,
    testRows,
    analysisRows: analysis.rows,
    scoring: { rows: scored.rows, epsilon: cfg.epsilon, expensiveFractions: scored.expensiveFractions, weakCorrelation: cfg.weakCorrelation },
    fractions: cfg.maskFractions,
    weights: cfg.weights,
    columns,
    littleMcar,
    downstream: scored.downstream,
    deltas: cfg.mnarDeltas,
    llm: llmSummary,
  });
  writeFileAtomic(paths.imputationReport(runDir), report);

  const stateColumns: ImputedColumn[] = columns.map(({ kind: _k, missingTrain: _m, missingTest: _t, policyReason: _r, ...c }) => c);
  stage("impute", columns.length === 0 ? "no missing feature values" : columns.map((c) => `${c.column}: ${c.mechanism} → ${c.policy} (${c.filledTrain}+${c.filledTest})`).join("; "));
  return {
    imputation: {
      columns: stateColumns,
      littleMcar,
      policies: await artifactRef(policiesPath, null),
      train: await artifactRef(paths.imputedTrain(runDir), trainRows),
      test: await artifactRef(paths.imputedTest(runDir), testRows),
    },
    log: [
      ...(llm?.calls ?? []).map((call) => callLogEntry("impute", call)),
      logEntry("impute", columns.length === 0 ? "nothing to fill" : columns.map((c) => `${c.column}: ${c.mechanism} → ${c.policy} (${c.chosenBy})`).join("; "), started, {
        numbers: Object.fromEntries(columns.flatMap((c) => [[`${c.column}:train`, c.filledTrain], [`${c.column}:test`, c.filledTest]])),
        artifacts: [policiesPath, paths.imputationReport(runDir), paths.imputedTrain(runDir), paths.imputedTest(runDir)],
      }),
    ],
  };
}

/** Why a column got its policy, in a sentence for policies.json and the report. */
function policyReason(policy: ImputePolicy, by: ImputedColumn["chosenBy"], simpleOnly: SimpleOnly | null, llm: LlmImputerSummary["filled"][string] | undefined): string {
  const budget = llm && llm.byFallback > 0 ? `; the model's budget (imputation.llm.maxCalls / maxTokens) ran out: ${llm.byFallback} of ${llm.asked + llm.byFallback} cells took the scored choice (${llm.fallback})` : "";
  if (by === "user") return `your choice at the review${budget}`;
  if (policy === "llm") return `the model's masked error beat the scored choice's on the same cells${budget}`;
  if (!simpleOnly) return "lowest score among every candidate";
  if (simpleOnly.rule === "given") return `lowest score among the simple policies: ${simpleOnly.reason}`;
  return `lowest score among the simple policies: after ${simpleOnly.afterFractions} mask fraction${simpleOnly.afterFractions === 1 ? "" : "s"} the best simple policy's error ${simpleOnly.simple.toFixed(3)} was within ε = ${simpleOnly.epsilon} of the best ${simpleOnly.best.toFixed(3)} (imputation.epsilon), so KNN and iterative were not scored further nor chosen`;
}

/** The KNN reference rows (raw values, missing as null) as the fitted KNN imputer samples them. */
function fitEngineReference(train: Frame, settings: EngineSettings): Record<string, Cell>[] {
  const ref = takeRows(train, sampleRows(train.rows, settings.knn.referenceRows, settings.knn.seed));
  return Array.from({ length: ref.rows }, (_, i) =>
    Object.fromEntries(ref.columns.map((c) => [c.name, c.kind === "numeric" ? (Number.isNaN(c.values[i]!) ? null : c.values[i]!) : c.codes[i]! < 0 ? null : c.levels[c.codes[i]!]!])),
  );
}
