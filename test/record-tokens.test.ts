/**
 * verify_split counts each shipped record's token estimate as it checks it, and
 * finetune_config's token check made from those counts is the one made by reading
 * train.json and test.json again, for any cutoff_len.
 */
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkTokenLengths, histogramStats, TokenCounter, tokenCheckOf, type RecordTokens } from "../src/finetune/token-check.js";
import { verifySplit } from "../src/nodes/verify.js";
import { getConfig } from "../src/runtime.js";
import type { Plan } from "../src/schemas.js";
import type { State } from "../src/state.js";
import { createRng } from "../src/stats/random.js";
import { tempDir } from "./helpers/cli.js";

const PLAN: Plan = {
  instruction: "Is the status good or bad?",
  target: "status",
  task: "binary",
  labels: { good: "good", bad: "bad" },
  features: ["age", "note"],
  dropped: [],
  rowFormat: "sentences",
  cleaning: [],
  balancing: { strategy: "none", advice: "" },
  imputation: [],
};

/** Records of varied lengths and digit counts, one per line as JsonArrayWriter writes them. */
function recordsFile(name: string, n: number, seed: number): string {
  const rng = createRng(seed);
  const records = Array.from({ length: n }, (_, i) => ({
    instruction: PLAN.instruction,
    input: `The age is ${Math.floor(rng() * 90)}. The note is ${"word ".repeat(Math.floor(rng() * 400))}${i}.`,
    output: rng() < 0.5 ? "good" : "bad",
  }));
  const path = join(tempDir(), name);
  writeFileSync(path, `[\n${records.map((r) => JSON.stringify(r)).join(",\n")}\n]\n`);
  return path;
}

describe("verify_split's token estimates", () => {
  it("give finetune_config's token check exactly as reading the files does, for every cutoff_len", async () => {
    const train = recordsFile("train.json", 400, 1);
    const test = recordsFile("test.json", 120, 2);
    const ref = (path: string, sha256: string, rows: number) => ({ path, sha256, bytes: statSync(path).size, rows });
    const balanceResult = { strategy: "none" as const, before: {}, after: {}, script: null, writer: null, trainRows: ref(train, "a", 400), trainJson: ref(train, "t".repeat(64), 400), testJson: ref(test, "s".repeat(64), 120) };
    const recordTokens = (await verifySplit({ prepPlan: PLAN, balanceResult } as unknown as State)).recordTokens as RecordTokens | null;
    const opts = getConfig().evaluate;
    expect(recordTokens).toMatchObject({ charsPerToken: opts.charsPerToken, templateTokens: opts.templateTokens, train: { sha256: "t".repeat(64) }, test: { sha256: "s".repeat(64) } });
    if (!recordTokens) throw new Error("no token estimates");
    for (const cutoffLen of [64, 256, 400, 512, 4096]) {
      const counted = tokenCheckOf(histogramStats(recordTokens.train, cutoffLen), histogramStats(recordTokens.test, cutoffLen), cutoffLen, opts);
      expect(counted).toEqual(await checkTokenLengths(train, test, cutoffLen, opts));
    }
    expect((await checkTokenLengths(train, test, 256, opts)).warning).not.toBeNull();
  });

  it("are not usable once an element is not an object (the token check would skip it)", () => {
    const counter = new TokenCounter({ charsPerToken: 4, templateTokens: 0 });
    counter.add({ instruction: "a", input: "b 12", output: "c" });
    expect(counter.usable).toBe(true);
    expect(counter.histogram("x").counts).toEqual([[4, 1]]); // "a\nb 12\nc": 2 digits + ⌈6 / 4⌉
    counter.add("a string");
    expect(counter.usable).toBe(false);
  });
});
