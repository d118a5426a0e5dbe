/**
 * Drives the compiled graph: fresh runs, --resume, --start-from forks, and the review
 * loop (invoke → pending interrupt → answer → Command({ resume })).
 */
import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Command } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { TabtuneError } from "../errors.js";
import { compileGraph } from "../graph.js";
import type { ReviewPayloadWithError } from "../nodes/review.js";
import type { RunOptions } from "../options.js";
import { newRunDirName, paths } from "../paths.js";
import type { State } from "../state.js";
import type { AnswerSource } from "./answers.js";
import type { StartFrom } from "./options.js";

type Graph = ReturnType<typeof compileGraph>;
type RunConfig = { configurable: { thread_id: string } };

export type RunOutcome = { status: "finished"; state: State } | { status: "paused"; runId: string; payload: ReviewPayloadWithError };

/** The node a --start-from name re-enters. */
const ENTRY: Record<StartFrom, string> = { review_prep: "review_prep", split: "split", config: "finetune_config", predict: "predict", evaluate: "evaluate" };

export function openCheckpointer(output: string): SqliteSaver {
  mkdirSync(output, { recursive: true });
  return SqliteSaver.fromConnString(paths.checkpoints(output));
}

/** The run whose checkpoint is newest in this output folder, or null. */
export function latestRunId(output: string): string | null {
  const file = paths.checkpoints(output);
  if (!existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT thread_id FROM checkpoints ORDER BY checkpoint_id DESC LIMIT 1").get() as { thread_id: string } | undefined;
    return row?.thread_id ?? null;
  } catch {
    return null;
  } finally {
    db.close();
  }
}

export function newRunId(now: Date = new Date()): string {
  return newRunDirName(now).replace(/^run_/, "");
}

async function pendingInterrupt(graph: Graph, config: RunConfig): Promise<ReviewPayloadWithError | null> {
  const snapshot = await graph.getState(config);
  const pending = snapshot.tasks.flatMap((t) => t.interrupts);
  const first = pending[0];
  return first ? (first.value as ReviewPayloadWithError) : null;
}

/** Runs until the graph ends or a review has no answer. */
async function drive(graph: Graph, config: RunConfig, firstInput: unknown, answers: AnswerSource, show: (p: ReviewPayloadWithError) => void): Promise<RunOutcome> {
  let input: unknown = firstInput;
  for (;;) {
    await graph.invoke(input as never, { ...config, recursionLimit: 200 });
    const payload = await pendingInterrupt(graph, config);
    if (!payload) {
      const snapshot = await graph.getState(config);
      return { status: "finished", state: snapshot.values as State };
    }
    show(payload);
    const answer = await answers.next(payload);
    if (answer.kind === "pause") return { status: "paused", runId: config.configurable.thread_id, payload };
    input = new Command({ resume: answer.text });
  }
}

export async function startRun(args: { options: RunOptions; answers: AnswerSource; show: (p: ReviewPayloadWithError) => void }): Promise<RunOutcome> {
  const graph = compileGraph(openCheckpointer(args.options.output));
  const runId = newRunId();
  const config = { configurable: { thread_id: runId } };
  return drive(graph, config, { runId, options: args.options }, args.answers, args.show);
}

export async function resumeRun(args: { output: string; runId: string | null; answers: AnswerSource; show: (p: ReviewPayloadWithError) => void }): Promise<RunOutcome> {
  const runId = args.runId ?? latestRunId(args.output);
  if (!runId) throw new TabtuneError("nothing_to_resume", `no run in ${args.output} to resume`, { suggestion: "start a run without --resume" });
  const graph = compileGraph(openCheckpointer(args.output));
  const config = { configurable: { thread_id: runId } };
  const snapshot = await graph.getState(config);
  if (!snapshot.values || Object.keys(snapshot.values).length === 0)
    throw new TabtuneError("unknown_run", `run ${runId} is not in ${paths.checkpoints(args.output)}`, { suggestion: "omit the id to resume the latest run" });
  const payload = await pendingInterrupt(graph, config);
  if (payload) {
    args.show(payload);
    const answer = await args.answers.next(payload);
    if (answer.kind === "pause") return { status: "paused", runId, payload };
    return drive(graph, config, new Command({ resume: answer.text }), args.answers, args.show);
  }
  if (snapshot.next.length === 0) return { status: "finished", state: snapshot.values as State };
  // Interrupted mid-step (crash, Ctrl-C): re-run the pending step from its checkpoint.
  return drive(graph, config, null, args.answers, args.show);
}

/** The node whose edge leads into the re-entered step, so routing sends the fork there. */
function predecessor(from: StartFrom, state: State): string {
  if (from === "review_prep") return state.execution?.ok ? "verify" : "execute";
  if (from === "split") return "review_prep";
  if (from === "predict") return "finetune";
  if (from === "evaluate") return "predict";
  return state.balanceResult && state.balanceResult.strategy !== "none" ? "review_balance" : "balance";
}

/**
 * Forks a run at the checkpoint just before `from`, with new options. review_prep, split
 * and config get a new run directory; the earlier run directory is never written to again.
 * predict and evaluate re-run inside the run directory they fork from: the trained adapter
 * (the run's sft/ folder, possibly gigabytes) and the split it was trained on live there, and a copy
 * would only duplicate them. What they would replace is kept instead: an earlier
 * generated_predictions.jsonl and results.json are renamed with a timestamp first.
 */
export async function startFrom(args: {
  output: string;
  runId: string | null;
  from: StartFrom;
  options: (stored: RunOptions) => RunOptions;
  answers: AnswerSource;
  show: (p: ReviewPayloadWithError) => void;
}): Promise<RunOutcome> {
  const runId = args.runId ?? latestRunId(args.output);
  if (!runId) throw new TabtuneError("nothing_to_restart", `no run in ${args.output} for --start-from`, { suggestion: "run the pipeline once without --start-from" });
  const graph = compileGraph(openCheckpointer(args.output));
  const entry = ENTRY[args.from];
  let found: Awaited<ReturnType<Graph["getState"]>> | null = null;
  for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: runId } })) {
    if (snapshot.next.includes(entry)) {
      found = snapshot;
      break; // history is newest first: the latest time the run reached that step
    }
  }
  if (!found)
    throw new TabtuneError("step_not_reached", `run ${runId} never reached ${entry}`, { suggestion: `--resume it until it passes ${entry}, then use --start-from` });
  const stored = (found.values as State).options;
  if (!stored) throw new TabtuneError("state_incomplete", `run ${runId} has no stored options`);
  const writer = predecessor(args.from, found.values as State);
  const update: Partial<State> = { options: args.options(stored) };
  if (args.from === "config") update.runDir = join(args.output, newRunDirName());
  // The fork becomes the thread's newest checkpoint, so the run continues from it.
  await graph.updateState(found.config, update, writer);
  return drive(graph, { configurable: { thread_id: runId } }, null, args.answers, args.show);
}
