/**
 * What a run tells its watchers (DESIGN §5b): progress of long steps, steps started and
 * finished, reviews, warnings and the run's end. Nodes write progress through LangGraph's
 * custom stream (`config.writer`), so a LangGraph server streams it as `custom` chunks; the
 * CLI renders the same events as bars on a terminal or as JSON lines with `--json`.
 */
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { z } from "zod";

/** Progress of one long loop of a step: `done` of `total` units (total null while unknown). */
export const ProgressEvent = z.object({
  event: z.literal("progress"),
  /** The node id ("explore", "execute", …). */
  step: z.string(),
  /** What is being counted, for a person ("reading CSV", "scoring imputations"). */
  label: z.string(),
  done: z.number().int().min(0),
  total: z.number().int().min(0).nullable(),
  unit: z.string(),
  /** The loop's last event: done is final (and equals total). */
  final: z.boolean(),
});
export type ProgressEvent = z.infer<typeof ProgressEvent>;

/** The events of one run as the CLI's driver sees them (cli/json-events.ts adds the run's end). */
export type RunEvent =
  | ProgressEvent
  | { event: "run_started"; runId: string; runDir: string }
  | { event: "step_started"; step: string }
  | { event: "step_finished"; step: string; durationMs: number }
  | { event: "warning"; step: string; message: string };

export type RunListener = (event: RunEvent) => void;

/** Called by a library loop: `done` units so far, and the total once known. */
export type OnProgress = (done: number, total?: number) => void;

export interface ProgressReporter {
  /** Throttled: at most one event per interval (the first always goes out). */
  update: OnProgress;
  /** The loop's last event, never throttled; `done` defaults to the last update. */
  finish(done?: number): void;
}

/** At most ~10 events a second per loop: enough for a bar, little for a JSON reader. */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * A reporter for one loop of `step`, writing to the run's custom stream. Without a writer
 * (a node called directly, in tests) it does nothing. `now` is for tests of the throttle.
 */
export function progressReporter(
  config: LangGraphRunnableConfig | undefined,
  step: string,
  label: string,
  unit: string,
  options: { intervalMs?: number; now?: () => number } = {},
): ProgressReporter {
  return throttledProgress(config?.writer, { step, label, unit }, options);
}

/** progressReporter over any sink (the throttle, without LangGraph). */
export function throttledProgress(
  write: ((chunk: unknown) => void) | undefined,
  what: { step: string; label: string; unit: string },
  options: { intervalMs?: number; now?: () => number } = {},
): ProgressReporter {
  const interval = options.intervalMs ?? PROGRESS_INTERVAL_MS;
  const now = options.now ?? Date.now;
  let last = -Infinity;
  let done = 0;
  let total: number | null = null;
  let finished = false;
  const emit = (final: boolean) => {
    if (!write) return;
    const event: ProgressEvent = { event: "progress", ...what, done, total: final ? Math.max(total ?? done, done) : total, unit: what.unit, final };
    write(event);
  };
  return {
    update(value, newTotal) {
      if (finished) return;
      done = Math.max(0, Math.round(value));
      if (newTotal !== undefined) total = Math.max(0, Math.round(newTotal));
      const t = now();
      if (t - last < interval) return;
      last = t;
      emit(false);
    },
    finish(value) {
      if (finished) return;
      finished = true;
      if (value !== undefined) done = Math.max(0, Math.round(value));
      emit(true);
    },
  };
}
