/**
 * Gates --yes cannot pass (issue 12, points 5 and 6): verify's findings have severities;
 * a failed blocking check (target in the input, empty or identical inputs, no features,
 * outputs outside the label mapping, bad shape, no records) stops a scripted approval,
 * at review_prep for all_data.json and at review_balance for the shipped train.json and
 * test.json (verify_split). A person at the review, or --accept-failed-checks, may approve
 * past it, and the log and report say so. A plan without features passes no review.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { beforeAll, describe, expect, it } from "vitest";
import { buildProgram, optionsFromFlags, type CliFlags } from "../src/cli/options.js";
import { latestRunId } from "../src/cli/runner.js";
import { compileGraph } from "../src/graph.js";
import { setQuiet } from "../src/log.js";
import { verifySplit } from "../src/nodes/verify.js";
import { blockingFailures, CHECK, rowAccountingCheck, severityOf, verifyRecords } from "../src/prep/checks.js";
import type { ReviewPayloadWithError } from "../src/review/protocol.js";
import { paths } from "../src/paths.js";
import { getConfig } from "../src/runtime.js";
import type { Plan } from "../src/schemas.js";
import type { State } from "../src/state.js";
import { runCliAsync, tempDir } from "./helpers/cli.js";

beforeAll(() => setQuiet(true));

/**
 * A table whose feature column "Status" (random colours) shares the target's name
 * "status" up to case: every record's input says "The Status is …", which the leak check
 * reads as the target named in the input. "Country" holds one value in every row.
 */
function leakCsv(): string {
  const colours = ["red", "green", "blue"];
  const lines = ["age,income,Country,Status,status"];
  for (let i = 0; i < 120; i++) lines.push(`${20 + ((i * 7) % 50)},${1000 + ((i * 379) % 8000)},NL,${colours[(i * 5) % 3]},${(i * 11) % 4 < 2 ? "good" : "bad"}`);
  const path = join(tempDir(), "leak.csv");
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

/** An identifier, a constant and the target: the plan keeps no feature. */
function noFeatureCsv(): string {
  const lines = ["id,Country,status"];
  for (let i = 0; i < 60; i++) lines.push(`${1000 + i},NL,${i % 3 === 0 ? "bad" : "good"}`);
  const path = join(tempDir(), "nofeatures.csv");
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

const PLAN: Plan = {
  instruction: "Is the status good or bad?",
  target: "status",
  task: "binary",
  labels: { good: "good", bad: "bad" },
  features: ["age", "income"],
  dropped: [],
  rowFormat: "sentences",
  cleaning: [],
  balancing: { strategy: "none", advice: "" },
  imputation: [],
};

/** An Alpaca array the way JsonArrayWriter writes it: one record per line. */
function recordsFile(records: unknown[]): string {
  const path = join(tempDir(), "records.json");
  writeFileSync(path, records.length === 0 ? "[]\n" : `[\n${records.map((r) => JSON.stringify(r)).join(",\n")}\n]\n`);
  return path;
}
const record = (input: string, output = "good") => ({ instruction: PLAN.instruction, input, output });
const failedBlocking = async (records: unknown[], plan: Plan = PLAN) =>
  blockingFailures((await verifyRecords(recordsFile(records), plan, { variedInputs: true })).checks).map((c) => c.name);

describe("verify's findings have severities", () => {
  it("passes good records, and each defect of the issue is a blocking finding", async () => {
    const good = [record("The age is 31. The income is 4000."), record("The age is 52. The income is 2500.", "bad")];
    expect(await failedBlocking(good)).toEqual([]);
    expect(await failedBlocking([])).toEqual([CHECK.records]);
    expect(await failedBlocking(good, { ...PLAN, features: [] })).toEqual([CHECK.features]);
    expect(await failedBlocking([record("The age is 31."), record("The age is 31."), record("The age is 31.", "bad")])).toEqual([CHECK.varied]);
    expect(await failedBlocking([...good, record("  ")])).toEqual([CHECK.nonEmpty]);
    expect(await failedBlocking([...good, record("The age is 40.", "maybe")])).toEqual([CHECK.mapping]);
    expect(await failedBlocking([...good, record("The age is 40. The Status is good.")])).toEqual([CHECK.leak]);
    expect(await failedBlocking([...good, record("age: 40\nstatus: good")])).toEqual([CHECK.leak]);
    expect(await failedBlocking([...good, { instruction: "x", input: "The age is 40." }])).toEqual([CHECK.shape]);
    // Row accounting is a warning: it never blocks.
    const rows = rowAccountingCheck({ rowsIn: 10, rowsOut: 8, dropped: 1 }, 8);
    expect(rows.ok).toBe(false);
    expect(severityOf(rows)).toBe("warning");
    expect(blockingFailures([rows])).toEqual([]);
  });

  it("reads the shape and the leak phrases exactly: extra or missing keys, non-string values, any case, a name with regex characters", async () => {
    const good = [record("The age is 31. The income is 4000."), record("The age is 52. The income is 2500.", "bad")];
    expect(await failedBlocking([...good, { ...record("The age is 40."), extra: "x" }])).toEqual([CHECK.shape]);
    expect(await failedBlocking([...good, { ...record("The age is 40."), output: 1 }])).toEqual([CHECK.shape]);
    expect(await failedBlocking([...good, ["x", "y", "z"], "text", 3])).toEqual([CHECK.shape]);
    expect(await failedBlocking([...good, { output: "good", input: "The age is 40.", instruction: "x" }])).toEqual([]); // key order does not matter
    expect(await failedBlocking([...good, record("THE STATUS IS good")])).toEqual([CHECK.leak]);
    expect(await failedBlocking([...good, record("The statuses are good. status is good")])).toEqual([]); // the name alone is no leak
    const odd = { ...PLAN, target: "a.b (x)" };
    expect(await failedBlocking([...good, record("The age is 40.\nA.B (X): good")], odd)).toEqual([CHECK.leak]);
    expect(await failedBlocking([...good, record("The age is 40.\naxb (x): good")], odd)).toEqual([]); // "." is no wildcard
    const result = await verifyRecords(recordsFile([...good, { instruction: "x", input: "The age is 40." }, record("The Status is bad.")]), PLAN, { variedInputs: true });
    expect(result.checks.filter((c) => !c.ok).map((c) => c.detail)).toEqual(["1 records without exactly instruction/input/output strings (first: record 3)", '1 inputs mention "status" (first: record 4)']);
  });

  it("identical inputs are allowed where one record is scored many times (apply)", async () => {
    const same = [record("The age is 31."), record("The age is 31.")];
    expect(blockingFailures((await verifyRecords(recordsFile(same), PLAN)).checks)).toEqual([]);
  });

  it("verify_split checks the shipped train.json and test.json, naming the file", async () => {
    const train = recordsFile([record("The age is 31. The income is 4000."), record("The age is 52. The income is 2500.", "bad")]);
    const test = recordsFile([record("The age is 40. The Status is good."), record("The age is 41.", "bad")]);
    const ref = (path: string) => ({ path, sha256: "", bytes: statSync(path).size, rows: 2 });
    const balanceResult = { strategy: "none" as const, before: {}, after: {}, script: null, writer: null, trainRows: ref(train), trainJson: ref(train), testJson: ref(test) };
    const { splitChecks, log } = await verifySplit({ prepPlan: PLAN, balanceResult } as unknown as State);
    if (!Array.isArray(splitChecks) || !Array.isArray(log)) throw new Error("verify_split returned no checks or log");
    const blocking = blockingFailures(splitChecks);
    expect(blocking.map((c) => [c.name, c.detail])).toEqual([[CHECK.leak, 'test.json: 1 inputs mention "status" (first: record 1)']]);
    expect(splitChecks.filter((c) => c.detail.startsWith("train.json:")).every((c) => c.ok)).toBe(true);
    expect(log[0]).toMatchObject({ step: "verify_split", numbers: { blockingChecks: 1, failedChecks: 1 } });
  });
});

/** The graph in process with the real SQLite checkpointer and sandbox; answers as a person (strings) or a script (objects). */
function setup(csv: string) {
  const program = buildProgram(getConfig());
  program.parse(["node", "tabtune", "--csv", csv, "--output", join(tempDir(), "out"), "--target", "status"]);
  const options = optionsFromFlags(program.opts<CliFlags>(), getConfig());
  const app = compileGraph(SqliteSaver.fromConnString(":memory:"));
  const config = { configurable: { thread_id: "t1" }, recursionLimit: 200 };
  const at = async () => {
    const snapshot = await app.getState(config);
    const payload = snapshot.tasks.flatMap((t) => t.interrupts)[0]?.value as ReviewPayloadWithError | undefined;
    return { next: snapshot.next, values: snapshot.values as State, payload };
  };
  const answer = (resume: unknown) => app.invoke(new Command({ resume }), config);
  return { start: () => app.invoke({ runId: "t1", options }, config), at, answer };
}
const yes = (acceptFailedChecks: boolean) => ({ text: "approve", by: "--yes", acceptFailedChecks });

describe("the gates, the langgraphjs way", () => {
  it("a leaked target stops --yes at review_prep and review_balance; a person or --accept-failed-checks passes it, logged", async () => {
    const { start, at, answer } = setup(leakCsv());
    await start();
    await answer("approve");
    let now = await at();
    expect(now.next).toEqual(["review_prep"]);
    expect(now.payload?.blockers?.map((b) => b.code)).toEqual(["failed_checks"]);
    expect(now.payload?.summary).toMatch(/BLOCKING: +blocking checks failed: target not in input — 120 inputs mention "status"/);

    await answer(yes(false));
    now = await at();
    expect(now.next).toEqual(["review_prep"]);
    expect(now.values.lastReview?.error).toMatch(/^not approved: blocking checks failed: target not in input/);
    expect(now.payload?.refusedBy).toBe("failed_checks");
    expect(now.values.splitResult).toBeNull();

    // A person typing approve at the review may pass it; the log says who.
    await answer("approve");
    now = await at();
    expect(now.next).toEqual(["review_balance"]);
    expect(now.values.log.find((l) => l.step === "review_prep" && l.decision.startsWith("failed checks accepted"))).toMatchObject({
      by: "user",
      decision: expect.stringMatching(/^failed checks accepted by a person at the review: blocking checks failed: target not in input/),
    });
    // The shipped files were checked too, and the same leak blocks --yes at review_balance.
    expect(blockingFailures(now.values.splitChecks ?? []).map((c) => c.detail)).toEqual([expect.stringMatching(/^train\.json: 96 inputs mention/), expect.stringMatching(/^test\.json: 24 inputs mention/)]);
    await answer(yes(false));
    now = await at();
    expect(now.next).toEqual(["review_balance"]);
    expect(now.values.lastReview?.error).toMatch(/^not approved: blocking checks failed: target not in input — train\.json/);
    await answer(yes(true));
    now = await at();
    expect(now.next).toEqual(["review_config"]);
    expect(now.values.log.filter((l) => l.decision.startsWith("failed checks accepted by --yes with --accept-failed-checks")).map((l) => l.step)).toEqual(["review_balance"]);
  });

  it("a plan without features passes no review, not even a person's approve; identical inputs block review_prep", async () => {
    const { start, at, answer } = setup(noFeatureCsv());
    await start();
    let now = await at();
    expect(now.values.prepPlan?.features).toEqual([]);
    expect(now.payload?.blockers?.map((b) => [b.code, b.passableBy])).toEqual([["no_features", "nobody"]]);
    await answer("approve");
    now = await at();
    expect(now.next).toEqual(["review_plan"]);
    expect(now.values.lastReview?.error).toMatch(/^not approved: the plan keeps no feature column/);
    expect(now.values.script).toBeNull();

    // Keeping the constant column gives every record the same input: the planned features carry nothing.
    await answer("add features: Country");
    await answer("approve");
    now = await at();
    expect(now.next).toEqual(["review_prep"]);
    expect(blockingFailures(now.values.verification?.checks ?? []).map((c) => c.detail)).toEqual([expect.stringMatching(/^all 60 inputs are the same text "The Country is NL\."/)]);
  });
});

/** Every file under a folder whose name is `name`. */
function filesNamed(dir: string, name: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry === name) hits.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return hits;
}

async function storedState(output: string): Promise<State> {
  const app = compileGraph(SqliteSaver.fromConnString(join(output, "checkpoints.sqlite")));
  return (await app.getState({ configurable: { thread_id: (await latestRunId(output)) ?? "" } })).values as State;
}

describe("tabtune --yes at a gate (CLI)", () => {
  it("stops with exit 1 naming the leak; --resume --yes --accept-failed-checks finishes, and the log and report record it", async () => {
    const csv = leakCsv();
    const output = join(tempDir(), "out");
    const stopped = await runCliAsync(["--csv", csv, "--output", output, "--target", "status", "--yes"]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/^error: review_prep: blocking checks failed: target not in input — 120 inputs mention "status" \(first: record 1\) — .*--accept-failed-checks/m);
    expect(filesNamed(output, "train.json")).toEqual([]);

    const resumed = await runCliAsync(["--csv", csv, "--output", output, "--resume", "--yes", "--accept-failed-checks"]);
    expect(resumed.stderr).not.toMatch(/^error:/m);
    expect(resumed.code).toBe(0);
    const state = await storedState(output);
    const accepted = state.log.filter((l) => l.decision.startsWith("failed checks accepted by --yes with --accept-failed-checks"));
    expect(accepted.map((l) => [l.step, l.by])).toEqual([["review_prep", "user"], ["review_balance", "user"]]);
    expect(readFileSync(paths.report(state.runDir ?? ""), "utf8")).toMatch(/failed checks accepted by --yes with --accept-failed-checks: blocking checks failed: target not in input/);
  });

  it("stops with exit 1 when every input is the same text (--answers keeping only a constant column)", async () => {
    const output = join(tempDir(), "out");
    const answers = join(tempDir(), "answers.txt");
    writeFileSync(answers, "keep only features: Country\n");
    const result = await runCliAsync(["--csv", leakCsv(), "--output", output, "--target", "status", "--answers", answers, "--yes"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: review_prep: blocking checks failed: inputs differ across records — all 120 inputs are the same text "The Country is NL\."/m);
  });

  it("refuses a plan without features at review_plan, before any code is written", async () => {
    const output = join(tempDir(), "out");
    const result = await runCliAsync(["--csv", noFeatureCsv(), "--output", output, "--target", "status", "--yes"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: review_plan: the plan keeps no feature column, so every record's input would be empty — add features/m);
    expect(filesNamed(output, "prepare_data.js")).toEqual([]);
  });
});
