/**
 * The graph as LangGraph Studio and the SDK see it: `npm run serve` (the official dev server,
 * langgraph.json) on 127.0.0.1, driven with @langchain/langgraph-sdk. A thread started with only
 * a CSV path and an output folder, approved at each review, reaches evaluate.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { basename, dirname, join } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProgressEvent } from "../src/events.js";
import { ROOT, tempDir } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test", "fixtures", "penguins.csv");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

let server: ChildProcess | null = null;
let log = "";
let apiUrl = "";

/** Polls the server's health route until it answers (the graph is registered by then). */
async function waitForServer(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (server?.exitCode !== null) throw new Error(`npm run serve exited ${server?.exitCode}:\n${log.slice(-2000)}`);
    const ok = await fetch(`${url}/ok`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the dev server did not answer within ${timeoutMs} ms:\n${log.slice(-2000)}`);
}

beforeAll(async () => {
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  // Its own process group, so afterAll ends npm, the CLI and the server's workers together.
  server = spawn("npm", ["run", "serve", "--", "--port", String(port), "--no-reload"], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "1" } });
  server.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  server.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  await waitForServer(apiUrl, 60_000);
}, 75_000);

afterAll(() => {
  if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, "SIGTERM");
});

describe("npm run serve, driven with the SDK", () => {
  it("answers the schema endpoint within 15 s with the input schema (csv and the run options)", async () => {
    const client = new Client({ apiUrl });
    const [assistant] = await client.assistants.search({ graphId: "tabtune" });
    expect(assistant).toBeDefined();
    const started = Date.now();
    const schemas = await client.assistants.getSchemas(assistant!.assistant_id);
    expect(Date.now() - started).toBeLessThan(15_000);
    const input = schemas.input_schema as { properties?: Record<string, unknown> };
    expect(Object.keys(input.properties ?? {})).toEqual(expect.arrayContaining(["csv", "target", "output", "options"]));
  }, 20_000);

  it("a thread run with only a CSV and an output folder, approved at each review, reaches evaluate; progress arrives as custom events", async () => {
    const client = new Client({ apiUrl });
    const output = tempDir("tabtune-served-");
    const thread = await client.threads.create();
    const custom: unknown[] = [];
    const reviews: string[] = [];
    let request: { input?: Record<string, unknown>; command?: { resume: string } } = { input: { csv: PENGUINS, output } };
    for (let turn = 0; turn < 10; turn++) {
      for await (const chunk of client.runs.stream(thread.thread_id, "tabtune", { ...request, streamMode: ["custom", "updates"] })) {
        if (chunk.event === "error") throw new Error(`run failed: ${JSON.stringify(chunk.data)}`);
        if (chunk.event === "custom") custom.push(chunk.data);
      }
      const state = await client.threads.getState(thread.thread_id);
      const pending = state.tasks.flatMap((t) => t.interrupts ?? []);
      if (pending.length === 0) break;
      const payload = pending[0]?.value as { step?: string } | undefined;
      reviews.push(payload?.step ?? "?");
      request = { command: { resume: "approve" } };
    }
    const final = await client.threads.getState(thread.thread_id);
    expect(final.next).toEqual([]);
    const values = final.values as { runDir?: string; options?: { output: string; csv: string } };
    // The run folder is <output>/<thread id>, with the results evaluate wrote.
    expect(values.runDir).toBeDefined();
    expect(dirname(values.runDir!)).toBe(output);
    expect(basename(values.runDir!)).toBe(thread.thread_id);
    expect(existsSync(join(values.runDir!, "evaluation", "results.json"))).toBe(true);
    expect(values.options?.csv).toBe(PENGUINS);
    expect(reviews).toEqual(expect.arrayContaining(["review_plan", "review_prep", "review_config"]));
    const progress = custom.filter((c) => ProgressEvent.safeParse(c).success);
    expect(progress.length).toBeGreaterThan(0);
  }, 90_000);
});
