/**
 * End-to-end: the built CLI as a child process with no terminal, on real CSVs, with the
 * real SQLite checkpointer and sandbox. These are the acceptance checks.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { CliResult } from "./helpers/cli.js";
import { CLI, hashTree, noteCliSpawn, ROOT, runCli, runDirs, tempDir } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");
const CREDIT = join(ROOT, "examples/credit_data.csv");

interface Alpaca {
  instruction: string;
  input: string;
  output: string;
}

function readAlpaca(path: string): Alpaca[] {
  const records: unknown = JSON.parse(readFileSync(path, "utf8"));
  expect(Array.isArray(records)).toBe(true);
  return records as Alpaca[];
}

describe("tabtune --yes on the example CSV", () => {
  it("runs every step and leaves the DESIGN §8 layout with valid Alpaca JSON and YAML", () => {
    const output = join(tempDir(), "credit");
    const result = runCli(["--csv", CREDIT, "--output", output, "--yes"]);
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.code).toBe(0);
    // The output folder holds the checkpoints, the runs and a pointer to the latest finished one; nothing else.
    const [run] = runDirs(output);
    expect(run).toBeDefined();
    expect(readdirSync(output).sort()).toEqual(["checkpoints.sqlite", "latest.json", run].sort());
    const runDir = join(output, run ?? "");
    expect(JSON.parse(readFileSync(join(output, "latest.json"), "utf8"))).toMatchObject({ runId: run, runDir });
    for (const file of ["report.md", "report.html", "lineage.json", "log.json", "data/cleaned.jsonl", "data/all_data.json", "scripts/prepare_data.js", "scripts/prepare_data.ctx.json", "imputation/policies.json", "imputation/report.md"])
      expect(existsSync(join(runDir, file)), file).toBe(true);
    for (const file of ["configs/train.yaml", "configs/predict_train.yaml", "configs/predict_test.yaml", "data/train.json", "data/test.json", "data/dataset_info.json", "evaluation/results.json"])
      expect(existsSync(join(runDir, file)), file).toBe(true);
    // One id per run: the thread id printed is the folder's name, and the lock is gone after the run.
    expect(result.stdout).toContain(`thread ${run}`);
    expect(existsSync(join(runDir, ".lock"))).toBe(false);

    const train = readAlpaca(join(runDir, "data/train.json"));
    const test = readAlpaca(join(runDir, "data/test.json"));
    // 4454 rows, none without Status; 20% stratified test split.
    expect(train.length + test.length).toBe(4454);
    expect(test.length).toBe(Math.round(3200 * 0.2) + Math.round(1254 * 0.2));
    for (const record of [...train.slice(0, 50), ...test.slice(0, 50)]) {
      expect(Object.keys(record).sort()).toEqual(["input", "instruction", "output"]);
      expect(["good", "bad"]).toContain(record.output);
      expect(record.input).not.toMatch(/The Status is/);
      expect(record.input).toMatch(/The Income is/);
    }
    const trainYaml = parse(readFileSync(join(runDir, "configs/train.yaml"), "utf8")) as Record<string, unknown>;
    expect(trainYaml.lora_rank).toBe(64);
    expect(typeof trainYaml.learning_rate).toBe("number");
    const predict = parse(readFileSync(join(runDir, "configs/predict_test.yaml"), "utf8")) as Record<string, unknown>;
    expect(predict.do_predict).toBe(true);
    expect(predict.do_sample).toBe(false);

    const results = JSON.parse(readFileSync(join(runDir, "evaluation/results.json"), "utf8")) as { baseline: { accuracy: number; macroF1: number } };
    // sklearn 1.2.1 RandomForest(200 trees) on the same data: accuracy 0.820 (shared/datasets/INDEX.md).
    expect(results.baseline.accuracy).toBeGreaterThan(0.76);
    expect(result.stdout).toMatch(/accuracy/);
    expect(result.stdout).toMatch(/llamafactory-cli train/);
  });
});

// One penguins run serves both: paused, resumed to its end, then forked with --start-from split.
describe("pause, resume, then --start-from", () => {
  const output = join(tempDir(), "penguins");
  let paused: CliResult;
  let resumed: CliResult;
  let match: RegExpExecArray | null = null;
  beforeAll(() => {
    paused = runCli(["--csv", PENGUINS, "--output", output]);
    match = /--resume (\S+)/.exec(paused.stdout);
    resumed = runCli(["--csv", PENGUINS, "--output", output, "--resume", match?.[1] ?? "", "--yes"]);
  });

  it("exits 2 at the first review without a terminal, and the printed command finishes the run in a new process", () => {
    expect(paused.code).toBe(2);
    expect(paused.stdout).toMatch(/Paused at review_plan/);
    expect(match).not.toBeNull();
    expect(resumed.stderr).not.toMatch(/error:/);
    expect(resumed.code).toBe(0);
    expect(match?.[1]).toBe(runDirs(output)[0]); // the printed id is the run's folder
    expect(existsSync(join(output, match?.[1] ?? "", "data/train.json"))).toBe(true);
    expect(resumed.stdout).toMatch(/macroF1/);
  });

  it("--start-from split writes a new run directory with a 70/30 split and leaves the earlier one byte-for-byte unchanged", () => {
    expect(resumed.code).toBe(0);
    const [first] = runDirs(output);
    const before = hashTree(join(output, first ?? ""));
    const again = runCli(["--csv", PENGUINS, "--output", output, "--start-from", "split", "--test-ratio", "0.3", "--yes"]);
    expect(again.stderr).not.toMatch(/error:/);
    expect(again.code).toBe(0);
    const dirs = runDirs(output);
    expect(dirs).toHaveLength(2);
    expect(hashTree(join(output, first ?? ""))).toEqual(before);
    const second = join(output, dirs[1] ?? "");
    const train = readAlpaca(join(second, "data/train.json")).length;
    const test = readAlpaca(join(second, "data/test.json")).length;
    // 342 penguins have a species... all 344 do; stratified per class, so within a row or two of 30%.
    expect(Math.abs(test / (train + test) - 0.3)).toBeLessThan(0.01);
  });
});

describe("a killed run", () => {
  it("continues from its last checkpoint with --resume in a new process", async () => {
    const output = join(tempDir(), "credit");
    noteCliSpawn(["--csv", CREDIT, "--output", output, "--yes"]);
    const child = spawn(process.execPath, ["--no-node-snapshot", CLI, "--csv", CREDIT, "--output", output, "--yes"], {
      env: { ...process.env, CI: "1", NO_COLOR: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let seen = "";
    const killed = await new Promise<boolean>((resolve) => {
      child.stderr.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        // Kill it hard once the prep code has run: verify, review, split and the rest are still ahead.
        if (/^execute /m.test(seen) && !child.killed) child.kill("SIGKILL");
      });
      child.on("exit", (_code, signal) => resolve(signal === "SIGKILL"));
    });
    expect(killed).toBe(true); // it died by the signal, not by finishing first
    const resumed = runCli(["--csv", CREDIT, "--output", output, "--resume", "--yes"]);
    expect(resumed.stderr).not.toMatch(/error:/);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).not.toMatch(/^explore /m); // nothing before the crash is redone
    const [run] = runDirs(output);
    expect(existsSync(join(output, run ?? "", "evaluation/results.json"))).toBe(true);
  });
});

describe("typed feedback at review_plan", () => {
  it("drop features re-plans and the next review lists the column as dropped", () => {
    const output = join(tempDir(), "penguins");
    const answers = join(tempDir(), "answers.txt");
    writeFileSync(answers, "drop features: Island\n");
    const result = runCli(["--csv", PENGUINS, "--output", output, "--answers", answers]);
    expect(result.code).toBe(2); // paused at the second review_plan: no more answers
    const reviews = result.stdout.split("── Review the data preparation plan");
    expect(reviews).toHaveLength(3);
    const second = reviews[2] ?? "";
    expect(second).toMatch(/dropped:\s+Island/);
    expect(second).not.toMatch(/features \(\d+\):.*Island/);
  });

  it("keep only features leaves exactly those columns in the records", () => {
    const output = join(tempDir(), "penguins");
    const answers = join(tempDir(), "answers.json");
    writeFileSync(answers, JSON.stringify(["keep only features: Beak Length (mm), Flipper Length (mm)", "approve"]));
    const result = runCli(["--csv", PENGUINS, "--output", output, "--answers", answers, "--yes"]);
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.code).toBe(0);
    const record = readAlpaca(join(output, runDirs(output)[0] ?? "", "data/train.json"))[0];
    expect(record?.input).toMatch(/^The Beak Length \(mm\) is [\d.a-z]+\. The Flipper Length \(mm\) is [\d.a-z]+\.$/);
  });
});

describe("bad input", () => {
  it("a --target that is not a column stops with a one-line error", () => {
    const output = join(tempDir(), "penguins");
    const result = runCli(["--csv", PENGUINS, "--output", output, "--target", "Weight", "--yes"]);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBe(2);
    const lines = result.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Weight/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("a target with a single value stops with a one-line error", () => {
    const dir = tempDir();
    const csv = join(dir, "constant.csv");
    writeFileSync(csv, "a,b,label\n1,x,yes\n2,y,yes\n3,x,yes\n4,y,yes\n");
    const result = runCli(["--csv", csv, "--output", join(dir, "out"), "--target", "label", "--yes"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/error: .*label/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("a missing CSV is reported before anything is written", () => {
    const dir = tempDir();
    const result = runCli(["--csv", join(dir, "nope.csv"), "--output", join(dir, "out"), "--yes"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/nope\.csv does not exist/);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });
});
