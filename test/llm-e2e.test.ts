/**
 * The whole pipeline with --agent-api-base pointed at a real HTTP server on 127.0.0.1
 * that speaks the OpenAI chat-completions protocol with scripted answers (issue 4's
 * checks): the model's target and plan are used; malformed JSON is re-asked; 429 is
 * retried; a hang times out and falls back; the API key is nowhere in the output folder.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { compileGraph } from "../src/graph.js";
import type { LogEntry, State } from "../src/state.js";
import { startChatServer, type ChatServer } from "./helpers/chat-server.js";
import { ROOT, runCli, runCliAsync, runDirs, tempDir } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");
const KEY = "sk-test-SECRET123";
const ISLANDS = { Biscoe: "Biscoe", Dream: "Dream", Torgersen: "Torgersen" };

let server: ChatServer;
beforeAll(async () => {
  server = await startChatServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

/** config/default.yaml with the llm keys changed, as a file for TABTUNE_CONFIG. */
function configWith(llm: Record<string, number>): string {
  const config = parse(readFileSync(join(ROOT, "config/default.yaml"), "utf8")) as { llm: Record<string, unknown> };
  config.llm = { ...config.llm, ...llm };
  const path = join(tempDir(), "config.yaml");
  writeFileSync(path, stringify(config));
  return path;
}
const FAST = { timeoutMs: 10_000, maxRetries: 3, retryBaseDelayMs: 10, retryMaxDelayMs: 50 };

function run(output: string, config: string, extra: string[] = []) {
  const args = ["--csv", PENGUINS, "--output", output, "--agent-api-base", server.base, "--agent-model", "test-model", "--agent-api-key", KEY, "--yes", ...extra];
  return runCliAsync(args, { env: { TABTUNE_CONFIG: config } });
}

async function finalState(output: string, stdout: string): Promise<State> {
  const runId = /\(thread ([^)]+)\)/.exec(stdout)?.[1];
  expect(runId).toBeDefined();
  const app = compileGraph(SqliteSaver.fromConnString(join(output, "checkpoints.sqlite")));
  return (await app.getState({ configurable: { thread_id: runId ?? "" } })).values as State;
}

const entries = (log: LogEntry[], step: string, decision: string) => log.filter((l) => l.step === step && l.decision.startsWith(`${decision} decided by`));

/** Every file under a folder, the SQLite bytes included, searched for a string. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (readFileSync(p).includes(Buffer.from(needle))) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

const islandChoice = { column: "Island", task: "multiclass", labels: ISLANDS, reasons: ["the model chose the island"] };
const islandPlan = {
  instruction: "Which island was this penguin measured on? Answer Biscoe, Dream or Torgersen.",
  target: "Island",
  task: "multiclass",
  labels: ISLANDS,
  features: ["Species", "Beak Length (mm)", "Flipper Length (mm)"],
  dropped: [{ column: "Sex", reason: "not related to the island" }],
  rowFormat: "sentences",
  cleaning: ["drop rows without an island"],
  balancing: { strategy: "none", advice: "fine" },
  imputation: [],
};
const llmCode = `\`\`\`javascript
function clean(row, ctx) {
  const t = row[ctx.plan.target];
  return t === null || t === undefined || t === "" ? null : row;
}
function render(row, ctx) {
  const parts = ctx.plan.features.map((f) => "The " + f + " is " + (row[f] === null ? "unknown" : row[f]) + ".");
  return { instruction: ctx.plan.instruction, input: "Penguin record. " + parts.join(" "), output: ctx.labels[String(row[ctx.plan.target])] };
}
\`\`\``;

describe("tabtune with an OpenAI-compatible server", () => {
  it("uses the model's target, plan, code and critique; the key is nowhere in the output", async () => {
    server.script.explore.push({ content: JSON.stringify(islandChoice) });
    server.script.plan.push({ content: `\`\`\`json\n${JSON.stringify(islandPlan)}\n\`\`\`` });
    server.script.codegen.push({ content: llmCode });
    server.script.verify.push({ content: JSON.stringify({ verdict: "ok", issues: ["beak lengths look plausible"], summary: "Records read well." }) });
    const output = join(tempDir(), "penguins");
    const result = await run(output, configWith(FAST));
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.code).toBe(0);
    expect(server.seen.every((s) => s.authorization === `Bearer ${KEY}`)).toBe(true);

    const train = JSON.parse(readFileSync(join(output, runDirs(output)[0] ?? "", "data/train.json"), "utf8")) as { input: string; output: string }[];
    expect(new Set(train.map((r) => r.output))).toEqual(new Set(Object.values(ISLANDS)));
    expect(train[0]?.input).toMatch(/^Penguin record\. The Species is \w+\. The Beak Length \(mm\) is/);
    expect(train[0]?.input).not.toMatch(/Body Mass|Sex/);

    const state = await finalState(output, result.stdout);
    expect(state.target?.column).toBe("Island");
    expect(state.prepPlan?.features).toEqual(islandPlan.features);
    // Columns the model did not mention are listed as dropped.
    expect(state.prepPlan?.dropped.map((d) => d.column).sort()).toEqual(["Beak Depth (mm)", "Body Mass (g)", "Sex"]);
    for (const [step, decision] of [["explore", "explore"], ["plan", "plan"], ["codegen", "codegen"], ["verify", "verify"]] as const) {
      const [entry] = entries(state.log, step, decision);
      expect(entry, step).toMatchObject({ by: "openai:test-model", numbers: { promptTokens: 900, completionTokens: 60, attempts: 1, fellBack: 0 } });
    }
    expect(state.log.find((l) => l.step === "explore" && l.decision.startsWith("target"))?.by).toBe("openai:test-model");
    expect(state.verification?.critique.join("\n")).toMatch(/Records read well[\s\S]*beak lengths look plausible/);
    expect(readFileSync(join(output, runDirs(output)[0] ?? "", "report.md"), "utf8")).toMatch(/openai:test-model/);
    expect(filesContaining(output, KEY)).toEqual([]);
  });

  it("re-asks once after malformed JSON and completes", async () => {
    server.script.explore.push({ content: '{"column": "Island", "task": "multiclass", "labels": {"Biscoe": ' }, { content: JSON.stringify(islandChoice) });
    const output = join(tempDir(), "penguins");
    const result = await run(output, configWith(FAST));
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.code).toBe(0);
    const state = await finalState(output, result.stdout);
    expect(state.target?.column).toBe("Island");
    expect(entries(state.log, "explore", "explore")[0]).toMatchObject({ by: "openai:test-model", numbers: { attempts: 2, reasks: 1, fellBack: 0 } });
    expect(server.seen.filter((s) => s.decision === "explore")).toHaveLength(2);
    // Unscripted decisions got HTTP 400: the heuristic answered, and the log says so.
    expect(entries(state.log, "plan", "plan")[0]?.by).toBe("openai:test-model→heuristic");
  });

  it("backs off after 429 twice, then uses the answer", async () => {
    const limited = { status: 429, body: { error: { message: "Rate limit reached" } } };
    server.script.explore.push(limited, limited, { content: JSON.stringify(islandChoice) });
    const output = join(tempDir(), "penguins");
    const result = await run(output, configWith(FAST));
    expect(result.code).toBe(0);
    const state = await finalState(output, result.stdout);
    expect(state.target?.column).toBe("Island");
    expect(entries(state.log, "explore", "explore")[0]).toMatchObject({ numbers: { attempts: 3, reasks: 0, fellBack: 0 } });
  });

  it("times out a hanging server, falls back to the heuristic and says so in the log and report", async () => {
    server.script.explore.push("hang", "hang");
    const output = join(tempDir(), "penguins");
    const started = Date.now();
    const result = await run(output, configWith({ ...FAST, timeoutMs: 1_000, maxRetries: 1 }));
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.code).toBe(0);
    const state = await finalState(output, result.stdout);
    expect(state.target?.column).toBe("Species"); // the heuristic's choice
    const [entry] = entries(state.log, "explore", "explore");
    expect(entry).toMatchObject({ by: "openai:test-model→heuristic", numbers: { attempts: 2, fellBack: 1 } });
    expect(entry?.decision).toMatch(/fell back to the heuristic: .*timed out after 1000 ms/);
    expect(readFileSync(join(output, runDirs(output)[0] ?? "", "report.md"), "utf8")).toMatch(/timed out after 1000 ms/);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(filesContaining(output, KEY)).toEqual([]);
  });
});

describe("provider settings", () => {
  const clean = { OPENAI_BASE_URL: "", openAI_endpoint: "", agent_LLM: "", coder_LLM: "" };
  it("--provider openai without an API base stops with a one-line error", () => {
    const dir = tempDir();
    const result = runCli(["--csv", PENGUINS, "--output", join(dir, "out"), "--provider", "openai", "--agent-model", "m", "--yes"], { cwd: dir, env: clean });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n").filter((l) => l.startsWith("error:"))).toEqual([expect.stringMatching(/--agent-api-base/)]);
  });
  it("--provider openai and bedrock without a model stop with a one-line error", () => {
    const dir = tempDir();
    for (const extra of [["--provider", "openai", "--agent-api-base", "http://127.0.0.1:9/v1"], ["--provider", "bedrock"]]) {
      const result = runCli(["--csv", PENGUINS, "--output", join(dir, "out"), ...extra, "--yes"], { cwd: dir, env: clean });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: .*needs a model name.*--agent-model/m);
    }
  });
});
