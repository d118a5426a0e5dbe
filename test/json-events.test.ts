/**
 * `--json` (DESIGN §5b): the built CLI as a child process with no terminal, as a script
 * runs it. Every stdout line is one JSON event; the run's end is its last line and matches
 * the exit code. Plus the progress throttle, without a process.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { progressBars } from "../src/cli/json-events.js";
import { ProgressEvent, throttledProgress } from "../src/events.js";
import { ROOT, runCli, tempDir } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");

const Event = z.object({ event: z.string() }).passthrough();
type Event = z.infer<typeof Event>;

/** Every stdout line parsed; a line that is not a JSON object with an `event` fails the test. */
function events(stdout: string): Event[] {
  return stdout.split("\n").filter((l) => l !== "").map((line) => Event.parse(JSON.parse(line)));
}

/** The printed resume command as argv for the built CLI ("tabtune --csv … " → node dist/cli.js --csv …). */
function resumeArgv(command: string): string[] {
  const words = command.split(" ");
  expect(words[0]).toBe("tabtune");
  return words.slice(1);
}

describe("tabtune --json", () => {
  it("a finished run: run_started first, step and progress events, metrics, done last, exit 0", () => {
    const output = join(tempDir(), "penguins");
    const result = runCli(["--csv", PENGUINS, "--output", output, "--json", "--yes"]);
    expect(result.code, result.stderr).toBe(0);
    const all = events(result.stdout);
    expect(all[0]).toMatchObject({ event: "run_started", csv: PENGUINS });
    const runDir = String(all[0]?.runDir);
    expect(all.at(-1)).toMatchObject({ event: "done", runDir, exitCode: 0 });
    expect(String(all.at(-1)?.results)).toBe(join(runDir, "evaluation/results.json"));
    // Every step that started finished, with a duration; the whole pipeline ran.
    const started = new Set(all.filter((e) => e.event === "step_started").map((e) => e.step));
    const finished = all.filter((e) => e.event === "step_finished");
    expect(new Set(finished.map((e) => e.step))).toEqual(started);
    for (const step of ["explore", "plan", "codegen", "execute", "verify", "split", "impute", "balance", "finetune_config", "evaluate"]) expect(started.has(step), step).toBe(true);
    for (const e of finished) expect(typeof e.durationMs === "number" && e.durationMs >= 0).toBe(true);
    // Progress of reading (total unknown while reading) and of the sandbox (of the profile's 344 rows), each closed by a final event.
    const progress = all.filter((e) => e.event === "progress").map((e) => ProgressEvent.parse(e));
    const final = (step: string, label?: string) => progress.find((e) => e.step === step && e.final && (label === undefined || e.label === label));
    expect(final("explore")).toMatchObject({ label: "reading CSV", done: 344, total: 344, unit: "rows" });
    expect(final("execute")).toMatchObject({ label: "sandbox", done: 344, total: 344, unit: "rows" });
    // The forest is grown per cross-validation fold (to choose the baseline; one count over the folds), then on all the training rows.
    expect(final("evaluate", "baseline forest (cross-validation)")).toMatchObject({ unit: "trees", final: true });
    expect(final("evaluate", "baseline forest")).toMatchObject({ unit: "trees", final: true });
    expect(final("finetune_config")).toMatchObject({ label: "token check", unit: "records" });
    // A step's progress comes after it started and before it finished.
    const at = (pred: (e: Event) => boolean) => all.findIndex(pred);
    expect(at((e) => e.event === "step_started" && e.step === "execute")).toBeLessThan(at((e) => e.event === "progress" && e.step === "execute"));
    expect(at((e) => e.event === "progress" && e.step === "execute")).toBeLessThan(at((e) => e.event === "step_finished" && e.step === "execute"));
    // --yes still answers each review, and each is announced with its payload.
    const reviews = all.filter((e) => e.event === "review_needed").map((e) => e.step);
    expect(reviews).toEqual(["review_plan", "review_prep", "review_config"]);
    const metrics = all.find((e) => e.event === "metrics");
    expect(metrics).toMatchObject({ baseline: { accuracy: expect.any(Number) } });
    // Human text went to stderr: the printed llamafactory commands, the stage lines.
    expect(result.stderr).toContain("llamafactory-cli");
  });

  it("a run with a review and no answer ends with paused and exit 2; its resumeCommand finishes it", () => {
    const output = join(tempDir(), "penguins");
    const paused = runCli(["--csv", PENGUINS, "--output", output, "--json"]);
    expect(paused.code, paused.stderr).toBe(2);
    const first = events(paused.stdout);
    expect(first.map((e) => e.event).slice(-2)).toEqual(["review_needed", "paused"]);
    const end = first.at(-1);
    expect(end).toMatchObject({ event: "paused", step: "review_plan", exitCode: 2, runId: first[0]?.runId });
    expect(first.at(-2)).toMatchObject({ step: "review_plan", payload: { step: "review_plan", options: expect.any(Array) } });

    const resumed = runCli(resumeArgv(String(end?.resumeCommand)));
    expect(resumed.code, resumed.stderr).toBe(0);
    const second = events(resumed.stdout);
    expect(second[0]).toMatchObject({ event: "run_started", runId: end?.runId });
    expect(second.at(-1)).toMatchObject({ event: "done", runId: end?.runId, exitCode: 0 });
    expect(second.some((e) => e.event === "metrics")).toBe(true);
  });

  it("a CSV without data rows gives an error event and exit 1", () => {
    const dir = tempDir();
    const csv = join(dir, "header-only.csv");
    writeFileSync(csv, "a,b\n");
    const result = runCli(["--csv", csv, "--output", join(dir, "out"), "--json", "--yes"]);
    expect(result.code).toBe(1);
    const all = events(result.stdout);
    expect(all.at(-1)).toMatchObject({ event: "error", code: "csv_header_only", exitCode: 1, suggestion: expect.stringContaining("data rows") });
    expect(String(all.at(-1)?.message)).toContain(csv);
    expect(result.stderr).toMatch(/^error: .*header line but no data rows/m);
  });

  it("a bad flag is an error event too: one JSON line on stdout, the one-line message on stderr, exit 1", () => {
    const result = runCli(["--csv", PENGUINS, "--json", "--test-ratio", "7"]);
    expect(result.code).toBe(1);
    const all = events(result.stdout);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ event: "error", code: "bad_flag", exitCode: 1, resumeCommand: null, suggestion: "run tabtune --help for every flag" });
    expect(String(all[0]?.message)).toContain("--test-ratio must be between 0 and 1");
    expect(result.stderr).toMatch(/^error: option '--test-ratio <ratio>' argument '7' is invalid/m);
  });
});

describe("progress throttle", () => {
  it("sends the first update, at most one per interval after it, and always the final one", () => {
    let clock = 0;
    const sent: ProgressEvent[] = [];
    const progress = throttledProgress((e) => sent.push(ProgressEvent.parse(e)), { step: "execute", label: "sandbox", unit: "rows" }, { intervalMs: 100, now: () => clock });
    for (let done = 1; done <= 1000; done++) {
      clock = done; // 1 ms per row: 1000 updates over 1 s
      progress.update(done, 1000);
    }
    progress.finish();
    // t=1 (first), then t=101, 201, … 901: ten throttled events, then the final one.
    expect(sent.map((e) => e.done)).toEqual([1, 101, 201, 301, 401, 501, 601, 701, 801, 901, 1000]);
    expect(sent.filter((e) => e.final)).toEqual([{ event: "progress", step: "execute", label: "sandbox", done: 1000, total: 1000, unit: "rows", final: true }]);
    // After finish nothing more goes out; without a writer nothing at all.
    progress.update(5);
    progress.finish(7);
    expect(sent).toHaveLength(11);
    expect(() => throttledProgress(undefined, { step: "s", label: "l", unit: "u" }).update(1)).not.toThrow();
  });

  it("a loop whose total is unknown ends with total = done", () => {
    const sent: ProgressEvent[] = [];
    const progress = throttledProgress((e) => sent.push(ProgressEvent.parse(e)), { step: "explore", label: "reading CSV", unit: "rows" });
    progress.update(500);
    progress.finish(800);
    expect(sent.map((e) => [e.done, e.total, e.final])).toEqual([[500, null, false], [800, 800, true]]);
  });
});

describe("progress bars", () => {
  it("one bar per step and label, updated with done/total, closed by its final event or its step's end", () => {
    const log: string[] = [];
    const render = progressBars((label, total, unit) => {
      log.push(`start ${label} ${total} ${unit}`);
      return { update: (v, o) => log.push(`${label} ${v}/${o?.total ?? "?"}`), increment: () => {}, stop: () => log.push(`stop ${label}`) };
    });
    const p = (step: string, label: string, done: number, total: number | null, final = false): ProgressEvent => ({ event: "progress", step, label, done, total, unit: "rows", final });
    render({ event: "step_started", step: "explore" });
    render(p("explore", "reading CSV", 100, null));
    render(p("explore", "reading CSV", 344, 344, true));
    render(p("evaluate", "baseline forest", 10, 100));
    render({ event: "step_finished", step: "evaluate", durationMs: 5 });
    expect(log).toEqual([
      "start explore: reading CSV 0 rows",
      "explore: reading CSV 100/?",
      "explore: reading CSV 344/344",
      "stop explore: reading CSV",
      "start evaluate: baseline forest 100 rows",
      "evaluate: baseline forest 10/100",
      "stop evaluate: baseline forest",
    ]);
  });
});
