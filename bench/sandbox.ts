/**
 * Sandbox figures (`npm run bench -- sandbox`): the heuristic template's clean + render
 * through the isolate over BENCH_SANDBOX_ROWS (default 1,000,000) rows × 20 columns,
 * (1) from in-memory batches (the sandbox alone: JSON in, one crossing per batch,
 * host-side validation) and (2) end to end through execute's cleanCsv (CSV parse,
 * sandbox, writing cleaned.jsonl and all_data.json). The target is ≤ 15 s for (1).
 * The machine is shared: the load average and CPU seconds are printed with each figure.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { prepCodeFromPlan } from "../src/codegen/template.js";
import { sandboxContext } from "../src/codegen/sidecar.js";
import { cleanCsv } from "../src/prep/clean-csv.js";
import { getConfig } from "../src/runtime.js";
import type { RawRow } from "../src/rows.js";
import { PrepSandbox, type PrepOutcome } from "../src/sandbox/sandbox.js";
import type { ColumnProfile, Plan, TableProfile } from "../src/schemas.js";

const ROWS = Number(process.env.BENCH_SANDBOX_ROWS ?? 1_000_000);
const FEATURES = Array.from({ length: 19 }, (_, i) => `feature_${String(i).padStart(2, "0")}`);
const NUMERIC = new Set(FEATURES.filter((_, i) => i % 3 !== 2));
const CATEGORIES = ["red", "green", "blue", "violet", "yellow"];
/** Distinct in-memory batches, cycled; generating rows is not what is timed. */
const POOL_ROWS = 100_000;

/** Row r: 13 numeric and 6 categorical features, ~6% missing cells, a binary target (1% missing). */
function makeRow(r: number): RawRow {
  const row: RawRow = {};
  for (let c = 0; c < FEATURES.length; c++) {
    const name = FEATURES[c] ?? "";
    if ((r * 7 + c) % 17 === 0) row[name] = null;
    else row[name] = NUMERIC.has(name) ? String(((r * 31 + c * 7) % 10_000) / 100) : (CATEGORIES[(r + c) % 5] ?? "");
  }
  row.label = r % 100 === 0 ? null : String((r * 13) % 3 === 0 ? 1 : 0);
  return row;
}

function fixture(): { plan: Plan; profile: Pick<TableProfile, "columns">; code: string } {
  const plan: Plan = {
    instruction: "Predict the label of this record.",
    target: "label",
    task: "binary",
    labels: { "0": "negative", "1": "positive" },
    features: FEATURES,
    dropped: [],
    rowFormat: "sentences",
    cleaning: [],
    balancing: { strategy: "none", advice: "" },
    imputation: [],
  };
  const column = (name: string, index: number): ColumnProfile => ({
    name,
    index,
    kind: NUMERIC.has(name) ? "numeric" : "categorical",
    missing: 0,
    missingRate: 0.06,
    distinct: 5,
    topValues: [],
    numeric: NUMERIC.has(name) ? { min: 0, max: 100, mean: 50, median: 50, std: 29, q1: 25, q3: 75, outliers: 0 } : null,
  });
  const profile: Pick<TableProfile, "columns"> = {
    columns: [...FEATURES.map(column), { ...column("label", FEATURES.length), kind: "categorical", numeric: null }],
  };
  return { plan, profile, code: prepCodeFromPlan(plan, profile, { planVersion: 1, attempt: 1 }) };
}

async function measure(label: string, rows: number, fn: () => Promise<number>, sandbox: PrepSandbox): Promise<void> {
  const isolateStart = sandbox.cpuMs;
  const load = loadavg()[0] ?? 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const records = await fn();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const isolateSeconds = (sandbox.cpuMs - isolateStart) / 1000;
  process.stdout.write(
    `  ${label.padEnd(44)} ${seconds.toFixed(2)} s, ${Math.round(rows / seconds).toLocaleString("en")} rows/s, ` +
      `${records.toLocaleString("en")} records, CPU ${cpuSeconds.toFixed(1)} s (isolate ${isolateSeconds.toFixed(1)} s), load ${load.toFixed(1)} on ${(await import("node:os")).cpus().length} cores\n`,
  );
}

export async function bench(): Promise<void> {
  const config = getConfig();
  const { plan, profile, code } = fixture();
  const ctx = sandboxContext(plan, profile);
  const limits = { memoryLimitMb: Number(process.env.BENCH_SANDBOX_MEMORY_MB ?? config.sandbox.memoryLimitMb), batchTimeoutMs: config.sandbox.batchTimeoutMs };
  const batchRows = Number(process.env.BENCH_SANDBOX_BATCH ?? config.sandbox.batchRows);
  process.stdout.write(`sandbox bench, ${new Date().toISOString()}, node ${process.version}, ${ROWS.toLocaleString("en")} rows × 20 columns, batches of ${batchRows}\n`);

  const pool: RawRow[][] = [];
  for (let s = 0; s < Math.min(POOL_ROWS, ROWS); s += batchRows) pool.push(Array.from({ length: Math.min(batchRows, ROWS - s) }, (_, i) => makeRow(s + i)));

  const opened = await PrepSandbox.open(code, ctx, limits);
  if (!opened.ok) throw new Error(opened.error);
  const sandbox = opened.sandbox;
  try {
    await measure("clean + render, in-memory batches", ROWS, async () => {
      let records = 0;
      let pending: Promise<PrepOutcome> | null = null;
      const take = async (p: Promise<PrepOutcome>) => {
        const outcome = await p;
        if (!outcome.ok) throw new Error(outcome.error);
        records += outcome.rendered.length;
      };
      for (let done = 0, b = 0; done < ROWS; b++) {
        const batch = pool[b % pool.length] ?? [];
        const rows = ROWS - done < batch.length ? batch.slice(0, ROWS - done) : batch;
        done += rows.length;
        const next = sandbox.prep(rows);
        if (pending) await take(pending);
        pending = next;
      }
      if (pending) await take(pending);
      return records;
    }, sandbox);
  } finally {
    sandbox.dispose();
  }

  const dir = mkdtempSync(join(tmpdir(), "tabtune-bench-sandbox-"));
  try {
    const csv = join(dir, "bench.csv");
    const out = createWriteStream(csv);
    const header = [...FEATURES, "label"];
    out.write(`${header.join(",")}\n`);
    for (let r = 0; r < ROWS; r++) {
      const row = makeRow(r);
      if (!out.write(`${header.map((h) => row[h] ?? "").join(",")}\n`)) await new Promise<void>((resolve) => out.once("drain", resolve));
    }
    await new Promise<void>((resolve) => out.end(resolve));
    const again = await PrepSandbox.open(code, ctx, limits);
    if (!again.ok) throw new Error(again.error);
    try {
      await measure(`execute's cleanCsv, CSV of ${(statSync(csv).size / 2 ** 20).toFixed(0)} MB → files`, ROWS, async () => {
        const run = await cleanCsv({ csv, sandbox: again.sandbox, cleanedPath: join(dir, "cleaned.jsonl"), renderedPath: join(dir, "all_data.json"), sampleSize: 3, target: "label" });
        if (!run.ok) throw new Error(run.error?.message);
        return run.rowsOut;
      }, again.sandbox);
    } finally {
      again.sandbox.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
