/** Small accessors every node uses: they turn a missing earlier step into a clear error. */
import { mkdirSync } from "node:fs";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { currentSha256, readLinesChecked, requireSameHash } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { paths } from "../paths.js";
import { callLogEntry, type CallRecord } from "../llm/index.js";
import type { RunOptions } from "../options.js";
import type { Plan, TableProfile } from "../schemas.js";
import type { ArtifactRef, LogEntry, State } from "../state.js";

function missing(what: string): never {
  throw new TabtuneError("state_incomplete", `this run has no ${what} yet`, {
    suggestion: "start the run again without --start-from, or --resume it",
  });
}

export function requireOptions(state: State): RunOptions {
  return state.options ?? missing("options");
}
export function requireProfile(state: State): TableProfile {
  return state.profile ?? missing("profile (explore did not finish)");
}
export function requirePlan(state: State): Plan {
  return state.prepPlan ?? missing("plan");
}
export function requireRunDir(state: State): string {
  return state.runDir ?? missing("run folder (it was started by an earlier tabtune; start it again)");
}

/**
 * A state field an earlier step sets, or the same clear error as the accessors above,
 * naming what is missing and the step that needs it.
 * @example requireState(state.imputation, "imputed rows", "balance") // throws "this run has no imputed rows yet (balance needs it)"
 */
export function requireState<T>(value: T | null | undefined, what: string, step: string): T {
  return value ?? missing(`${what} (${step} needs it)`);
}

/**
 * The run's id and folder. The CLI sets both when it starts a run (the folder name is the
 * thread id); a graph driven another way (an SDK, a test) gets them from its thread id here.
 */
export function runFolder(state: State, config?: LangGraphRunnableConfig): { runId: string; runDir: string } {
  const thread = config?.configurable?.thread_id;
  const runId = state.runId || (typeof thread === "string" ? thread : "");
  if (!runId) return missing("run id (no thread id was given)");
  const runDir = state.runDir ?? paths.runDir(requireOptions(state).output, runId);
  mkdirSync(runDir, { recursive: true });
  return { runId, runDir };
}

/** The ref of a file an earlier step wrote, or the same clear error as requireArtifact when there is none (not hash-checked here). */
export function requireRef(ref: ArtifactRef | null | undefined, what: string): ArtifactRef {
  return ref ?? missing(what);
}

/**
 * The file an earlier step of this run wrote, after checking it is still the one recorded:
 * a run reads only its own artifacts, never a file changed since.
 */
export async function requireArtifact(ref: ArtifactRef | null | undefined, what: string): Promise<string> {
  if (!ref) return missing(what);
  requireSameHash(ref, await currentSha256(ref.path), what);
  return ref.path;
}

/** The lines of an earlier step's file in batches (readLineBatches), read once and hash-checked as they are read: the check throws after the last line, so use it where nothing is committed before the end. */
export function readArtifactLines(ref: ArtifactRef | null | undefined, what: string, array = false): AsyncGenerator<string[]> {
  if (!ref) return missing(what);
  return readLinesChecked(ref.path, (actual) => requireSameHash(ref, actual, what), array);
}

/** This run's approved scripts/prepare_data.js, hash-checked. */
export function requireScript(state: State): Promise<string> {
  return requireArtifact(state.script, "the prep script");
}

/**
 * The pipeline log entry of one decider call; none when the heuristic provider answered
 * as asked (no model configured), so a heuristic run's log stays as it was.
 */
export function modelCallLog(step: string, record: CallRecord): LogEntry[] {
  return record.provider === "heuristic" && !record.fellBack ? [] : [callLogEntry(step, record)];
}
