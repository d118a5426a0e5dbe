import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { findExecutable, formatCommand, llamafactoryCommands, runStreaming } from "../src/finetune/commands.js";
import { STRUCTURAL_KEYS, writeLlamaFactoryConfigs } from "../src/finetune/configs.js";
import type { TrainingOptions } from "../src/finetune/configs.js";
import { closestKey, editDistance, overrideTargets, validateOverrides } from "../src/finetune/keys.js";
import { toLlamaFactoryYaml, yaml11Exponent } from "../src/finetune/llamafactory-yaml.js";
import { guessTemplate } from "../src/finetune/template.js";
import { llamafactoryArgument } from "../src/finetune/registry.js";
import { TabtuneError } from "../src/errors.js";

const FAKE_CLI = resolve("test/fixtures/fake-llamafactory-cli");

/** The values of config/default.yaml's training section, seed 42. */
const OPTIONS: TrainingOptions = {
  model: "Qwen/Qwen2.5-0.5B-Instruct",
  loraRank: 64,
  loraAlpha: 128,
  loraDropout: 0.05,
  loraTarget: "all",
  useDora: false,
  cutoffLen: 2048,
  epochs: 3,
  learningRate: 2e-5,
  lrSchedulerType: "cosine",
  warmupRatio: 0.1,
  batchSize: 2,
  evalBatchSize: 4,
  gradAccumulation: 8,
  loggingSteps: 10,
  saveSteps: 500,
  precision: "bf16",
  flashAttn: "auto",
  quantizationBit: null,
  maxNewTokens: 16,
  preprocessingWorkers: 4,
  seed: 42,
};

type Yaml = Record<string, unknown>;
const readYaml = (path: string): Yaml => parse(readFileSync(path, "utf8")) as Yaml;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tabtune-finetune-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A data folder with a few Alpaca records per split. */
function writeData(dataDir: string): void {
  const records = (labels: string[]) =>
    labels.map((label, i) => ({ instruction: "Predict whether the customer churns.", input: `The tenure is ${i}.`, output: label }));
  writeFileSync(join(dataDir, "train.json"), JSON.stringify(records(["Yes", "No", "No", "Yes", "No"])));
  writeFileSync(join(dataDir, "test.json"), JSON.stringify(records(["No", "Yes", "No", "Yes"])));
}

function writeConfigs(overrides: Record<string, string | number | boolean> = {}, options: Partial<TrainingOptions> = {}) {
  return writeLlamaFactoryConfigs({
    runDir: join(dir, "run_1"),
    dataDir: join(dir, "data"),
    datasetName: "churn",
    options: { ...OPTIONS, ...options },
    overrides,
  });
}

/** The family guess, used only for ids LlamaFactory's registry does not know (finetune-registry.test.ts tests the registry). */
describe("guessTemplate", () => {
  const table: Array<[string, string]> = [
    ["meta-llama/Llama-2-7b-chat-hf", "llama2"],
    ["meta-llama/Meta-Llama-3-8B-Instruct", "llama3"],
    ["meta-llama/Llama-3.1-8B-Instruct", "llama3"],
    ["meta-llama/Llama-3.2-1B-Instruct", "llama3"],
    ["meta-llama/Llama-3.3-70B-Instruct", "llama3"],
    ["mistralai/Mistral-7B-Instruct-v0.3", "mistral"],
    ["mistralai/Mixtral-8x7B-Instruct-v0.1", "mistral"],
    ["google/gemma-7b-it", "gemma"],
    ["google/gemma-2b-it", "gemma"],
    ["google/gemma-1.1-2b-it", "gemma"],
    ["google/gemma-2-2b-it", "gemma2"],
    ["google/gemma-2-9b-it", "gemma2"],
    ["google/gemma-3-4b-it", "gemma3"],
    ["microsoft/Phi-3-mini-4k-instruct", "phi"],
    ["microsoft/Phi-3.5-mini-instruct", "phi"],
    ["microsoft/phi-4", "phi4"],
    ["Qwen/Qwen2-7B-Instruct", "qwen"],
    ["Qwen/Qwen2.5-0.5B-Instruct", "qwen"],
    ["Qwen/Qwen3-8B", "qwen3"],
    ["Qwen/Qwen3-30B-A3B-Thinking-2507", "qwen3"],
    ["Qwen/Qwen3-4B-Instruct-2507", "qwen3_nothink"],
    ["deepseek-ai/DeepSeek-V3", "deepseek3"],
    ["deepseek-ai/DeepSeek-V3-0324", "deepseek3"],
    ["/models/qwen3_8b/", "qwen3"],
    ["my-org/DeepSeek-R1-Distill-Qwen-7B-tabular", "deepseekr1"],
    ["my-org/Mistral-Small-24B-Instruct-2501-ft", "mistral_small"],
    ["my-org/Phi-4-mini-instruct-ft", "phi4_mini"],
    ["my-org/gpt-oss-20b-ft", "gpt_oss"],
    ["my-org/glm-4-9b-chat-ft", "glm4"],
    ["google/gemma-3n-E4B-it", "default"],
    ["huggyllama/llama-30b", "default"],
    ["my-org/tabular-model", "default"],
    ["", "default"],
  ];
  it.each(table)("%s → %s", (model, template) => {
    expect(guessTemplate(model)).toBe(template);
  });
});

describe("validateOverrides", () => {
  it("accepts known keys with values of the right type", () => {
    expect(validateOverrides({ lora_rank: 32, num_train_epochs: 5, lora_target: "q_proj,v_proj", use_dora: true })).toEqual({ ok: true });
    expect(validateOverrides({ learning_rate: "1e-4", bf16: "false" })).toEqual({ ok: true });
  });

  it("names the closest valid key for an unknown one", () => {
    const typo = validateOverrides({ lora_rnak: 32 });
    expect(typo.ok).toBe(false);
    if (!typo.ok) expect(typo.error).toContain('did you mean "lora_rank"');
    const alias = validateOverrides({ epochs: 5 });
    if (alias.ok) throw new Error("epochs should be rejected");
    expect(alias.error).toContain('did you mean "num_train_epochs"');
    expect(closestKey("learning_rat")).toBe("learning_rate");
    expect(editDistance("lora_rnak", "lora_rank")).toBe(2);
  });

  it("says what a key takes when the value has the wrong type", () => {
    const result = validateOverrides({ lora_rank: "abc" });
    if (result.ok) throw new Error("lora_rank: abc should be rejected");
    expect(result.error).toBe('lora_rank must be a number, got "abc"');
    const fraction = validateOverrides({ lora_rank: 3.5, lora_dropout: 1.5, use_dora: "maybe", flash_attn: "fa9" });
    if (fraction.ok) throw new Error("should be rejected");
    expect(fraction.error).toContain("lora_rank must be a whole number");
    expect(fraction.error).toContain("lora_dropout must be less than 1");
    expect(fraction.error).toContain("use_dora must be true or false");
    expect(fraction.error).toContain("flash_attn must be one of");

  });
});

describe("LlamaFactory YAML", () => {
  it("writes exponent floats and YAML 1.1 booleans so PyYAML reads them back typed", () => {
    expect(yaml11Exponent(1e-7)).toBe("1.0e-7");
    expect(yaml11Exponent(2.5e-8)).toBe("2.5e-8");
    expect(yaml11Exponent(1e21)).toBe("1.0e+21");
    expect(yaml11Exponent(2e-5)).toBeNull();
    const text = toLlamaFactoryYaml({ learning_rate: 1e-7, lr2: 2e-5, save_strategy: "no", lora_target: "q_proj,v_proj" });
    expect(text).toContain("learning_rate: 1.0e-7\n");
    expect(text).toContain("lr2: 0.00002\n");
    expect(text).toContain('save_strategy: "no"\n');
    expect(parse(text)).toEqual({ learning_rate: 1e-7, lr2: 2e-5, save_strategy: "no", lora_target: "q_proj,v_proj" });
  });
});

describe("writeLlamaFactoryConfigs", () => {
  it("writes dataset_info.json with a train and a test entry in Alpaca format", () => {
    const files = writeConfigs();
    expect(files.datasetInfoJson).toBe(join(dir, "data", "dataset_info.json"));
    const info: unknown = JSON.parse(readFileSync(files.datasetInfoJson, "utf8"));
    const columns = { prompt: "instruction", query: "input", response: "output" };
    expect(info).toEqual({
      churn_train: { file_name: "train.json", formatting: "alpaca", columns },
      churn_test: { file_name: "test.json", formatting: "alpaca", columns },
    });
  });

  it("keeps entries a user added to dataset_info.json", () => {
    writeConfigs();
    const path = join(dir, "data", "dataset_info.json");
    const info = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...info, mine: { file_name: "mine.json" } }));
    writeConfigs();
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")) as object).sort()).toEqual(["churn_test", "churn_train", "mine"]);
  });

  it("writes the training keys to train.yaml with their types", () => {
    const files = writeConfigs();
    const train = readYaml(files.trainYaml);
    expect(train).not.toHaveProperty("quantization_bit");
    expect(train).not.toHaveProperty("trust_remote_code");
    expect(train).toMatchObject({
      model_name_or_path: "Qwen/Qwen2.5-0.5B-Instruct",
      stage: "sft",
      do_train: true,
      finetuning_type: "lora",
      output_dir: join(dir, "run_1", "sft"),
      dataset_dir: join(dir, "data"),
      dataset: "churn_train",
      template: "qwen",
      overwrite_cache: true,
      seed: 42,
      lora_rank: 64,
      lora_alpha: 128,
      lora_dropout: 0.05,
      lora_target: "all",
      use_dora: false,
      learning_rate: 2e-5,
      num_train_epochs: 3,
      cutoff_len: 2048,
      bf16: true,
      fp16: false,
      flash_attn: "auto",
      report_to: "none",
      val_size: 0,
      eval_strategy: "no",
    });
    expect(typeof train.learning_rate).toBe("number");
    expect(train).not.toHaveProperty("overwrite_output_dir");
    for (const key of Object.keys(train)) {
      expect(llamafactoryArgument(key)?.parsers, key).toContain("train");
      if (STRUCTURAL_KEYS.includes(key)) continue;
      expect(overrideTargets(key).train, key).toBe(true);
    }
  });

  it("applies overrides with their YAML types, over the options", () => {
    const files = writeConfigs({ lora_rank: 32, num_train_epochs: 5, lora_target: "q_proj,v_proj", learning_rate: "1e-7", fp16: true, val_size: 0.1, template: "qwen3" });
    const text = readFileSync(files.trainYaml, "utf8");
    expect(text).toContain("lora_rank: 32\n");
    expect(text).toContain("learning_rate: 1.0e-7\n");
    const train = readYaml(files.trainYaml);
    expect(train).toMatchObject({
      lora_rank: 32,
      num_train_epochs: 5,
      lora_target: "q_proj,v_proj",
      learning_rate: 1e-7,
      fp16: true,
      bf16: false,
      val_size: 0.1,
      eval_strategy: "steps",
      template: "qwen3",
    });
    const predict = readYaml(files.predictTestYaml);
    expect(predict).toMatchObject({ fp16: true, bf16: false, template: "qwen3" });
    expect(predict).not.toHaveProperty("lora_rank");
  });

  it("refuses an unknown override key with a did-you-mean", () => {
    expect(() => writeConfigs({ lora_rnak: 32 })).toThrow(TabtuneError);
    expect(() => writeConfigs({ lora_rnak: 32 })).toThrow(/did you mean "lora_rank"/);
  });

  it("writes quantization_bit and trust_remote_code only when asked", () => {
    const files = writeConfigs({}, { quantizationBit: 4, trustRemoteCode: true });
    for (const path of [files.trainYaml, files.predictTrainYaml, files.predictTestYaml]) {
      expect(readYaml(path)).toMatchObject({ quantization_bit: 4, trust_remote_code: true });
    }
  });

  it("writes greedy prediction configs without training-only keys", () => {
    const files = writeConfigs();
    const predictTrain = readYaml(files.predictTrainYaml);
    const predictTest = readYaml(files.predictTestYaml);
    for (const [predict, name] of [[predictTrain, "train"], [predictTest, "test"]] as const) {
      expect(predict).toMatchObject({
        model_name_or_path: "Qwen/Qwen2.5-0.5B-Instruct",
        adapter_name_or_path: join(dir, "run_1", "sft"),
        stage: "sft",
        do_predict: true,
        predict_with_generate: true,
        finetuning_type: "lora",
        eval_dataset: `churn_${name}`,
        dataset_dir: join(dir, "data"),
        template: "qwen",
        do_sample: false,
        max_new_tokens: 16,
        output_dir: join(dir, "run_1", `predict_${name}`),
        per_device_eval_batch_size: 4,
        cutoff_len: 2048,
        // report_to is overridable for training only, but prediction always reports nowhere.
        report_to: "none",
      });
      for (const key of ["lora_rank", "learning_rate", "num_train_epochs", "save_steps", "val_size", "plot_loss"]) expect(predict, key).not.toHaveProperty(key);
      expect(predict).not.toHaveProperty("overwrite_output_dir");
      expect(predict).not.toHaveProperty("do_train");
      expect(predict).not.toHaveProperty("dataset");
    }
  });
});

describe("commands", () => {
  it("builds argv arrays for llamafactory-cli", () => {
    const files = writeConfigs();
    expect(llamafactoryCommands(files)).toEqual({
      train: ["llamafactory-cli", "train", files.trainYaml],
      predictTrain: ["llamafactory-cli", "train", files.predictTrainYaml],
      predictTest: ["llamafactory-cli", "train", files.predictTestYaml],
    });
    expect(formatCommand(["llamafactory-cli", "train", "/a b/it's.yaml"])).toBe(`llamafactory-cli train '/a b/it'\\''s.yaml'`);
  });

  it("finds executables on PATH and only executables", () => {
    const fixtures = resolve("test/fixtures");
    expect(findExecutable("fake-llamafactory-cli", `${dir}${delimiter}${fixtures}`)).toBe(FAKE_CLI);
    expect(findExecutable("penguins.csv", fixtures)).toBeNull();
    expect(findExecutable("no-such-tool-anywhere", fixtures)).toBeNull();
    expect(findExecutable("fake-llamafactory-cli", "")).toBeNull();
  });
});

describe("runStreaming against the fake llamafactory-cli", () => {
  /** PATH with a folder whose llamafactory-cli is the fake, first. */
  function fakeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const bin = join(dir, "bin");
    if (!existsSync(bin)) {
      mkdirSync(bin);
      symlinkSync(FAKE_CLI, join(bin, "llamafactory-cli"));
    }
    return { ...process.env, ...extra, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` };
  }

  it("trains, then predicts both splits, streaming output to the callback and the log", async () => {
    const files = writeConfigs({ lora_target: "q_proj,v_proj" });
    writeData(join(dir, "data"));
    const env = fakeEnv();
    expect(findExecutable("llamafactory-cli", env.PATH)).toBe(join(dir, "bin", "llamafactory-cli"));
    const commands = llamafactoryCommands(files);
    const logFile = join(dir, "run_1", "logs", "finetune.log");
    const lines: string[] = [];

    const train = await runStreaming(commands.train, { cwd: dir, env, logFile, onLine: (l) => lines.push(l) });
    expect(train.exitCode).toBe(0);
    // 5 records, batch 2 × accumulation 8 → 1 step an epoch, 3 epochs; logging_steps 10 → the last step is logged.
    expect(lines.filter((l) => l.startsWith("{'loss'"))).toHaveLength(1);
    expect(lines.filter((l) => / 3\/3 \[/.test(l))).toHaveLength(1);
    expect(lines.some((l) => l.includes("Loaded 5 examples"))).toBe(true); // stderr is streamed too
    const adapter = JSON.parse(readFileSync(join(dir, "run_1", "sft", "adapter_config.json"), "utf8")) as { target_modules: string[] };
    expect(adapter.target_modules).toEqual(["q_proj", "v_proj"]);

    for (const [argv, split, count] of [[commands.predictTrain, "train", 5], [commands.predictTest, "test", 4]] as const) {
      const result = await runStreaming(argv, { cwd: dir, env, logFile });
      expect(result.exitCode, result.tail.join("\n")).toBe(0);
      const jsonl = readFileSync(join(dir, "run_1", `predict_${split}`, "generated_predictions.jsonl"), "utf8");
      const predictions = jsonl.trim().split("\n").map((l) => JSON.parse(l) as { prompt: string; predict: string; label: string });
      expect(predictions).toHaveLength(count);
      expect(predictions[3]?.predict).toBe(`The answer is ${predictions[3]?.label}.`);
      expect(predictions[0]?.predict).toBe(predictions[0]?.label);
    }
    const log = readFileSync(logFile, "utf8");
    expect(log).toContain("{'loss'");
    expect(log).toContain("predict_samples = 4");
  });

  it("returns a failing exit code and the tail when the tool fails", async () => {
    const files = writeConfigs();
    writeData(join(dir, "data"));
    const result = await runStreaming(llamafactoryCommands(files).train, {
      cwd: dir,
      env: fakeEnv({ FAKE_LLAMAFACTORY_FAIL: "train" }),
      logFile: join(dir, "train.log"),
    });
    expect(result.exitCode).toBe(1);
    expect(result.tail.at(-1)).toContain("CUDA out of memory");
  });

  it("makes the fake refuse unknown keys, as LlamaFactory does", async () => {
    const files = writeConfigs();
    writeFileSync(files.trainYaml, `${readFileSync(files.trainYaml, "utf8")}lora_rnak: 8\n`);
    const result = await runStreaming([FAKE_CLI, "train", files.trainYaml], { cwd: dir, logFile: join(dir, "x.log") });
    expect(result.exitCode).toBe(1);
    expect(result.tail.join("\n")).toContain("'lora_rnak'");
  });

  it("reports a command that cannot start as exit code 127", async () => {
    const result = await runStreaming(["/no/such/llamafactory-cli", "train"], { cwd: dir, logFile: join(dir, "x.log") });
    expect(result.exitCode).toBe(127);
    expect(result.tail.join("\n")).toContain("ENOENT");
  });

  it("keeps only the last 40 lines and splits \\r progress updates", async () => {
    const script = "for (let i = 0; i < 100; i++) process.stdout.write(`line ${i}\\n`); process.stderr.write('a\\rb\\r\\nc')";
    const lines: string[] = [];
    const result = await runStreaming([process.execPath, "-e", script], { cwd: dir, logFile: join(dir, "x.log"), onLine: (l) => lines.push(l) });
    expect(result.exitCode).toBe(0);
    expect(lines).toHaveLength(103);
    expect(result.tail).toHaveLength(40);
    expect(lines.slice(-3)).toEqual(["a", "b", "c"]);
  });
});
