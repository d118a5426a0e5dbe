/**
 * End to end with a fake llamafactory-cli on PATH (test/fixtures/fake-llamafactory-cli):
 * it refuses YAML keys outside the list LlamaFactory accepts, trains, and writes messy
 * generations; evaluate must score them exactly as computed here by hand. Also: a failing
 * training, distributed settings, --start-from evaluate|predict and --predict-endpoint.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { delimiter, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CLI, hashTree, noteCliSpawn, ROOT, runCli, runDirs, tempDir, type CliResult } from "./helpers/cli.js";

const FAKE = join(ROOT, "test/fixtures/fake-llamafactory-cli");

interface Alpaca {
  instruction: string;
  input: string;
  output: string;
}
interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}
interface LlmResults {
  source: string;
  accuracy: number;
  macroF1: number;
  unmatched: number;
  n: number;
  perClass: ClassMetrics[];
  ci: { level: number; accuracy: { low: number; high: number }; macroF1: { low: number; high: number } };
}
interface Results {
  baseline: { accuracy: number; rocAuc: number | null; ci: { accuracy: { low: number; high: number } } };
  llm: LlmResults | null;
}

/** A trial CSV: the response depends on dose and arm, with some noise; 140 rows. */
function writeTrialCsv(path: string): void {
  const lines = ["patient_age,dose_mg,arm,site,response"];
  for (let i = 0; i < 140; i++) {
    const dose = 10 + ((i * 37) % 90);
    const arm = i % 3 === 0 ? "placebo" : "drug";
    const responds = arm === "drug" && dose > 40 ? i % 9 !== 0 : i % 7 === 0;
    lines.push(`${30 + ((i * 13) % 50)},${dose},${arm},site_${i % 4},${responds ? "Responder" : "Non-responder"}`);
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}

/** A folder with the fake linked as `llamafactory-cli`, first on PATH. */
function fakeOnPath(root: string): string {
  const bin = join(root, "bin");
  mkdirSync(bin, { recursive: true });
  if (!existsSync(join(bin, "llamafactory-cli"))) symlinkSync(FAKE, join(bin, "llamafactory-cli"));
  return `${bin}${delimiter}${process.env.PATH ?? ""}`;
}

/** The fake's messy generation for record i (the same rule as messyGeneration in the fake). */
function messy(i: number, label: string, labels: string[]): { text: string; predicted: string | null } {
  const other = labels.find((l) => l !== label) ?? label;
  switch (i % 7) {
    case 0: return { text: label, predicted: label };
    case 1: return { text: `Answer: ${label}.`, predicted: label };
    case 2: return { text: label.toLowerCase(), predicted: label };
    case 3: return { text: "", predicted: null };
    case 4: return { text: "Answer: Yes.", predicted: null };
    case 5: return { text: other, predicted: other };
    default: return { text: `<think>Could it be ${other}?</think>\n${label}`, predicted: label };
  }
}

/** Accuracy, macro-F1, per-class precision/recall and unmatched count, counted by hand. */
function expectedMetrics(truth: string[], predicted: (string | null)[], labels: string[]) {
  const perClass = labels.map((label) => {
    const support = truth.filter((t) => t === label).length;
    const predictedAs = predicted.filter((p) => p === label).length;
    const tp = truth.filter((t, i) => t === label && predicted[i] === label).length;
    const precision = predictedAs ? tp / predictedAs : 0;
    const recall = support ? tp / support : 0;
    return { label, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support };
  });
  return {
    accuracy: truth.filter((t, i) => predicted[i] === t).length / truth.length,
    macroF1: perClass.reduce((s, c) => s + c.f1, 0) / perClass.length,
    unmatched: predicted.filter((p) => p === null).length,
    perClass,
  };
}

function runCliAsync(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  noteCliSpawn(args);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--no-node-snapshot", CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: "1", NO_COLOR: "1", npm_lifecycle_event: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("--finetune with the fake llamafactory-cli", () => {
  const root = tempDir("tabtune-ft-");
  const csv = join(root, "trial.csv");
  const output = join(root, "out");
  const envLog = join(root, "torchrun-env.jsonl");
  let first: CliResult;
  let runDir: string;
  let testRecords: Alpaca[];

  beforeAll(() => {
    writeTrialCsv(csv);
    first = runCli(["--csv", csv, "--output", output, "--target", "response", "--finetune", "--gpus", "2", "--deepspeed", "z2", "--yes"], {
      env: { PATH: fakeOnPath(root), FAKE_LLAMAFACTORY_GENERATIONS: "messy", FAKE_LLAMAFACTORY_ENV_LOG: envLog },
    });
    runDir = join(output, runDirs(output)[0] ?? "");
    testRecords = JSON.parse(readFileSync(join(runDir, "data/test.json"), "utf8")) as Alpaca[];
  });

  it("trains through torchrun with DeepSpeed, predicts both splits, and evaluate scores the messy generations exactly", () => {
    expect(first.stderr).not.toMatch(/error:/);
    expect(first.code).toBe(0);
    // The fake accepted every YAML key (it exits 1 on an unknown one) and trained with the torchrun variables.
    const envs = readFileSync(envLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, string | null>);
    expect(envs).toEqual([{ FORCE_TORCHRUN: "1", NNODES: "1", NODE_RANK: "0", NPROC_PER_NODE: "2", MASTER_ADDR: "127.0.0.1", MASTER_PORT: "29500" }]);
    const train = parse(readFileSync(join(runDir, "configs/train.yaml"), "utf8")) as Record<string, unknown>;
    expect(train.deepspeed).toBe(join(runDir, "configs/ds_z2_config.json"));
    expect(existsSync(join(runDir, "predict_train/generated_predictions.jsonl"))).toBe(true);
    expect(readFileSync(join(runDir, "logs/train.log"), "utf8")).toMatch(/\{'loss': /);

    const labels = ["Non-responder", "Responder"];
    const truth = testRecords.map((r) => r.output);
    const generations = readFileSync(join(runDir, "predict_test/generated_predictions.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { predict: string; label: string });
    const scripted = truth.map((label, i) => messy(i, label, labels));
    expect(generations.map((g) => g.predict)).toEqual(scripted.map((s) => s.text));
    expect(generations.map((g) => g.predict)).toEqual(expect.arrayContaining(["Answer: Yes.", "non-responder", ""]));

    const want = expectedMetrics(truth, scripted.map((s) => s.predicted), labels);
    const results = JSON.parse(readFileSync(join(runDir, "evaluation/results.json"), "utf8")) as Results;
    const llm = results.llm;
    expect(llm).not.toBeNull();
    expect(llm?.source).toBe("llamafactory-cli");
    expect(llm?.n).toBe(truth.length);
    expect(llm?.unmatched).toBe(want.unmatched);
    expect(llm?.accuracy).toBeCloseTo(want.accuracy, 12);
    expect(llm?.macroF1).toBeCloseTo(want.macroF1, 12);
    for (const c of want.perClass) {
      const got = llm?.perClass.find((p) => p.label === c.label);
      expect(got?.precision).toBeCloseTo(c.precision, 12);
      expect(got?.recall).toBeCloseTo(c.recall, 12);
      expect(got?.support).toBe(c.support);
    }
    expect(llm?.ci.level).toBe(0.95);
    expect(llm?.ci.accuracy.low).toBeLessThanOrEqual(want.accuracy);
    expect(llm?.ci.accuracy.high).toBeGreaterThanOrEqual(want.accuracy);
    expect(typeof results.baseline.rocAuc).toBe("number");
    expect(first.stdout).toMatch(/accuracy\s+\d\.\d{4} \[\d\.\d{4}, \d\.\d{4}\]\s+\d\.\d{4} \[/);
    expect(first.stdout).toMatch(/unmatched\s+—\s+\d+/);
  });

  it("--start-from evaluate re-scores in a new run folder that links the adapter and predictions, leaving the first run untouched", () => {
    const before = hashTree(runDir);
    const again = runCli(["--csv", csv, "--output", output, "--start-from", "evaluate"], { env: { PATH: fakeOnPath(root) } });
    expect(again.stderr).not.toMatch(/error:/);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/^(finetune|predict) /m);
    const dirs = runDirs(output);
    expect(dirs).toHaveLength(2);
    expect(hashTree(runDir)).toEqual(before);
    const child = join(output, dirs[1] ?? "");
    // The child reads only its own folder: the adapter and predictions it scored are there, byte for byte.
    expect(readFileSync(join(child, "predict_test/generated_predictions.jsonl"), "utf8")).toBe(readFileSync(join(runDir, "predict_test/generated_predictions.jsonl"), "utf8"));
    expect(existsSync(join(child, "sft/adapter_config.json"))).toBe(true);
    const results = JSON.parse(readFileSync(join(child, "evaluation/results.json"), "utf8")) as Results;
    expect(results.llm?.accuracy).toBe((JSON.parse(readFileSync(join(runDir, "evaluation/results.json"), "utf8")) as Results).llm?.accuracy);
    // Its configs name its own folder, never the parent's.
    expect(readFileSync(join(child, "configs/predict_test.yaml"), "utf8")).not.toContain(runDir);
  });

  it("--start-from predict --predict-endpoint scores a served model (after a 429 and a 500) on the test records", async () => {
    const answers = new Map(testRecords.map((r) => [`${r.instruction}\n${r.input}`, r.output]));
    let calls = 0;
    let auth: string | undefined;
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (c: Buffer) => (raw += c.toString()));
      req.on("end", () => {
        calls++;
        auth = req.headers.authorization;
        if (calls === 1) return void res.writeHead(429, { "retry-after": "0" }).end("{}");
        if (calls === 2) return void res.writeHead(500).end("{}");
        const body = JSON.parse(raw) as { messages: { content: string }[] };
        const label = answers.get(body.messages[0]?.content ?? "") ?? "unknown";
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices: [{ message: { role: "assistant", content: `Answer: ${label}.` } }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    try {
      const result = await runCliAsync(["--csv", csv, "--output", output, "--start-from", "predict", "--predict-endpoint", url, "--predict-model", "served", "--agent-api-key", "sk-secret-123"], { PATH: fakeOnPath(root) });
      expect(result.stderr).not.toMatch(/error:/);
      expect(result.code).toBe(0);
      expect(calls).toBe(testRecords.length + 2);
      expect(auth).toBe("Bearer sk-secret-123");
      const dirs = runDirs(output);
      expect(dirs).toHaveLength(3);
      const child = join(output, dirs[2] ?? "");
      const results = JSON.parse(readFileSync(join(child, "evaluation/results.json"), "utf8")) as Results;
      expect(results.llm?.source).toBe(url);
      expect(results.llm?.accuracy).toBe(1);
      expect(results.llm?.unmatched).toBe(0);
      // The earlier (fake LlamaFactory) predictions stay in the first run; the key is nowhere on disk.
      expect(readdirSync(join(runDir, "predict_test")).filter((f) => f.startsWith("generated_predictions.")).length).toBe(1);
      for (const file of ["report.md", "evaluation/results.json"]) expect(readFileSync(join(child, file), "utf8")).not.toContain("sk-secret-123");
      expect(readFileSync(join(output, "checkpoints.sqlite")).includes("sk-secret-123")).toBe(false);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe("a failing fake training", () => {
  it("stops with a non-zero exit and the tail of the log, never 'complete'", () => {
    const root = tempDir("tabtune-ftfail-");
    const csv = join(root, "trial.csv");
    writeTrialCsv(csv);
    const output = join(root, "out");
    const result = runCli(["--csv", csv, "--output", output, "--target", "response", "--finetune", "--yes"], {
      env: { PATH: fakeOnPath(root), FAKE_LLAMAFACTORY_FAIL: "train" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: llamafactory-cli train \(train\) exited with 1; last lines:/);
    expect(result.stderr).toMatch(/CUDA out of memory/);
    expect(result.stderr).toMatch(/Loaded \d+ examples/);
    expect(result.stdout).not.toMatch(/Results on|Outputs in/);
    const runDir = join(output, runDirs(output)[0] ?? "");
    expect(existsSync(join(runDir, "evaluation/results.json"))).toBe(false);
  });

  it("without --finetune prints the torchrun environment with the train command", () => {
    const root = tempDir("tabtune-ftprint-");
    const csv = join(root, "trial.csv");
    writeTrialCsv(csv);
    const result = runCli(["--csv", csv, "--output", join(root, "out"), "--target", "response", "--gpus", "4", "--nnodes", "2", "--node-rank", "1", "--master-addr", "10.1.2.3", "--yes"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/FORCE_TORCHRUN=1 NNODES=2 NODE_RANK=1 NPROC_PER_NODE=4 MASTER_ADDR=10\.1\.2\.3 MASTER_PORT=29500 llamafactory-cli train \S+train\.yaml/);
  });
});
