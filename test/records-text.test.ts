/**
 * balance's records (prep/records.ts writeRecords) render the rows imputation changed
 * through the sandbox's text protocol (renderLines): the files must be byte for byte what
 * the object protocol (PrepSandbox.render, each record JSON.stringify'd on the host) wrote
 * for every row, over the awkward cleaned tables of test/prep-bytes.test.ts with cells
 * filled as imputation fills them (unicode, U+2028, quotes, 1e21), resampled copies, and
 * batches that mix reused and rendered rows. A render failure commits nothing.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeRecords } from "../src/prep/records.js";
import type { CleanRow } from "../src/rows.js";
import { PrepSandbox } from "../src/sandbox/sandbox.js";
import { CUSTOM_SCRIPT, templateScript } from "./fixtures/prep-awkward/awkward.js";
import { ROOT, tempDir } from "./helpers/cli.js";

const FIXTURE = join(ROOT, "test", "fixtures", "prep-awkward");
const LIMITS = { memoryLimitMb: 64, batchTimeoutMs: 5000 };

const linesOf = (path: string) => readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
/** A JsonArrayWriter array's record texts, as written. */
const recordTexts = (path: string) => linesOf(path).filter((l) => l !== "[" && l !== "]").map((l) => l.replace(/,$/, ""));
const arrayText = (records: string[]) => (records.length === 0 ? "[]\n" : `[\n${records.join(",\n")}\n]\n`);

/** The texts in batches of 1, 2, 3, … (as readLinesChecked hands them over, batch edges anywhere). */
async function* iterate(texts: string[]): AsyncGenerator<string[]> {
  for (let at = 0, size = 1; at < texts.length; at += size, size += 1) yield texts.slice(at, at + size);
}

/** Fills some null cells of every second row, as imputation does (the row written again with JSON.stringify). */
function impute(line: string, i: number): string {
  const row = JSON.parse(line) as CleanRow;
  if (i % 2 === 1) return JSON.stringify(row);
  const fills: unknown[] = ["filled \u2028 caf\u00e9 \u{1F600} \"q\" \\", 1e21, 0.1 + 0.2, "\u05e9 rtl", true];
  Object.keys(row).forEach((key, k) => {
    if (row[key] === null) row[key] = fills[(i + k) % fills.length] as CleanRow[string];
  });
  return JSON.stringify(row);
}

async function open(code: string, ctx: unknown): Promise<PrepSandbox> {
  const opened = await PrepSandbox.open(code, ctx, LIMITS);
  if (!opened.ok) throw new Error(opened.error);
  return opened.sandbox;
}

describe("balance's records over changed rows (text protocol)", () => {
  for (const name of ["template", "custom"] as const)
    it(`${name} script: train.json, test.json and train_rows are the object protocol's bytes, with copies`, async () => {
      const { code, ctx } = name === "template" ? templateScript() : { code: CUSTOM_SCRIPT, ctx: {} };
      const cleaned = linesOf(join(FIXTURE, `${name}.cleaned.jsonl`));
      const known = recordTexts(join(FIXTURE, `${name}.all_data.json`));
      expect(known).toHaveLength(cleaned.length);
      const isTest = (i: number) => i % 4 === 0;
      const dir = tempDir();
      const parts = { train: { split: [] as string[], imputed: [] as string[] }, test: { split: [] as string[], imputed: [] as string[] } };
      cleaned.forEach((line, i) => {
        const part = isTest(i) ? parts.test : parts.train;
        part.split.push(line);
        part.imputed.push(impute(line, i));
      });
      for (const [part, files] of Object.entries(parts)) {
        writeFileSync(join(dir, `${part}.split.jsonl`), files.split.join("\n") + "\n");
        writeFileSync(join(dir, `${part}.imputed.jsonl`), files.imputed.join("\n") + "\n");
      }
      const changed = [...parts.train.imputed, ...parts.test.imputed].filter((l, i) => l !== [...parts.train.split, ...parts.test.split][i]).length;
      expect(changed).toBeGreaterThan(10);
      expect(changed).toBeLessThan(cleaned.length);
      const copies = Uint32Array.from(parts.train.imputed, (_, i) => i % 5);

      const sandbox = await open(code, ctx);
      let opened = 0;
      const written = await writeRecords({
        train: { split: join(dir, "train.split.jsonl"), imputed: join(dir, "train.imputed.jsonl"), records: join(dir, "train.json"), rows: join(dir, "train_rows.jsonl"), copies },
        test: { split: join(dir, "test.split.jsonl"), imputed: join(dir, "test.imputed.jsonl"), records: join(dir, "test.json") },
        known: { records: iterate(known), path: "all_data.json", isTest },
        openSandbox: async () => {
          opened += 1;
          return sandbox;
        },
        batchRows: 7,
      });
      expect(opened).toBe(1);

      // The object protocol over every imputed row, in a fresh isolate: what balance wrote before.
      const reference = await open(code, ctx);
      const objectRecords = async (lines: string[]) => {
        const out = await reference.render(lines.map((l) => JSON.parse(l) as CleanRow));
        if (!out.ok) throw new Error(out.error);
        return out.rows.map((record) => JSON.stringify(record));
      };
      const all = await objectRecords(cleaned.map(impute));
      reference.dispose();
      const train = all.filter((_, i) => !isTest(i));
      const test = all.filter((_, i) => isTest(i));
      // Each row imputation left as it was keeps execute's record: the bytes render gives it.
      const unchanged = cleaned.flatMap((line, i) => (impute(line, i) === line ? [i] : []));
      expect(unchanged.length).toBeGreaterThan(10);
      for (const i of unchanged) expect(known[i]).toBe(all[i]);

      const repeat = <T>(items: T[]) => items.flatMap((item, i) => Array<T>(copies[i] ?? 0).fill(item));
      expect(readFileSync(join(dir, "train.json"), "utf8")).toBe(arrayText(repeat(train)));
      expect(readFileSync(join(dir, "test.json"), "utf8")).toBe(arrayText(test));
      expect(readFileSync(join(dir, "train_rows.jsonl"), "utf8")).toBe(repeat(parts.train.imputed).map((l) => l + "\n").join(""));
      expect(written.rendered).toBeGreaterThan(0);
      expect(written.reused).toBeGreaterThan(0);
      expect(written.train.records.rows).toBe(repeat(train).length);
    });

  it("a row whose render throws fails the step with the file named, committing neither file", async () => {
    const sandbox = await open(
      `function clean(row) { return row; }
       function render(row) { if (row.x === "bad") throw new Error("no"); return { instruction: "i", input: String(row.x), output: "o" }; }`,
      {},
    );
    const dir = tempDir();
    writeFileSync(join(dir, "split.jsonl"), '{"x":null}\n{"x":"a"}\n');
    writeFileSync(join(dir, "imputed.jsonl"), '{"x":"bad"}\n{"x":"a"}\n');
    writeFileSync(join(dir, "empty.jsonl"), "");
    const run = writeRecords({
      train: { split: join(dir, "split.jsonl"), imputed: join(dir, "imputed.jsonl"), records: join(dir, "train.json") },
      test: { split: join(dir, "empty.jsonl"), imputed: join(dir, "empty.jsonl"), records: join(dir, "test.json") },
      known: null,
      openSandbox: async () => sandbox,
      batchRows: 8,
    });
    await expect(run).rejects.toMatchObject({ code: "render_failed", message: expect.stringMatching(/imputed\.jsonl: render: Error: no/) });
    expect(existsSync(join(dir, "train.json"))).toBe(false);
    expect(existsSync(join(dir, "test.json"))).toBe(false);
  });
});
