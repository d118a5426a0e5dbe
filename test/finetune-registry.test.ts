/**
 * LlamaFactory's registry as data (issue 14): the generated table, templates from it, every argument
 * typed from it at config review, the parser's refused combinations, the resume from checkpoint-*
 * with the fake llamafactory-cli, and the predict backend (vLLM or HF generate, one process).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { llamafactoryCommands, runStreaming } from "../src/finetune/commands.js";
import { writeLlamaFactoryConfigs, type TrainingOptions } from "../src/finetune/configs.js";
import { SINGLE_PROCESS } from "../src/finetune/distributed.js";
import { closestKey, coerceOverrides, overrideContext, validateOverrides } from "../src/finetune/keys.js";
import { choosePredictBackend, predictEnv, vllmInferArgv } from "../src/finetune/predict-backend.js";
import { LLAMAFACTORY_SOURCE, llamafactoryArgument, REGISTERED_MODELS, REGISTERED_TEMPLATES, registeredModel } from "../src/finetune/registry.js";
import { lastCheckpoint } from "../src/finetune/resume.js";
import { resolveTemplate } from "../src/finetune/template.js";
import { TabtuneError } from "../src/errors.js";
import type { DistributedOptions } from "../src/options.js";

const FAKE_CLI = resolve("test/fixtures/fake-llamafactory-cli");
const REFERENCE = resolve("../shared/reference/LLaMA-Factory");

const OPTIONS: TrainingOptions = {
  model: "Qwen/Qwen2.5-0.5B-Instruct", loraRank: 64, loraAlpha: 128, loraDropout: 0.05, loraTarget: "all", useDora: false,
  cutoffLen: 2048, epochs: 3, learningRate: 2e-5, lrSchedulerType: "cosine", warmupRatio: 0.1, batchSize: 2, evalBatchSize: 4,
  gradAccumulation: 8, loggingSteps: 1, saveSteps: 500, precision: "bf16", flashAttn: "auto", quantizationBit: null,
  maxNewTokens: 16, preprocessingWorkers: 4, seed: 42,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tabtune-registry-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfigs(overrides: Record<string, string | number | boolean> = {}, extra: { options?: Partial<TrainingOptions>; distributed?: DistributedOptions; template?: string } = {}) {
  return writeLlamaFactoryConfigs({
    runDir: join(dir, "run_1"),
    dataDir: join(dir, "data"),
    datasetName: "churn",
    options: { ...OPTIONS, ...extra.options },
    overrides,
    ...(extra.distributed ? { distributed: extra.distributed } : {}),
    ...(extra.template ? { template: extra.template } : {}),
  });
}

const readYaml = (path: string): Record<string, unknown> => parse(readFileSync(path, "utf8"), { version: "1.1" }) as Record<string, unknown>;

/** Keys LlamaFactory's train parser does not know, and values of the wrong type, by the generated table. */
function unknownOrMistyped(config: Record<string, unknown>): string[] {
  const bad: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    const spec = llamafactoryArgument(key);
    if (!spec || !spec.parsers.includes("train")) bad.push(`unknown ${key}`);
    else if (spec.type === "bool" && typeof value !== "boolean") bad.push(`${key} not bool`);
    else if (spec.type === "int" && !Number.isInteger(value)) bad.push(`${key} not int`);
    else if (spec.type === "float" && typeof value !== "number") bad.push(`${key} not float`);
    else if (spec.type === "choice" && !spec.choices?.includes(String(value))) bad.push(`${key} not a choice`);
    else if (spec.type === "str" && typeof value !== "string") bad.push(`${key} not str`);
  }
  return bad;
}

describe("the generated registry", () => {
  it("records the LlamaFactory commit, 124 templates and 438 text models with a template", () => {
    expect(LLAMAFACTORY_SOURCE.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(LLAMAFACTORY_SOURCE.version).toBe("0.9.6.dev0");
    expect(REGISTERED_TEMPLATES).toHaveLength(124);
    // The issue counted 438 registered text models with a template (constants.py at this commit).
    expect(REGISTERED_MODELS.filter((m) => !m.multimodal && m.template !== null)).toHaveLength(438);
    for (const m of REGISTERED_MODELS) if (m.template) expect(REGISTERED_TEMPLATES, m.hub).toContain(m.template);
  });

  it.skipIf(!existsSync(REFERENCE))("is what tools/gen-llamafactory-registry.ts makes from the reference checkout today", () => {
    const out = join(dir, "registry.json");
    execFileSync(process.execPath, ["--import", "tsx", "tools/gen-llamafactory-registry.ts", REFERENCE, out], { stdio: "pipe" });
    expect(readFileSync(out, "utf8")).toBe(readFileSync("src/finetune/llamafactory-registry.json", "utf8"));
  });

  // Expected templates read by hand from LlamaFactory's extras/constants.py at the registry's commit
  // (the register_model_group each id is in, and its template=), across 20 families.
  const sample: Array<[string, string]> = [
    ["openai/gpt-oss-20b", "gpt_oss"],
    ["zai-org/glm-4-9b-chat", "glm4"],
    ["zai-org/GLM-4.5-Air", "glm4_moe"],
    ["deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "deepseekr1"],
    ["mistralai/Mistral-Small-24B-Instruct-2501", "mistral_small"],
    ["mistralai/Mixtral-8x7B-Instruct-v0.1", "mistral"],
    ["microsoft/Phi-4-mini-instruct", "phi4_mini"],
    ["Qwen/Qwen2.5-7B-Instruct", "qwen"],
    ["Qwen/Qwen3-4B-Instruct-2507", "qwen3_nothink"],
    ["meta-llama/Meta-Llama-3.1-8B-Instruct", "llama3"],
    ["meta-llama/Llama-2-7b-chat-hf", "llama2"],
    ["google/gemma-2-9b-it", "gemma2"],
    ["HuggingFaceTB/SmolLM2-1.7B-Instruct", "smollm2"],
    ["ibm-granite/granite-3.0-2b-instruct", "granite3"],
    ["tiiuae/Falcon-H1-0.5B-Instruct", "falcon_h1"],
    ["CohereForAI/c4ai-command-r-v01", "cohere"],
    ["internlm/internlm2_5-7b-chat", "intern2"],
    ["01-ai/Yi-1.5-9B-Chat", "yi"],
    ["baidu/ERNIE-4.5-21B-A3B-Thinking", "ernie"],
    // Registered twice under one name (gemma2, then gemma3): the later registration wins, as in Python's dict.
    ["google/medgemma-27b-text-it", "gemma3"],
    // Case, a trailing slash, a local folder named like the model, LlamaFactory's own name for it.
    ["qwen/qwen2.5-7b-instruct/", "qwen"],
    ["/models/DeepSeek-R1-Distill-Qwen-7B", "deepseekr1"],
    ["meta-llama/Llama-3.1-8B-Instruct", "llama3"],
  ];
  it.each(sample)("%s → %s from LlamaFactory's registry", (model, template) => {
    expect(resolveTemplate(model)).toEqual({ template, source: "registry", warning: null });
  });

  it("guesses only for ids it does not know, and says so with the flag", () => {
    const unknown = resolveTemplate("my-org/qwen3-tabular-ft");
    expect(unknown).toMatchObject({ template: "qwen3", source: "guess" });
    expect(unknown.warning).toContain("not in LlamaFactory's model registry");
    expect(unknown.warning).toContain('guessed template "qwen3"');
    expect(unknown.warning).toContain("--template NAME");
    // Registered without a template (huggyllama's LLaMA-1 group has none).
    expect(registeredModel("huggyllama/llama-7b")?.template).toBeNull();
    expect(resolveTemplate("huggyllama/llama-7b").warning).toContain("registers huggyllama/llama-7b without a chat template");
  });

  it("--template overrides the registry and must be a template LlamaFactory registers", () => {
    expect(resolveTemplate("openai/gpt-oss-20b", "qwen3")).toEqual({ template: "qwen3", source: "flag", warning: null });
    expect(() => resolveTemplate("openai/gpt-oss-20b", "llama-3")).toThrow(TabtuneError);
    expect(() => resolveTemplate("openai/gpt-oss-20b", "llama-3")).toThrow(/did you mean "llama3"/);
    const files = writeConfigs({}, { options: { model: "openai/gpt-oss-20b" }, template: "llama3" });
    expect(readYaml(files.trainYaml).template).toBe("llama3");
    expect(readYaml(files.predictTestYaml).template).toBe("llama3");
    expect(files.template?.source).toBe("flag");
  });
});

describe("config review keys, typed from the registry", () => {
  it("accepts any LlamaFactory train argument and writes it to train.yaml (max_samples not to the predict configs)", () => {
    const files = writeConfigs({ weight_decay: "0.01", gradient_checkpointing: "true", max_samples: 1000, optim: "adamw_torch_fused", lr_scheduler_type: "cosine_with_min_lr", temperature: 0.1, report_to: "tensorboard" });
    const train = readYaml(files.trainYaml);
    expect(train).toMatchObject({ weight_decay: 0.01, gradient_checkpointing: true, max_samples: 1000, optim: "adamw_torch_fused", lr_scheduler_type: "cosine_with_min_lr" });
    const predict = readYaml(files.predictTestYaml);
    // Predicting every test row: max_samples would cut them; training arguments do not belong there.
    expect(predict).not.toHaveProperty("max_samples");
    expect(predict).not.toHaveProperty("weight_decay");
    expect(predict.temperature).toBe(0.1);
    expect(train.report_to).toBe("tensorboard");
    expect(predict.report_to).toBe("none");
    expect(train).not.toHaveProperty("temperature");
  });

  it("types values from the dataclass annotations and names the closest of all arguments", () => {
    expect(coerceOverrides({ "Weight-Decay": "0.01", neftune_noise_alpha: "5", use_rslora: "false", "lora_target": "q_proj,v_proj" })).toEqual({
      ok: true,
      values: { weight_decay: 0.01, neftune_noise_alpha: 5, use_rslora: false, lora_target: "q_proj,v_proj" },
    });
    const bad = validateOverrides({ weight_decy: 0.01, gradient_checkpointing: "yes", max_samples: 2.5, lr_scheduler_type: "cosine_annealing" });
    if (bad.ok) throw new Error("should be refused");
    expect(bad.error).toContain('unknown key "weight_decy"; did you mean "weight_decay"?');
    expect(bad.error).toContain("gradient_checkpointing must be true or false");
    expect(bad.error).toContain("max_samples must be a whole number");
    expect(bad.error).toContain("lr_scheduler_type must be one of linear, cosine");
    expect(closestKey("gradient_checkpoint")).toBe("gradient_checkpointing");
    expect(closestKey("epochs")).toBe("num_train_epochs");
  });

  it("refuses the keys tabtune owns, saying what to use instead", () => {
    const owned = validateOverrides({ overwrite_output_dir: true, deepspeed: "ds.json", infer_backend: "vllm" });
    if (owned.ok) throw new Error("should be refused");
    expect(owned.error).toContain("overwrite_output_dir is set by tabtune");
    expect(owned.error).toContain("--deepspeed z2|z3");
    expect(owned.error).toContain("parser.py:529");
    expect(validateOverrides({ template: "chatml" }).ok).toBe(true);
    const template = validateOverrides({ template: "gpt-oss" });
    expect(template.ok ? "" : template.error).toContain('template "gpt-oss" is not one LlamaFactory knows; did you mean "gpt_oss"?');
  });

  it("every YAML written parses under LlamaFactory's arguments with 0 unknown keys and 0 wrong types", () => {
    const cases = [
      writeConfigs(),
      writeConfigs({ weight_decay: 0.01, gradient_checkpointing: true, max_samples: 100, val_size: 0.1, quantization_bit: 4, temperature: 0.2, enable_thinking: false }),
      writeConfigs({}, { distributed: { ...SINGLE_PROCESS, gpus: 4, deepspeed: "z3" }, options: { quantizationBit: 4, trustRemoteCode: true, model: "openai/gpt-oss-20b" } }),
    ];
    for (const files of cases) {
      for (const path of [files.trainYaml, files.predictTrainYaml, files.predictTestYaml]) expect(unknownOrMistyped(readYaml(path)), path).toEqual([]);
    }
  });
});

describe("combinations LlamaFactory's parser refuses, refused before anything runs", () => {
  const z3: DistributedOptions = { ...SINGLE_PROCESS, gpus: 2, deepspeed: "z3" };

  it("8-bit quantization with DeepSpeed ZeRO-3 (4-bit is fine), and nothing is written", () => {
    const refuse = () => writeConfigs({ quantization_bit: 8 }, { distributed: z3 });
    expect(refuse).toThrow(TabtuneError);
    expect(refuse).toThrow(/quantization_bit: 8 cannot be used with DeepSpeed ZeRO-3/);
    expect(existsSync(join(dir, "run_1", "configs", "train.yaml"))).toBe(false);
    expect(() => writeConfigs({}, { distributed: z3, options: { quantizationBit: 8 } })).toThrow(/ZeRO-3/);
    expect(readYaml(writeConfigs({ quantization_bit: 4 }, { distributed: z3 }).trainYaml).quantization_bit).toBe(4);
    expect(readYaml(writeConfigs({ quantization_bit: 8 }, { distributed: { ...z3, deepspeed: "z2" } }).trainYaml).quantization_bit).toBe(8);
  });

  it("at config review, given the run's context", () => {
    const context = { deepspeed: "z3" as const, distributed: true, quantizationBit: null };
    const refused = validateOverrides({ quantization_bit: 8 }, context);
    expect(refused.ok ? "" : refused.error).toMatch(/^LlamaFactory would refuse this: quantization_bit: 8 cannot be used with DeepSpeed ZeRO-3/);
    expect(validateOverrides({ quantization_bit: 4 }, context)).toEqual({ ok: true });
    expect(validateOverrides({ quantization_bit: 3 }, { ...context, deepspeed: null }).ok).toBe(false);
    // review_config passes the run's options: --deepspeed z3 with an 8-bit answer is refused there.
    const z3Run = overrideContext({ distributed: { gpus: 1, nnodes: 1, deepspeed: "z3" }, training: { quantizationBit: null } });
    expect(z3Run).toEqual({ deepspeed: "z3", distributed: true, quantizationBit: null });
    expect(validateOverrides({ quantization_bit: 8 }, z3Run).ok).toBe(false);
    expect(validateOverrides({ use_unsloth: true }, overrideContext({ distributed: { gpus: 1, nnodes: 1, deepspeed: "z3" }, training: { quantizationBit: 8 } })).ok ? "" : "refused").toBe("refused");
    expect(overrideContext(null)).toEqual({ deepspeed: null, distributed: false, quantizationBit: null });
    // Without a context (one GPU, no DeepSpeed), the combinations within the overrides are still checked.
    expect(validateOverrides({ quantization_bit: 3 }).ok).toBe(false);
    expect(validateOverrides({ quantization_bit: 8 })).toEqual({ ok: true });
    const full = validateOverrides({ finetuning_type: "full", quantization_bit: 4 }, { ...context, deepspeed: null });
    expect(full.ok ? "" : full.error).toContain("Adapter is only valid for the LoRA method");
    expect(full.ok ? "" : full.error).toContain("quantization_bit needs finetuning_type lora or oft");
    for (const [values, text] of [
      [{ use_galore: true }, "cannot be used with DeepSpeed"],
      [{ pure_bf16: true }, "pure_bf16 cannot be used with DeepSpeed ZeRO-3"],
      [{ fp8: true, quantization_bit: 4 }, "fp8 cannot be used with quantization_bit"],
      [{ streaming: true }, "needs max_steps"],
      [{ quantization_device_map: "auto", quantization_bit: 4 }, "cannot be used for training"],
    ] as const) {
      const result = validateOverrides(values, context);
      expect(result.ok ? "" : result.error, JSON.stringify(values)).toContain(text);
    }
  });
});

/** A data folder with five Alpaca records per split. */
function writeData(dataDir: string): void {
  const records = (labels: string[]) => labels.map((label, i) => ({ instruction: "Predict whether the customer churns.", input: `The tenure is ${i}.`, output: label }));
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, "train.json"), JSON.stringify(records(["Yes", "No", "No", "Yes", "No"])));
  writeFileSync(join(dataDir, "test.json"), JSON.stringify(records(["No", "Yes", "No", "Yes"])));
}

describe("resuming a training that died, with the fake llamafactory-cli", () => {
  it("continues from the last checkpoint-* instead of step 0", async () => {
    // 5 records, batch 1 × accumulation 1 → 5 steps an epoch, 1 epoch; a checkpoint every 2 steps.
    const files = writeConfigs({ save_steps: 2, num_train_epochs: 1, per_device_train_batch_size: 1, gradient_accumulation_steps: 1 });
    writeData(join(dir, "data"));
    const train = llamafactoryCommands(files).train.slice(1);
    const marker = join(dir, "died-once");
    const env = { ...process.env, FAKE_LLAMAFACTORY_DIE_ONCE: `3:${marker}` };
    const first: string[] = [];
    const died = await runStreaming([FAKE_CLI, ...train], { cwd: dir, env, logFile: join(dir, "train.log"), onLine: (l) => first.push(l) });
    expect(died.exitCode).toBe(1);
    expect(died.tail.join("\n")).toContain("illegal memory access");
    const sft = join(dir, "run_1", "sft");
    expect(lastCheckpoint(sft)).toEqual({ path: join(sft, "checkpoint-2"), step: 2 });

    const second: string[] = [];
    const resumed = await runStreaming([FAKE_CLI, ...train], { cwd: dir, env, logFile: join(dir, "train.log"), onLine: (l) => second.push(l) });
    expect(resumed.exitCode, resumed.tail.join("\n")).toBe(0);
    expect(second.join("\n")).toContain(`Resuming training from ${join(sft, "checkpoint-2")}.`);
    // Steps 3, 4, 5 only; checkpoint-4 saved; save_total_limit 3 keeps the newest three.
    const steps = readFileSync(join(sft, "trainer_log.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { current_steps: number }).current_steps);
    expect(steps).toEqual([1, 2, 3, 3, 4, 5]);
    expect(lastCheckpoint(sft)?.step).toBe(4);
    expect(existsSync(join(sft, "adapter_config.json"))).toBe(true);
  });

  it("is what LlamaFactory refuses with overwrite_output_dir unset and weights but no checkpoint", async () => {
    const files = writeConfigs();
    writeData(join(dir, "data"));
    mkdirSync(join(dir, "run_1", "sft"), { recursive: true });
    writeFileSync(join(dir, "run_1", "sft", "adapter_model.safetensors"), "old");
    const result = await runStreaming([FAKE_CLI, "train", files.trainYaml], { cwd: dir, logFile: join(dir, "x.log") });
    expect(result.exitCode).toBe(1);
    expect(result.tail.join("\n")).toContain("Output directory already exists and is not empty");
  });

  it("the fake refuses a value of the wrong type, as the table types it", async () => {
    const files = writeConfigs();
    writeFileSync(files.trainYaml, `${readFileSync(files.trainYaml, "utf8")}gradient_checkpointing: 3\n`);
    const result = await runStreaming([FAKE_CLI, "train", files.trainYaml], { cwd: dir, logFile: join(dir, "x.log") });
    expect(result.exitCode).toBe(1);
    expect(result.tail.join("\n")).toContain("gradient_checkpointing=3 is not a valid bool");
  });
});

describe("the predict backend", () => {
  /** A python3 that imports vllm when FAKE_VLLM=1 and finds llamafactory in `checkout`. */
  function fakePython(checkout: string | null): string {
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    const origin = checkout ? join(checkout, "src", "llamafactory", "__init__.py") : "";
    writeFileSync(
      join(bin, "python3"),
      `#!/bin/sh\ncase "$2" in\n  "import vllm") [ "$FAKE_VLLM" = 1 ] && exit 0; echo "ModuleNotFoundError: No module named 'vllm'" >&2; exit 1;;\n  *find_spec*) echo "${origin}"; exit 0;;\nesac\nexit 2\n`,
    );
    chmodSync(join(bin, "python3"), 0o755);
    return bin;
  }

  it("uses LlamaFactory's vllm_infer.py when vllm imports, else HF generate, and says why", () => {
    const files = writeConfigs();
    const checkout = join(dir, "LLaMA-Factory");
    mkdirSync(join(checkout, "scripts"), { recursive: true });
    writeFileSync(join(checkout, "scripts", "vllm_infer.py"), "# stand-in\n");
    const bin = fakePython(checkout);
    process.env.FAKE_VLLM = "0";
    try {
      expect(choosePredictBackend(files.predictTestYaml, bin)).toEqual({ kind: "hf", reason: "vllm is not importable (ModuleNotFoundError: No module named 'vllm')" });
      process.env.FAKE_VLLM = "1";
      const backend = choosePredictBackend(files.predictTestYaml, bin);
      expect(backend).toEqual({ kind: "vllm", python: join(bin, "python3"), script: join(checkout, "src", "llamafactory", "..", "..", "scripts", "vllm_infer.py"), reason: "vllm is installed" });
      if (backend.kind !== "vllm") throw new Error("vllm expected");
      expect(vllmInferArgv(backend, files.predictTestYaml)).toEqual([
        join(bin, "python3"), backend.script,
        "--model_name_or_path", "Qwen/Qwen2.5-0.5B-Instruct",
        "--adapter_name_or_path", join(dir, "run_1", "sft"),
        "--dataset", "churn_test",
        "--dataset_dir", join(dir, "data"),
        "--template", "qwen",
        "--cutoff_len", "2048",
        "--max_new_tokens", "16",
        "--temperature", "0",
        "--save_name", join(dir, "run_1", "predict_test", "generated_predictions.jsonl"),
        "--seed", "42",
      ]);
      // bitsandbytes quantization is not for vLLM (hparams/parser.py:680).
      const quantized = writeConfigs({ quantization_bit: 4 });
      expect(choosePredictBackend(quantized.predictTestYaml, bin)).toMatchObject({ kind: "hf", reason: expect.stringContaining("bitsandbytes") });
      expect(choosePredictBackend(files.predictTestYaml, fakePython(null)).kind).toBe("hf");
    } finally {
      delete process.env.FAKE_VLLM;
    }
    expect(choosePredictBackend(files.predictTestYaml, join(dir, "empty"))).toEqual({ kind: "hf", reason: "python3 is not on PATH" });
  });

  it("HF prediction is one process on one GPU", () => {
    expect(predictEnv({})).toEqual({ CUDA_VISIBLE_DEVICES: "0" });
    expect(predictEnv({ CUDA_VISIBLE_DEVICES: "2,3" })).toEqual({ CUDA_VISIBLE_DEVICES: "2" });
  });
});
