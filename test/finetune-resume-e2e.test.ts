/**
 * The CLI as a user runs it, with the fake llamafactory-cli on PATH (issue 14): a training that dies
 * mid-way is continued by --resume from its last checkpoint-* (and the pipeline log says so);
 * --start-from config --model ID writes the template LlamaFactory's registry gives; an id the
 * registry does not know is warned about, naming the guess and --template; prediction is one process.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT, runCli, runDirs, tempDir, type CliResult } from "./helpers/cli.js";

const FAKE = join(ROOT, "test/fixtures/fake-llamafactory-cli");

/** 140 rows: the response depends on dose and arm. */
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

/**
 * PATH with the fake as `llamafactory-cli` and a python3 without vllm first, so the predict step takes
 * the HF path on every machine (test/finetune-registry.test.ts covers the vLLM choice).
 */
function fakePath(root: string): string {
  const bin = join(root, "bin");
  mkdirSync(bin, { recursive: true });
  if (!existsSync(join(bin, "llamafactory-cli"))) symlinkSync(FAKE, join(bin, "llamafactory-cli"));
  writeFileSync(join(bin, "python3"), "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'vllm'\" >&2\nexit 1\n");
  chmodSync(join(bin, "python3"), 0o755);
  return `${bin}${delimiter}${process.env.PATH ?? ""}`;
}

interface LogEntry {
  step: string;
  decision: string;
}

describe("a training that died mid-way, resumed", () => {
  const root = tempDir("tabtune-resume-");
  const csv = join(root, "trial.csv");
  const output = join(root, "out");
  const marker = join(root, "died-once");
  let died: CliResult;
  let resumed: CliResult;
  let runDir: string;

  beforeAll(() => {
    writeTrialCsv(csv);
    const env = { PATH: fakePath(root), FAKE_LLAMAFACTORY_DIE_ONCE: `5:${marker}` };
    // About 7 steps an epoch (batch 2 × accumulation 8), every step logged, a checkpoint every 2 steps.
    died = runCli(["--csv", csv, "--output", output, "--target", "response", "--finetune", "--save-steps", "2", "--logging-steps", "1", "--yes"], { env });
    runDir = join(output, runDirs(output)[0] ?? "");
    resumed = runCli(["--csv", csv, "--output", output, "--resume", "--yes"], { env });
  });

  it("stops with the crash and keeps its checkpoints", () => {
    expect(died.code).toBe(1);
    expect(died.stderr).toMatch(/illegal memory access/);
    expect(died.stderr).toMatch(/--resume/);
    expect(readFileSync(marker, "utf8")).toBe("died at step 5\n");
  });

  it("--resume continues from checkpoint-4, not step 0, logs it, and finishes the run", () => {
    expect(resumed.stderr).not.toMatch(/error:/);
    expect(resumed.code).toBe(0);
    expect(runDirs(output)).toHaveLength(1);
    const sft = join(runDir, "sft");
    expect(`${resumed.stdout}${resumed.stderr}`).toContain(`resuming training from ${join(sft, "checkpoint-4")}`);
    expect(readFileSync(join(runDir, "logs/train.log"), "utf8")).toContain(`Resuming training from ${join(sft, "checkpoint-4")}.`);
    // Steps 1–5 before the crash, then 5 onwards again from checkpoint-4: never from 1.
    const steps = readFileSync(join(sft, "trainer_log.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { current_steps: number }).current_steps);
    expect(steps.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 5]);
    expect(steps.filter((s) => s === 1)).toHaveLength(1);
    const { log } = JSON.parse(readFileSync(join(runDir, "log.json"), "utf8")) as { log: LogEntry[] };
    expect(log.find((e) => e.step === "finetune")?.decision).toBe(`llamafactory-cli train, resumed from ${join(sft, "checkpoint-4")}`);
    expect(log.find((e) => e.step === "predict")?.decision).toMatch(/^predictions by HF generate \(llamafactory-cli\): vllm is not importable/);
    expect(existsSync(join(runDir, "predict_test/generated_predictions.jsonl"))).toBe(true);
    const train = parse(readFileSync(join(runDir, "configs/train.yaml"), "utf8")) as Record<string, unknown>;
    expect(train).not.toHaveProperty("overwrite_output_dir");
    expect(train.template).toBe("qwen");
  });

  it("--start-from config --model ID writes the registry's template; prediction commands start one process", () => {
    const again = runCli(["--csv", csv, "--output", output, "--start-from", "config", "--model", "zai-org/glm-4-9b-chat", "--yes"], { env: { PATH: fakePath(root) } });
    expect(again.stderr).not.toMatch(/error:/);
    expect(again.code).toBe(0);
    const child = join(output, runDirs(output).at(-1) ?? "");
    for (const file of ["train.yaml", "predict_test.yaml"]) {
      const yaml = parse(readFileSync(join(child, "configs", file), "utf8")) as Record<string, unknown>;
      expect(yaml.model_name_or_path).toBe("zai-org/glm-4-9b-chat");
      expect(yaml.template).toBe("glm4");
    }
    expect(`${again.stdout}${again.stderr}`).toContain("chat template glm4 (LlamaFactory's registry)");
    // The re-entered run keeps --finetune, so it predicts: HF generate, pinned to one GPU.
    expect(again.stderr).toMatch(/CUDA_VISIBLE_DEVICES=0 llamafactory-cli train \S+predict_test\.yaml/);
  });

  it("an id the registry does not know is warned about at config review, naming the guess and --template", () => {
    const again = runCli(["--csv", csv, "--output", output, "--start-from", "config", "--model", "my-org/qwen3-tabular-ft", "--yes"], { env: { PATH: fakePath(root) } });
    expect(again.code).toBe(0);
    expect(`${again.stdout}${again.stderr}`).toMatch(/warning: my-org\/qwen3-tabular-ft is not in LlamaFactory's model registry; guessed template "qwen3" from the name — pass --template NAME if that is wrong/);
    // The review_config summary shows it too.
    expect(again.stdout).toMatch(/template:\s+qwen3 \(guessed\)\nWARNING:\s+my-org\/qwen3-tabular-ft is not in LlamaFactory's model registry/);
  });

  it("--template NAME overrides, and a name LlamaFactory does not register is refused before anything runs", () => {
    const chosen = runCli(["--csv", csv, "--output", output, "--start-from", "config", "--model", "my-org/qwen3-tabular-ft", "--template", "qwen3_nothink", "--yes"], { env: { PATH: fakePath(root) } });
    expect(chosen.code).toBe(0);
    const child = join(output, runDirs(output).at(-1) ?? "");
    expect((parse(readFileSync(join(child, "configs/train.yaml"), "utf8")) as Record<string, unknown>).template).toBe("qwen3_nothink");
    expect(`${chosen.stdout}${chosen.stderr}`).toContain("chat template qwen3_nothink (--template)");
    expect(`${chosen.stdout}${chosen.stderr}`).not.toContain("guessed template");
    const runs = runDirs(output).length;
    const bad = runCli(["--csv", csv, "--output", output, "--template", "llama-3", "--yes"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/"llama-3" is not a LlamaFactory template; did you mean "llama3"\?/);
    expect(runDirs(output)).toHaveLength(runs);
  });
});

describe("a combination LlamaFactory refuses", () => {
  it("--quantization-bit 8 with --deepspeed z3 stops at finetune_config, before any training, with one line naming the fix", () => {
    const root = tempDir("tabtune-refuse-");
    const csv = join(root, "trial.csv");
    writeTrialCsv(csv);
    const output = join(root, "out");
    const result = runCli(["--csv", csv, "--output", output, "--target", "response", "--finetune", "--quantization-bit", "8", "--deepspeed", "z3", "--yes"], { env: { PATH: fakePath(root) } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/LlamaFactory would refuse this configuration: quantization_bit: 8 cannot be used with DeepSpeed ZeRO-3; use quantization_bit: 4 or --deepspeed z2/);
    const runDir = join(output, runDirs(output)[0] ?? "");
    expect(existsSync(join(runDir, "configs/train.yaml"))).toBe(false);
    expect(existsSync(join(runDir, "sft"))).toBe(false);
  });
});

describe("prediction with vLLM installed", () => {
  it("runs LlamaFactory's vllm_infer.py once per split (one process each) and says so in the log", () => {
    const root = tempDir("tabtune-vllm-");
    const csv = join(root, "trial.csv");
    writeTrialCsv(csv);
    const output = join(root, "out");
    const bin = join(root, "bin");
    mkdirSync(bin, { recursive: true });
    symlinkSync(FAKE, join(bin, "llamafactory-cli"));
    // A LlamaFactory clone installed with `pip install -e .`: src/llamafactory beside scripts/vllm_infer.py.
    const checkout = join(root, "LLaMA-Factory");
    mkdirSync(join(checkout, "scripts"), { recursive: true });
    writeFileSync(join(checkout, "scripts", "vllm_infer.py"), "# the fake python3 below runs test/fixtures/fake-vllm-infer instead\n");
    const fakeInfer = join(ROOT, "test/fixtures/fake-vllm-infer");
    writeFileSync(
      join(bin, "python3"),
      `#!/bin/sh\nif [ "$1" = -c ]; then\n  case "$2" in\n    "import vllm") exit 0;;\n    *find_spec*) echo "${checkout}/src/llamafactory/__init__.py"; exit 0;;\n  esac\n  exit 2\nfi\nexec "${fakeInfer}" "$@"\n`,
    );
    chmodSync(join(bin, "python3"), 0o755);
    const argvLog = join(root, "vllm-argv.jsonl");
    const result = runCli(["--csv", csv, "--output", output, "--target", "response", "--finetune", "--yes"], { env: { PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`, FAKE_VLLM_ARGV_LOG: argvLog } });
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.code).toBe(0);
    const runDir = join(output, runDirs(output)[0] ?? "");
    const calls = readFileSync(argvLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as string[]);
    expect(calls.map((argv) => argv[argv.indexOf("--save_name") + 1])).toEqual([join(runDir, "predict_train/generated_predictions.jsonl"), join(runDir, "predict_test/generated_predictions.jsonl")]);
    expect(calls[0]).toEqual(expect.arrayContaining(["--template", "qwen", "--temperature", "0", "--adapter_name_or_path", join(runDir, "sft")]));
    const { log } = JSON.parse(readFileSync(join(runDir, "log.json"), "utf8")) as { log: LogEntry[] };
    expect(log.find((e) => e.step === "predict")?.decision).toBe("predictions by vLLM (scripts/vllm_infer.py): vllm is installed");
    const results = JSON.parse(readFileSync(join(runDir, "evaluation/results.json"), "utf8")) as { llm: { accuracy: number; n: number } | null };
    expect(results.llm?.accuracy).toBe(1);
  });
});
