/**
 * `npm run bench -- forest [10k] [100k]` (default both): src/stats/forest.ts beside
 * scikit-learn's RandomForestClassifier on the same numbers, the cost issue 16 is about.
 *
 * Data: the seeded rows × 20 CSV of the pipeline bench (bench/lib/generate.ts: 12 numbers,
 * 7 categories, binary target "churned", ~5% missing), encoded once here as a data scientist
 * would: numbers as they are (missing: the training median), categories as ordinal codes of
 * their sorted training values (missing: -1) — 19 feature columns. The first 80% of the rows
 * train, the rest test. The encoded table goes to a temporary CSV that
 * bench/reference/forest.py reads, so both fit exactly the same matrix.
 *
 * tabtune: fitForest with 100 trees, maxDepth 20, √p features per split (maxFeatures null,
 * scikit-learn's classifier default "sqrt"), seed 7, in this process: CPU (user + system of
 * this process) and wall seconds of the fit, then the test accuracy (class 1 when its
 * averaged probability is above ½). scikit-learn: RandomForestClassifier(n_estimators=100,
 * max_depth=20, n_jobs=1, random_state=7), its fit timed the same way in Python (CPU:
 * process_time). Without python3 + pandas + scikit-learn that half is skipped, loudly.
 * Figures move with the machine's load (printed): compare commits run alternately.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fitForest, predictForest } from "../src/stats/forest.js";
import { generateCsv, generated, MIXED_HEADER } from "./lib/generate.js";
import { commitLabel, referencePython } from "./lib/measure.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SIZES: Record<string, number> = { "10k": 10_000, "100k": 100_000 };
const TREES = 100;
const MAX_DEPTH = 20;
const SEED = 7;
const TRAIN_SHARE = 0.8;
/** Columns of MIXED_HEADER that are categories (the rest before the target are numbers). */
const CATEGORICAL = new Set(["region", "plan", "device", "city", "channel", "segment", "weekday"]);

interface Encoded {
  names: string[];
  /** Column-major features, every row. */
  columns: Float64Array[];
  y: Int32Array;
  trainRows: number;
}

/** The generated CSV as numbers: medians and category codes learned on the training rows. */
function encode(path: string): Encoded {
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
  const header = (lines[0] ?? "").split(",");
  const rows = lines.slice(1).map((l) => l.split(","));
  const trainRows = Math.floor(rows.length * TRAIN_SHARE);
  const targetAt = header.indexOf("churned");
  const names = header.filter((h) => h !== "churned");
  const columns = names.map((name) => {
    const at = header.indexOf(name);
    const cells = rows.map((r) => r[at] ?? "");
    if (CATEGORICAL.has(name)) {
      const levels = [...new Set(cells.slice(0, trainRows).filter((c) => c !== ""))].sort();
      const code = new Map(levels.map((l, i) => [l, i]));
      return Float64Array.from(cells, (c) => code.get(c) ?? -1);
    }
    const train = cells.slice(0, trainRows).filter((c) => c !== "").map(Number).sort((a, b) => a - b);
    const mid = train.length >> 1;
    const median = train.length % 2 === 1 ? (train[mid] as number) : ((train[mid - 1] as number) + (train[mid] as number)) / 2;
    return Float64Array.from(cells, (c) => (c === "" ? median : Number(c)));
  });
  const y = Int32Array.from(rows, (r) => (r[targetAt] === "yes" ? 1 : 0));
  return { names, columns, y, trainRows };
}

interface Figures {
  cpuS: number;
  wallS: number;
  accuracy: number;
}

function runTabtune(data: Encoded): Figures {
  const train = data.columns.map((c) => c.subarray(0, data.trainRows));
  const test = data.columns.map((c) => c.subarray(data.trainRows));
  const y = data.y.subarray(0, data.trainRows);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const forest = fitForest(train, { kind: "classification", classes: 2, y }, { trees: TREES, maxDepth: MAX_DEPTH, maxFeatures: null, seed: SEED });
  const wallS = (performance.now() - start) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  const proba = predictForest(forest, test);
  let right = 0;
  for (let i = data.trainRows; i < data.y.length; i++) {
    const k = i - data.trainRows;
    if (((proba[2 * k + 1] as number) > 0.5 ? 1 : 0) === data.y[i]) right++;
  }
  return { cpuS: (user + system) / 1e6, wallS, accuracy: right / (data.y.length - data.trainRows) };
}

function runReference(python: string, data: Encoded, dir: string): Figures | string {
  const path = join(dir, "encoded.csv");
  const lines = [[...data.names, "churned"].join(",")];
  for (let i = 0; i < data.y.length; i++) lines.push([...data.columns.map((c) => String(c[i])), String(data.y[i])].join(","));
  writeFileSync(path, `${lines.join("\n")}\n`);
  const args = JSON.stringify({ path, trainRows: data.trainRows, trees: TREES, maxDepth: MAX_DEPTH, seed: SEED });
  const run = spawnSync(python, [join(ROOT, "bench/reference/forest.py"), args], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (run.status !== 0) return `bench/reference/forest.py failed (${run.status}): ${run.stderr.trim().slice(-400)}`;
  return JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as Figures;
}

function sizes(args: string[]): string[] {
  const named = args.map((a) => a.toLowerCase());
  const unknown = named.filter((s) => !(s in SIZES));
  if (unknown.length > 0) throw new Error(`unknown forest size ${unknown.join(", ")}; sizes: ${Object.keys(SIZES).join(", ")}`);
  return named.length > 0 ? named : Object.keys(SIZES);
}

const line = (what: string, f: Figures) =>
  `  ${what.padEnd(34)} ${f.cpuS.toFixed(2).padStart(8)} ${f.wallS.toFixed(2).padStart(8)} ${f.accuracy.toFixed(4).padStart(9)}\n`;

export async function bench(args: string[]): Promise<void> {
  const chosen = sizes(args);
  const python = referencePython();
  process.stdout.write(
    `tabtune forest bench, ${new Date().toISOString()}, commit ${commitLabel(ROOT)}, node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}\n${TREES} trees, max depth ${MAX_DEPTH}, √p features per split, seed ${SEED}, first ${TRAIN_SHARE * 100}% of rows train\n`,
  );
  if ("missing" in python) process.stdout.write(`SKIPPED scikit-learn reference: ${python.missing}\n`);
  const dir = mkdtempSync(join(tmpdir(), "tabtune-forest-bench-"));
  try {
    for (const size of chosen) {
      const rows = SIZES[size] as number;
      const csv = await generated(`mixed_v1_${rows}.csv`, (path) => generateCsv(path, rows));
      const data = encode(csv);
      process.stdout.write(`\n${size}: ${data.trainRows} training rows × ${data.columns.length} features (${MIXED_HEADER.length - 1} columns but the target)\n`);
      process.stdout.write(`  ${"".padEnd(34)} ${"CPU s".padStart(8)} ${"wall s".padStart(8)} ${"accuracy".padStart(9)}\n`);
      const ours = runTabtune(data);
      process.stdout.write(line("tabtune fitForest", ours));
      if ("missing" in python) continue;
      const ref = runReference(python.python, data, dir);
      if (typeof ref === "string") {
        process.stdout.write(`  SKIPPED scikit-learn: ${ref}\n`);
        continue;
      }
      process.stdout.write(line("scikit-learn RandomForestClassifier", ref));
      process.stdout.write(`  ratio tabtune / scikit-learn: CPU ${(ours.cpuS / ref.cpuS).toFixed(2)}×, wall ${(ours.wallS / ref.wallS).toFixed(2)}×\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
