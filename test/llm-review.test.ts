/**
 * Free-text feedback at a review, the langgraphjs way (invoke → getState().next →
 * Command({ resume }) → state), against a local OpenAI-compatible server: the model's
 * reading is shown back first and applied only after approve, with one model call per answer.
 */
import { join } from "node:path";
import { Command } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram, optionsFromFlags, type CliFlags } from "../src/cli/options.js";
import { compileGraph } from "../src/graph.js";
import { setQuiet } from "../src/log.js";
import type { ReviewPayloadWithError } from "../src/review/protocol.js";
import { getConfig, setAgentApiKey } from "../src/runtime.js";
import type { State } from "../src/state.js";
import { startChatServer, type ChatServer } from "./helpers/chat-server.js";
import { ROOT, tempDir } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");
let server: ChatServer;
beforeAll(async () => {
  setQuiet(true);
  server = await startChatServer();
  setAgentApiKey("sk-test-SECRET123");
});
afterAll(async () => {
  setAgentApiKey(null);
  await server.close();
});

function setup() {
  const program = buildProgram(getConfig());
  program.parse(["node", "tabtune", "--csv", PENGUINS, "--output", join(tempDir(), "out"), "--agent-api-base", server.base, "--agent-model", "test-model"]);
  const options = optionsFromFlags(program.opts<CliFlags>(), getConfig());
  const app = compileGraph(SqliteSaver.fromConnString(":memory:"));
  return { app, options, config: { configurable: { thread_id: "t1" }, recursionLimit: 200 } };
}

async function snapshot(app: ReturnType<typeof compileGraph>, config: { configurable: { thread_id: string } }) {
  const s = await app.getState(config);
  const payload = s.tasks.flatMap((t) => t.interrupts)[0]?.value as ReviewPayloadWithError | undefined;
  return { next: s.next, values: s.values as State, payload };
}

const feedbackCalls = () => server.seen.filter((s) => s.decision === "feedback").length;

describe("free-text feedback at review_plan", () => {
  it("is interpreted into actions, shown back, and applied after approve", async () => {
    server.reset(); // explore, plan: HTTP 400 → the heuristic answers
    const { app, options, config } = setup();
    await app.invoke({ runId: "t1", options }, config);
    let state = await snapshot(app, config);
    expect(state.next).toEqual(["review_plan"]);
    expect(state.values.prepPlan?.features).toContain("Island");

    server.script.feedback.push({
      content: JSON.stringify({ actions: [{ kind: "drop_features", columns: ["Island"] }, { kind: "instruction", text: "Which species is this penguin?" }] }),
    });
    await app.invoke(new Command({ resume: "get rid of where it lives and just ask which species it is" }), config);
    state = await snapshot(app, config);
    expect(feedbackCalls()).toBe(1);
    expect(state.next).toEqual(["review_plan"]);
    expect(state.values.lastReview).toMatchObject({ awaitingConfirmation: true, error: null });
    // Nothing applied yet: the plan is the first one.
    expect(state.values.planVersion).toBe(1);
    expect(state.values.prepPlan?.features).toContain("Island");
    expect(state.payload?.summary).toMatch(/^I understood: drop features: Island; change instruction to: Which species is this penguin\?  \(type approve to apply, or rephrase\)/);
    const interpreted = state.values.log.find((l) => l.step === "review_plan" && l.decision.startsWith("feedback decided by"));
    expect(interpreted).toMatchObject({ by: "openai:test-model", numbers: { fellBack: 0 } });

    await app.invoke(new Command({ resume: "approve" }), config);
    state = await snapshot(app, config);
    expect(feedbackCalls()).toBe(1); // approve is typed: no second call
    expect(state.next).toEqual(["review_plan"]); // re-planned, reviewed again
    expect(state.values.planVersion).toBe(2);
    expect(state.values.prepPlan?.features).not.toContain("Island");
    expect(state.values.prepPlan?.dropped.map((d) => d.column)).toContain("Island");
    expect(state.values.prepPlan?.instruction).toBe("Which species is this penguin?");
    expect(state.payload?.summary).not.toMatch(/I understood/);
  });

  it("an unclear answer is shown as an error; a reading naming an unknown column is re-asked", async () => {
    server.reset();
    const { app, options, config } = setup();
    await app.invoke({ runId: "t1", options }, config);
    server.script.feedback.push({ content: JSON.stringify({ actions: [], unclear: "predicting only for adults is not a plan change" }) });
    await app.invoke(new Command({ resume: "predict only for adults" }), config);
    let state = await snapshot(app, config);
    expect(state.next).toEqual(["review_plan"]);
    expect(state.payload?.error).toMatch(/not understood: predicting only for adults/);

    // A reading the step would refuse (no such column) is re-asked with the reason.
    server.script.feedback.push(
      { content: JSON.stringify({ actions: [{ kind: "drop_features", columns: ["Weight"] }] }) },
      { content: JSON.stringify({ actions: [{ kind: "drop_features", columns: ["Body Mass (g)"] }] }) },
    );
    const before = server.seen.length;
    await app.invoke(new Command({ resume: "remove the weight please" }), config);
    state = await snapshot(app, config);
    const asked = server.seen.slice(before);
    expect(asked).toHaveLength(2);
    expect(asked[1]?.messages.at(-1)?.content).toMatch(/not a column of .*Weight/);
    expect(state.values.lastReview).toMatchObject({ awaitingConfirmation: true, actions: [{ kind: "drop_features", columns: ["Body Mass (g)"] }] });
    expect(state.payload?.summary).toMatch(/^I understood: drop features: Body Mass \(g\)/);
    expect(state.values.planVersion).toBe(1);
  });
});
