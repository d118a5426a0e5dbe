/**
 * The sandbox protocol may change; its output may not. A CSV of awkward cells (unicode,
 * quotes and newlines in cells, NaN-ish text, empty cells, 1e21, -0, integer-like column
 * names) goes through execute's cleanCsv and renderRows with the heuristic template and a
 * hand-written script (booleans, -0, lone surrogates, class instances, Math.random, the
 * clock), and every file must be byte for byte what the protocol of commit a5f250b wrote
 * (test/fixtures/prep-awkward/pin.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanCsv } from "../src/prep/clean-csv.js";
import { renderRows } from "../src/prep/render.js";
import { PrepSandbox } from "../src/sandbox/sandbox.js";
import { CUSTOM_SCRIPT, templateScript } from "./fixtures/prep-awkward/awkward.js";
import { ROOT, tempDir } from "./helpers/cli.js";

const FIXTURE = join(ROOT, "test", "fixtures", "prep-awkward");
const LIMITS = { memoryLimitMb: 64, batchTimeoutMs: 5000 };

const pinned = (name: string) => readFileSync(join(FIXTURE, name));

async function expectPinned(name: string, code: string, ctx: unknown): Promise<void> {
  const opened = await PrepSandbox.open(code, ctx, LIMITS);
  if (!opened.ok) throw new Error(opened.error);
  const dir = tempDir();
  try {
    const run = await cleanCsv({
      csv: join(FIXTURE, "awkward.csv"),
      sandbox: opened.sandbox,
      cleanedPath: join(dir, "cleaned.jsonl"),
      renderedPath: join(dir, "all_data.json"),
      sampleSize: 2,
      target: "label",
      sourceRowsPath: join(dir, "source_rows.txt"),
    });
    expect(run.error).toBeNull();
    // Buffers, so a difference in any byte (an escape, a number's text, key order) fails.
    expect(readFileSync(join(dir, "cleaned.jsonl"))).toEqual(pinned(`${name}.cleaned.jsonl`));
    expect(readFileSync(join(dir, "all_data.json"))).toEqual(pinned(`${name}.all_data.json`));
    expect(readFileSync(join(dir, "source_rows.txt"))).toEqual(pinned(`${name}.source_rows.txt`));
    const summary = { rowsIn: run.rowsIn, rowsOut: run.rowsOut, dropReasons: run.dropReasons, droppedSample: run.droppedSample, sample: run.sample };
    expect(JSON.stringify(summary, null, 2) + "\n").toBe(pinned(`${name}.summary.json`).toString("utf8"));
    // The cleaned table read back and rendered again (balance, `tabtune apply --policies`).
    await renderRows(opened.sandbox, join(dir, "cleaned.jsonl"), join(dir, "rerendered.json"));
    expect(readFileSync(join(dir, "rerendered.json"))).toEqual(pinned(`${name}.rerendered.json`));
  } finally {
    opened.sandbox.dispose();
  }
}

describe("prep output bytes", () => {
  it("the heuristic template writes exactly the pinned cleaned.jsonl, all_data.json and re-rendered records", async () => {
    const { code, ctx } = templateScript();
    await expectPinned("template", code, ctx);
  });

  it("a script returning booleans, -0, 1e21, lone surrogates, varying keys and class instances writes exactly the pinned files", async () => {
    await expectPinned("custom", CUSTOM_SCRIPT, {});
  });

  it("the pinned files hold the awkward values the test is about", () => {
    const cleaned = pinned("template.cleaned.jsonl").toString("utf8");
    for (const text of ['"amount":1e+21', '"10":0,', "\\u0001ctrl\\u001f", "multi\\nline\\r\\ncell", "\u{1F600}", "\u2028", '"say \\"hi\\" now"']) expect(cleaned).toContain(text);
    expect(cleaned.split("\n")[0]?.startsWith('{"2":')).toBe(true);
    const custom = pinned("custom.cleaned.jsonl").toString("utf8");
    for (const text of ['"neg":0,', '"big":2e+21', '"tiny":5e-324', '"half":"\\udc00 low"', '{"v":']) expect(custom).toContain(text);
  });
});
