/**
 * Table figures (`npm run bench -- table`), each tabtune part in a child process of its own
 * (so CPU and peak RSS are its own, from /usr/bin/time) beside pandas + scikit-learn
 * (bench/reference/table.py, Debian's python3-pandas + python3-sklearn; skipped loudly when
 * absent):
 *  (a) explore on a generated 1,000,000 × 20 CSV (mixed, ~5% missing; BENCH_TABLE_ROWS
 *      overrides): readTable + readTableSample + profileTable + detectTarget + quality checks,
 *      against pandas read_csv + a comparable profile. Target: ≤ 0.6× the reference's CPU.
 *  (b) rankFeatures on 50,000 × 200 typed columns with 10 planted informative columns (in
 *      process): all 10 in the top 20.
 *  (c) a 500 × 20,000 CSV through explore and select_features: tabtune reads and profiles it,
 *      reads it again (as select_features does today) or takes explore's table from the cache
 *      (src/table/cache.ts), and ranks it (rankFeatures with config featureSelection), against
 *      pandas read_csv + the profile + the same four scores with numpy/scikit-learn on the
 *      same sizes. Targets: ≤ 1.0× the reference's CPU, ≤ 0.6 GB peak RSS.
 * The child's time includes node + tsx start-up (~1 s CPU), the reference's python imports.
 */
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { getConfig } from "../src/runtime.js";
import { createRng } from "../src/stats/random.js";
import { rankFeatures } from "../src/stats/selection.js";
import { keepTable } from "../src/table/cache.js";
import { readTable, type Column } from "../src/table/columns.js";
import { readTableSample, type CsvOptions } from "../src/table/csv.js";
import { profileTable } from "../src/table/profile.js";
import { findQualityIssues } from "../src/table/quality.js";
import { detectTarget } from "../src/table/target.js";
import { generateCsv, generated, generateWideCsv } from "./lib/generate.js";
import { commitLabel, referencePython, size, timed, type Timed } from "./lib/measure.js";

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CHILD_ENV = "TABTUNE_BENCH_TABLE_CHILD";

interface ChildJob {
  job: "explore" | "wide";
  csv: string;
  /** wide: select_features takes explore's table from the cache instead of reading the file again. */
  cache?: boolean;
}

/** In the child: explore's work (and for "wide", select_features' reading and ranking), then one JSON line of seconds. */
async function child(job: ChildJob): Promise<void> {
  const config = getConfig();
  const csvOptions: CsvOptions = { missingTokens: config.csv.missingTokens, batchRows: config.csv.batchRows, decimalComma: config.csv.decimalComma };
  const times: Record<string, number> = {};
  let clock = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    times[name] = Number(((now - clock) / 1000).toFixed(2));
    clock = now;
  };
  const table = await readTable(job.csv, csvOptions);
  lap("read");
  const sample = await readTableSample(job.csv, csvOptions, config.profile.sampleRows);
  const profile = profileTable(table, config.profile, sample);
  lap("profile");
  const target = detectTarget(profile, config.profile, job.job === "wide" ? "y" : undefined);
  findQualityIssues(table, profile, target, config.quality, { seed: config.seed });
  lap("targetAndQuality");
  if (job.job === "wide") {
    if (job.cache) keepTable(table, csvOptions);
    const again = await readTable(job.csv, csvOptions);
    lap("selectRead");
    const skip = new Set(profile.columns.filter((c) => c.kind === "identifier" || c.kind === "text").map((c) => c.name));
    skip.add(target.column);
    const fs = config.featureSelection;
    const targetColumn = again.columns.find((c) => c.name === target.column);
    if (!targetColumn) throw new Error(`no target column ${target.column}`);
    const rankings = rankFeatures({ ...fs, columns: again.columns.filter((c) => !skip.has(c.name)), target: targetColumn, task: target.task, seed: config.seed });
    lap("rank");
    times.planted = rankings.slice(0, 20).filter((r) => Number(r.column.slice(2)) % 2000 === 0).length;
  }
  process.stdout.write(`${JSON.stringify({ ...times, rows: table.rows, target: target.column })}\n`);
}

/** A child of this file under /usr/bin/time. */
function runChild(job: ChildJob): Promise<Timed> {
  return timed(process.execPath, ["--no-node-snapshot", "--import", import.meta.resolve("tsx"), SELF], { env: { ...process.env, [CHILD_ENV]: JSON.stringify(job) } });
}

/** n values of standard normal noise. */
function normals(rng: () => number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return out;
}

/** rows × cols numeric columns; `planted` of them (every cols/planted-th, "f_<i>") drive a binary target. */
function wideTable(rows: number, cols: number, planted: number, seed: number): { columns: Column[]; target: Column; plantedNames: string[] } {
  const rng = createRng(seed);
  const columns: Column[] = [];
  const plantedNames: string[] = [];
  const logit = new Float64Array(rows);
  const step = Math.floor(cols / planted);
  for (let j = 0; j < cols; j++) {
    const values = normals(rng, rows);
    if (j % step === 0 && plantedNames.length < planted) {
      plantedNames.push(`f_${j}`);
      for (let i = 0; i < rows; i++) logit[i]! += 0.8 * (values[i] ?? 0);
    }
    columns.push({ name: `f_${j}`, index: j, type: "numeric", values, allIntegers: false });
  }
  const codes = Int32Array.from(logit, (z) => (rng() < 1 / (1 + Math.exp(-z)) ? 1 : 0));
  return { columns, target: { name: "y", index: cols, type: "categorical", codes, dictionary: ["no", "yes"] }, plantedNames };
}

function selectionFigures(rows: number, cols: number, planted: number, topK: number): string {
  const fs = getConfig().featureSelection;
  const { columns, target, plantedNames } = wideTable(rows, cols, planted, 11);
  const start = performance.now();
  const cpu = process.cpuUsage();
  const rankings = rankFeatures({ ...fs, columns, target, task: "binary", seed: 42 });
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - start) / 1000;
  const top = new Set(rankings.slice(0, topK).map((r) => r.column));
  const found = plantedNames.filter((n) => top.has(n)).length;
  return `${seconds.toFixed(2)} s wall, ${((used.user + used.system) / 1e6).toFixed(2)} s CPU; planted in top ${topK}: ${found}/${planted}`;
}

const fmt = (t: Timed) => `${t.wallS.toFixed(1)} s wall, ${t.cpuS.toFixed(1)} s CPU, peak RSS ${size(t.peakRss)}`;
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "?");
const lastLine = (t: Timed) => t.stdout.trim().split("\n").pop() ?? "";

/** One tabtune child and its reference, printed with their ratios. */
async function sideBySide(label: string, jobs: { name: string; job: ChildJob }[], reference: string[] | null, targets: string): Promise<void> {
  const ours: { name: string; t: Timed }[] = [];
  for (const { name, job } of jobs) {
    const t = await runChild(job);
    if (t.status !== 0) throw new Error(`${label} child failed: ${t.stderr.slice(-2000)}`);
    ours.push({ name, t });
    process.stdout.write(`  ${name.padEnd(26)} ${fmt(t)}; ${lastLine(t)}\n`);
  }
  if (reference === null) return;
  const [python, ...args] = reference;
  const ref = await timed(python ?? "python3", args);
  if (ref.status !== 0) throw new Error(`reference failed: ${ref.stderr.slice(-2000)}`);
  process.stdout.write(`  ${"pandas + scikit-learn".padEnd(26)} ${fmt(ref)}; ${lastLine(ref)}\n`);
  for (const { name, t } of ours) process.stdout.write(`  ${name} / reference: CPU ${ratio(t.cpuS, ref.cpuS)}, wall ${ratio(t.wallS, ref.wallS)}, peak RSS ${ratio(t.peakRss, ref.peakRss)}\n`);
  process.stdout.write(`  targets: ${targets}\n`);
}

export async function bench(): Promise<void> {
  const config = getConfig();
  const rows = Number(process.env.BENCH_TABLE_ROWS ?? 1_000_000);
  const py = referencePython();
  process.stdout.write(
    `tabtune table bench, ${new Date().toISOString()}, commit ${commitLabel(ROOT)}, node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}\n  reference: ${"python" in py ? `${py.python} bench/reference/table.py` : `SKIPPED, ${py.missing}`}\n`,
  );
  const reference = (job: string, csv: string) =>
    "python" in py
      ? [py.python, `${ROOT}bench/reference/table.py`, JSON.stringify({ job, csv, missing: config.csv.missingTokens, target: job === "wide" ? "y" : null, seed: config.seed, ...config.featureSelection })]
      : null;

  const mixed = await generated(`mixed_v1_${rows}.csv`, (path) => generateCsv(path, rows));
  process.stdout.write(`(a) explore, ${rows.toLocaleString("en")} × 20 (${size(statSync(mixed).size)})\n`);
  await sideBySide("explore", [{ name: "tabtune explore", job: { job: "explore", csv: mixed } }], reference("explore", mixed), "tabtune ≤ 0.6× the reference's CPU");

  process.stdout.write(`(b) selection 50,000 × 200 (10 planted), in process: ${selectionFigures(50_000, 200, 10, 20)}; target 10/10\n`);

  const wide = await generated("wide_v1_500x20000.csv", (path) => generateWideCsv(path, 500, 20_000));
  process.stdout.write(`(c) explore + select_features, 500 × 20,000 (${size(statSync(wide).size)})\n`);
  await sideBySide(
    "wide",
    [
      { name: "tabtune, read twice", job: { job: "wide", csv: wide, cache: false } },
      { name: "tabtune, cached table", job: { job: "wide", csv: wide, cache: true } },
    ],
    reference("wide", wide),
    "tabtune ≤ 1.0× the reference's CPU, ≤ 0.6 GB peak RSS",
  );
  if (!("python" in py)) process.stdout.write(`\nREFERENCE SKIPPED: ${py.missing}\n`);
}

const childJob = process.env[CHILD_ENV];
if (childJob) {
  const parsed: unknown = JSON.parse(childJob);
  if (typeof parsed !== "object" || parsed === null || !("job" in parsed) || !("csv" in parsed)) throw new Error(`${CHILD_ENV} is not a job`);
  const job: ChildJob = { job: parsed.job === "wide" ? "wide" : "explore", csv: String(parsed.csv), cache: "cache" in parsed && parsed.cache === true };
  child(job).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
