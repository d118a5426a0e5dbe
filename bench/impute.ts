/**
 * Imputation figures (`npm run bench impute`). First the impute node itself (choosing,
 * fitting, applying, writing) on two tables with cells hidden completely at random: its wall
 * and CPU time, the policies it chose, and the standardized RMSE of its fills on the hidden
 * cells of the training and test rows (issue 15/16: ≤ 10 s on 569 × 30 at 30%, ≤ 60 s on
 * 100k × 20 at 20%, errors unchanged within 0.01). Then the engines alone: for the numeric columns of shared tables,
 * 20% of the observed cells masked completely at random (seed 0, first 3000 rows, target
 * excluded), the RMSE of mean, KNN (k = 5, standardized columns) and iterative (forest)
 * imputation on the masked cells, standardized by each column's observed mean and sd —
 * the protocol of the scikit-learn 1.2.1 figures in shared/datasets/INDEX.md, printed
 * beside them. Then the time of iterative imputation on 100,000 × 20 numbers, 20% missing.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readJsonLines } from "../src/artifacts.js";
import { setQuiet } from "../src/log.js";
import { getConfig } from "../src/runtime.js";
import { imputeState, readSimpleCsv, splitRows, type Row } from "../test/helpers/impute-state.js";
import { imputeSplit } from "../src/stats/imputation/run.js";
import { createRng, sampleIndices } from "../src/stats/random.js";
import { copyFrame, observedMoments, type Frame } from "../src/stats/imputation/frame.js";
import type { NumberValues } from "../src/table/columns.js";
import { applyIterative, fitIterative, type IterativeSettings } from "../src/stats/imputation/iterative.js";
import { applyKnn, fitKnn } from "../src/stats/imputation/knn.js";
import { applySimple, fitSimple } from "../src/stats/imputation/simple.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** sklearn 1.2.1 figures from shared/datasets/INDEX.md: mean, KNN standardized, iterative (RF 50 trees, 10 rounds). */
const REFERENCE: Record<string, [number, number, number]> = {
  "test/fixtures/breast_cancer.csv": [1.057, 0.647, 0.503],
  "examples/credit_data.csv": [1.022, 1.022, 0.943],
  "test/fixtures/penguins.csv": [1.027, 0.669, 0.71],
};
const TARGETS: Record<string, string> = { "test/fixtures/breast_cancer.csv": "target", "examples/credit_data.csv": "Status", "test/fixtures/penguins.csv": "Species" };

/** Numeric columns (every non-empty cell a number) of the first `rows` rows, target left out. */
function numericFrame(file: string, rows: number): Frame {
  const [header, ...body] = readFileSync(`${ROOT}/${file}`, "utf8").trim().split(/\r?\n/);
  const names = (header ?? "").split(",");
  const cells = body.slice(0, rows).map((l) => l.split(","));
  const columns: NumberValues[] = [];
  names.forEach((name, j) => {
    if (name === TARGETS[file]) return;
    const raw = cells.map((r) => (r[j] ?? "").trim());
    if (!raw.every((c) => c === "" || Number.isFinite(Number(c)))) return;
    columns.push({ name, type: "numeric", values: Float64Array.from(raw, (c) => (c === "" ? Number.NaN : Number(c))) });
  });
  return { rows: cells.length, columns };
}

/** Hides `fraction` of all observed cells (one draw over the whole table). */
function maskTable(frame: Frame, fraction: number, seed: number): { masked: Frame; cells: [number, number][] } {
  const observed: [number, number][] = [];
  frame.columns.forEach((c, j) => {
    if (c.type === "numeric") for (let i = 0; i < frame.rows; i++) if (!Number.isNaN(c.values[i]!)) observed.push([j, i]);
  });
  const cells = sampleIndices(observed.length, Math.round(observed.length * fraction), createRng(seed)).map((k) => observed[k]!);
  const masked = copyFrame(frame);
  for (const [j, i] of cells) {
    const c = masked.columns[j]!;
    if (c.type === "numeric") c.values[i] = Number.NaN;
  }
  return { masked, cells };
}

function rmse(truth: Frame, filled: Frame, cells: [number, number][]): number {
  const scale = truth.columns.map((c) => (c.type === "numeric" ? observedMoments(c.values).sd : 1));
  let ss = 0;
  for (const [j, i] of cells) {
    const t = truth.columns[j]!;
    const f = filled.columns[j]!;
    if (t.type === "numeric" && f.type === "numeric") ss += ((f.values[i]! - t.values[i]!) / scale[j]!) ** 2;
  }
  return Math.sqrt(ss / cells.length);
}

const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const out = f();
  return [out, (performance.now() - t0) / 1000];
};

/** Hides `fraction` of the feature cells of row objects (seeded, one draw over the table). */
function maskRows(rows: Row[], features: string[], fraction: number, seed: number): { masked: Row[]; hidden: Set<string> } {
  const cells: [number, string][] = [];
  rows.forEach((r, i) => features.forEach((f) => r[f] !== null && cells.push([i, f])));
  const pick = sampleIndices(cells.length, Math.round(cells.length * fraction), createRng(seed)).map((k) => cells[k]!);
  const masked = rows.map((r) => ({ ...r }));
  const hidden = new Set<string>();
  for (const [i, f] of pick) {
    masked[i]![f] = null;
    hidden.add(`${i}:${f}`);
  }
  return { masked, hidden };
}

/** Standardized RMSE (by each column's sd over all true rows) of the filled hidden cells; unfilled cells are counted apart. */
function hiddenError(truth: Row[], filled: Row[], hidden: Set<string>, features: string[], sd: Map<string, number>): { rmse: number; cells: number; unfilled: number } {
  let ss = 0;
  let cells = 0;
  let unfilled = 0;
  truth.forEach((t, i) => {
    for (const f of features) {
      if (!hidden.has(`${i}:${f}`)) continue;
      const v = filled[i]?.[f];
      if (typeof v !== "number") {
        unfilled++;
        continue;
      }
      ss += ((v - Number(t[f])) / sd.get(f)!) ** 2;
      cells++;
    }
  });
  return { rmse: Math.sqrt(ss / Math.max(1, cells)), cells, unfilled };
}

/**
 * Imputation of a split as the impute node runs it (the library call, heuristic provider: no
 * model) on `rows` with `fraction` of feature cells hidden: time (wall, CPU), choices, errors.
 */
async function benchNode(label: string, names: string[], rows: Row[], target: string, fraction: number): Promise<void> {
  const features = names.filter((n) => n !== target);
  const sd = new Map(features.map((f) => [f, observedMoments(Float64Array.from(rows, (r) => (typeof r[f] === "number" ? r[f] : Number.NaN))).sd]));
  // The split first (so truth and masked rows line up), then the cells hidden in each part.
  const { train, test } = splitRows(rows, target, 1);
  const a = maskRows(train, features, fraction, 11);
  const b = maskRows(test, features, fraction, 12);
  const { state, dir } = await imputeState({ names, train: a.masked, test: b.masked, target });
  const split = state.splitResult!;
  const plan = state.prepPlan!;
  const data = (file: string) => join(dir, "run/data", file);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await imputeSplit({
    train: split.train,
    test: split.test,
    out: { train: data("imputed_train.jsonl"), test: data("imputed_test.jsonl"), policies: join(dir, "run/imputation/policies.json"), knnReference: join(dir, "run/imputation/knn_reference.jsonl"), report: join(dir, "run/imputation/report.md") },
    features,
    kinds: new Map(state.profile!.columns.map((c) => [c.name, c.kind])),
    target: { name: target, task: plan.task, labels: Object.keys(plan.labels) },
    overrides: {},
    seed: state.options!.seed,
    config: getConfig(),
    llm: null,
  });
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  const read = async (file: string): Promise<Row[]> => {
    const out: Row[] = [];
    for await (const row of readJsonLines<Row>(join(dir, "run/data", file))) out.push(row);
    return out;
  };
  const eTrain = hiddenError(train, await read("imputed_train.jsonl"), a.hidden, features, sd);
  const eTest = hiddenError(test, await read("imputed_test.jsonl"), b.hidden, features, sd);
  const chosen = new Map<string, number>();
  for (const c of result.columns) chosen.set(c.policy, (chosen.get(c.policy) ?? 0) + 1);
  const policies = [...chosen].map(([p, n]) => `${p} ${n}`).join(", ");
  process.stdout.write(
    `impute node, ${label}: wall ${wall.toFixed(1)} s, CPU ${cpu.toFixed(1)} s; chose ${policies}; hidden-cell RMSE (sd units) train ${eTrain.rmse.toFixed(4)} (${eTrain.cells} cells, ${eTrain.unfilled} unfilled), test ${eTest.rmse.toFixed(4)} (${eTest.cells} cells, ${eTest.unfilled} unfilled)\n`,
  );
  rmSync(dir, { recursive: true, force: true });
}

/** 100,000 × 20 correlated numbers (5 latent factors + noise) and a binary target from two factors. */
function latentRows(n: number, p: number, seed: number): { names: string[]; rows: Row[] } {
  const rng = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const names = [...Array.from({ length: p }, (_, j) => `x${j}`), "y"];
  const rows = Array.from({ length: n }, () => {
    const latent = Array.from({ length: 5 }, gauss);
    const row: Row = { y: latent[0]! + latent[1]! + gauss() > 0 ? "yes" : "no" };
    for (let j = 0; j < p; j++) row[`x${j}`] = Number((latent[j % 5]! + 0.5 * latent[(j + 1) % 5]! + 0.5 * gauss()).toFixed(5));
    return row;
  });
  return { names, rows };
}

export async function bench(): Promise<void> {
  setQuiet(true);
  const cancer = readSimpleCsv(`${ROOT}/test/fixtures/breast_cancer.csv`);
  await benchNode("breast_cancer 569 × 30, 30% MCAR", cancer.names, cancer.rows, "target", 0.3);
  const wide = latentRows(100_000, 20, 5);
  await benchNode("latent 100,000 × 20, 20% MCAR", wide.names, wide.rows, "y", 0.2);
  if (process.env.TABTUNE_BENCH_IMPUTE_NODE_ONLY === "1") return;

  const config = getConfig().imputation;
  const settings: IterativeSettings = { ...config.iterative, seed: 0 };
  const reference: IterativeSettings = { ...settings, trees: 50, rounds: 10 };
  const fmt = (v: number) => v.toFixed(3);
  process.stdout.write(`iterative (config): ${settings.trees} trees, ${settings.rounds} rounds, depth ≤ ${settings.maxDepth}, ≤ ${settings.fitRows} rows a forest\n`);
  process.stdout.write("file | cols × rows | mean (sklearn) | KNN k=5 std (sklearn) | iterative config | iterative 50 trees × 10 rounds (sklearn) | seconds\n");
  for (const file of Object.keys(REFERENCE)) {
    const truth = numericFrame(file, 3000);
    const { masked, cells } = maskTable(truth, 0.2, 0);
    const ref = REFERENCE[file]!;
    const mean = rmse(truth, applySimple(masked, fitSimple(masked, "mean")), cells);
    const knn = rmse(truth, applyKnn(fitKnn(masked, { k: 5, referenceRows: masked.rows, seed: 0 }), masked), cells);
    const [iter, s1] = time(() => rmse(truth, fitIterative(masked, settings).filled, cells));
    const [iter50, s2] = time(() => rmse(truth, fitIterative(masked, reference).filled, cells));
    process.stdout.write(
      `${file} | ${truth.columns.length} × ${truth.rows} | ${fmt(mean)} (${ref[0]}) | ${fmt(knn)} (${ref[1]}) | ${fmt(iter)} | ${fmt(iter50)} (${ref[2]}) | ${s1.toFixed(1)} + ${s2.toFixed(1)}\n`,
    );
  }

  // 100,000 × 20 correlated numbers (5 latent factors + noise), 20% of cells missing MCAR.
  const n = 100_000;
  const p = 20;
  const rng = createRng(3);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const latent = Array.from({ length: 5 }, () => Float64Array.from({ length: n }, gauss));
  const columns: NumberValues[] = Array.from({ length: p }, (_, j) => ({
    name: `x${j}`,
    type: "numeric",
    values: Float64Array.from({ length: n }, (_, i) => latent[j % 5]![i]! + 0.5 * latent[(j + 1) % 5]![i]! + 0.5 * gauss()),
  }));
  const big: Frame = { rows: n, columns };
  const { masked, cells } = maskTable(big, 0.2, 0);
  const [fit, seconds] = time(() => fitIterative(masked, settings));
  const [, applySeconds] = time(() => applyIterative(fit.model, takeFirst(masked, 20_000)));
  process.stdout.write(
    `iterative on ${n.toLocaleString("en")} × ${p}, 20% missing: fit_transform ${seconds.toFixed(1)} s (RMSE ${fmt(rmse(big, fit.filled, cells))}, mean imputation ${fmt(rmse(big, applySimple(masked, fitSimple(masked, "mean")), cells))}); applying to 20,000 new rows ${applySeconds.toFixed(1)} s\n`,
  );
}

function takeFirst(frame: Frame, rows: number): Frame {
  return { rows, columns: frame.columns.map((c) => (c.type === "numeric" ? { ...c, values: c.values.slice(0, rows) } : { ...c, codes: c.codes.slice(0, rows) })) };
}
