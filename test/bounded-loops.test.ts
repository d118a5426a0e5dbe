/**
 * Every loop is bounded (issue 12, point 4): prep rounds per run (codegen.maxRounds), and
 * under --yes a failed round falls back to the heuristic template once; when that fails
 * too the run stops with exit 1. Driven as a user runs it (the CLI as a child process,
 * a real HTTP server on 127.0.0.1 for the coder model) and the langgraphjs way for the
 * typed approvals of a person.
 */
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildProgram, optionsFromFlags, type CliFlags } from "../src/cli/options.js";
import { latestRunId } from "../src/cli/runner.js";
import { compileGraph } from "../src/graph.js";
import { setQuiet } from "../src/log.js";
import { getConfig } from "../src/runtime.js";
import type { State } from "../src/state.js";
import { startChatServer, type ChatServer } from "./helpers/chat-server.js";
import { ROOT, runCliAsync, tempDir } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");
const { maxTries, maxRounds } = getConfig().codegen;

/**
 * A table whose target column is named `__proto__`: the sandbox refuses that key in a
 * cleaned row, so every prep script fails, the template's included (the 341
 * rounds and 764 MB of checkpoints under --yes).
 */
function protoCsv(): string {
  const lines = ["age,income,city,__proto__"];
  for (let i = 0; i < 120; i++) lines.push(`${20 + ((i * 7) % 50)},${1000 + ((i * 379) % 8000)},${["north", "south", "east"][i % 3]},${i % 2 === 0 ? "yes" : "no"}`);
  const path = join(tempDir(), "proto.csv");
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

/** Bytes of the checkpoint database with its WAL and shared-memory files. */
function checkpointBytes(output: string): number {
  const base = join(output, "checkpoints.sqlite");
  return [base, `${base}-wal`, `${base}-shm`].filter((p) => existsSync(p)).reduce((sum, p) => sum + statSync(p).size, 0);
}

async function storedState(output: string): Promise<State> {
  const runId = await latestRunId(output);
  expect(runId).not.toBeNull();
  const app = compileGraph(SqliteSaver.fromConnString(join(output, "checkpoints.sqlite")));
  return (await app.getState({ configurable: { thread_id: runId ?? "" } })).values as State;
}

describe("--yes with a prep script that always fails", () => {
  it("a __proto__ target stops after one round with exit 1, quickly, with a small checkpoint", async () => {
    const output = join(tempDir(), "out");
    const started = Date.now();
    const result = await runCliAsync(["--csv", protoCsv(), "--output", output, "--target", "__proto__", "--yes"], { timeoutMs: 90_000 });
    const seconds = (Date.now() - started) / 1000;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: review_prep: prepare_data\.js from the heuristic template failed 3 times: clean returned the key "__proto__".* — revise the plan or drop features/m);
    expect(result.stderr).toMatch(/resume with: tabtune --csv \S+ --output \S+ --resume run_\w+/);
    expect(seconds).toBeLessThan(60);
    expect(checkpointBytes(output)).toBeLessThan(50 * 1024 * 1024);
    const state = await storedState(output);
    expect(state.prepRounds).toBe(1);
    expect(state.log.filter((l) => l.step === "codegen")).toHaveLength(maxTries);
    // Stopped at the review, so a person can still revise the plan there.
    expect(state.execution?.ok).toBe(false);
  });
});

describe("--yes with a coder model whose code always fails", () => {
  let server: ChatServer;
  beforeAll(async () => {
    server = await startChatServer();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.reset();
    // Valid-looking code that throws on every row; every other decision gets HTTP 400 (the heuristic answers).
    server.answer.set("codegen", () => "```javascript\nfunction clean(row, ctx) { throw new Error('the model code always fails'); }\nfunction render(row, ctx) { return null; }\n```");
  });
  const run = (csv: string, output: string, extra: string[] = []) =>
    runCliAsync(["--csv", csv, "--output", output, "--agent-api-base", server.base, "--agent-model", "m", "--agent-api-key", "sk-test", "--yes", ...extra], { timeoutMs: 120_000 });
  const codegenRequests = () => server.seen.filter((s) => s.decision === "codegen").length;

  it("gets one round of the template after its round; when that fails too the run stops with exit 1", async () => {
    const output = join(tempDir(), "out");
    // A plan whose label mapping lacks Chinstrap: the template's clean() refuses those rows too.
    const answers = join(tempDir(), "answers.txt");
    writeFileSync(answers, JSON.stringify({ labels: { Adelie: "Adelie", Gentoo: "Gentoo" } }) + "\n");
    const started = Date.now();
    const result = await run(PENGUINS, output, ["--answers", answers]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: review_prep: prepare_data\.js from the heuristic template failed 3 times: .*Chinstrap.*not in the label mapping/m);
    expect(result.stderr).toMatch(/codegen .*round 2, attempt 1 \(heuristic, standing in for the coder model\)/);
    expect(Date.now() - started).toBeLessThan(90_000);
    // The model wrote one round; the template's round asked it nothing.
    expect(codegenRequests()).toBe(maxTries);
    expect(server.seen.length).toBeLessThan(maxTries + 10);
    expect(checkpointBytes(output)).toBeLessThan(50 * 1024 * 1024);
    const state = await storedState(output);
    expect(state.prepRounds).toBe(2);
    expect(state.prepTemplateFallback).toBe(true);
  });

  it("on a table the template can prepare, the template's round finishes the run", async () => {
    const output = join(tempDir(), "out");
    const result = await run(PENGUINS, output);
    expect(result.stderr).not.toMatch(/^error:/m);
    expect(result.code).toBe(0);
    expect(codegenRequests()).toBe(maxTries);
    const state = await storedState(output);
    expect(state.prepRounds).toBe(2);
    expect(state.prepTemplateFallback).toBe(true);
    expect(state.execution?.ok).toBe(true);
    // The approval is logged with who gave it (--approver, else git's user.name or the OS user).
    expect(state.log.filter((l) => l.step === "review_prep").some((l) => l.decision.startsWith('"approve" (--yes) — approver: '))).toBe(true);
  });
});

describe("a person's retries at review_prep", () => {
  beforeAll(() => setQuiet(true));

  it("are bounded by codegen.maxRounds; a scripted retry after the template's failure is refused", async () => {
    const program = buildProgram(getConfig());
    program.parse(["node", "tabtune", "--csv", protoCsv(), "--output", join(tempDir(), "out"), "--target", "__proto__"]);
    const options = optionsFromFlags(program.opts<CliFlags>(), getConfig());
    const app = compileGraph(SqliteSaver.fromConnString(":memory:"));
    const config = { configurable: { thread_id: "t1" }, recursionLimit: 200 };
    const values = async () => (await app.getState(config)).values as State;
    await app.invoke({ runId: "t1", options }, config);
    await app.invoke(new Command({ resume: "approve" }), config);
    expect((await app.getState(config)).next).toEqual(["review_prep"]);

    // The heuristic template already failed: --yes may not start another round, even with --accept-failed-checks.
    await app.invoke(new Command({ resume: { text: "approve", by: "--yes", acceptFailedChecks: true } }), config);
    expect((await app.getState(config)).next).toEqual(["review_prep"]);
    expect((await values()).lastReview?.error).toMatch(/^not approved: prepare_data\.js from the heuristic template failed 3 times/);
    expect((await values()).prepRounds).toBe(1);

    // A person may retry, until the run's rounds are spent.
    for (let round = 2; round <= maxRounds; round++) {
      await app.invoke(new Command({ resume: "approve" }), config);
      expect((await values()).prepRounds).toBe(round);
    }
    await app.invoke(new Command({ resume: "approve" }), config);
    const state = await values();
    expect((await app.getState(config)).next).toEqual(["review_prep"]);
    expect(state.prepRounds).toBe(maxRounds);
    expect(state.lastReview?.error).toMatch(new RegExp(`failed in all ${maxRounds} rounds of up to ${maxTries} tries`));
    expect(state.log.filter((l) => l.step === "codegen")).toHaveLength(maxRounds * maxTries);
    // Changing the plan is still possible.
    await app.invoke(new Command({ resume: "drop features: city" }), config);
    expect((await values()).planVersion).toBe(2);
  });
});
