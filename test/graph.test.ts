/**
 * The graph driven the langgraphjs way: invoke → getState().next → Command({ resume }) →
 * assert on state, with the real SQLite checkpointer and sandbox.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "@langchain/langgraph";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { compileGraph, graph, START_ENTRIES, START_FROM } from "../src/graph.js";
import { setQuiet } from "../src/log.js";
import { paths } from "../src/paths.js";
import type { State } from "../src/state.js";
import { graphSetup } from "./helpers/graph.js";
import { ROOT } from "./helpers/cli.js";

beforeAll(() => setQuiet(true));

const setup = graphSetup;

async function next(app: ReturnType<typeof compileGraph>, config: { configurable: { thread_id: string } }) {
  const snapshot = await app.getState(config);
  return { next: snapshot.next, values: snapshot.values as State };
}

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");

describe("review_plan", () => {
  it("pauses before any code is written, and an edit re-plans", async () => {
    const { app, config, options } = setup(PENGUINS);
    await app.invoke({ runId: "t1", options }, config);
    let state = await next(app, config);
    expect(state.next).toEqual(["review_plan"]);
    expect(state.values.script).toBeNull();
    expect(state.values.prepPlan?.features).toContain("Island");

    await app.invoke(new Command({ resume: "drop features: Island; change instruction to: Which species is this penguin?" }), config);
    state = await next(app, config);
    expect(state.next).toEqual(["review_plan"]);
    expect(state.values.planVersion).toBe(2);
    expect(state.values.prepPlan?.features).not.toContain("Island");
    expect(state.values.prepPlan?.dropped.map((d) => d.column)).toContain("Island");
    expect(state.values.prepPlan?.instruction).toBe("Which species is this penguin?");
    await app.invoke(new Command({ resume: "drop features: Sex" }), config);
    state = await next(app, config);
    expect(state.values.prepPlan?.imputation.join("\n")).not.toMatch(/Sex/);
    expect(state.values.prepPlan?.imputation.join("\n")).toMatch(/Body Mass \(g\)/);
  });

  it("an unknown column is shown back at the same review instead of crashing", async () => {
    const { app, config, options } = setup(PENGUINS);
    await app.invoke({ runId: "t1", options }, config);
    await app.invoke(new Command({ resume: "drop features: island" }), config);
    const state = await next(app, config);
    expect(state.next).toEqual(["review_plan"]);
    expect(state.values.lastReview?.error).toMatch(/island.*did you mean Island/);
    const pending = (await app.getState(config)).tasks.flatMap((t) => t.interrupts);
    expect((pending[0]?.value as { error: string | null }).error).toMatch(/did you mean Island/);
  });

  it("impute <column>: llm without a model is refused at review_prep, and the review asks again", async () => {
    const { app, config, options } = setup(PENGUINS);
    await app.invoke({ runId: "t1", options }, config);
    await app.invoke(new Command({ resume: "approve" }), config);
    await app.invoke(new Command({ resume: "impute Sex: llm" }), config);
    const state = await next(app, config);
    expect(state.next).toEqual(["review_prep"]);
    expect(state.values.lastReview?.error).toMatch(/llm imputation of Sex needs a model, and this run uses the heuristic provider/);
    expect(state.values.imputeOverrides).toEqual({});
  });
});

describe("execute failures", () => {
  it("retries codegen 3 times with the error, then shows the failure at review_prep", async () => {
    const { app, config, options, output } = setup(PENGUINS);
    await app.invoke({ runId: "t1", options }, config);
    // A pasted plan whose label mapping lacks a real value: clean() must refuse the row, never skip it.
    const edited = JSON.stringify({ labels: { Adelie: "Adelie", Gentoo: "Gentoo" } });
    await app.invoke(new Command({ resume: edited }), config);
    await app.invoke(new Command({ resume: "approve" }), config);
    const state = await next(app, config);
    expect(state.next).toEqual(["review_prep"]);
    expect(state.values.codeTries).toBe(3);
    expect(state.values.execution?.ok).toBe(false);
    expect(state.values.execution?.error?.message).toMatch(/Chinstrap.*not in the label mapping/);
    expect(state.values.execution?.error?.row).toMatchObject({ Species: "Chinstrap" });
    // A failed attempt leaves no file that looks like output.
    // The run's folder is named after its thread id, and holds no cleaned table.
    expect(state.values.runDir).toBe(join(output, "t1"));
    expect(existsSync(paths.cleaned(join(output, "t1")))).toBe(false);
    expect(state.values.log.filter((l) => l.step === "execute")).toHaveLength(3);
  });
});

describe("balance and config reviews", () => {
  it("oversample at review_prep balances training rows only, and config overrides are written", async () => {
    const { app, config, options } = setup(PENGUINS);
    await app.invoke({ runId: "t1", options }, config);
    await app.invoke(new Command({ resume: "approve" }), config);
    await app.invoke(new Command({ resume: "oversample" }), config);
    let state = await next(app, config);
    expect(state.next).toEqual(["review_balance"]);
    const b = state.values.balanceResult;
    expect(b?.strategy).toBe("oversample");
    expect(new Set(Object.values(b?.after ?? {})).size).toBe(1); // every class at the largest count
    // The test records keep the split's class counts: balancing never touches them.
    const testRecords = JSON.parse(readFileSync(b?.testJson.path ?? "", "utf8")) as { output: string }[];
    const testCounts: Record<string, number> = {};
    for (const r of testRecords) testCounts[r.output] = (testCounts[r.output] ?? 0) + 1;
    expect(testCounts).toEqual(state.values.splitResult?.testClassCounts);
    expect(Object.values(testCounts).sort()).not.toEqual(Object.values(b?.after ?? {}).sort());
    // The resampling was done by the run's own balance_data.js, kept beside its data.
    expect(b?.writer).toBe("heuristic");
    expect(b?.script?.path).toBe(join(state.values.runDir ?? "", "scripts", "balance_data.js"));
    expect(readFileSync(b?.script?.path ?? "", "utf8")).toMatch(/strategy oversample[\s\S]*function balance\(records, ctx\)/);
    const trainRows = readFileSync(b?.trainRows.path ?? "", "utf8").trim().split("\n");
    expect(trainRows).toHaveLength(Object.values(b?.after ?? {}).reduce((x, y) => x + y, 0));

    await app.invoke(new Command({ resume: "use undersample instead" }), config);
    state = await next(app, config);
    expect(state.next).toEqual(["review_balance"]);
    expect(state.values.balanceResult?.strategy).toBe("undersample");

    await app.invoke(new Command({ resume: "approve" }), config);
    await app.invoke(new Command({ resume: "lora_rank: 32, num_train_epochs: 5, lora_target: q_proj,v_proj" }), config);
    state = await next(app, config);
    expect(state.next).toEqual(["review_config"]);
    const yaml = parse(readFileSync(state.values.configFiles?.trainYaml ?? "", "utf8")) as Record<string, unknown>;
    expect(yaml.lora_rank).toBe(32);
    expect(yaml.num_train_epochs).toBe(5);
    expect(yaml.lora_target).toBe("q_proj,v_proj");

    await app.invoke(new Command({ resume: "approve" }), config);
    state = await next(app, config);
    expect(state.next).toEqual([]);
    expect(state.values.evaluation?.baseline).toHaveProperty("accuracy");
  });
});

describe("wide tables", () => {
  it("go through select_features and keep the k it chose on the validation fold", async () => {
    const { app, config, options, output } = setup(join(ROOT, "test/fixtures/digits.csv"));
    await app.invoke({ runId: "t1", options }, config);
    const state = await next(app, config);
    const kept = state.values.log.find((e) => e.step === "select_features")?.numbers.kept ?? 0;
    expect(kept).toBeGreaterThan(0);
    expect(state.values.selectedFeatures).toHaveLength(kept);
    expect(state.values.prepPlan?.features).toEqual(expect.arrayContaining(state.values.selectedFeatures ?? []));
    expect(state.values.prepPlan?.features).toHaveLength(kept);
    expect(readFileSync(paths.selected(join(output, "t1")), "utf8").trim().split("\n")).toHaveLength(kept);
    expect(state.values.target?.task).toBe("multiclass");
  });
});

describe("--start-from entries", () => {
  it("each entry is re-entered through a real edge of the graph, for every state its choice looks at", async () => {
    const drawn = await graph.getGraphAsync();
    const edges = new Set(drawn.edges.map((e) => `${e.source} -> ${e.target}`));
    // States covering each branch of the entries' choices: a script that failed or passed, a run resampled or not.
    const states = [
      { execution: { ok: true }, balanceResult: { strategy: "oversample" }, splitChecks: [] },
      { execution: { ok: false }, balanceResult: { strategy: "none" }, splitChecks: [] },
    ] as unknown as State[];
    const pairs = new Set(START_FROM.flatMap((name) => states.map((s) => `${START_ENTRIES[name].after(s)} -> ${START_ENTRIES[name].node}`)));
    expect([...pairs].sort()).toEqual([
      "verify_split -> finetune_config",
      "execute -> review_prep",
      "finetune -> predict",
      "predict -> evaluate",
      "review_balance -> finetune_config",
      "review_prep -> split",
      "verify -> review_prep",
    ].sort());
    for (const pair of pairs) expect(edges.has(pair), pair).toBe(true);
    // The CLI lists --start-from's names from src/start-from.ts without loading the graph: the same names, in order.
    expect(Object.keys(START_ENTRIES)).toEqual([...START_FROM]);
  });
});

describe("README", () => {
  it("embeds the graph exactly as drawMermaid draws it", async () => {
    const mermaid = (await graph.getGraphAsync()).drawMermaid().trim();
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain(mermaid);
  });
});
