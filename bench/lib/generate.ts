/**
 * Seeded CSVs for the benches (bench/pipeline.ts, bench/table.ts). Not a bench itself:
 * bench/run.ts runs only the files directly in bench/.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng } from "../../src/stats/random.js";

/** Lines to a file, 10,000 at a time, waiting for the stream to drain. */
async function writeLines(path: string, header: string, rows: number, line: (r: number) => string): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  let lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    lines.push(line(r));
    if (lines.length === 10_000) {
      if (!out.write(`${lines.join("\n")}\n`)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      lines = [];
    }
  }
  if (lines.length > 0) out.write(`${lines.join("\n")}\n`);
  await new Promise<void>((resolve, reject) => out.end(() => resolve()).once("error", reject));
}

/** The column names of generateCsv's files; the target is "churned" (yes/no, ~23% yes). */
export const MIXED_HEADER = [
  "age", "income", "balance", "tenure_days", "score_a", "score_b", "visits", "ratio", "temperature", "latency_ms", "items", "discount",
  "region", "plan", "device", "city", "channel", "segment", "weekday", "churned",
];

/** Writes a rows × 20 CSV: 12 numeric (ints and floats), 7 categorical, a binary target; ~5% missing cells (seeded). */
export async function generateCsv(path: string, rows: number): Promise<void> {
  const rng = createRng(7);
  const cities = Array.from({ length: 300 }, (_, i) => `city_${i}`);
  const miss = (text: string) => (rng() < 0.05 ? "" : text);
  await writeLines(path, MIXED_HEADER.join(","), rows, () => {
    const age = 18 + Math.floor(rng() * 70);
    const income = Math.round(20000 + rng() * 180000);
    return [
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
    ].join(",");
  });
}

/**
 * Writes a rows × cols omics-like CSV ("g_0" … numbers with 3 decimals, no missing cells)
 * and a binary target "y" driven by `planted` columns (every cols/planted-th).
 */
export async function generateWideCsv(path: string, rows: number, cols: number, planted = 10): Promise<void> {
  const rng = createRng(11);
  const step = Math.floor(cols / planted);
  const header = [...Array.from({ length: cols }, (_, j) => `g_${j}`), "y"].join(",");
  await writeLines(path, header, rows, () => {
    const cells = new Array<string>(cols + 1);
    let logit = 0;
    for (let j = 0; j < cols; j++) {
      const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
      if (j % step === 0 && j / step < planted) logit += 0.8 * z;
      cells[j] = (5 + z).toFixed(3);
    }
    cells[cols] = rng() < 1 / (1 + Math.exp(-logit)) ? "yes" : "no";
    return cells.join(",");
  });
}

/**
 * The path of a generated file, made once per machine under the OS temp folder (the files
 * are seeded, so a kept one is the same file): BENCH_DATA_DIR overrides the folder.
 */
export async function generated(name: string, make: (path: string) => Promise<void>): Promise<string> {
  const dir = process.env.BENCH_DATA_DIR ?? join(tmpdir(), "tabtune-bench-data");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  if (!existsSync(path)) {
    const partial = `${path}.partial-${process.pid}`;
    await make(partial);
    renameSync(partial, path);
  }
  return path;
}
