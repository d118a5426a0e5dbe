/**
 * What the prep and balance sandboxes share: their limits, the check of the seed and
 * clock an isolate is configured with, and how a failure becomes the one printable
 * line that leaves the sandbox module.
 */
import type ivm from "isolated-vm";
import { printable } from "../printable.js";
import { DEFAULT_SANDBOX_CLOCK_MS, DEFAULT_SANDBOX_SEED } from "./isolate-globals.js";

/** Resources one sandbox may use. */
export interface SandboxLimits {
  /** Heap limit of the isolate, in MB (isolated-vm's minimum is 8). */
  memoryLimitMb: number;
  /** Wall-clock limit for loading the script and for each batch, in ms. */
  batchTimeoutMs: number;
  /**
   * Seed of `Math.random` inside the isolate (an integer; DEFAULT_SANDBOX_SEED when
   * absent). The balance sandbox uses its ctx's seed instead.
   */
  seed?: number;
  /** The instant `Date.now()` / `new Date()` show inside, in ms since the epoch (DEFAULT_SANDBOX_CLOCK_MS when absent). */
  clockMs?: number;
}

/** Longest error message passed on from the isolate, in characters. */
const MAX_ERROR_CHARS = 2000;

/** Text from the isolate as one printable line, shortened so a hostile message cannot flood logs or prompts. */
export function clip(text: string): string {
  const line = printable(text);
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS)}… (${text.length} characters)` : line;
}

/**
 * The seed and clock an isolate is configured with, checked on the host: why not, when
 * they are not an integer seed and a finite instant.
 */
export function sandboxSetting(seed: number | undefined, clockMs: number | undefined): { ok: true; seed: number; clockMs: number } | { ok: false; error: string } {
  const s = seed ?? DEFAULT_SANDBOX_SEED;
  const c = clockMs ?? DEFAULT_SANDBOX_CLOCK_MS;
  if (!Number.isSafeInteger(s)) return { ok: false, error: `the sandbox seed must be an integer, not ${String(s)}` };
  if (!Number.isFinite(c) || Math.abs(c) > 8.64e15) return { ok: false, error: `the sandbox clock must be a valid time in ms, not ${String(c)}` };
  return { ok: true, seed: s, clockMs: c };
}

/**
 * A failure message as it leaves the sandbox module: one printable line, with a hint
 * when the script reached for something the sandbox removes on purpose.
 */
export function outward(error: string): string {
  const line = printable(error);
  const removed = /\b(WebAssembly|SharedArrayBuffer|WeakRef|FinalizationRegistry) is not defined\b/.exec(line);
  return removed === null ? line : `${line} (${removed[1] ?? "it"} is not available in the tabtune sandbox: its memory or timing escapes the limits)`;
}

/** "Name: message" of something thrown on the host by isolated-vm. */
export function errorText(error: unknown): string {
  return clip(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

/**
 * Names a failure thrown by isolated-vm as a verb phrase ("timed out after 5000 ms in
 * batch of 100 rows"): the memory limit, the time limit, or anything else.
 */
export function describeFailure(error: unknown, isolate: ivm.Isolate, limits: SandboxLimits, during: string): string {
  const text = errorText(error);
  if (isolate.isDisposed && /memory limit/i.test(text)) {
    return `exceeded the ${limits.memoryLimitMb} MB memory limit ${during}`;
  }
  if (/timed out/i.test(text)) {
    return `timed out after ${limits.batchTimeoutMs} ms ${during}; look for an endless loop or very slow code`;
  }
  if (isolate.isDisposed) return `stopped and was disposed ${during} (${text})`;
  // isolated-vm fails the whole call this way when import() is left unhandled.
  if (text === "Error: Not supported") return `failed ${during}: ${text} (dynamic import() is not available in the sandbox)`;
  return `failed ${during}: ${text}`;
}
