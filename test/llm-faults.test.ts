/**
 * Provider trouble a person must see (issue 12, point 11), against a real HTTP server on
 * 127.0.0.1 speaking the OpenAI chat-completions protocol: refused credentials are shown
 * once and never asked again, a hung endpoint costs at most llm.decisionBudgetMs per
 * decision, and every such fallback is labelled in the decision's log entry.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../src/config.js";
import { callLogEntry, createDecider, type DeciderOptions } from "../src/llm/index.js";
import type { Plan, TargetChoice } from "../src/schemas.js";
import type { LogEntry } from "../src/state.js";
import { startChatServer, type ChatServer } from "./helpers/chat-server.js";
import { ROOT, runCliAsync, tempDir } from "./helpers/cli.js";

const KEY = "sk-test-WRONGKEY-0123456789abcdef";
const base = loadConfig();
/** Fast retries; the budget is what a test sets. */
function config(llm: Partial<Config["llm"]> = {}): Pick<Config, "llm"> {
  return { llm: { ...base.llm, maxRetries: 3, retryBaseDelayMs: 5, retryMaxDelayMs: 20, ...llm } };
}

let server: ChatServer;
beforeAll(async () => {
  server = await startChatServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function options(over: Partial<DeciderOptions> = {}): DeciderOptions {
  return { provider: "openai", agentApiBase: server.base, agentModel: "agent-7b", coderModel: "coder-32b", agentTemperature: 0.2, ...over };
}

const heuristicTarget: TargetChoice = { column: "h", task: "binary", labels: { "0": "No", "1": "Yes" }, reasons: ["heuristic"] };
const heuristicPlan: Plan = {
  instruction: "Predict h.",
  target: "h",
  task: "binary",
  labels: { "0": "No", "1": "Yes" },
  features: ["x"],
  dropped: [],
  rowFormat: "sentences",
  cleaning: [],
  balancing: { strategy: "none", advice: "" },
  imputation: [],
};
const exploreValues = { target_hint: "The user did not name a target.", profile: "3 rows", sample_rows: "x,h\n1,0" };
const planValues = { target_choice: JSON.stringify(heuristicTarget), profile: "p", sample_rows: "s", previous_plan: "(none)", feedback: "(none)" };
const codeValues = { plan: "{}", columns: "c", sample_rows: "s", ctx: "{}", previous_code: "", previous_error: "" };
const balanceValues = { columns: "c", sample_rows: "s", ctx: "{}", previous_code: "", previous_error: "" };
const unauthorized = { status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}`, type: "invalid_request_error", code: "invalid_api_key" } } };

describe("refused credentials", () => {
  it("a 401 is shown once, labelled in the log, and no later decision of either model sends a request", async () => {
    const lines: string[] = [];
    const decider = createDecider(options(), config(), { apiKey: KEY, notify: (l) => lines.push(l) });
    server.script.explore.push(unauthorized);

    const target = await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget });
    expect(target.value).toEqual(heuristicTarget);
    expect(target.source).toMatchObject({ attempts: 1, fellBack: true, fault: "auth" }); // not retried
    expect(target.source.error).toMatch(/^HTTP 401/);
    const entry = callLogEntry("explore", target.source);
    expect(entry.by).toBe("openai:agent-7b→heuristic");
    expect(entry.decision).toMatch(/fell back to the heuristic: HTTP 401.*\[auth\]$/);

    expect(lines).toHaveLength(1);
    const line = lines[0] ?? "";
    expect(line).toContain(server.base);
    expect(line).toContain("HTTP 401");
    expect(line).toContain("explore fell back to the heuristic");
    expect(line).toContain("check --agent-api-key / OPENAI_API_KEY");
    expect(line).not.toContain(KEY.slice(8, 20));

    // Later decisions, the coder's (codegen, balance) included: straight to the fallback.
    const plan = await decider.writePlan({ values: planValues, fallback: () => heuristicPlan });
    const code = await decider.writeCode({ values: codeValues, fallback: () => "template code" });
    const balance = await decider.writeBalanceCode({ values: balanceValues, fallback: () => "template balance" });
    const critique = await decider.critique({ values: { plan: "{}", checks: "ok", records: "#1 {}" }, fallback: () => ({ verdict: "ok", issues: [], summary: "heuristic" }) });
    expect([plan.value, code.value, balance.value, critique.value.summary]).toEqual([heuristicPlan, "template code", "template balance", "heuristic"]);
    for (const { source } of [plan, code, balance, critique]) {
      expect(source).toMatchObject({ attempts: 0, fellBack: true, fault: "auth" });
      expect(source.error).toMatch(/^not asked: the endpoint refused the credentials earlier in this run \(HTTP 401/);
    }
    expect(callLogEntry("codegen", code.source).by).toBe("openai:coder-32b→heuristic");
    expect(server.seen).toHaveLength(1);
    expect(lines).toHaveLength(1);
  });

  it("a 403 stops asking that model only; the other model is still asked", async () => {
    const lines: string[] = [];
    const decider = createDecider(options(), config(), { apiKey: KEY, notify: (l) => lines.push(l) });
    server.script.explore.push({ status: 403, body: { error: { message: "Project does not have access to model agent-7b" } } });
    server.script.codegen.push({ content: "function clean(row, ctx) { return row; }\nfunction render(row, ctx) { return { instruction: 'i', input: 'x', output: 'y' }; }" });

    expect((await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget })).source.fault).toBe("auth");
    const code = await decider.writeCode({ values: codeValues, fallback: () => "template code" });
    expect(code.source).toMatchObject({ model: "coder-32b", fellBack: false, attempts: 1 });
    const plan = await decider.writePlan({ values: planValues, fallback: () => heuristicPlan });
    expect(plan.source).toMatchObject({ attempts: 0, fellBack: true });
    expect(server.seen.map((s) => s.decision)).toEqual(["explore", "codegen"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/HTTP 403.*this model is not asked again.*may use agent-7b, or name another with --agent-model/);
  });

  it("escapes control characters a server puts in its error message", async () => {
    const lines: string[] = [];
    const decider = createDecider(options(), config(), { apiKey: KEY, notify: (l) => lines.push(l) });
    server.script.explore.push({ status: 401, body: { error: { message: "bad key\u001b]0;owned\u0007\u001b[2K applied OK" } } });
    const result = await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget });
    for (const text of [lines[0] ?? "", result.source.error ?? ""]) {
      expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(text).toContain("\\x1b]0;owned\\x07");
    }
  });
});

describe("the decision budget (llm.decisionBudgetMs)", () => {
  it("a hung endpoint costs each decision at most the budget, then the heuristic answers; the console says so once", async () => {
    const lines: string[] = [];
    // The per-request timeout (60 s) and 3 retries would wait minutes; the budget cuts it to 1 s.
    const decider = createDecider(options(), config({ timeoutMs: 60_000, decisionBudgetMs: 1_000 }), { apiKey: KEY, notify: (l) => lines.push(l) });
    server.script.explore.push("hang");
    server.script.plan.push("hang");

    for (const ask of [
      () => decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget }),
      () => decider.writePlan({ values: planValues, fallback: () => heuristicPlan }),
    ]) {
      const started = Date.now();
      const { source } = await ask();
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(950);
      expect(took).toBeLessThan(1_800);
      expect(source).toMatchObject({ fellBack: true, fault: "budget", attempts: 1 });
      expect(source.error).toBe("no answer within llm.decisionBudgetMs = 1000 ms (1 request; the heuristic answered)");
      expect(callLogEntry(source.decision, source).decision).toMatch(/fell back to the heuristic: no answer within llm.decisionBudgetMs.*\[budget\]$/);
    }
    expect(server.seen.map((s) => s.decision)).toEqual(["explore", "plan"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warning: openai endpoint http:\/\/127\.0\.0\.1:\d+\/v1 \(model agent-7b\) gave no answer within the decision budget/);
    expect(lines[0]).toContain("explore fell back to the heuristic");
    expect(lines[0]).toContain("raise llm.decisionBudgetMs");
  });

  it("stops retrying 5xx when the next backoff would outlive the budget, keeping the server's error", async () => {
    const lines: string[] = [];
    const decider = createDecider(options(), config({ decisionBudgetMs: 1_000, maxRetries: 10, retryBaseDelayMs: 400, retryMaxDelayMs: 5_000 }), {
      apiKey: KEY,
      notify: (l) => lines.push(l),
    });
    const overloaded = { status: 503, body: { error: { message: "overloaded" } } };
    for (let i = 0; i < 20; i++) server.script.explore.push(overloaded);
    const started = Date.now();
    const { source } = await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget });
    // Never sleeps past the deadline; only the last request's own time and the fallback come on top.
    expect(Date.now() - started).toBeLessThan(1_300);
    expect(source.fault).toBe("server");
    // Waits of ~400 and ~800 ms (±25 %): the second try's backoff no longer fits.
    expect(source.attempts).toBeGreaterThanOrEqual(2);
    expect(source.attempts).toBeLessThanOrEqual(3);
    expect(source.error).toMatch(/^HTTP 503.*llm.decisionBudgetMs = 1000 ms left no time for another; the heuristic answered\)$/);
    expect(server.seen).toHaveLength(source.attempts);
    expect(lines).toEqual([expect.stringMatching(/kept failing: HTTP 503.*try again later, or run with --provider heuristic$/)]);

    // The same kind again: logged, not shown again.
    for (let i = 0; i < 20; i++) server.script.plan.push(overloaded);
    expect((await decider.writePlan({ values: planValues, fallback: () => heuristicPlan })).source.fault).toBe("server");
    expect(lines).toHaveLength(1);
  });

  it("a refused connection is shown once with what to check", async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const decider = createDecider(options({ agentApiBase: `http://127.0.0.1:${port}/v1` }), config({ decisionBudgetMs: 2_000 }), {
      apiKey: KEY,
      notify: (l) => lines.push(l),
    });
    const { source } = await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget });
    expect(source).toMatchObject({ fellBack: true, fault: "unreachable", attempts: 4 }); // retried: a server may be starting
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^warning: openai endpoint http://127\\.0\\.0\\.1:${port}/v1 .*could not be reached: .*check --agent-api-base / OPENAI_BASE_URL`))]);
  });

  it("the config refuses a budget too small for any request", () => {
    const path = join(tempDir(), "config.yaml");
    const raw = parse(readFileSync(join(ROOT, "config/default.yaml"), "utf8")) as { llm: Record<string, unknown> };
    expect(raw.llm.decisionBudgetMs).toBeLessThanOrEqual(60_000);
    writeFileSync(path, stringify({ ...raw, llm: { ...raw.llm, decisionBudgetMs: 5 } }));
    expect(() => loadConfig(path)).toThrow(/llm.decisionBudgetMs: llm.decisionBudgetMs below 100 ms/);
  });
});

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Every log.json under a folder (the run's pipeline log). */
function logFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) found.push(...logFiles(p));
    else if (name === "log.json") found.push(p);
  }
  return found;
}

describe("the CLI", () => {
  it("a wrong API key: one console line naming the endpoint, the status, the fallback and the flag; one request in the whole run", async () => {
    server.script.explore.push(unauthorized);
    const dir = tempDir();
    const configPath = join(dir, "config.yaml");
    const raw = parse(readFileSync(join(ROOT, "config/default.yaml"), "utf8")) as { llm: Record<string, unknown> };
    writeFileSync(configPath, stringify({ ...raw, llm: { ...raw.llm, retryBaseDelayMs: 10, retryMaxDelayMs: 50 } }));
    const output = join(dir, "out");
    const args = ["--csv", join(ROOT, "test/fixtures/penguins.csv"), "--output", output, "--agent-api-base", server.base, "--agent-model", "test-model", "--agent-api-key", KEY, "--yes"];
    const result = await runCliAsync(args, { env: { TABTUNE_CONFIG: configPath } });
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.code).toBe(0);

    const warnings = result.stderr.split("\n").filter((l) => l.includes("warning:"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(`warning: openai endpoint ${server.base.replace(/[./]/g, "\\$&")} \\(model test-model\\) refused the credentials: HTTP 401.* — explore fell back to the heuristic, and this endpoint is not asked again in this run; check --agent-api-key / OPENAI_API_KEY`),
    );
    expect(result.stderr).not.toContain(KEY);
    expect(server.seen).toHaveLength(1);

    const [logPath] = logFiles(output);
    expect(logPath).toBeDefined();
    const written: unknown = JSON.parse(readFileSync(logPath ?? "", "utf8"));
    // log.json is the entries, or { runId, runDir, log: entries }.
    const log = (Array.isArray(written) ? written : (written as { log: LogEntry[] }).log) as LogEntry[];
    const calls = log.filter((l) => / decided by /.test(l.decision));
    expect(calls[0]).toMatchObject({ step: "explore", by: "openai:test-model→heuristic", numbers: { attempts: 1, fellBack: 1 } });
    expect(calls[0]?.decision).toMatch(/fell back to the heuristic: HTTP 401.*\[auth\]$/);
    // plan, codegen, verify …: each labelled as a fallback, none asked.
    expect(calls.length).toBeGreaterThanOrEqual(3);
    for (const call of calls.slice(1)) {
      expect(call.by).toMatch(/→heuristic$/);
      expect(call.numbers).toMatchObject({ attempts: 0, fellBack: 1 });
      expect(call.decision).toMatch(/fell back to the heuristic: not asked: the endpoint refused the credentials/);
    }
  });
});
