/**
 * evaluate streams its training rows (src/nodes/evaluate-rows.ts) and keeps only the baselines'
 * samples: they must be the rows compareBaselines draws from the full lists (baselineTrainRows'
 * seeded sample, sampleForCv's stratified sample), whether the cross-validation reads the same
 * file or the rows before balancing, on a table below the caps, when the artifact's row count
 * is stale, and with blank lines in the file; every row still passes through `visit` once.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTrainingRows } from "../src/nodes/evaluate-rows.js";
import { baselineTrainRows, type BaselineRow } from "../src/stats/baseline.js";
import { sampleForCv } from "../src/stats/baseline-cv.js";
import { createRng } from "../src/stats/random.js";
import { tempDir } from "./helpers/cli.js";

function table(n: number, seed: number): BaselineRow[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => ({ id: i, x: rng(), g: rng() < 0.3 ? null : "abc"[Math.floor(rng() * 3)] as string, y: rng() < 0.2 ? "yes" : "no" }));
}

/** The file as balance writes it: one JSON record a line; `blank` adds empty lines between some. */
function write(rows: BaselineRow[], name: string, blank = false): string {
  const path = join(tempDir("tabtune-evaluate-rows-"), name);
  writeFileSync(path, rows.map((r, i) => JSON.stringify(r) + (blank && i % 7 === 0 ? "\n" : "")).join("\n") + "\n");
  return path;
}

const options = { maxTrainRows: 300, cvMaxRows: 200, seed: 42 };

/** What compareBaselines draws from the full lists. */
function expected(train: BaselineRow[], source: BaselineRow[], stratify: boolean) {
  return {
    sample: baselineTrainRows(train, options),
    validation: { sourceRows: source.length, rows: sampleForCv(source.map((r) => String(r.y)), options.cvMaxRows, options.seed, stratify).map((i) => source[i]) },
  };
}

describe("readTrainingRows keeps the baselines' samples", () => {
  it("one file, above both caps: the same seeded samples, every row visited in order", async () => {
    const rows = table(1000, 1);
    const visited: unknown[] = [];
    const read = await readTrainingRows({ train: { path: write(rows, "train.jsonl", true), rows: 1000 }, unbalanced: null, target: "y", options, stratify: true, visit: (r) => visited.push(r.id) });
    expect(read.rows).toBe(1000);
    expect(read.sample).toHaveLength(300);
    expect({ sample: read.sample, validation: read.validation }).toEqual(expected(rows, rows, true));
    expect(visited).toEqual(rows.map((r) => r.id));
  });

  it("the rows before balancing in their own file choose the cross-validation's rows (regression: not stratified)", async () => {
    const unbalanced = table(700, 2);
    const balanced = [...unbalanced, ...unbalanced.slice(0, 300)];
    const read = await readTrainingRows({ train: { path: write(balanced, "train_rows.jsonl"), rows: balanced.length }, unbalanced: write(unbalanced, "imputed_train.jsonl"), target: "y", options, stratify: false, visit: () => {} });
    expect({ sample: read.sample, validation: read.validation }).toEqual(expected(balanced, unbalanced, false));
  });

  it("below the caps every row is kept and cross-validated", async () => {
    const rows = table(150, 3);
    const read = await readTrainingRows({ train: { path: write(rows, "small.jsonl"), rows: null }, unbalanced: null, target: "y", options, stratify: true, visit: () => {} });
    expect(read.sample).toEqual(rows);
    expect(read.validation).toEqual({ sourceRows: 150, rows });
  });

  it("a stale row count in the artifact: the samples are drawn from the rows actually read", async () => {
    const rows = table(900, 4);
    const few = table(120, 5);
    const small = await readTrainingRows({ train: { path: write(few, "few.jsonl"), rows: 400 }, unbalanced: null, target: "y", options, stratify: true, visit: () => {} });
    expect({ rows: small.rows, sample: small.sample, validation: small.validation }).toEqual({ rows: 120, sample: few, validation: { sourceRows: 120, rows: few } });
    let visits = 0;
    const read = await readTrainingRows({ train: { path: write(rows, "stale.jsonl"), rows: 1200 }, unbalanced: null, target: "y", options, stratify: true, visit: () => visits++ });
    expect(read.rows).toBe(900);
    expect({ sample: read.sample, validation: read.validation }).toEqual(expected(rows, rows, true));
    // The sample is read again; the caller's summaries still see each row once.
    expect(visits).toBe(900);
  });
});
