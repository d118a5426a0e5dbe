/**
 * Imputation figures (`npm run bench impute`): for the numeric columns of shared tables,
 * 20% of the observed cells masked completely at random (seed 0, first 3000 rows, target
 * excluded), the RMSE of mean, KNN (k = 5, standardized columns) and iterative (forest)
 * imputation on the masked cells, standardized by each column's observed mean and sd —
 * the protocol of the scikit-learn 1.2.1 figures in shared/datasets/INDEX.md, printed
 * beside them. Then the time of iterative imputation on 100,000 × 20 numbers, 20% missing.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getConfig } from "../src/runtime.js";
import { createRng, sampleIndices } from "../src/stats/random.js";
import { copyFrame, observedMoments, type Frame, type NumericColumn } from "../src/stats/imputation/frame.js";
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
  const columns: NumericColumn[] = [];
  names.forEach((name, j) => {
    if (name === TARGETS[file]) return;
    const raw = cells.map((r) => (r[j] ?? "").trim());
    if (!raw.every((c) => c === "" || Number.isFinite(Number(c)))) return;
    columns.push({ name, kind: "numeric", values: Float64Array.from(raw, (c) => (c === "" ? Number.NaN : Number(c))) });
  });
  return { rows: cells.length, columns };
}

/** Hides `fraction` of all observed cells (one draw over the whole table). */
function maskTable(frame: Frame, fraction: number, seed: number): { masked: Frame; cells: [number, number][] } {
  const observed: [number, number][] = [];
  frame.columns.forEach((c, j) => {
    if (c.kind === "numeric") for (let i = 0; i < frame.rows; i++) if (!Number.isNaN(c.values[i]!)) observed.push([j, i]);
  });
  const cells = sampleIndices(observed.length, Math.round(observed.length * fraction), createRng(seed)).map((k) => observed[k]!);
  const masked = copyFrame(frame);
  for (const [j, i] of cells) {
    const c = masked.columns[j]!;
    if (c.kind === "numeric") c.values[i] = Number.NaN;
  }
  return { masked, cells };
}

function rmse(truth: Frame, filled: Frame, cells: [number, number][]): number {
  const scale = truth.columns.map((c) => (c.kind === "numeric" ? observedMoments(c.values).sd : 1));
  let ss = 0;
  for (const [j, i] of cells) {
    const t = truth.columns[j]!;
    const f = filled.columns[j]!;
    if (t.kind === "numeric" && f.kind === "numeric") ss += ((f.values[i]! - t.values[i]!) / scale[j]!) ** 2;
  }
  return Math.sqrt(ss / cells.length);
}

const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const out = f();
  return [out, (performance.now() - t0) / 1000];
};

export async function bench(): Promise<void> {
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
  const columns: NumericColumn[] = Array.from({ length: p }, (_, j) => ({
    name: `x${j}`,
    kind: "numeric",
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
  return { rows, columns: frame.columns.map((c) => (c.kind === "numeric" ? { ...c, values: c.values.slice(0, rows) } : { ...c, codes: c.codes.slice(0, rows) })) };
}
