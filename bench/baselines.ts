/**
 * `npm run bench -- baselines [tuning|heldout|fresh|fresh2]`: tabtune's baseline against scikit-learn's
 * random forest on the same split, for every table of the target-detection fixtures
 * (test/fixtures/targets: the tuning set; heldout/, fresh/ and fresh2/: sets measured later, in that order),
 * each with its natural target from the manifest.
 *
 * Per table: a seeded split (split.testRatio, stratified by class as the split node does;
 * rows without a target dropped), then tabtune's own baseline path as evaluate runs it —
 * chooseBaselineFeatures on every other column, compareBaselines (the forest and the linear
 * model scored on a validation fold of the training rows, the stronger chosen) — scored on
 * the test rows. The split's row numbers go to a temporary file that
 * bench/reference/baselines.py reads: scikit-learn's RandomForestClassifier/Regressor
 * (defaults, n_estimators = baseline.trees, random_state = the seed) on the same rows,
 * with the features a data scientist would make (ordinal codes for categories, dates as
 * numbers, identifiers and names dropped). Printed: both test metrics (accuracy, or R²),
 * the gap, and whether tabtune is within max(2 points, one test row) of scikit-learn (for
 * R², 2 points: one row has no fixed weight there); then the count, how often scikit-learn's
 * forest with the next seed is within the same tolerance of itself (the noise floor of that
 * criterion on these small test sets), and how often the chosen
 * model's test metric is within the same tolerance of the better of its two candidates (the
 * choice itself, independent of scikit-learn). Without python3 +
 * pandas + scikit-learn the comparison is skipped, loudly.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../src/config.js";
import type { TaskType } from "../src/schemas.js";
import { chooseBaselineFeatures, type BaselineRow } from "../src/stats/baseline.js";
import { chosenBaseline, compareBaselines } from "../src/stats/baseline-choice.js";
import { classificationMetrics, regressionMetrics } from "../src/stats/metrics.js";
import { testMask } from "../src/stats/split.js";
import { columnValue, readTable } from "../src/table/columns.js";
import { readTableSample } from "../src/table/csv.js";
import { profileTable } from "../src/table/profile.js";
import { detectTarget } from "../src/table/target.js";
import { referencePython } from "./lib/measure.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SETS = { tuning: "test/fixtures/targets", heldout: "test/fixtures/targets/heldout", fresh: "test/fixtures/targets/fresh", fresh2: "test/fixtures/targets/fresh2" } as const;

interface Entry {
  file: string;
  target: string;
  task: TaskType;
}
interface Split {
  set: string;
  file: string;
  path: string;
  target: string;
  task: TaskType;
  /** 0-based data-row numbers of the CSV (header excluded). */
  train: number[];
  test: number[];
}
interface Scored extends Split {
  metric: "accuracy" | "r2";
  tabtune: number;
  model: string;
  /** The forest's and the linear model's own test metrics (the chosen model is one of them). */
  forest: number;
  linear: number;
  features: number;
  excluded: string[];
  /** Cross-validated linear − forest score, and its standard error. */
  difference: { mean: number; se: number };
}

/** tabtune's baseline on one table: the split, the chosen model's test metric. */
async function runTabtune(set: string, dir: string, entry: Entry, config: ReturnType<typeof loadConfig>): Promise<Scored> {
  const path = join(ROOT, dir, entry.file);
  const table = await readTable(path, config.csv);
  const profile = profileTable(table, config.profile, await readTableSample(path, config.csv, config.profile.sampleRows));
  const choice = detectTarget(profile, config.profile, entry.target);
  const rows: BaselineRow[] = Array.from({ length: table.rows }, (_, r) => Object.fromEntries(table.columns.map((c) => [c.name, columnValue(c, r)])));
  const kept = rows.map((_, r) => r).filter((r) => rows[r]?.[entry.target] !== null);
  const regression = choice.task === "regression";
  const mask = testMask(kept.map((r) => String(rows[r]?.[entry.target])), config.split.testRatio, config.seed, !regression);
  const trainIdx = kept.filter((_, i) => mask[i] === 0);
  const testIdx = kept.filter((_, i) => mask[i] === 1);
  const train = trainIdx.map((r) => rows[r] as BaselineRow);
  const test = testIdx.map((r) => rows[r] as BaselineRow);
  const others = profile.columns.map((c) => c.name).filter((n) => n !== entry.target);
  const { features, excluded } = chooseBaselineFeatures(others, profile.columns, profile.rows, config.profile.textDistinctRatio);
  const labels = Object.keys(choice.labels);
  const comparison = compareBaselines({
    features,
    target: entry.target,
    task: choice.task,
    labels,
    validationSource: train,
    train,
    test,
    options: { ...config.baseline, seed: config.seed },
  });
  const chosen = chosenBaseline(comparison);
  const metric = regression ? "r2" : "accuracy";
  const score = (predictions: string[] | number[]) =>
    regression
      ? regressionMetrics(test.map((row) => Number(row[entry.target])), predictions.map(Number)).r2
      : classificationMetrics(test.map((row) => String(row[entry.target])), predictions.map(String), labels).accuracy;
  const value = score(chosen.result.predictions);
  const model = chosen.kind === "linear" ? "linear" : "forest";
  return { set, file: entry.file, path, target: entry.target, task: choice.task, train: trainIdx, test: testIdx, metric, tabtune: value, model, forest: score(comparison.forest.predictions), linear: score(comparison.linear.predictions), features: features.length, excluded: excluded.map((e) => e.name), difference: comparison.difference };
}

function readManifest(dir: string): Entry[] {
  const parsed = JSON.parse(readFileSync(join(ROOT, dir, "manifest.json"), "utf8")) as { tables: Entry[] };
  return parsed.tables;
}

export async function bench(args: string[]): Promise<void> {
  const config = loadConfig();
  const sets = (Object.keys(SETS) as (keyof typeof SETS)[]).filter((s) => (args.length === 0 || args.includes(s)) && existsSync(join(ROOT, SETS[s], "manifest.json")));
  const scored: Scored[] = [];
  for (const set of sets) {
    for (const entry of readManifest(SETS[set])) {
      try {
        scored.push(await runTabtune(set, SETS[set], entry, config));
      } catch (error) {
        // A table tabtune refuses (its target unusable as read) is named and left out of the counts.
        process.stdout.write(`${set}/${entry.file}: skipped, tabtune refused it: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  }
  const py = referencePython();
  let reference = new Map<string, number>();
  let nextSeed = new Map<string, number>();
  if ("python" in py) {
    const dir = mkdtempSync(join(tmpdir(), "tabtune-baselines-"));
    try {
      const splits = join(dir, "splits.json");
      const out = join(dir, "sklearn.json");
      const jobs = scored.map(({ set, file, path, target, task, train, test }) => ({ set, file, path, target, task, train, test }));
      writeFileSync(splits, JSON.stringify({ trees: config.baseline.trees, seed: config.seed, missing: config.csv.missingTokens, tables: jobs }));
      const run = spawnSync(py.python, [join(ROOT, "bench/reference/baselines.py"), splits, out], { encoding: "utf8", stdio: ["ignore", "inherit", "inherit"] });
      if (run.status !== 0) throw new Error(`bench/reference/baselines.py exited with ${run.status}`);
      const results = JSON.parse(readFileSync(out, "utf8")) as { set: string; file: string; value: number; nextSeed: number }[];
      reference = new Map(results.map((r) => [`${r.set}/${r.file}`, r.value]));
      nextSeed = new Map(results.map((r) => [`${r.set}/${r.file}`, r.nextSeed]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const pct = (x: number) => (100 * x).toFixed(1).padStart(6);
  process.stdout.write(`tabtune baseline (chosen model) vs scikit-learn RandomForest, ${config.baseline.trees} trees, seed ${config.seed}, test ratio ${config.split.testRatio}\n`);
  process.stdout.write(`${"set/table".padEnd(44)} ${"target".padEnd(18)} ${"metric".padEnd(8)} ${"tabtune".padStart(7)} ${"sklearn".padStart(7)} ${"gap".padStart(6)} ${"tol".padStart(5)}  within  model  forest  linear  test  cv l−f     se\n`);
  const within: Record<string, [number, number]> = {};
  const choseWell: Record<string, [number, number]> = {};
  const selfWithin: Record<string, [number, number]> = {};
  for (const s of scored) {
    const ref = reference.get(`${s.set}/${s.file}`);
    // One test row's worth of accuracy; R² has no per-row unit, so 2 points.
    const tolerance = s.metric === "accuracy" ? Math.max(0.02, 1 / s.test.length) : 0.02;
    const gap = ref === undefined ? Number.NaN : s.tabtune - ref;
    const ok = ref !== undefined && gap >= -tolerance - 1e-9;
    const count = (within[s.set] ??= [0, 0]);
    const better = (choseWell[s.set] ??= [0, 0]);
    better[1]++;
    if (s.tabtune >= Math.max(s.forest, s.linear) - tolerance - 1e-9) better[0]++;
    if (ref !== undefined) {
      count[1]++;
      if (ok) count[0]++;
    }
    const other = nextSeed.get(`${s.set}/${s.file}`);
    if (ref !== undefined && other !== undefined) {
      const self = (selfWithin[s.set] ??= [0, 0]);
      self[1]++;
      if (other - ref >= -tolerance - 1e-9) self[0]++;
    }
    process.stdout.write(
      `${`${s.set}/${s.file}`.padEnd(44)} ${s.target.slice(0, 18).padEnd(18)} ${s.metric.padEnd(8)} ${pct(s.tabtune).padStart(7)} ${ref === undefined ? "      -" : pct(ref).padStart(7)} ${ref === undefined ? "     -" : pct(gap)} ${(100 * tolerance).toFixed(1).padStart(5)}  ${ref === undefined ? "  -   " : ok ? " yes  " : " NO   "}  ${s.model.padEnd(6)} ${pct(s.forest)} ${pct(s.linear).padStart(7)} ${String(s.test.length).padStart(5)} ${pct(s.difference.mean)} ${pct(s.difference.se)}\n`,
    );
  }
  for (const [set, [ok, n]] of Object.entries(within)) process.stdout.write(`${set}: within max(2 points, one test row) of scikit-learn on ${ok} of ${n} tables\n`);
  for (const [set, [ok, n]] of Object.entries(selfWithin)) process.stdout.write(`${set}: scikit-learn's forest with seed + 1 within the same tolerance of itself (seed) on ${ok} of ${n} tables: the criterion's noise floor\n`);
  for (const [set, [ok, n]] of Object.entries(choseWell)) process.stdout.write(`${set}: chosen model within the same tolerance of the better of forest and linear on test on ${ok} of ${n} tables\n`);
  if (!("python" in py)) process.stdout.write(`\nREFERENCE SKIPPED: ${py.missing}; no comparison made\n`);
}
