/**
 * Table figures (`npm run bench -- table`), the targets of issue 3:
 *  (a) explore's work (readTable + readTableSample + profileTable + detectTarget + quality
 *      checks) on a generated 1,000,000 × 20 CSV (mixed, ~5% missing): ≤ 10 s and peak RSS
 *      ≤ 1.5 × the file's size. Run in a child process so its peak RSS (VmHWM) is its own.
 *  (b) rankFeatures on 50,000 × 200 with 10 planted informative columns: ≤ 30 s, all 10 in the top 20.
 *  (c) rankFeatures on 500 × 20,000 (omics-like): ≤ 60 s.
 * BENCH_TABLE_ROWS overrides the 1,000,000 rows of (a).
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getConfig } from "../src/runtime.js";
import { createRng } from "../src/stats/random.js";
import { rankFeatures } from "../src/stats/selection.js";
import { readTable, type Column } from "../src/table/columns.js";
import { readTableSample } from "../src/table/csv.js";
import { profileTable } from "../src/table/profile.js";
import { findQualityIssues } from "../src/table/quality.js";
import { detectTarget } from "../src/table/target.js";

const SELF = fileURLToPath(import.meta.url);
const CHILD_ENV = "TABTUNE_BENCH_TABLE_CSV";
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** Peak resident set size of this process so far (Linux), in bytes. */
function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Writes a rows × 20 CSV: 12 numeric (ints and floats), 7 categorical, a binary target; ~5% missing cells. */
export async function generateCsv(path: string, rows: number): Promise<void> {
  const rng = createRng(7);
  const cities = Array.from({ length: 300 }, (_, i) => `city_${i}`);
  const header = [
    "age", "income", "balance", "tenure_days", "score_a", "score_b", "visits", "ratio", "temperature", "latency_ms", "items", "discount",
    "region", "plan", "device", "city", "channel", "segment", "weekday", "churned",
  ];
  const out = createWriteStream(path);
  out.write(`${header.join(",")}\n`);
  const miss = (text: string) => (rng() < 0.05 ? "" : text);
  let lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const age = 18 + Math.floor(rng() * 70);
    const income = Math.round(20000 + rng() * 180000);
    const row = [
      miss(String(age)),
      miss(String(income)),
      miss((rng() * 10000 - 2000).toFixed(2)),
      miss(String(Math.floor(rng() * 3650))),
      miss(rng().toFixed(4)),
      miss((rng() * 100).toFixed(1)),
      miss(String(Math.floor(rng() * 50))),
      miss(rng().toFixed(3)),
      miss((rng() * 40 - 5).toFixed(1)),
      miss(String(Math.floor(rng() * 2000))),
      miss(String(Math.floor(rng() * 10))),
      miss((Math.floor(rng() * 5) * 0.05).toFixed(2)),
      miss(["north", "south", "east", "west"][Math.floor(rng() * 4)] ?? ""),
      miss(["basic", "plus", "premium"][Math.floor(rng() * 3)] ?? ""),
      miss(["ios", "android", "web"][Math.floor(rng() * 3)] ?? ""),
      miss(cities[Math.floor(rng() * cities.length)] ?? ""),
      miss(["email", "ads", "referral", "organic", "partner"][Math.floor(rng() * 5)] ?? ""),
      miss(`seg_${Math.floor(rng() * 12)}`),
      miss(["mon", "tue", "wed", "thu", "fri", "sat", "sun"][Math.floor(rng() * 7)] ?? ""),
      rng() < 0.2 + (age < 30 ? 0.1 : 0) ? "yes" : "no",
    ];
    lines.push(row.join(","));
    if (lines.length === 10_000) {
      if (!out.write(`${lines.join("\n")}\n`)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      lines = [];
    }
  }
  if (lines.length > 0) out.write(`${lines.join("\n")}\n`);
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

/** In the child: explore's reading and profiling, then one JSON line of figures. */
async function exploreChild(csv: string): Promise<void> {
  const config = getConfig();
  const baseline = process.memoryUsage().rss;
  const start = performance.now();
  const csvOptions = { missingTokens: config.csv.missingTokens, batchRows: config.csv.batchRows, decimalComma: config.csv.decimalComma };
  const table = await readTable(csv, csvOptions);
  const read = performance.now();
  const sample = await readTableSample(csv, csvOptions, config.profile.sampleRows);
  const profile = profileTable(table, config.profile, sample);
  const profiled = performance.now();
  const target = detectTarget(profile, config.profile);
  const findings = findQualityIssues(table, profile, target, config.quality, { seed: config.seed });
  const end = performance.now();
  process.stdout.write(
    `${JSON.stringify({
      rows: table.rows,
      target: target.column,
      findings: findings.length,
      readS: (read - start) / 1000,
      profileS: (profiled - read) / 1000,
      targetAndQualityS: (end - profiled) / 1000,
      totalS: (end - start) / 1000,
      baselineRss: baseline,
      peakRss: peakRss(),
    })}\n`,
  );
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

function selectionFigures(label: string, rows: number, cols: number, planted: number, topK: number): string {
  const fs = getConfig().featureSelection;
  const { columns, target, plantedNames } = wideTable(rows, cols, planted, 11);
  const start = performance.now();
  const rankings = rankFeatures({ ...fs, columns, target, task: "binary", seed: 42 });
  const seconds = (performance.now() - start) / 1000;
  const top = new Set(rankings.slice(0, topK).map((r) => r.column));
  const found = plantedNames.filter((n) => top.has(n)).length;
  return `${label.padEnd(34)} ${seconds.toFixed(2)} s; planted in top ${topK}: ${found}/${planted}; RSS ${mb(process.memoryUsage().rss)}`;
}

export async function bench(): Promise<void> {
  const rows = Number(process.env.BENCH_TABLE_ROWS ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), "tabtune-bench-table-"));
  try {
    const csv = join(dir, "wide_1m.csv");
    const genStart = performance.now();
    await generateCsv(csv, rows);
    const size = statSync(csv).size;
    process.stdout.write(`tabtune table bench, ${new Date().toISOString()}, node ${process.version}\n`);
    process.stdout.write(`  generated ${rows} × 20 CSV: ${mb(size)} in ${((performance.now() - genStart) / 1000).toFixed(1)} s\n`);
    const child = spawnSync(process.execPath, ["--no-node-snapshot", "--import", "tsx", SELF], {
      env: { ...process.env, [CHILD_ENV]: csv },
      encoding: "utf8",
    });
    if (child.status !== 0) throw new Error(`explore child failed: ${child.stderr.slice(-2000)}`);
    const r = JSON.parse(child.stdout.trim().split("\n").pop() ?? "{}") as Record<string, number | string>;
    const peak = Number(r.peakRss);
    process.stdout.write(
      `  (a) explore work                   ${Number(r.totalS).toFixed(2)} s (read ${Number(r.readS).toFixed(2)}, profile ${Number(r.profileS).toFixed(2)}, target + quality ${Number(r.targetAndQualityS).toFixed(2)}); ` +
        `target ${r.target}; peak RSS ${mb(peak)} = ${(peak / size).toFixed(2)} × file; above the node + tsx baseline of ${mb(Number(r.baselineRss))}: ` +
        `${mb(peak - Number(r.baselineRss))} = ${((peak - Number(r.baselineRss)) / size).toFixed(2)} × file; targets ≤ 10 s, ≤ 1.5 ×\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`  (b) ${selectionFigures("selection 50,000 × 200 (10 planted)", 50_000, 200, 10, 20)}; target ≤ 30 s, 10/10\n`);
  process.stdout.write(`  (c) ${selectionFigures("selection 500 × 20,000 (10 planted)", 500, 20_000, 10, 20)}; target ≤ 60 s\n`);
}

const childCsv = process.env[CHILD_ENV];
if (childCsv) {
  exploreChild(childCsv).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
