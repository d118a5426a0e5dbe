/**
 * Sealed runs (issue 12): a run owns its folder and reads only its own artifacts, a kill
 * at any moment resumes to the same bytes, a finished run is one with results on disk,
 * one writer per run, and Ctrl-C stops at a step boundary with the resume command.
 * The CLI runs as a child process, as a user or a script runs it.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, hashTree, noteCliSpawn, ROOT, runCli, runCliAsync, runDirs, tempDir, type CliResult } from "./helpers/cli.js";
import { resumeUntilDone, runAndKill, sealedBytes, type KillMoment } from "./helpers/kill.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");

type Alpaca = { instruction: string; input: string; output: string };
const records = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Alpaca[];

describe("a kill at any moment", () => {
  let reference: Record<string, string | null> = {};
  /** The uninterrupted run the killed ones are compared with (its bytes are read once, here). */
  const referenceOutput = join(tempDir(), "reference");

  beforeAll(async () => {
    const output = referenceOutput;
    const result = await runCliAsync(["--csv", PENGUINS, "--output", output, "--yes"]);
    expect(result.code, result.stderr).toBe(0);
    reference = sealedBytes(output);
    for (const [file, bytes] of Object.entries(reference)) expect(bytes, file).not.toBeNull();
  });

  // The moments the issue found lying resumes at (the start of plan, impute, evaluate), a kill
  // during a review's checkpoint and one mid-step by time.
  const moments: [string, { afterLine: RegExp } | { afterRunMs: number }][] = [
    ["at the start of plan", { afterLine: /^explore /m }],
    ["at the start of impute", { afterLine: /^split /m }],
    ["at review_prep", { afterLine: /review_prep: approved/ }],
    ["at the start of evaluate", { afterLine: /^predict /m }],
    ["mid-run, 1.5 s after the run folder appeared", { afterRunMs: 1_500 }],
  ];
  for (const [name, when] of moments) {
    it(`${name}: --resume --yes finishes with the same train.json, test.json and results.json`, async () => {
      const output = join(tempDir(), "killed");
      const base = ["--csv", PENGUINS, "--output", output];
      const moment: KillMoment = "afterRunMs" in when ? { afterRunMs: when.afterRunMs, output } : when;
      const killed = await runAndKill([...base, "--yes"], moment);
      const resumed = await resumeUntilDone(base, 1);
      const last = resumed.at(-1);
      if (!killed && runDirs(output).length === 1 && existsSync(join(output, "latest.json"))) {
        // The run finished before the timer: resuming it must say so and change nothing.
        expect(last?.code).toBe(0);
      } else {
        expect(last?.stderr).not.toMatch(/error:/);
        expect(last?.code).toBe(0);
      }
      expect(sealedBytes(output)).toEqual(reference);
      // Resuming a finished run again re-runs nothing and reports the same run.
      const again = await runCliAsync([...base, "--resume", "--yes"]);
      expect(again.code).toBe(0);
      expect(again.stderr).not.toMatch(/^(explore|split|impute|evaluate) /m);
      expect(runDirs(output)).toHaveLength(1);
    });
  }

  it("a finished run whose results were removed is not reported as finished", () => {
    // The reference run (finished; its bytes were read in beforeAll) loses its results.
    const output = referenceOutput;
    const base = ["--csv", PENGUINS, "--output", output];
    expect(existsSync(join(output, "latest.json"))).toBe(true);
    const run = runDirs(output)[0] ?? "";
    rmSync(join(output, run, "evaluation", "results.json"));
    const resumed = runCli([...base, "--resume", "--yes"]);
    expect(resumed.code).toBe(1);
    expect(resumed.stdout).not.toMatch(/Outputs of run/);
    expect(resumed.stderr).toMatch(new RegExp(`error: run ${run} ended, but its results .*results\\.json are missing.*--start-from evaluate`));
  });
});

// Two finished runs in one output folder serve both tests: run A (a plan edited at review) and
// the newer run B (the default plan).
describe("runs never share files", () => {
  const output = join(tempDir(), "two");
  const base = ["--csv", PENGUINS, "--output", output];
  let a: CliResult;
  let b: CliResult;
  let runA = "";
  let runB = "";
  beforeAll(() => {
    const answers = join(tempDir(), "answers.json");
    writeFileSync(answers, JSON.stringify(["keep only features: Beak Length (mm), Flipper Length (mm); change instruction to: Name the species of this penguin."]));
    a = runCli([...base, "--answers", answers, "--yes"]);
    runA = runDirs(output)[0] ?? "";
    b = runCli([...base, "--yes"]); // a newer run with the default plan
    runB = runDirs(output)[1] ?? "";
  });

  it("--start-from split of an older run uses that run's features, instruction and script, not a newer run's", () => {
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(records(join(output, runB, "data/train.json"))[0]?.input).toMatch(/Island/);
    const runs = runDirs(output).length;

    const aBefore = hashTree(join(output, runA));
    const fork = runCli([...base, "--resume", runA, "--start-from", "split", "--test-ratio", "0.3", "--yes"]);
    expect(fork.stderr).not.toMatch(/error:/);
    expect(fork.code).toBe(0);
    const dirs = runDirs(output);
    expect(dirs).toHaveLength(runs + 1);
    const runC = dirs.at(-1) ?? "";
    const train = records(join(output, runC, "data/train.json"));
    expect(train.every((r) => r.instruction === "Name the species of this penguin.")).toBe(true);
    expect(train[0]?.input).toMatch(/^The Beak Length \(mm\) is [^.]+(\.\d+)?\. The Flipper Length \(mm\) is [^.]+(\.\d+)?\.$/);
    expect(readFileSync(join(output, runC, "scripts/prepare_data.js"), "utf8")).toBe(readFileSync(join(output, runA, "scripts/prepare_data.js"), "utf8"));
    // The parent is never written to; the fork's log says where it came from.
    expect(hashTree(join(output, runA))).toEqual(aBefore);
    const log = JSON.parse(readFileSync(join(output, runC, "log.json"), "utf8")) as { runId: string; log: { decision: string }[] };
    expect(log.runId).toBe(runC);
    expect(log.log.some((e) => e.decision.startsWith(`re-entered from run ${runA} at split`))).toBe(true);
  });

  it("a run that fails after a good one leaves the good run's lineage verified", () => {
    expect(b.code, b.stderr).toBe(0);
    const good = runB;
    const before = hashTree(join(output, good));
    const runs = runDirs(output).length;
    const failing = runCli([...base, "--test-ratio", "0.999", "--yes"]);
    expect(failing.code).toBe(1);
    expect(runDirs(output)).toHaveLength(runs + 1);
    expect(hashTree(join(output, good))).toEqual(before);
    const verified = runCli(["lineage", join(output, good), "--verify"]);
    expect(verified.stdout).toMatch(/every hash matches/);
    expect(verified.code).toBe(0);
  });
});

describe("one writer per run", () => {
  it("refuses a second writer naming the holder, and takes over a lock whose process is gone", async () => {
    const output = join(tempDir(), "locked");
    const base = ["--csv", PENGUINS, "--output", output];
    expect(runCli(base).code).toBe(2); // paused at review_plan
    const [run] = runDirs(output);
    const lock = join(output, run ?? "", ".lock");
    expect(existsSync(lock)).toBe(false);

    // A live process on this host holds it: this test's own process.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: "2026-12-04T10:00:00.000Z", runId: run }));
    const refused = runCli([...base, "--resume", run ?? "", "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error: run ${run} is being written by process ${process.pid} on ${hostname()} (since 2026-12-04T10:00:00.000Z)`);
    expect(refused.stderr).toContain(`delete ${lock}`);

    // A process that has exited: its lock is stale and the resume goes on.
    const gone = spawn(process.execPath, ["-e", ""]);
    const pid = gone.pid ?? 0;
    await new Promise((r) => gone.on("exit", r));
    writeFileSync(lock, JSON.stringify({ pid, host: hostname(), startedAt: "2026-12-04T10:00:00.000Z", runId: run }));
    const resumed = await runCliAsync([...base, "--resume", run ?? "", "--yes"]);
    expect(resumed.stderr).not.toMatch(/error:/);
    expect(resumed.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });
});

/** util-linux `script` gives the CLI a real terminal, as a person at a prompt has. */
const SCRIPT = ["/usr/bin/script", "/bin/script"].find((p) => existsSync(p));

describe("Ctrl-C", () => {
  it.skipIf(!SCRIPT)("at a review prompt in a terminal stops without a library error, prints the resume command and exits 130", async () => {
    const output = join(tempDir(), "prompt");
    noteCliSpawn(["--csv", PENGUINS, "--output", output]);
    const command = [process.execPath, "--no-node-snapshot", CLI, "--csv", PENGUINS, "--output", output].map((a) => `'${a}'`).join(" ");
    const child = spawn(SCRIPT ?? "script", ["-qfec", command, "/dev/null"], { cwd: ROOT, env: { ...process.env, CI: "", NO_COLOR: "1", npm_lifecycle_event: "" }, stdio: ["pipe", "pipe", "pipe"] });
    let seen = "";
    child.stdout.on("data", (c: Buffer) => {
      seen += c.toString();
      if (/review_plan — approve/.test(seen) && !child.stdin.writableEnded) child.stdin.end("\x03"); // Ctrl-C typed at the prompt
    });
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    const run = runDirs(output)[0] ?? "";
    expect(seen).toContain(`Stopped (Ctrl-C) after the last finished step of run ${run}. Resume with:`);
    expect(seen).toContain(`--resume ${run}`);
    expect(seen).not.toMatch(/ExitPromptError|User force closed|error:/);
    expect(code).toBe(130);
    expect(existsSync(join(output, run, ".lock"))).toBe(false);
  });

  it("stops at the next step boundary, prints the resume command and exits 130; the command finishes the run", async () => {
    const output = join(tempDir(), "sigint");
    const base = ["--csv", PENGUINS, "--output", output];
    noteCliSpawn([...base, "--yes"]);
    const child = spawn(process.execPath, ["--no-node-snapshot", CLI, ...base, "--yes"], {
      cwd: ROOT,
      env: { ...process.env, CI: "1", NO_COLOR: "1", npm_lifecycle_event: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      if (/^explore /m.test(stderr) && !child.killed) child.kill("SIGINT");
    });
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/Stopping after the current step/);
    const run = runDirs(output)[0] ?? "";
    expect(stderr).toContain(`Stopped (Ctrl-C) after the last finished step of run ${run}. Resume with:`);
    expect(stderr).not.toMatch(/^evaluate /m);
    const command = /Resume with:\n\s+\S+ (.+)\n/.exec(stderr)?.[1] ?? "";
    expect(command).toContain(`--resume ${run}`);
    const resumed = await runCliAsync([...base, "--resume", run, "--yes"]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).not.toMatch(/^explore /m);
    expect(existsSync(join(output, run, "evaluation/results.json"))).toBe(true);
  });
});
