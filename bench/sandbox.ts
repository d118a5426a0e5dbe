/**
 * Sandbox figures (`npm run bench -- sandbox`): the heuristic template's clean + render
 * through the isolate over BENCH_SANDBOX_ROWS (default 1,000,000) rows × 20 columns,
 * (1) from in-memory batches of CSV cells (the sandbox alone: one crossing per batch,
 * host-side validation, the output lines in memory) and (2) end to end through execute's cleanCsv (CSV parse,
 * sandbox, writing cleaned.jsonl and all_data.json). Beside each, the plain-JS floor:
 * the same generated code run directly on the host (`new Function`, here in the bench
 * only: never a way to run generated code in tabtune) over the same rows, producing the
 * same output lines, and the sandbox/floor ratios of wall and CPU (issue 16 wants ≤ 2×).
 * Between the two, the re-render of cleaned lines (balance's changed rows) by the object op
 * and by the text op (renderLines), twice each.
 * The machine is shared: the load average and CPU seconds are printed with each figure.
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { prepCodeFromPlan } from "../src/codegen/template.js";
import { sandboxContext } from "../src/codegen/sidecar.js";
import { cleanCsv } from "../src/prep/clean-csv.js";
import { AtomicLineWriter, JsonArrayWriter } from "../src/artifacts.js";
import { getConfig } from "../src/runtime.js";
import type { AlpacaRecord, CleanRow, RawRow } from "../src/rows.js";
import { PrepSandbox, type PrepTextOutcome } from "../src/sandbox/sandbox.js";
import type { ColumnProfile, Plan, TableProfile } from "../src/schemas.js";
import { streamCsvCells, toRawRow } from "../src/table/csv.js";

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

interface Figure {
  seconds: number;
  cpuSeconds: number;
}

async function measure(label: string, rows: number, fn: () => Promise<number>, sandbox: PrepSandbox | null): Promise<Figure> {
  const isolateStart = sandbox?.cpuMs ?? 0;
  const load = loadavg()[0] ?? 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const records = await fn();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const isolate = sandbox === null ? "" : ` (isolate ${((sandbox.cpuMs - isolateStart) / 1000).toFixed(1)} s)`;
  process.stdout.write(
    `  ${label.padEnd(48)} ${seconds.toFixed(2)} s, ${Math.round(rows / seconds).toLocaleString("en")} rows/s, ` +
      `${records.toLocaleString("en")} records, CPU ${cpuSeconds.toFixed(1)} s${isolate}, load ${load.toFixed(1)} on ${cpus().length} cores\n`,
  );
  return { seconds, cpuSeconds };
}

function printRatio(label: string, sandbox: Figure, floor: Figure): void {
  process.stdout.write(`  ${label.padEnd(48)} wall ${(sandbox.seconds / floor.seconds).toFixed(2)}×, CPU ${(sandbox.cpuSeconds / floor.cpuSeconds).toFixed(2)}× the plain-JS floor\n`);
}

/** The generated clean and render compiled on the host: the floor, in the bench only. */
function hostFunctions(code: string, ctx: unknown): { clean: (row: RawRow) => CleanRow | null; render: (row: CleanRow) => AlpacaRecord } {
  const [clean, render] = new Function(`${code}\nreturn [clean, render];`)() as [(row: unknown, ctx: unknown) => CleanRow | null, (row: unknown, ctx: unknown) => AlpacaRecord];
  const frozen: unknown = JSON.parse(JSON.stringify(ctx));
  return { clean: (row) => clean(row, frozen), render: (row) => render(row, frozen) };
}

/** The floor's output of one batch: cleaned.jsonl's lines and all_data.json's record texts, as cleanCsv writes them. */
function floorBatch(fns: ReturnType<typeof hostFunctions>, rows: readonly RawRow[]): { lines: string; records: string[] } {
  let lines = "";
  const records: string[] = [];
  for (const row of rows) {
    const cleaned = fns.clean(row);
    if (cleaned === null) continue;
    lines += JSON.stringify(cleaned) + "\n";
    records.push(JSON.stringify(fns.render(cleaned)));
  }
  return { lines, records };
}

/** The sandbox's output of one batch in the floor's form (what cleanCsv writes). */
function sandboxBatch(outcome: PrepTextOutcome): { lines: string; records: string[] } {
  if (!outcome.ok) throw new Error(outcome.error);
  return { lines: outcome.cleanedLines, records: outcome.records };
}

/**
 * Rows already cleaned rendered again (balance's rows that imputation changed, `apply
 * --policies`): the object op (each line parsed on the host, sent as a shapes batch, each
 * record stringified on the host) against the text op (renderLines: lines in, record
 * lines out), over the same cleaned lines cycled to ROWS rows, same records checked.
 */
async function rerender(sandbox: PrepSandbox, pool: readonly string[][]): Promise<void> {
  const byObjects = async (lines: readonly string[]) => {
    const out = await sandbox.render(lines.map((line) => JSON.parse(line) as CleanRow));
    if (!out.ok) throw new Error(out.error);
    return out.rows.map((record) => JSON.stringify(record));
  };
  const byLines = async (lines: readonly string[]) => {
    const out = await sandbox.renderLines(lines);
    if (!out.ok) throw new Error(out.error);
    return out.rows;
  };
  const first = pool[0] ?? [];
  if (JSON.stringify(await byObjects(first)) !== JSON.stringify(await byLines(first))) throw new Error("the object and text render ops disagree on the first batch");
  // Twice each, alternating: the machine is shared.
  const ops = [["re-render cleaned lines, object op", byObjects], ["re-render cleaned lines, text op (renderLines)", byLines]] as const;
  for (const [label, render] of [...ops, ...ops])
    await measure(label, ROWS, async () => {
      let records = 0;
      for (let done = 0, b = 0; done < ROWS; b++) {
        const lines = pool[b % pool.length] ?? [];
        const batch = ROWS - done < lines.length ? lines.slice(0, ROWS - done) : lines;
        done += batch.length;
        records += (await render(batch)).length;
      }
      return records;
    }, sandbox);
}

export async function bench(): Promise<void> {
  const config = getConfig();
  const { plan, profile, code } = fixture();
  const ctx = sandboxContext(plan, profile);
  const limits = { memoryLimitMb: Number(process.env.BENCH_SANDBOX_MEMORY_MB ?? config.sandbox.memoryLimitMb), batchTimeoutMs: config.sandbox.batchTimeoutMs };
  const batchRows = Number(process.env.BENCH_SANDBOX_BATCH ?? config.sandbox.batchRows);
  process.stdout.write(`sandbox bench, ${new Date().toISOString()}, node ${process.version}, ${ROWS.toLocaleString("en")} rows × 20 columns, batches of ${batchRows}\n`);

  // Batches of cells under the header, as streamCsvCells yields them.
  const header = [...FEATURES, "label"];
  const pool: (string | null)[][][] = [];
  for (let s = 0; s < Math.min(POOL_ROWS, ROWS); s += batchRows) {
    pool.push(Array.from({ length: Math.min(batchRows, ROWS - s) }, (_, i) => {
      const row = makeRow(s + i);
      return header.map((name) => row[name] ?? null);
    }));
  }
  const sized = (b: number, done: number): (string | null)[][] => {
    const batch = pool[b % pool.length] ?? [];
    return ROWS - done < batch.length ? batch.slice(0, ROWS - done) : batch;
  };
  const floorCells = (fns: ReturnType<typeof hostFunctions>, cells: readonly (string | null)[][]) => floorBatch(fns, cells.map((values) => toRawRow(header, values)));
  const fns = hostFunctions(code, ctx);
  const opened = await PrepSandbox.open(code, ctx, limits);
  if (!opened.ok) throw new Error(opened.error);
  const sandbox = opened.sandbox;
  let inMemory: { sandbox: Figure; floor: Figure };
  try {
    const first = pool[0] ?? [];
    if (JSON.stringify(sandboxBatch(await sandbox.prepText(header, first, true))) !== JSON.stringify(floorCells(fns, first))) throw new Error("the sandbox and the floor disagree on the first batch");
    const floor = await measure("plain-JS floor, in-memory batches", ROWS, async () => {
      let records = 0;
      for (let done = 0, b = 0; done < ROWS; b++) {
        const rows = sized(b, done);
        done += rows.length;
        records += floorCells(fns, rows).records.length;
      }
      return records;
    }, null);
    const isolated = await measure("clean + render, in-memory batches", ROWS, async () => {
      let records = 0;
      let pending: Promise<PrepTextOutcome> | null = null;
      const take = async (p: Promise<PrepTextOutcome>) => {
        records += sandboxBatch(await p).records.length;
      };
      for (let done = 0, b = 0; done < ROWS; b++) {
        const rows = sized(b, done);
        done += rows.length;
        const next = sandbox.prepText(header, rows, true);
        if (pending) await take(pending);
        pending = next;
      }
      if (pending) await take(pending);
      return records;
    }, sandbox);
    inMemory = { sandbox: isolated, floor };
    await rerender(sandbox, await Promise.all(pool.map(async (cells) => sandboxBatch(await sandbox.prepText(header, cells, false)).lines.split("\n").filter((l) => l !== ""))));
  } finally {
    sandbox.dispose();
  }

  const dir = mkdtempSync(join(tmpdir(), "tabtune-bench-sandbox-"));
  try {
    const csv = join(dir, "bench.csv");
    const out = createWriteStream(csv);
    out.write(`${header.join(",")}\n`);
    for (let r = 0; r < ROWS; r++) {
      const row = makeRow(r);
      if (!out.write(`${header.map((h) => row[h] ?? "").join(",")}\n`)) await new Promise<void>((resolve) => out.once("drain", resolve));
    }
    await new Promise<void>((resolve) => out.end(resolve));
    const floor = await measure("plain-JS floor, CSV → the same files", ROWS, async () => {
      const cleanedOut = new AtomicLineWriter(join(dir, "floor.cleaned.jsonl"));
      const recordsOut = new JsonArrayWriter(join(dir, "floor.all_data.json"));
      for await (const batch of streamCsvCells(csv, { ...config.csv, batchRows: config.sandbox.batchRows })) {
        const out = floorBatch(fns, batch.cells.map((cells) => toRawRow(batch.header, cells)));
        await cleanedOut.write(out.lines, out.records.length);
        await recordsOut.pushJson(out.records);
      }
      await cleanedOut.commit();
      await recordsOut.commit();
      return recordsOut.count;
    }, null);
    const again = await PrepSandbox.open(code, ctx, limits);
    if (!again.ok) throw new Error(again.error);
    try {
      const isolated = await measure(`execute's cleanCsv, CSV of ${(statSync(csv).size / 2 ** 20).toFixed(0)} MB → files`, ROWS, async () => {
        const run = await cleanCsv({ csv, sandbox: again.sandbox, cleanedPath: join(dir, "cleaned.jsonl"), renderedPath: join(dir, "all_data.json"), sampleSize: 3, target: "label" });
        if (!run.ok) throw new Error(run.error?.message);
        return run.rowsOut;
      }, again.sandbox);
      for (const name of ["cleaned.jsonl", "all_data.json"]) {
        if (!readFileSync(join(dir, name)).equals(readFileSync(join(dir, `floor.${name}`)))) throw new Error(`the sandbox's ${name} differs from the floor's`);
      }
      printRatio("in-memory batches", inMemory.sandbox, inMemory.floor);
      printRatio("execute's cleanCsv", isolated, floor);
    } finally {
      again.sandbox.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
