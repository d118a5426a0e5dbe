/**
 * Turns what the graph reports while it runs into RunEvents for the CLI's renderers:
 * LangGraph's `tasks` stream (a task created, a task's result) gives the steps, and the
 * nodes' `config.writer` chunks give progress.
 *
 * The driver hands the graph its own `writer` (LangGraphRunnableConfig.writer), so a
 * progress chunk reaches the renderer the moment a node writes it, even from inside a
 * synchronous loop (forests, imputation scoring, selection). Through the `custom` stream
 * mode those chunks would wait in the stream's queue until the node next awaits, and a
 * bar would jump from 0 to done. The tasks stream is read by the driver's loop, so a
 * node's first progress can arrive before its task-created chunk: a step starts at
 * whichever comes first, once.
 */
import { describeCheck, severityOf } from "../prep/checks.js";
import { ProgressEvent, type RunListener } from "../events.js";
import type { VerifyCheck } from "../state.js";

type Writes = readonly (readonly [unknown, unknown])[];

/** A `tasks` stream chunk: a task created (with its input) or a task's result. */
export type TaskChunk = { id: string; name: string } & ({ input: unknown; triggers: string[] } | { result: unknown; error: unknown; interrupts: unknown[] });

/**
 * A task result's writes as [channel, value] pairs. LangGraph's types say pairs; at run
 * time (1.x, pregel/debug.js mapTaskResultWrites) it is an object keyed by channel.
 */
function writesOf(result: unknown): Writes {
  if (Array.isArray(result)) return result.filter((w): w is [unknown, unknown] => Array.isArray(w) && w.length === 2);
  return typeof result === "object" && result !== null ? Object.entries(result) : [];
}

/** The durationMs a node recorded in its own log entry (log.ts logEntry), if its writes carry one. */
export function loggedDuration(step: string, writes: Writes): number | null {
  for (const [key, value] of writes) {
    if (key !== "log" || !Array.isArray(value)) continue;
    for (let i = value.length - 1; i >= 0; i--) {
      const entry: unknown = value[i];
      if (typeof entry === "object" && entry !== null && "step" in entry && "durationMs" in entry && entry.step === step && typeof entry.durationMs === "number") return entry.durationMs;
    }
  }
  return null;
}

const isChecks = (value: unknown): value is VerifyCheck[] =>
  Array.isArray(value) && value.every((c: unknown) => typeof c === "object" && c !== null && "name" in c && "ok" in c && "detail" in c);

/** Warnings a finished step wrote: the token check's, and failed checks of severity "warning". */
export function warningsIn(writes: Writes): string[] {
  const out: string[] = [];
  for (const [key, value] of writes) {
    if (typeof value !== "object" || value === null) continue;
    if (key === "tokenCheck" && "warning" in value && typeof value.warning === "string" && value.warning) out.push(value.warning);
    // A chat template guessed for a model LlamaFactory does not register (finetune/template.ts).
    if (key === "configFiles" && "template" in value && typeof value.template === "object" && value.template !== null && "warning" in value.template && typeof value.template.warning === "string" && value.template.warning) out.push(value.template.warning);
    const checks = key === "splitChecks" ? value : key === "verification" && "checks" in value ? value.checks : null;
    if (isChecks(checks)) for (const c of checks) if (!c.ok && severityOf(c) === "warning") out.push(`check failed: ${describeCheck(c)}`);
  }
  return out;
}

export interface StepWatcher {
  /** For the graph's config: receives every chunk a node writes. */
  writer(chunk: unknown): void;
  /** For each `tasks` stream chunk. */
  task(chunk: TaskChunk): void;
}

export function watchSteps(listen: RunListener, now: () => number = Date.now): StepWatcher {
  /** Steps started and not yet finished, with when the driver learned of it. */
  const open = new Map<string, number>();
  const start = (step: string) => {
    if (open.has(step)) return;
    open.set(step, now());
    listen({ event: "step_started", step });
  };
  return {
    writer(chunk) {
      const progress = ProgressEvent.safeParse(chunk);
      if (!progress.success) return;
      start(progress.data.step);
      listen(progress.data);
    },
    task(chunk) {
      if (!("result" in chunk)) return start(chunk.name);
      const began = open.get(chunk.name);
      open.delete(chunk.name);
      // A review waiting for its answer, or a step that failed, has not finished.
      if (chunk.error || chunk.interrupts.length > 0) return;
      const writes = writesOf(chunk.result);
      for (const message of warningsIn(writes)) listen({ event: "warning", step: chunk.name, message });
      const durationMs = loggedDuration(chunk.name, writes) ?? (began === undefined ? 0 : now() - began);
      listen({ event: "step_finished", step: chunk.name, durationMs });
    },
  };
}
