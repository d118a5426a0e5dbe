/**
 * Pipeline figures (`npm run bench pipeline`). Generates a large CSV
 * from examples/credit_data.csv (rows resampled, numbers jittered, seeded), then times
 * each stage on it and the whole CLI with --yes. Rows: BENCH_ROWS (default 200000).
 */
import { spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, writeFileSync, createWriteStream, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { prepCodeFromPlan } from "../src/codegen/template.js";
import { heuristicPlan } from "../src/planning/heuristic-plan.js";
import { getConfig } from "../src/runtime.js";
import { PrepSandbox } from "../src/sandbox/sandbox.js";
import { trainAndPredictBaseline } from "../src/stats/baseline.js";
import { createRng } from "../src/stats/random.js";
import { readTable } from "../src/table/columns.js";
import { readTableSample, streamCsvRows } from "../src/table/csv.js";
import { profileTable } from "../src/table/profile.js";
import { detectTarget } from "../src/table/target.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const results: [string, string][] = [];

async function generate(path: string): Promise<void> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(join(ROOT, "examples/credit_data.csv")) })) lines.push(line);
  const [header, ...body] = lines;
  const rng = createRng(1);
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  for (let i = 0; i < ROWS; i++) {
    const cells = (body[Math.floor(rng() * body.length)] ?? "").split(",");
    const row = cells.map((c) => (c !== "" && Number.isFinite(Number(c)) && rng() < 0.5 ? String(Math.max(0, Math.round(Number(c) * (0.9 + rng() * 0.2)))) : c));
    if (!out.write(`${row.join(",")}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

async function time<T>(label: string, rows: number, fn: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  const value = await fn();
  const seconds = (performance.now() - start) / 1000;
  results.push([label, `${seconds.toFixed(2)} s, ${Math.round(rows / seconds).toLocaleString("en")} rows/s, RSS ${mb(process.memoryUsage().rss)}`]);
  return value;
}

/** Stage timings and the whole CLI on a generated credit-like CSV. */
export async function bench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tabtune-bench-"));
  const csv = join(dir, "credit_big.csv");
  await generate(csv);
  const config = getConfig();
  const csvOptions = { missingTokens: config.csv.missingTokens, batchRows: config.csv.batchRows };

  const table = await time(`readTable (${ROWS} rows × 14)`, ROWS, () => readTable(csv, csvOptions));
  const sample = await readTableSample(csv, csvOptions, 20);
  const profile = await time("profileTable", ROWS, () => profileTable(table, config.profile, sample));
  const target = detectTarget(profile, config.profile);
  const plan = heuristicPlan({ profile, target, targetCounts: {}, selectedFeatures: null, config });
  const opened = await PrepSandbox.open(prepCodeFromPlan(plan, profile, { planVersion: 1, attempt: 1 }), { plan }, config.sandbox);
  if (!opened.ok) throw new Error(opened.error);
  let records = 0;
  await time("sandbox clean + render", ROWS, async () => {
    for await (const batch of streamCsvRows(csv, { ...csvOptions, batchRows: config.sandbox.batchRows })) {
      const cleaned = await opened.sandbox.clean(batch.rows);
      if (!cleaned.ok) throw new Error(cleaned.error);
      const rendered = await opened.sandbox.render(cleaned.rows.filter((r) => r !== null));
      if (!rendered.ok) throw new Error(rendered.error);
      records += rendered.rows.length;
    }
  });
  opened.sandbox.dispose();

  const forestRows = Math.min(ROWS, 20_000);
  const rows = Array.from({ length: forestRows + 5000 }, (_, i) => Object.fromEntries(table.columns.map((c) => [c.name, c.type === "numeric" ? (Number.isNaN(c.values[i] ?? NaN) ? null : (c.values[i] ?? null)) : ((c.codes[i] ?? -1) < 0 ? null : (c.dictionary[c.codes[i] ?? 0] ?? null))])));
  await time(`random forest, ${config.baseline.trees} trees on ${forestRows} rows`, forestRows, () =>
    trainAndPredictBaseline({
      features: plan.features.map((name) => ({ name, kind: profile.columns.find((c) => c.name === name)?.kind === "categorical" ? "categorical" : "numeric" })),
      target: plan.target,
      task: plan.task,
      labels: Object.keys(plan.labels),
      train: rows.slice(0, forestRows),
      test: rows.slice(forestRows),
      options: { ...config.baseline, seed: 1 },
    }),
  );

  const start = performance.now();
  const cli = spawnSync(process.execPath, ["--no-node-snapshot", "--import", "tsx", join(ROOT, "src/cli.ts"), "--csv", csv, "--output", join(dir, "out"), "--yes"], {
    env: { ...process.env, CI: "1" },
    encoding: "utf8",
  });
  const seconds = (performance.now() - start) / 1000;
  results.push([`whole CLI --yes (${ROWS} rows)`, `${seconds.toFixed(1)} s, exit ${cli.status}`]);

  process.stdout.write(`tabtune bench, ${new Date().toISOString()}, node ${process.version}\n`);
  for (const [label, value] of results) process.stdout.write(`  ${label.padEnd(44)} ${value}\n`);
  process.stdout.write(`  records rendered                             ${records}\n`);
  writeFileSync(join(dir, "bench.txt"), results.map((r) => r.join("\t")).join("\n"));
  rmSync(dir, { recursive: true, force: true });
  if (cli.status !== 0) {
    process.stderr.write(cli.stderr.slice(-2000));
    process.exitCode = 1;
  }
}

