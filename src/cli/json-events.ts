/**
 * The CLI's two renderers of a run's events (DESIGN §5b): `--json` writes one JSON object
 * per line on stdout and moves every human line to stderr; otherwise progress events are
 * bars with rows/s on a terminal (progress.ts) and nothing without one.
 */
import type { RunEvent, RunListener } from "../events.js";
import type { ReviewPayloadWithError } from "../review/protocol.js";
import { startProgress, type Progress } from "../progress.js";

/** What `--json` prints beyond the driver's RunEvents: the csv on run_started, reviews, metrics and the run's end. */
export type JsonEvent =
  | Exclude<RunEvent, { event: "run_started" }>
  | { event: "run_started"; runId: string; runDir: string; csv: string }
  | { event: "review_needed"; step: string; payload: ReviewPayloadWithError }
  | { event: "metrics"; baseline: unknown; llm: unknown }
  | { event: "paused"; runId: string; step: string; resumeCommand: string; exitCode: 2 }
  | { event: "done"; runId: string; runDir: string; results: string | null; exitCode: 0 }
  | { event: "stopped"; runId: string; resumeCommand: string; exitCode: typeof INTERRUPTED }
  | { event: "error"; code: string; message: string; suggestion: string | null; resumeCommand: string | null; exitCode: number };

export type JsonEmit = (event: JsonEvent) => void;

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells expect. */
export const INTERRUPTED = 130;

/**
 * Takes stdout for JSON lines: from now on anything else written to process.stdout (a
 * node's printed command, a review's help) goes to stderr, so every stdout line parses.
 */
export function claimStdoutForJson(): JsonEmit {
  const stdout = process.stdout;
  const writeStdout = stdout.write.bind(stdout);
  stdout.write = process.stderr.write.bind(process.stderr);
  return (event) => {
    writeStdout(JSON.stringify(event) + "\n");
  };
}

/** --json: the driver's events as JSON lines (run_started gets the CSV the run reads). */
export function jsonListener(emit: JsonEmit, csv: string): RunListener {
  return (event) => emit(event.event === "run_started" ? { ...event, csv } : event);
}

/**
 * Progress events as bars (one per step and label), each closed by its final event or
 * when its step finishes. progress.ts draws nothing without a terminal.
 */
export function progressBars(start: (label: string, total: number, unit: string) => Progress = startProgress): RunListener {
  const bars = new Map<string, Progress>();
  const close = (key: string) => {
    bars.get(key)?.stop();
    bars.delete(key);
  };
  return (event) => {
    if (event.event === "step_finished") {
      for (const key of [...bars.keys()]) if (key.startsWith(`${event.step}\u0000`)) close(key);
      return;
    }
    if (event.event !== "progress") return;
    const key = `${event.step}\u0000${event.label}`;
    let bar = bars.get(key);
    if (!bar) {
      bar = start(`${event.step}: ${event.label}`, event.total ?? 0, event.unit);
      bars.set(key, bar);
    }
    bar.update(event.done, event.total === null ? {} : { total: event.total });
    if (event.final) close(key);
  };
}
