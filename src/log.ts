/** Pipeline log entries and the terminal's progress lines. */
import type { LogEntry } from "./state.js";

const useColor = !process.env.NO_COLOR && process.stderr.isTTY === true;
const dim = (s: string) => (useColor ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s: string) => (useColor ? `\x1b[1m${s}\x1b[0m` : s);

let quiet = false;
/** Silences stage lines (tests that call nodes directly). */
export function setQuiet(value: boolean): void {
  quiet = value;
}

/** One line per finished step on stderr, so stdout stays for results. */
export function stage(step: string, message: string): void {
  if (!quiet) process.stderr.write(`${bold(step.padEnd(16))} ${message}\n`);
}

export function detail(message: string): void {
  if (!quiet) process.stderr.write(`${" ".repeat(17)}${dim(message)}\n`);
}

export function logEntry(
  step: string,
  decision: string,
  started: number,
  extra: { by?: string; numbers?: Record<string, number>; artifacts?: string[] } = {},
): LogEntry {
  return {
    at: new Date().toISOString(),
    step,
    decision,
    by: extra.by ?? "heuristic",
    numbers: extra.numbers ?? {},
    durationMs: Date.now() - started,
    artifacts: extra.artifacts ?? [],
  };
}
