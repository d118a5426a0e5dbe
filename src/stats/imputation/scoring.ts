/**
 * Scoring imputation policies on the training rows only:
 * - masked-cell error: for each mask fraction, hide that share of the observed cells of
 *   every scored column (seeded), impute, and compare with the hidden truth: RMSE in
 *   units of the column's observed sd (numbers) or 1 − accuracy (categories); the score
 *   is the mean over fractions;
 * - downstream loss: split the rows (seeded) into fit and validation parts, fill every
 *   scored column with one engine (imputer fitted on the fit part, applied to the
 *   validation part), train the baseline forest and measure it on the validation part:
 *   1 − accuracy, or RMSE / sd of the target;
 * - score = weights.maskedError × error + weights.downstream × loss; lowest wins, ties
 *   to the simpler policy (the order of SCORED_POLICIES).
 * And the MNAR sensitivity band: the chosen imputation with a column's filled cells
 * shifted by δ·sd, the baseline's validation metric for each δ.
 * A policy that is no engine (the LLM imputer) is scored on probe cells: a bounded, seeded
 * share of the same hidden cells, with every candidate's error on exactly those cells.
 *
 * Bounded cost (issue 15/16): scoring sees a seeded sample of at most `maxRows` rows; the
 * fractions are scored one after another and a column whose best simple policy (median,
 * mean, mode) is within `epsilon` of its best error so far is settled on the simple policies
 * (KNN and iterative are not fitted for it again, nor chosen); columns the caller marks
 * simple-only never get them. The expensive engines are fitted only for the columns still
 * open, and not at all once none is. (Also stopping a column once one candidate led the rest
 * by ε was tried: on 569 × 30 at 30% it raised the hidden-cell RMSE 0.51 → 0.55, so not.)
 */
import { trainAndPredictBaseline, type BaselineRow, type FeatureSpec } from "../baseline.js";
import { createRng, sampleIndices, shuffleInPlace } from "../random.js";
import { combine, ENGINES, engineOf, fitEngine, type Engine, type EngineSettings } from "./engines.js";
import { isMissing, maskCells, observedMoments, sampleRows, takeRows, type Frame } from "./frame.js";
import { SCORED_POLICIES, type ImputePolicy } from "./policies.js";
import type { OnProgress } from "../../events.js";

export interface ScoringSettings {
  fractions: number[];
  weights: { maskedError: number; downstream: number };
  engines: EngineSettings;
  downstream: { trees: number; maxDepth: number; maxFeatures: number | null; validationRatio: number };
  seed: number;
  /** Rows scored at most: a seeded sample of the frame's rows beyond this (default: all). */
  maxRows?: number;
  /** Early stop: the best simple policy within this of a column's best error so far settles it (default: never). */
  epsilon?: number;
}

/** Policies that need no model of the other columns: cheap to fit, always scored. */
export const SIMPLE_ENGINES: readonly Engine[] = ["median", "mean"];
const EXPENSIVE_ENGINES: readonly Engine[] = ["knn", "iterative"];

/** Why a column was scored on the simple policies alone; null when every candidate competed. */
export type SimpleOnly = { rule: "early stop"; afterFractions: number; simple: number; best: number; epsilon: number } | { rule: "given"; reason: string };

/** The prediction target of the analysis rows, aligned with the frame. */
export interface DownstreamTarget {
  name: string;
  task: "binary" | "multiclass" | "regression";
  /** Raw class values the baseline knows (classification). */
  labels: string[];
  values: (string | number)[];
}

export interface CandidateScore {
  policy: ImputePolicy;
  /** Mean masked-cell error over the fractions (null for "unknown", which fills nothing). */
  maskedError: number | null;
  byFraction: (number | null)[];
  /** Downstream loss with every scored column filled by this policy's engine. */
  downstreamLoss: number | null;
  score: number | null;
}

export interface ColumnScores {
  column: string;
  kind: "numeric" | "categorical";
  candidates: CandidateScore[];
  best: ImputePolicy;
  /** Set when KNN and iterative were not in the running for this column (and why). */
  simpleOnly: SimpleOnly | null;
}

export interface DownstreamSummary {
  metric: "accuracy" | "RMSE";
  /** Validation metric per engine, and "unknown" (the baseline's own handling of gaps). */
  byPolicy: Record<string, number>;
  fitRows: number;
  validationRows: number;
}

/** Columns to set probe cells aside for, for a policy scored outside the engines. */
export interface ProbeRequest {
  /** Categorical columns (frame positions). */
  columns: number[];
  /** Hidden cells per column at most, over all mask fractions together. */
  maxCells: number;
  /** Observed rows of the masked frame to hand over as solved examples, at most. */
  examples: number;
}

/**
 * Hidden cells of one mask fraction set aside for a policy that is no engine: the rows as
 * the engines saw them (every mask of that fraction applied), the truth, and each scored
 * candidate's error on exactly these cells, so that policy is compared on the same cells.
 */
export interface ProbeCells {
  /** The probed rows of the masked frame; column j is hidden in each. */
  rows: Frame;
  /** Column j's hidden level in each probed row. */
  truth: string[];
  /** A seeded sample of masked-frame rows where column j is observed (never a probed row). */
  examples: Frame;
  /** 1 − accuracy of each scored candidate on these cells. */
  errors: Partial<Record<ImputePolicy, number>>;
}

/**
 * `total` split over `parts` as evenly as possible, the first parts taking the remainder.
 * @example shareOf(40, 3, 0) // 14
 */
function shareOf(total: number, parts: number, part: number): number {
  return Math.floor(total / parts) + (part < total % parts ? 1 : 0);
}

/** Probe cells of one fraction's mask for each requested column (seeded; the mask's own stream is untouched). */
function pickProbes(frame: Frame, masked: Frame, hidden: Map<number, number[]>, request: ProbeRequest, f: number, fractions: number, seed: number): Map<number, { index: number[]; probe: ProbeCells }> {
  const out = new Map<number, { index: number[]; probe: ProbeCells }>();
  const rng = createRng(seed + 1000 * (f + 1) + 1);
  for (const j of request.columns) {
    const col = frame.columns[j]!;
    const pool = hidden.get(j) ?? [];
    if (col.type !== "categorical" || pool.length === 0) continue;
    const index = sampleIndices(pool.length, shareOf(request.maxCells, fractions, f), rng).map((k) => pool[k]!);
    if (index.length === 0) continue;
    const observed: number[] = [];
    for (let i = 0; i < masked.rows; i++) if (!isMissing(masked.columns[j]!, i)) observed.push(i);
    const examples = sampleIndices(observed.length, request.examples, rng).map((k) => observed[k]!);
    const truth = index.map((i) => col.dictionary[col.codes[i]!]!);
    out.set(j, { index, probe: { rows: takeRows(masked, index), truth, examples: takeRows(masked, examples), errors: {} } });
  }
  return out;
}

/** Error on the hidden cells of one column: standardized RMSE or 1 − accuracy. */
function maskedError(truth: Frame, filled: Frame, j: number, cells: number[], sd: number): number | null {
  if (cells.length === 0) return null;
  const t = truth.columns[j]!;
  const f = filled.columns[j]!;
  if (t.type === "numeric" && f.type === "numeric") {
    let ss = 0;
    for (const i of cells) ss += ((f.values[i]! - t.values[i]!) / sd) ** 2;
    return Math.sqrt(ss / cells.length);
  }
  if (t.type === "categorical" && f.type === "categorical") {
    let wrong = 0;
    for (const i of cells) if (f.codes[i]! < 0 || f.dictionary[f.codes[i]!] !== t.dictionary[t.codes[i]!]) wrong++;
    return wrong / cells.length;
  }
  return null;
}

/** Rows for the baseline: names → values, missing as null. */
export function frameRows(frame: Frame, target: DownstreamTarget | null, index: number[] | null): BaselineRow[] {
  return Array.from({ length: frame.rows }, (_, i) => {
    const row: BaselineRow = {};
    for (const c of frame.columns)
      row[c.name] = c.type === "numeric" ? (Number.isNaN(c.values[i]!) ? null : c.values[i]!) : c.codes[i]! < 0 ? null : c.dictionary[c.codes[i]!]!;
    if (target) row[target.name] = target.values[index ? index[i]! : i]!;
    return row;
  });
}

/** Splits row indices into a fit part and a validation part (seeded). */
export function innerSplit(rows: number, ratio: number, seed: number): { fit: number[]; validation: number[] } {
  const order = shuffleInPlace(Array.from({ length: rows }, (_, i) => i), createRng(seed));
  const cut = Math.max(1, Math.round(rows * ratio));
  return { validation: order.slice(0, cut).sort((a, b) => a - b), fit: order.slice(cut).sort((a, b) => a - b) };
}

/** The baseline fitted on `fit`, measured on `validation`: the metric and its loss. */
export function baselineOnValidation(fit: Frame, validation: Frame, split: { fit: number[]; validation: number[] }, target: DownstreamTarget, settings: ScoringSettings): { value: number; loss: number } {
  const features: FeatureSpec[] = fit.columns.map((c) => ({ name: c.name, kind: c.type }));
  const result = trainAndPredictBaseline({
    features,
    target: target.name,
    task: target.task,
    labels: target.labels,
    train: frameRows(fit, target, split.fit),
    test: frameRows(validation, null, null),
    options: { trees: settings.downstream.trees, maxDepth: settings.downstream.maxDepth, maxFeatures: settings.downstream.maxFeatures, maxTrainRows: Number.MAX_SAFE_INTEGER, seed: settings.seed },
  });
  const truth = split.validation.map((i) => target.values[i]!);
  if (target.task === "regression") {
    const y = truth.map(Number);
    const predicted = result.predictions.map(Number);
    const rmse = Math.sqrt(y.reduce((s, v, k) => s + (v - predicted[k]!) ** 2, 0) / y.length);
    const sd = observedMoments(Float64Array.from(y)).sd;
    return { value: rmse, loss: rmse / sd };
  }
  const accuracy = truth.filter((v, k) => String(v) === String(result.predictions[k])).length / truth.length;
  return { value: accuracy, loss: 1 - accuracy };
}

/** What scoreColumns did beyond the per-column scores. */
export interface ScoringRun {
  columns: ColumnScores[];
  downstream: DownstreamSummary | null;
  probes: Map<number, ProbeCells[]>;
  /** Rows scored (the seeded sample), of the frame's rows. */
  rows: number;
  /** Mask fractions scored with the expensive engines before every column was settled (all: no early stop). */
  expensiveFractions: number;
}

/** Mean of the known values, null when none. */
function meanKnown(values: (number | null | undefined)[]): number | null {
  const known = values.filter((e): e is number => e !== null && e !== undefined);
  return known.length > 0 ? known.reduce((s, e) => s + e, 0) / known.length : null;
}

/**
 * Masked-cell errors and downstream losses of every candidate for the `targets` columns;
 * with `probe`, also the probe cells of its columns, per fraction (none without it).
 * `simpleOnly`: columns (frame positions) scored on the simple policies alone, with why.
 */
export function scoreColumns(
  all: Frame,
  targets: number[],
  allTarget: DownstreamTarget | null,
  settings: ScoringSettings,
  extra: {
    probe?: ProbeRequest | null;
    /** Engine fits done so far, of the most there can be (one per masked fraction and engine, plus the downstream fits). */
    onProgress?: OnProgress;
    simpleOnly?: Map<number, string>;
  } = {},
): ScoringRun {
  const probe = extra.probe ?? null;
  const index = sampleRows(all.rows, settings.maxRows ?? all.rows, settings.seed + 17);
  const frame = index.length === all.rows ? all : takeRows(all, index);
  const target = allTarget && index.length !== all.rows ? { ...allTarget, values: index.map((i) => allTarget.values[i]!) } : allTarget;
  const epsilon = settings.epsilon ?? Number.NEGATIVE_INFINITY;
  const withDownstream = target !== null && settings.weights.downstream > 0 && frame.rows >= 20;
  const fits = settings.fractions.length * ENGINES.length + (withDownstream ? ENGINES.length + 1 : 0);
  let fitted = 0;
  const fitDone = () => extra.onProgress?.(++fitted, fits);
  const sds = frame.columns.map((c) => (c.type === "numeric" ? observedMoments(c.values).sd : 1));
  const errors = new Map<string, (number | null)[]>(); // `${j}:${engine}` → per fraction
  const probes = new Map<number, ProbeCells[]>();
  const simpleOnly = new Map<number, SimpleOnly>([...(extra.simpleOnly ?? [])].map(([j, reason]) => [j, { rule: "given", reason }]));
  const open = () => targets.filter((j) => !simpleOnly.has(j));
  let expensiveFractions = 0;
  settings.fractions.forEach((fraction, f) => {
    const { masked, hidden } = maskCells(frame, targets, fraction, settings.seed + 1000 * (f + 1));
    const picked = probe ? pickProbes(frame, masked, hidden, probe, f, settings.fractions.length, settings.seed) : new Map<number, { index: number[]; probe: ProbeCells }>();
    const stillOpen = open();
    if (stillOpen.length > 0) expensiveFractions++;
    for (const engine of ENGINES) {
      const expensive = EXPENSIVE_ENGINES.includes(engine);
      if (expensive && stillOpen.length === 0) {
        fitDone();
        continue;
      }
      const filled = fitEngine(engine, masked, settings.engines, [], expensive ? stillOpen : null).trainFilled;
      for (const j of expensive ? stillOpen : targets) {
        const key = `${j}:${engine}`;
        const list = errors.get(key) ?? settings.fractions.map(() => null);
        list[f] = maskedError(frame, filled, j, hidden.get(j) ?? [], sds[j]!);
        errors.set(key, list);
      }
      for (const [j, { index: cells, probe: p }] of picked) {
        if (expensive && !stillOpen.includes(j)) continue;
        for (const policy of SCORED_POLICIES.categorical) if (engineOf(policy) === engine) p.errors[policy] = maskedError(frame, filled, j, cells, 1)!;
      }
      fitDone();
    }
    for (const [j, { probe: cells }] of picked) probes.set(j, [...(probes.get(j) ?? []), cells]);
    // Early stop: a column whose simple policies are within ε of its best so far is settled.
    for (const j of stillOpen) {
      const kind = frame.columns[j]!.type;
      const so = (policy: ImputePolicy): number | null => {
        const engine = engineOf(policy);
        return engine ? meanKnown((errors.get(`${j}:${engine}`) ?? []).slice(0, f + 1)) : null;
      };
      const simple = SCORED_POLICIES[kind].filter((p) => SIMPLE_ENGINES.includes(engineOf(p)!)).map(so).filter((e): e is number => e !== null);
      const every = SCORED_POLICIES[kind].map(so).filter((e): e is number => e !== null);
      if (simple.length === 0 || every.length === 0) continue;
      const bestSimple = Math.min(...simple);
      const best = Math.min(...every);
      if (bestSimple <= best + epsilon) simpleOnly.set(j, { rule: "early stop", afterFractions: f + 1, simple: bestSimple, best, epsilon });

    }
  });

  let downstream: DownstreamSummary | null = null;
  const downstreamLosses: Record<string, number> = {};
  if (target && withDownstream) {
    const split = innerSplit(frame.rows, settings.downstream.validationRatio, settings.seed);
    const fit = takeRows(frame, split.fit);
    const validation = takeRows(frame, split.validation);
    const byPolicy: Record<string, number> = {};
    const losses = downstreamLosses;
    const stillOpen = open();
    const median = fitEngine("median", fit, settings.engines, targets);
    for (const engine of ENGINES) {
      const expensive = EXPENSIVE_ENGINES.includes(engine);
      if (expensive && stillOpen.length === 0) {
        fitDone();
        continue;
      }
      // An expensive engine fills the open columns; the settled ones take the median / mode, as they would.
      const one = engine === "median" ? median : fitEngine(engine, fit, settings.engines, targets, expensive ? stillOpen : null);
      const policies: (ImputePolicy | null)[] = frame.columns.map((_, j) => (!targets.includes(j) ? null : expensive && !stillOpen.includes(j) ? "median" : engine));
      const fitFilled = combine(fit, new Map([[engine, one.trainFilled], ["median", median.trainFilled]]), policies);
      const validFilled = combine(validation, new Map([[engine, one.apply(validation)], ["median", median.apply(validation)]]), policies);
      const r = baselineOnValidation(fitFilled, validFilled, split, target, settings);
      byPolicy[engine] = r.value;
      losses[engine] = r.loss;
      fitDone();
    }
    const none = baselineOnValidation(fit, validation, split, target, settings);
    fitDone();
    byPolicy.unknown = none.value;
    losses.unknown = none.loss;
    downstream = { metric: target.task === "regression" ? "RMSE" : "accuracy", byPolicy, fitRows: split.fit.length, validationRows: split.validation.length };
  }

  const columns = targets.map((j): ColumnScores => {
    const col = frame.columns[j]!;
    const restricted = simpleOnly.get(j) ?? null;
    const candidates: CandidateScore[] = [...SCORED_POLICIES[col.type], "unknown" as const].map((policy) => {
      const engine = engineOf(policy);
      const byFraction = engine ? (errors.get(`${j}:${engine}`) ?? settings.fractions.map(() => null)) : settings.fractions.map(() => null);
      const error = meanKnown(byFraction);
      const loss = downstreamLosses[engine ?? "unknown"] ?? null;
      const out = restricted !== null && engine !== null && EXPENSIVE_ENGINES.includes(engine);
      const score = error === null || out ? null : settings.weights.maskedError * error + settings.weights.downstream * (loss ?? 0);
      return { policy, maskedError: error, byFraction, downstreamLoss: loss, score };
    });
    let best: CandidateScore | null = null;
    for (const c of candidates) if (c.score !== null && (best === null || c.score < best.score! - 1e-12)) best = c;
    return { column: col.name, kind: col.type, candidates, best: best?.policy ?? "unknown", simpleOnly: restricted };
  });
  return { columns, downstream, probes, rows: frame.rows, expensiveFractions };
}

/**
 * MNAR sensitivity: with every column filled by its chosen policy (fitted on the fit part),
 * column j's filled cells shifted by δ·sd (training sd), the baseline's validation metric
 * for each δ.
 */
export function mnarSensitivity(frame: Frame, target: DownstreamTarget, policies: (ImputePolicy | null)[], columns: number[], deltas: number[], settings: ScoringSettings): Map<number, { metric: "accuracy" | "RMSE"; values: number[] }> {
  const split = innerSplit(frame.rows, settings.downstream.validationRatio, settings.seed);
  const fit = takeRows(frame, split.fit);
  const validation = takeRows(frame, split.validation);
  const engines = new Set(policies.map((p) => (p ? engineOf(p) : null)).filter((e): e is Engine => e !== null));
  const fitFilled = new Map<Engine, Frame>();
  const validFilled = new Map<Engine, Frame>();
  for (const engine of engines) {
    const fitted = fitEngine(engine, fit, settings.engines);
    fitFilled.set(engine, fitted.trainFilled);
    validFilled.set(engine, fitted.apply(validation));
  }
  const baseFit = combine(fit, fitFilled, policies);
  const baseValid = combine(validation, validFilled, policies);
  const out = new Map<number, { metric: "accuracy" | "RMSE"; values: number[] }>();
  for (const j of columns) {
    const original = frame.columns[j]!;
    if (original.type !== "numeric") continue;
    const sd = observedMoments(original.values).sd;
    const values = deltas.map((delta) => {
      const shift = (filled: Frame, raw: Frame): Frame => {
        const col = filled.columns[j]!;
        const rawCol = raw.columns[j]!;
        if (col.type !== "numeric") return filled;
        const values = Float64Array.from(col.values);
        for (let i = 0; i < raw.rows; i++) if (isMissing(rawCol, i) && !Number.isNaN(values[i]!)) values[i]! += delta * sd;
        return { rows: filled.rows, columns: filled.columns.map((c, k) => (k === j ? { ...col, values } : c)) };
      };
      return baselineOnValidation(shift(baseFit, fit), shift(baseValid, validation), split, target, settings).value;
    });
    out.set(j, { metric: target.task === "regression" ? "RMSE" : "accuracy", values });
  }
  return out;
}
