/**
 * execute's cleanCsv over a generated CSV, and the codegen → execute retry loop in the
 * graph: a failing row is named by its CSV line, data row and values, and the next try
 * receives the error, the row and the earlier code.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "@langchain/langgraph";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { readJsonArrayLines, readJsonLines } from "../src/artifacts.js";
import { heuristicCoder } from "../src/codegen/coder.js";
import { readPrepSidecar } from "../src/codegen/sidecar.js";
import { setQuiet } from "../src/log.js";
import { CLEAN_RETURNED_NULL, TARGET_MISSING, cleanCsv } from "../src/prep/clean-csv.js";
import { paths } from "../src/paths.js";
import { PrepSandbox } from "../src/sandbox/sandbox.js";
import type { State } from "../src/state.js";
import { graphSetup } from "./helpers/graph.js";
import { ROOT, tempDir } from "./helpers/cli.js";

beforeAll(() => setQuiet(true));
afterEach(() => vi.restoreAllMocks());

const LIMITS = { memoryLimitMb: 64, batchTimeoutMs: 5000 };

/** id 1..n, amount, and a label; row `bad` has amount "n/a!" and row `missing` no label. */
function writeCsv(dir: string, n: number, bad: number, missing: number[] = []): string {
  const path = join(dir, "rows.csv");
  const lines = ["id,amount,label"];
  for (let i = 1; i <= n; i++) lines.push(`${i},${i === bad ? "n/a!" : (i * 1.5).toFixed(1)},${missing.includes(i) ? "" : i % 2 === 0 ? "even" : "odd"}`);
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

const SCRIPT = `
function clean(row, ctx) {
  if (row.label === null) return null;
  if (row.id === "42") return null;
  const amount = Number(row.amount);
  if (!Number.isFinite(amount)) throw new Error("amount is not a number: " + JSON.stringify(row.amount));
  return { id: Number(row.id), amount: amount, label: row.label };
}
function render(row, ctx) {
  return { instruction: "Is the id even?", input: "amount: " + row.amount, output: row.label };
}`;

async function open(code = SCRIPT): Promise<PrepSandbox> {
  const outcome = await PrepSandbox.open(code, {}, LIMITS);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.sandbox;
}

describe("cleanCsv", () => {
  it("names the CSV line, data row and value of a row that throws on row 7,000 of 10,000, and leaves no output", async () => {
    const dir = tempDir();
    const csv = writeCsv(dir, 10_000, 7_000);
    const sandbox = await open();
    const cleanedPath = join(dir, "cleaned.jsonl");
    const renderedPath = join(dir, "all_data.json");
    try {
      const run = await cleanCsv({ csv, sandbox, cleanedPath, renderedPath, sampleSize: 3, target: "label" });
      expect(run.ok).toBe(false);
      // Data row 7,000 is line 7,001 of the file: the header is line 1.
      expect(run.error).toEqual({
        message: 'clean: Error: amount is not a number: "n/a!"',
        line: 7001,
        dataRow: 7000,
        row: { id: "7000", amount: "n/a!", label: "even" },
      });
      expect(existsSync(cleanedPath)).toBe(false);
      expect(existsSync(renderedPath)).toBe(false);
    } finally {
      sandbox.dispose();
    }
  });

  it("counts rows in and out with the reason each row was dropped, and writes both files", async () => {
    const dir = tempDir();
    const csv = writeCsv(dir, 5_000, -1, [3, 4_999]);
    const sandbox = await open();
    const cleanedPath = join(dir, "cleaned.jsonl");
    const renderedPath = join(dir, "all_data.json");
    try {
      const run = await cleanCsv({ csv, sandbox, cleanedPath, renderedPath, sampleSize: 2, target: "label" });
      expect(run).toMatchObject({ ok: true, rowsIn: 5000, rowsOut: 4997, dropped: 3 });
      expect(run.dropReasons).toEqual({ [TARGET_MISSING]: 2, [CLEAN_RETURNED_NULL]: 1 });
      expect(run.droppedSample?.map((d) => [d.dataRow, d.reason])).toEqual([
        [3, TARGET_MISSING],
        [42, CLEAN_RETURNED_NULL],
        [4999, TARGET_MISSING],
      ]);
      expect(run.sample).toEqual([
        { instruction: "Is the id even?", input: "amount: 1.5", output: "odd" },
        { instruction: "Is the id even?", input: "amount: 3", output: "even" },
      ]);
      let cleaned = 0;
      for await (const row of readJsonLines<{ id: number }>(cleanedPath)) cleaned += row.id > 0 ? 1 : 0;
      let records = 0;
      for await (const _ of readJsonArrayLines(renderedPath)) records += 1;
      expect([cleaned, records]).toEqual([4997, 4997]);
      expect(JSON.parse(readFileSync(renderedPath, "utf8"))).toHaveLength(4997);
    } finally {
      sandbox.dispose();
    }
  });

  it("names a render failure with the cleaned row it was given", async () => {
    const dir = tempDir();
    const csv = writeCsv(dir, 3_000, -1);
    const sandbox = await open(SCRIPT.replace('output: row.label };', 'output: row.id === 2500 ? undefined : row.label };'));
    try {
      const run = await cleanCsv({ csv, sandbox, cleanedPath: join(dir, "c.jsonl"), renderedPath: join(dir, "a.json"), sampleSize: 0, target: "label" });
      expect(run.error).toMatchObject({
        message: 'render returned undefined for "output"; expected a string',
        line: 2501,
        dataRow: 2500,
        row: { id: 2500, amount: 3750, label: "even" },
      });
    } finally {
      sandbox.dispose();
    }
  });
});

/** A graph on a fresh output folder and an in-memory checkpointer, as in graph.test.ts. */
const setup = graphSetup;

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");

describe("codegen → execute retries", () => {
  it("the next try gets the error, the failing row and the earlier code; a fixed script then runs", async () => {
    const template = heuristicCoder.write.bind(heuristicCoder);
    const write = vi.spyOn(heuristicCoder, "write").mockImplementation(async (input) => {
      const code = await template(input);
      // Try 1 stands in for an LLM's buggy script: it throws on the 200th penguin.
      if (input.attempt === 1) {
        return code.replace("function clean(row, ctx) {", 'let seen = 0;\nfunction clean(row, ctx) {\n  if (++seen === 200) throw new Error("cannot read beak " + row["Beak Length (mm)"]);');
      }
      return code;
    });
    const { app, config, options, output } = setup(PENGUINS);
    await app.invoke({ runId: "t1", options }, config);
    await app.invoke(new Command({ resume: "approve" }), config);
    const state = (await app.getState(config)).values as State;

    expect(write).toHaveBeenCalledTimes(2);
    expect(write.mock.calls[0]?.[0].feedback).toBeNull();
    const feedback = write.mock.calls[1]?.[0].feedback;
    expect(feedback?.attempt).toBe(1);
    expect(feedback?.code).toContain('throw new Error("cannot read beak "');
    expect(feedback?.error).toMatchObject({ message: expect.stringMatching(/^clean: Error: cannot read beak \d/), line: 201, dataRow: 200 });
    expect(feedback?.error.row).toHaveProperty("Species");
    // The retry ran clean and verify passed; the feedback is cleared after a success.
    expect(state.codeTries).toBe(2);
    expect(state.execution?.ok).toBe(true);
    expect(state.codeFeedback).toBeNull();
    expect(state.verification?.checks.find((c) => c.name === "rows in vs out")).toMatchObject({ ok: true });
    // The script's header names the plan version and attempt; the ctx sidecar matches it.
    expect(readFileSync(paths.prepScript(join(output, "t1")), "utf8")).toMatch(/plan version 1, attempt 2/);
    const sidecar = readPrepSidecar(paths.prepScript(join(output, "t1")));
    expect(sidecar.ok && sidecar.value).toMatchObject({ planVersion: 1, attempt: 2, ctx: { labels: state.prepPlan?.labels } });
  });

  it("code that does not compile is never saved as the try's output, and the next try is told why", async () => {
    const template = heuristicCoder.write.bind(heuristicCoder);
    vi.spyOn(heuristicCoder, "write").mockImplementation(async (input) => (input.attempt === 1 ? "function clean(row) { return {;" : template(input)));
    const { app, config, options, output } = setup(PENGUINS);
    await app.invoke({ runId: "t1", options }, config);
    await app.invoke(new Command({ resume: "approve" }), config);
    const state = (await app.getState(config)).values as State;
    const executes = state.log.filter((l) => l.step === "execute");
    expect(executes[0]?.decision).toMatch(/failed: the script does not compile: SyntaxError/);
    expect(state.execution?.ok).toBe(true);
    expect(state.codeTries).toBe(2);
    expect(existsSync(join(output, "t1", "scripts", "prepare_data.rejected.js"))).toBe(false);
  });
});
