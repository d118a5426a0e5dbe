/**
 * Drives the compiled graph: fresh runs, --resume, --start-from forks, and the review
 * loop (invoke → pending interrupt → answer → Command({ resume })). One id per run: the
 * checkpoint thread id is the name of the run's folder. A run is finished only when its
 * checkpoint has no pending task and its evaluation results are on disk as recorded.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Command, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { currentSha256, writeFileAtomic } from "../artifacts.js";
import { checkpointedElsewhere, chooseCheckpointer, hasRun, latestRun, openCheckpointer, recordCheckpointer, withCheckpointer, type Checkpointer } from "../checkpointer.js";
import { TabtuneError } from "../errors.js";
import type { RunListener } from "../events.js";
import { compileGraph, RECURSION_LIMIT, START_ENTRIES, type StartFrom } from "../graph.js";
import { logEntry } from "../log.js";
import { getConfig } from "../runtime.js";
import type { ReviewPayloadWithError } from "../review/protocol.js";
import type { RunOptions } from "../options.js";
import { newRunId, paths, runIdFrom } from "../paths.js";
import type { State } from "../state.js";
import type { Answer, AnswerSource } from "./answers.js";
import { forkRunFolder } from "./fork.js";
import { lockRun } from "./run-lock.js";
import { watchSteps } from "./run-events.js";

type Graph = ReturnType<typeof compileGraph>;
type RunConfig = { configurable: { thread_id: string } };
type Snapshot = Awaited<ReturnType<Graph["getState"]>>;

export type RunOutcome =
  | { status: "finished"; state: State }
  | { status: "paused"; runId: string; payload: ReviewPayloadWithError }
  | { status: "stopped"; runId: string };

/** Folders of the parent run a re-entered step needs beyond what its state records. */
const EXTRA_DIRS: Record<StartFrom, string[]> = { review_prep: [], split: [], config: [], predict: ["sft", "configs", "logs"], evaluate: ["sft", "configs", "logs", "predict_train", "predict_test"] };

/** Set by Ctrl-C: the run stops at the next step boundary. */
let stopRequested = false;
export function requestStop(): void {
  stopRequested = true;
}
/**
 * The run this process drives, once it has a checkpoint worth resuming (a step finished, or
 * the run existed before): for the resume command printed on a hard stop or an error.
 */
let activeRunId: string | null = null;
export function activeRun(): string | null {
  return activeRunId;
}

/** The answer to a review; Ctrl-C at an @inquirer prompt (ExitPromptError) is a stop. */
async function answerTo(answers: AnswerSource, payload: ReviewPayloadWithError): Promise<Answer | { kind: "stop" }> {
  try {
    return await answers.next(payload);
  } catch (error) {
    if (error instanceof Error && error.name === "ExitPromptError") return { kind: "stop" };
    throw error;
  }
}

/** What a review answer means for the loop: go on with a resume value, or end the drive. */
function afterAnswer(answer: Answer | { kind: "stop" }, runId: string, payload: ReviewPayloadWithError): Command | RunOutcome {
  if (answer.kind === "stop") return { status: "stopped", runId };
  if (answer.kind === "pause") return { status: "paused", runId, payload };
  return new Command({ resume: answer.text });
}

/**
 * The run whose checkpoint is newest in this output folder, or null; `checkpointer` is a
 * --checkpointer value (default: the output folder's SQLite file).
 */
export async function latestRunId(output: string, checkpointer?: string | null): Promise<string | null> {
  return withCheckpointer(chooseCheckpointer(checkpointer), output, { create: false }, (opened) => latestRun(opened, output));
}

function pendingInterrupt(snapshot: Snapshot): ReviewPayloadWithError | null {
  const first = snapshot.tasks.flatMap((t) => t.interrupts)[0];
  return first ? (first.value as ReviewPayloadWithError) : null;
}

/** Finished: nothing pending and the results evaluate recorded are on disk unchanged. */
async function finished(snapshot: Snapshot): Promise<boolean> {
  if (snapshot.next.length > 0 || snapshot.tasks.length > 0) return false;
  const results = (snapshot.values as State).evaluation?.results;
  return !!results && (await currentSha256(results.path)) === results.sha256;
}

/** `<output>/latest.json`: which run finished last (a pointer, never a copy of its files). */
function recordLatest(state: State): void {
  if (!state.options || !state.runDir) return;
  const latest = { runId: state.runId, runDir: state.runDir, finishedAt: new Date().toISOString(), report: paths.report(state.runDir), results: state.evaluation?.results.path ?? null };
  writeFileAtomic(paths.latest(state.options.output), JSON.stringify(latest, null, 2) + "\n");
}

/**
 * Runs until the graph ends, a review has no answer, or Ctrl-C asked to stop. `listen`
 * hears steps start and finish and the nodes' progress (cli/run-events.ts).
 */
async function drive(graph: Graph, config: RunConfig, firstInput: unknown, answers: AnswerSource, show: (p: ReviewPayloadWithError) => void, listen: RunListener = () => {}): Promise<RunOutcome> {
  const runId = config.configurable.thread_id;
  const steps = watchSteps(listen);
  let input: unknown = firstInput;
  for (;;) {
    // Our own writer: LangGraph keeps a writer given in the config (pregel `config.writer ??=`), and it hears nodes' chunks as they are written.
    const withWriter: LangGraphRunnableConfig = { ...config, writer: steps.writer };
    const durability = getConfig().checkpoints.durability;
    const stream = await graph.stream(input as never, { ...withWriter, recursionLimit: RECURSION_LIMIT, durability, streamMode: ["updates", "tasks"] });
    for await (const [mode, chunk] of stream) {
      if (mode === "tasks") {
        steps.task(chunk);
        continue;
      }
      activeRunId = runId;
      if (stopRequested) return { status: "stopped", runId }; // leaving the loop ends the stream after this step's checkpoint
    }
    const snapshot = await graph.getState(config);
    const payload = pendingInterrupt(snapshot);
    if (!payload) {
      if (!(await finished(snapshot)))
        throw new TabtuneError("run_not_finished", `run ${runId} stopped before evaluate wrote its results (pending: ${snapshot.next.join(", ") || "none"})`, {
          suggestion: "resume it with --resume " + runId,
        });
      const state = snapshot.values as State;
      recordLatest(state);
      return { status: "finished", state };
    }
    show(payload);
    if (stopRequested) return { status: "stopped", runId };
    const next = afterAnswer(await answerTo(answers, payload), runId, payload);
    if (!(next instanceof Command)) return next;
    input = next;
  }
}

/** Runs `body` holding the run's lock. */
async function locked<T>(runDir: string, runId: string, body: () => Promise<T>): Promise<T> {
  const lock = lockRun(runDir, runId);
  const release = () => lock.release();
  process.once("exit", release);
  try {
    return await body();
  } finally {
    process.removeListener("exit", release);
    lock.release();
  }
}

/** `checkpointer`: a --checkpointer value (cli.ts), absent or null for the output folder's SQLite file. */
export async function startRun(args: { options: RunOptions; answers: AnswerSource; show: (p: ReviewPayloadWithError) => void; listen?: RunListener; checkpointer?: string | null }): Promise<RunOutcome> {
  const checkpointer = await openCheckpointer(chooseCheckpointer(args.checkpointer), args.options.output);
  try {
    const graph = compileGraph(checkpointer.saver);
    const runId = newRunId();
    const runDir = paths.runDir(args.options.output, runId);
    if (existsSync(runDir)) throw new TabtuneError("run_exists", `${runDir} already exists`, { suggestion: "start the run again (run ids are timestamps)" });
    if (await hasRun(checkpointer, runId))
      throw new TabtuneError("run_exists", `run ${runId} is already in ${checkpointer.record.where} (another output folder's run)`, { suggestion: "start the run again (run ids are timestamps)" });
    const config = { configurable: { thread_id: runId } };
    // The folder, recording its checkpointer, comes before the first checkpoint: every checkpointed run has one (the run lookup starts from them).
    mkdirSync(runDir, { recursive: true });
    recordCheckpointer(runDir, runId, checkpointer.record);
    await graph.updateState(config, { runId, runDir, options: args.options }, "__input__");
    args.listen?.({ event: "run_started", runId, runDir });
    return await locked(runDir, runId, () => drive(graph, config, null, args.answers, args.show, args.listen));
  } finally {
    await checkpointer.close();
  }
}

/**
 * The run's state, or a clear error when the id is unknown (naming the checkpointer its
 * folder records, if another), is another output folder's, or predates run folders.
 */
async function runState(graph: Graph, output: string, runId: string, checkpointer: Checkpointer): Promise<{ snapshot: Snapshot; runDir: string }> {
  const snapshot = await graph.getState({ configurable: { thread_id: runId } });
  if (!snapshot.values || Object.keys(snapshot.values).length === 0)
    throw checkpointedElsewhere(output, runId, checkpointer.record) ??
      new TabtuneError("unknown_run", `run ${runId} is not in ${checkpointer.record.where}`, { suggestion: "omit the id to resume the latest run, or check --output and --checkpointer" });
  // A run killed before its first step finished has only its input checkpointed (the served
  // graph's input schema keeps no runDir); its folder and run.json were made before that.
  const ownFolder = paths.runDir(output, runId);
  const runDir = (snapshot.values as State).runDir ?? (existsSync(paths.runRecord(ownFolder)) ? ownFolder : null);
  if (!runDir)
    throw new TabtuneError("legacy_run", `run ${runId} was made by an earlier tabtune whose runs shared files; it cannot be continued safely`, {
      suggestion: "start the run again without --resume",
    });
  // One database holds the runs of many output folders: a run is continued only from its own.
  if (!existsSync(ownFolder) && resolve(runDir) !== resolve(ownFolder))
    throw new TabtuneError("other_output", `run ${runId} belongs to the output folder ${dirname(runDir)}, not ${output}`, { suggestion: `pass --output ${dirname(runDir)}` });
  return { snapshot, runDir };
}

export async function resumeRun(args: { output: string; runId: string | null; answers: AnswerSource; show: (p: ReviewPayloadWithError) => void; listen?: RunListener; checkpointer?: string | null }): Promise<RunOutcome> {
  return withCheckpointer(chooseCheckpointer(args.checkpointer), args.output, { create: false }, (checkpointer) => resumeWith(checkpointer, args));
}

async function resumeWith(checkpointer: Checkpointer, args: { output: string; runId: string | null; answers: AnswerSource; show: (p: ReviewPayloadWithError) => void; listen?: RunListener }): Promise<RunOutcome> {
  const runId = args.runId ? runIdFrom(args.runId) : await latestRun(checkpointer, args.output);
  if (!runId) throw new TabtuneError("nothing_to_resume", `no run in ${args.output} to resume (checkpoints: ${checkpointer.record.where})`, { suggestion: "start a run without --resume" });
  const graph = compileGraph(checkpointer.saver);
  const config = { configurable: { thread_id: runId } };
  const { runDir } = await runState(graph, args.output, runId, checkpointer);
  return locked(runDir, runId, async () => {
    activeRunId = runId;
    args.listen?.({ event: "run_started", runId, runDir });
    const snapshot = await graph.getState(config); // read again under the lock: another writer may just have finished
    const payload = pendingInterrupt(snapshot);
    if (payload) {
      args.show(payload);
      const next = afterAnswer(await answerTo(args.answers, payload), runId, payload);
      return next instanceof Command ? drive(graph, config, next, args.answers, args.show, args.listen) : next;
    }
    if (await finished(snapshot)) return { status: "finished", state: snapshot.values as State };
    if (snapshot.next.length === 0 && snapshot.tasks.length === 0) {
      const results = (snapshot.values as State).evaluation?.results.path ?? paths.results(runDir);
      throw new TabtuneError("results_missing", `run ${runId} ended, but its results ${results} are missing or not the ones it recorded`, {
        suggestion: `score it again as a new run: --resume ${runId} --start-from evaluate`,
      });
    }
    // Interrupted mid-step (crash, kill, Ctrl-C): saved writes are applied, the rest re-run.
    return drive(graph, config, null, args.answers, args.show, args.listen);
  });
}

/**
 * The newest checkpoint of run `runId` just before `entry`. A run re-entered after that step
 * (say at evaluate, asked now for predict) never passed it itself: its parent run did, so
 * the search goes on up the runs it was re-entered from.
 */
async function stateBefore(graph: Graph, checkpointer: Checkpointer, output: string, runId: string, entry: string): Promise<{ snapshot: Snapshot; runId: string; runDir: string }> {
  for (let id: string | null = runId; id !== null; ) {
    const { snapshot: latest, runDir } = await runState(graph, output, id, checkpointer);
    for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: id } })) {
      if (snapshot.next.includes(entry)) return { snapshot, runId: id, runDir }; // newest first: the latest time it got there
    }
    id = (latest.values as State).parentRun?.runId ?? null;
  }
  throw new TabtuneError("step_not_reached", `run ${runId} never reached ${entry}`, { suggestion: `--resume it until it passes ${entry}, then use --start-from` });
}

/**
 * Re-enters a run at `from` with new options, as a new run: a new id and folder whose
 * inputs are the parent's artifacts from just before that step (hash-checked, linked into
 * the new folder). The parent run's folder is never written to.
 */
export async function startFrom(args: {
  output: string;
  runId: string | null;
  from: StartFrom;
  options: (stored: RunOptions) => RunOptions;
  answers: AnswerSource;
  show: (p: ReviewPayloadWithError) => void;
  listen?: RunListener;
  /** A --checkpointer value; absent or null for the output folder's SQLite file. */
  checkpointer?: string | null;
}): Promise<RunOutcome> {
  return withCheckpointer(chooseCheckpointer(args.checkpointer), args.output, { create: false }, (checkpointer) => startFromWith(checkpointer, args));
}

async function startFromWith(checkpointer: Checkpointer, args: Parameters<typeof startFrom>[0]): Promise<RunOutcome> {
  const asked = args.runId ? runIdFrom(args.runId) : await latestRun(checkpointer, args.output);
  if (!asked) throw new TabtuneError("nothing_to_restart", `no run in ${args.output} for --start-from (checkpoints: ${checkpointer.record.where})`, { suggestion: "run the pipeline once without --start-from" });
  const graph = compileGraph(checkpointer.saver);
  const entry = START_ENTRIES[args.from].node;
  const { snapshot: found, runId: parentId, runDir: parentDir } = await stateBefore(graph, checkpointer, args.output, asked, entry);
  const parent = found.values as State;
  if (!parent.options) throw new TabtuneError("state_incomplete", `run ${parentId} has no stored options`);
  const runId = newRunId();
  const runDir = paths.runDir(args.output, runId);
  if (await hasRun(checkpointer, runId))
    throw new TabtuneError("run_exists", `run ${runId} is already in ${checkpointer.record.where} (another output folder's run)`, { suggestion: "run the command again (run ids are timestamps)" });
  mkdirSync(runDir);
  recordCheckpointer(runDir, runId, checkpointer.record);
  return locked(runDir, runId, async () => {
    const started = Date.now();
    const moved = await forkRunFolder(parent, parentDir, runDir, EXTRA_DIRS[args.from]);
    const options = args.options(moved.options ?? parent.options!);
    const forkLog = logEntry(entry, `re-entered from run ${parentId} at ${entry} (--start-from ${args.from}); its artifacts were hash-checked and linked into this run`, started, { by: "user" });
    const config = { configurable: { thread_id: runId } };
    // A new thread whose first checkpoint is the parent's state, written as by the step before `entry`.
    await graph.updateState(config, { ...moved, runId, runDir, options, parentRun: { runId: parentId, step: entry }, log: [...moved.log, forkLog] }, START_ENTRIES[args.from].after(parent));
    activeRunId = runId;
    args.listen?.({ event: "run_started", runId, runDir });
    return drive(graph, config, null, args.answers, args.show, args.listen);
  });
}
