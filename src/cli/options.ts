/** Commander flags → RunOptions, with config/default.yaml and `.env` as the fallbacks. */
import { spawnSync } from "node:child_process";
import { userInfo } from "node:os";
import { basename, extname, join } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import type { Config } from "../config.js";
import { readLlmEnv } from "../env.js";
import { TabtuneError, zodIssuesLine } from "../errors.js";
import { rememberApiKey } from "../finetune/predict-endpoint.js";
import { RunOptions, type Provider } from "../options.js";

export const START_FROM = ["review_prep", "split", "config", "predict", "evaluate"] as const;
export type StartFrom = (typeof START_FROM)[number];

const number = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${value}"`);
  return n;
};
const integer = (name: string) => (value: string) => {
  const n = number(name)(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
  return n;
};
const wholeNumber = (name: string) => (value: string) => {
  const n = number(name)(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number, got "${value}"`);
  return n;
};
const positive = (name: string) => (value: string) => {
  const n = number(name)(value);
  if (!(n > 0)) throw new InvalidArgumentError(`${name} must be a number greater than 0, got "${value}"`);
  return n;
};
const temperature = (value: string) => {
  const n = number("--agent-temperature")(value);
  if (!(n >= 0 && n <= 2)) throw new InvalidArgumentError(`--agent-temperature must be between 0 and 2, got "${value}"`);
  return n;
};
const nonNegativeInteger = (name: string) => (value: string) => {
  const n = number(name)(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number ≥ 0, got "${value}"`);
  return n;
};
const port = (value: string) => {
  const n = integer("--master-port")(value);
  if (n > 65535) throw new InvalidArgumentError(`--master-port must be at most 65535, got "${value}"`);
  return n;
};
const url = (value: string) => {
  if (!/^https?:\/\/[^\s]+$/.test(value)) throw new InvalidArgumentError(`--predict-endpoint must be an http(s) URL such as http://localhost:8000/v1, got "${value}"`);
  return value;
};
const list = (value: string) => value.split(",").map((v) => v.trim()).filter((v) => v !== "");
const ratio = (value: string) => {
  const n = number("--test-ratio")(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`--test-ratio must be between 0 and 1 (exclusive), got "${value}"`);
  return n;
};

/** Commander output settings that print a bad flag and the pointer to `help` on one line (use with .configureOutput). */
export function oneLineErrors(help: string): { outputError: (text: string, write: (text: string) => void) => void } {
  return { outputError: (text, write) => write(`${text.trimEnd()} (run ${help} for every flag)\n`) };
}

export function buildProgram(config: Config): Command {
  const t = config.training;
  return new Command("tabtune")
    .description("Turn a CSV into a reviewed LLM fine-tuning dataset, LlamaFactory configs, a baseline and honest metrics.")
    .requiredOption("--csv <path>", "training CSV")
    .option("--model <id>", "HuggingFace model id to fine-tune", t.model)
    .option("--target <column>", "target column (detected when omitted)")
    .option("--output <dir>", "output folder (default: output/<csv_stem>)")
    .option("--test-csv <path>", "held-out test CSV instead of a random split")
    .option("--test-ratio <ratio>", "test share of a random split", ratio, config.split.testRatio)
    .addOption(new Option("--start-from <step>", "re-enter a run (--resume ID, default the latest) at this step as a new run folder, with new flags").choices(START_FROM))
    .option("--agent-api-base <url>", "OpenAI-compatible base URL for the agent (or .env openAI_endpoint)")
    .option("--agent-api-key <key>", "API key (or .env auth_key / OPENAI_API_KEY); never stored")
    .option("--agent-model <name>", "model for reasoning decisions (or .env agent_LLM)")
    .option("--coder-model <name>", "model for code (or .env coder_LLM; default: the agent model)")
    .option("--agent-temperature <t>", "sampling temperature of the agent", temperature, config.llm.temperature)
    .option("-v, --verbose", "print more detail (training output, every check)", false)
    .option("--lora-rank <n>", "LoRA rank", integer("--lora-rank"), t.loraRank)
    .option("--lora-alpha <n>", "LoRA alpha", integer("--lora-alpha"), t.loraAlpha)
    .option("--use-dora", "use DoRA", t.useDora)
    .option("--cutoff-len <n>", "maximum tokens per example", integer("--cutoff-len"), t.cutoffLen)
    .option("--epochs <n>", "training epochs", positive("--epochs"), t.epochs)
    .option("--learning-rate <lr>", "learning rate", positive("--learning-rate"), t.learningRate)
    .option("--batch-size <n>", "per-device train batch size", integer("--batch-size"), t.batchSize)
    .option("--grad-accumulation <n>", "gradient accumulation steps", integer("--grad-accumulation"), t.gradAccumulation)
    .option("--logging-steps <n>", "log every n steps", integer("--logging-steps"), t.loggingSteps)
    .option("--save-steps <n>", "save a checkpoint every n steps", integer("--save-steps"), t.saveSteps)
    .addOption(new Option("--quantization-bit <bits>", "QLoRA quantization").choices(["4", "8"]))
    .addOption(new Option("--flash-attn <mode>", "flash attention").choices(["auto", "fa2", "disabled"]).default(t.flashAttn))
    .addOption(new Option("--precision <p>", "training precision").choices(["bf16", "fp16"]).default(t.precision))
    .addOption(new Option("--provider <name>", "who makes the agent's decisions").choices(["heuristic", "openai", "bedrock"]))
    .option("--yes", "approve every review checkpoint", false)
    .option("--answers <file>", "one answer per review checkpoint (lines, or a JSON array of strings)")
    .option("--accept-failed-checks", "let --yes / --answers approve past failed blocking checks (the log and report say so)", false)
    .option("--resume [run_id]", "continue a paused or interrupted run: its id run_<timestamp> or its folder (default: the latest run of --output)")
    .option("--seed <n>", "random seed for split, balancing and the baseline", wholeNumber("--seed"), config.seed)
    .option("--finetune", "run llamafactory-cli train/predict when it is on PATH", false)
    .option("--gpus <n>", "GPUs per node for training (torchrun: NPROC_PER_NODE)", integer("--gpus"), 1)
    .option("--nnodes <n>", "machines taking part in training (NNODES)", integer("--nnodes"), 1)
    .option("--node-rank <n>", "this machine's rank, 0 … nnodes-1 (NODE_RANK)", nonNegativeInteger("--node-rank"), 0)
    .option("--master-addr <host>", "address of rank 0 (MASTER_ADDR)", config.distributed.masterAddr)
    .option("--master-port <port>", "port of rank 0 (MASTER_PORT)", port, config.distributed.masterPort)
    .addOption(new Option("--deepspeed <stage>", "DeepSpeed ZeRO stage for training (writes ds_<stage>_config.json)").choices(["z2", "z3"]))
    .option("--predict-endpoint <url>", "score a model served over an OpenAI-compatible API (…/v1) on the test records", url)
    .option("--predict-model <name>", "model name for --predict-endpoint (default: the first the server lists)")
    .option("--predict-concurrency <n>", "requests in flight against --predict-endpoint", integer("--predict-concurrency"), config.predict.concurrency)
    .option("--approver <name>", "who answers the reviews, named in the log, report and model card (default: git user.name, else the OS user)")
    .option("--subgroups <columns>", "comma-separated columns to report test performance by (e.g. Sex,Island)", list)
    .option("--intended-use <text>", "what the model is for, for the model card")
    .option("--json", "print one JSON event per line on stdout (progress, reviews, metrics, the end); human text goes to stderr", false)
    .configureOutput(oneLineErrors("tabtune --help"));
}

export interface CliFlags {
  csv: string;
  model: string;
  target?: string;
  output?: string;
  testCsv?: string;
  testRatio: number;
  startFrom?: StartFrom;
  agentApiBase?: string;
  agentApiKey?: string;
  agentModel?: string;
  coderModel?: string;
  agentTemperature: number;
  verbose: boolean;
  loraRank: number;
  loraAlpha: number;
  useDora: boolean;
  cutoffLen: number;
  epochs: number;
  learningRate: number;
  batchSize: number;
  gradAccumulation: number;
  loggingSteps: number;
  saveSteps: number;
  quantizationBit?: "4" | "8";
  flashAttn: "auto" | "fa2" | "disabled";
  precision: "bf16" | "fp16";
  provider?: Provider;
  yes: boolean;
  /** Scripted answers may pass failed blocking checks (nodes/review.ts gates). */
  acceptFailedChecks: boolean;
  answers?: string;
  resume?: string | true;
  seed: number;
  finetune: boolean;
  gpus: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
  deepspeed?: "z2" | "z3";
  predictEndpoint?: string;
  predictModel?: string;
  predictConcurrency: number;
  approver?: string;
  subgroups?: string[];
  intendedUse?: string;
  /** One JSON event per line on stdout (cli/json-events.ts); a presentation flag, not a run option. */
  json: boolean;
}

/** The approver when --approver is not given: git's user.name, else the OS user, else null. */
export function defaultApprover(): string | null {
  const git = spawnSync("git", ["config", "user.name"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 });
  const name = git.status === 0 ? git.stdout.trim() : "";
  if (name) return name;
  try {
    return userInfo().username || null;
  } catch {
    return null; // no passwd entry for this uid (some containers)
  }
}

export function defaultOutput(csv: string): string {
  return join("output", basename(csv, extname(csv)));
}

/** openai needs an API base and a model; bedrock a model (region and credentials come from AWS). */
function requireProviderSettings(provider: Provider, apiBase: string | null, agentModel: string | null): void {
  if (provider === "openai" && !apiBase)
    throw new TabtuneError("provider_settings", "--provider openai needs an API base URL", { suggestion: "pass --agent-api-base http://host:port/v1 or set openAI_endpoint in .env" });
  if (provider !== "heuristic" && !agentModel)
    throw new TabtuneError("provider_settings", `--provider ${provider} needs a model name`, { suggestion: "pass --agent-model <name> or set agent_LLM in .env" });
}

export function optionsFromFlags(flags: CliFlags, config: Config): RunOptions {
  const env = readLlmEnv();
  const apiBase = flags.agentApiBase ?? env.apiBase;
  const t = config.training;
  rememberApiKey(flags.agentApiKey); // kept in memory for --predict-endpoint, never in options
  if (flags.nodeRank >= flags.nnodes)
    throw new TabtuneError("bad_flag", `--node-rank must be below --nnodes (${flags.nnodes}), got ${flags.nodeRank}`, { suggestion: "number the machines 0 … nnodes-1" });
  const provider = flags.provider ?? (apiBase ? "openai" : "heuristic");
  const agentModel = flags.agentModel ?? env.agentModel;
  requireProviderSettings(provider, apiBase, agentModel);
  const input = {
    csv: flags.csv,
    testCsv: flags.testCsv ?? null,
    output: flags.output ?? defaultOutput(flags.csv),
    target: flags.target ?? null,
    testRatio: flags.testRatio,
    seed: flags.seed,
    provider,
    agentApiBase: apiBase,
    agentModel,
    coderModel: flags.coderModel ?? env.coderModel ?? flags.agentModel ?? env.agentModel,
    agentTemperature: flags.agentTemperature,
    finetune: flags.finetune,
    verbose: flags.verbose,
    training: {
      model: flags.model,
      loraRank: flags.loraRank,
      loraAlpha: flags.loraAlpha,
      loraDropout: t.loraDropout,
      loraTarget: t.loraTarget,
      useDora: flags.useDora,
      cutoffLen: flags.cutoffLen,
      epochs: flags.epochs,
      learningRate: flags.learningRate,
      lrSchedulerType: t.lrSchedulerType,
      warmupRatio: t.warmupRatio,
      batchSize: flags.batchSize,
      evalBatchSize: t.evalBatchSize,
      gradAccumulation: flags.gradAccumulation,
      loggingSteps: flags.loggingSteps,
      saveSteps: flags.saveSteps,
      precision: flags.precision,
      flashAttn: flags.flashAttn,
      quantizationBit: flags.quantizationBit ? (Number(flags.quantizationBit) as 4 | 8) : null,
      maxNewTokens: t.maxNewTokens,
      preprocessingWorkers: t.preprocessingWorkers,
      seed: flags.seed,
    },
    distributed: {
      gpus: flags.gpus,
      nnodes: flags.nnodes,
      nodeRank: flags.nodeRank,
      masterAddr: flags.masterAddr,
      masterPort: flags.masterPort,
      deepspeed: flags.deepspeed ?? null,
    },
    predictEndpoint: flags.predictEndpoint ? { url: flags.predictEndpoint, model: flags.predictModel ?? null, concurrency: flags.predictConcurrency } : null,
    approver: flags.approver ?? defaultApprover(),
    subgroups: flags.subgroups ?? [],
    intendedUse: flags.intendedUse ?? null,
  };
  const parsed = RunOptions.safeParse(input);
  if (!parsed.success)
    throw new TabtuneError("bad_flag", zodIssuesLine(parsed.error, { name: flagForPath, input }), { suggestion: "run tabtune --help for every flag" });
  return parsed.data;
}

/** Option paths whose flag is not the kebab-case of their last key. */
const FLAG_OF_PATH: Record<string, string> = {
  "predictEndpoint.url": "--predict-endpoint",
  "predictEndpoint.model": "--predict-model",
  "predictEndpoint.concurrency": "--predict-concurrency",
  agentApiBase: "--agent-api-base or .env openAI_endpoint",
};
/** Keys of RunOptions that come from config/default.yaml, not from a flag. */
const CONFIG_ONLY = new Set(["loraDropout", "loraTarget", "lrSchedulerType", "warmupRatio", "evalBatchSize", "maxNewTokens", "preprocessingWorkers"]);

/** The flag (or config key) a user typed for a RunOptions path, for one-line errors. */
function flagForPath(path: readonly PropertyKey[]): string {
  const key = path.map(String).join(".");
  const last = String(path[path.length - 1] ?? "");
  if (FLAG_OF_PATH[key]) return FLAG_OF_PATH[key];
  if (CONFIG_ONLY.has(last)) return `config ${key}`;
  return `--${last.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * For --start-from: the stored options with only the flags typed on this command line
 * applied, so a run started with --epochs 5 keeps 5 when re-entered with --test-ratio 0.3.
 */
export function mergeExplicitFlags(stored: RunOptions, fresh: RunOptions, explicit: (key: keyof CliFlags) => boolean): RunOptions {
  const next: RunOptions = structuredClone(stored);
  const top: [keyof CliFlags, keyof RunOptions][] = [
    ["testRatio", "testRatio"], ["seed", "seed"], ["agentApiBase", "agentApiBase"], ["agentModel", "agentModel"],
    ["coderModel", "coderModel"], ["agentTemperature", "agentTemperature"], ["finetune", "finetune"], ["verbose", "verbose"], ["provider", "provider"],
  ];
  for (const [flag, key] of top) if (explicit(flag)) Object.assign(next, { [key]: fresh[key] });
  const training: [keyof CliFlags, keyof RunOptions["training"]][] = [
    ["model", "model"], ["loraRank", "loraRank"], ["loraAlpha", "loraAlpha"], ["useDora", "useDora"], ["cutoffLen", "cutoffLen"],
    ["epochs", "epochs"], ["learningRate", "learningRate"], ["batchSize", "batchSize"], ["gradAccumulation", "gradAccumulation"],
    ["loggingSteps", "loggingSteps"], ["saveSteps", "saveSteps"], ["quantizationBit", "quantizationBit"], ["flashAttn", "flashAttn"], ["precision", "precision"],
  ];
  for (const [flag, key] of training) if (explicit(flag)) Object.assign(next.training, { [key]: fresh.training[key] });
  if (explicit("seed")) next.training.seed = fresh.seed;
  // Runs stored before these options existed get the defaults (one process, no endpoint).
  next.distributed ??= fresh.distributed;
  next.predictEndpoint ??= null;
  const distributed: [keyof CliFlags, keyof RunOptions["distributed"]][] = [
    ["gpus", "gpus"], ["nnodes", "nnodes"], ["nodeRank", "nodeRank"], ["masterAddr", "masterAddr"], ["masterPort", "masterPort"], ["deepspeed", "deepspeed"],
  ];
  for (const [flag, key] of distributed) if (explicit(flag)) Object.assign(next.distributed, { [key]: fresh.distributed[key] });
  if (explicit("predictEndpoint")) next.predictEndpoint = fresh.predictEndpoint;
  // Runs stored before the report's flags existed get this command line's values.
  if (explicit("approver") || !next.approver) next.approver = fresh.approver;
  if (explicit("subgroups") || !next.subgroups) next.subgroups = fresh.subgroups;
  if (explicit("intendedUse") || next.intendedUse === undefined) next.intendedUse = fresh.intendedUse;
  if (next.predictEndpoint && explicit("predictModel")) next.predictEndpoint.model = fresh.predictEndpoint?.model ?? null;
  if (next.predictEndpoint && explicit("predictConcurrency")) next.predictEndpoint.concurrency = fresh.predictEndpoint?.concurrency ?? next.predictEndpoint.concurrency;
  return next;
}
