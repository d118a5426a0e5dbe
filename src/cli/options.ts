/**
 * The command line's flags, declared once in FLAGS (flag, option path, parse, help): commander's
 * options, the CliFlags type, optionsFromFlags and mergeExplicitFlags are all derived from it.
 * Defaults come from src/options.ts (optionDefaults), which reads config/default.yaml.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { checkTemplateName } from "../finetune/template.js";
import type { Config } from "../config.js";
import { readLlmEnv } from "../env.js";
import { TabtuneError, zodIssuesLine } from "../errors.js";
import { START_FROM } from "../start-from.js";
import { defaultApprover, defaultOutput, fillRunOptions, optionDefaults, Provider, RunOptions, RunOptionsInput } from "../options.js";

export { defaultApprover, defaultOutput };

export { START_FROM, type StartFrom } from "../start-from.js";

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


/** A dotted path into RunOptions that a flag sets. */
type OptionPath =
  | keyof RunOptions
  | `training.${keyof RunOptions["training"]}`
  | `distributed.${keyof RunOptions["distributed"]}`
  | `predictEndpoint.${keyof NonNullable<RunOptions["predictEndpoint"]>}`;

/** One row of the flag table. `T` is the parsed value; `Always` says the value is never undefined. */
interface Flag<T, Always extends boolean> {
  /** Commander's flags: "--lora-rank <n>", "-v, --verbose", "--resume [run_id]". */
  flags: string;
  help: string;
  /** The run options the value sets; none for flags that steer the command (--yes, --resume…). */
  paths: readonly OptionPath[];
  parse?: (raw: string) => T;
  choices?: readonly string[];
  /** The option's value for a typed value, when it is not the value itself (--quantization-bit "4" → 4). */
  toOption?: (value: unknown) => unknown;
  /** The default commander shows and uses: none, the option's default (at paths[0]), or this value. */
  fallback: "none" | "option" | { value: (config: Config) => T };
  required?: boolean;
  /** --start-from with this flag replaces the whole group (a new endpoint is not the old one's URL edited). */
  replacesGroup?: boolean;
  /** Where else the value may come from, for error messages ("or .env openAI_endpoint"). */
  alsoFrom?: string;
  /** An environment variable commander reads when the flag is not typed (shown in --help). */
  env?: string;
  readonly always: Always;
}
type Spec<T> = Omit<Flag<T, boolean>, "always" | "fallback" | "paths"> & { paths?: readonly OptionPath[] };

/** A flag that must be given. */
function required(spec: Spec<string>): Flag<string, true> {
  return { paths: [], ...spec, required: true, fallback: "none", always: true };
}
/** A flag that may be absent (no default). */
function maybe<T = string>(spec: Spec<T>): Flag<T, false> {
  return { paths: [], ...spec, fallback: "none", always: false };
}
/** A flag whose default is the option's default (optionDefaults), shown in --help. */
function defaulted<T>(spec: Spec<T> & { paths: readonly OptionPath[] }): Flag<T, true> {
  return { ...spec, fallback: "option", always: true };
}
/** An on/off flag, off unless the option's default says otherwise. */
function toggle(spec: Spec<boolean>): Flag<boolean, true> {
  const paths = spec.paths ?? [];
  return { ...spec, paths, fallback: paths.length > 0 ? "option" : { value: () => false }, always: true };
}
/** A flag with a default that is no run option's default. */
function fixed<T>(spec: Spec<T>, value: (config: Config) => T): Flag<T, true> {
  return { paths: [], ...spec, fallback: { value }, always: true };
}
/** A chat template LlamaFactory registers (finetune/registry.ts), or the closest one named. */
function templateName(value: string): string {
  try {
    checkTemplateName(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message.replace(/^--template /, "") : String(error));
  }
  return value;
}
/** A flag taking one of `choices`. */
function choice<const C extends readonly string[]>(spec: Spec<C[number]> & { choices: C }): Flag<C[number], false> {
  return maybe<C[number]>(spec);
}
function defaultedChoice<const C extends readonly string[]>(spec: Spec<C[number]> & { choices: C; paths: readonly OptionPath[] }): Flag<C[number], true> {
  return defaulted<C[number]>(spec);
}

/**
 * Every flag of `tabtune`, in --help order. The key is commander's name for the flag
 * (camelCase of the long flag), checked when the program is built.
 */
export const FLAGS = {
  csv: required({ flags: "--csv <path>", help: "training CSV", paths: ["csv"] }),
  model: defaulted<string>({ flags: "--model <id>", help: "HuggingFace model id to fine-tune", paths: ["training.model"] }),
  target: maybe({ flags: "--target <column>", help: "target column (detected when omitted)", paths: ["target"] }),
  output: maybe({ flags: "--output <dir>", help: "output folder (default: output/<csv_stem>)", paths: ["output"] }),
  testCsv: maybe({ flags: "--test-csv <path>", help: "held-out test CSV instead of a random split", paths: ["testCsv"] }),
  testRatio: defaulted({ flags: "--test-ratio <ratio>", help: "test share of a random split", paths: ["testRatio"], parse: ratio }),
  startFrom: choice({ flags: "--start-from <step>", help: "re-enter a run (--resume ID, default the latest) at this step as a new run folder, with new flags", choices: START_FROM }),
  agentApiBase: maybe({ flags: "--agent-api-base <url>", help: "OpenAI-compatible base URL for the agent (or .env openAI_endpoint)", paths: ["agentApiBase"], alsoFrom: ".env openAI_endpoint" }),
  agentApiKey: maybe({ flags: "--agent-api-key <key>", help: "API key (or .env auth_key / OPENAI_API_KEY); never stored" }),
  agentModel: maybe({ flags: "--agent-model <name>", help: "model for reasoning decisions (or .env agent_LLM)", paths: ["agentModel"] }),
  coderModel: maybe({ flags: "--coder-model <name>", help: "model for code (or .env coder_LLM; default: the agent model)", paths: ["coderModel"] }),
  agentTemperature: defaulted({ flags: "--agent-temperature <t>", help: "sampling temperature of the agent", paths: ["agentTemperature"], parse: temperature }),
  verbose: toggle({ flags: "-v, --verbose", help: "print more detail (training output, every check)", paths: ["verbose"] }),
  loraRank: defaulted({ flags: "--lora-rank <n>", help: "LoRA rank", paths: ["training.loraRank"], parse: integer("--lora-rank") }),
  loraAlpha: defaulted({ flags: "--lora-alpha <n>", help: "LoRA alpha", paths: ["training.loraAlpha"], parse: integer("--lora-alpha") }),
  useDora: toggle({ flags: "--use-dora", help: "use DoRA", paths: ["training.useDora"] }),
  cutoffLen: defaulted({ flags: "--cutoff-len <n>", help: "maximum tokens per example", paths: ["training.cutoffLen"], parse: integer("--cutoff-len") }),
  epochs: defaulted({ flags: "--epochs <n>", help: "training epochs", paths: ["training.epochs"], parse: positive("--epochs") }),
  learningRate: defaulted({ flags: "--learning-rate <lr>", help: "learning rate", paths: ["training.learningRate"], parse: positive("--learning-rate") }),
  batchSize: defaulted({ flags: "--batch-size <n>", help: "per-device train batch size", paths: ["training.batchSize"], parse: integer("--batch-size") }),
  gradAccumulation: defaulted({ flags: "--grad-accumulation <n>", help: "gradient accumulation steps", paths: ["training.gradAccumulation"], parse: integer("--grad-accumulation") }),
  loggingSteps: defaulted({ flags: "--logging-steps <n>", help: "log every n steps", paths: ["training.loggingSteps"], parse: integer("--logging-steps") }),
  saveSteps: defaulted({ flags: "--save-steps <n>", help: "save a checkpoint every n steps", paths: ["training.saveSteps"], parse: integer("--save-steps") }),
  quantizationBit: choice({ flags: "--quantization-bit <bits>", help: "QLoRA quantization", choices: ["4", "8"], paths: ["training.quantizationBit"], toOption: Number }),
  flashAttn: defaultedChoice({ flags: "--flash-attn <mode>", help: "flash attention", choices: ["auto", "fa2", "disabled"], paths: ["training.flashAttn"] }),
  precision: defaultedChoice({ flags: "--precision <p>", help: "training precision", choices: ["bf16", "fp16"], paths: ["training.precision"] }),
  template: maybe({ flags: "--template <name>", help: "LlamaFactory chat template (default: the one LlamaFactory registers for --model)", paths: ["template"], parse: templateName }),
  provider: choice({ flags: "--provider <name>", help: "who makes the agent's decisions", choices: Provider.options, paths: ["provider"] }),
  yes: toggle({ flags: "--yes", help: "approve every review checkpoint" }),
  answers: maybe({ flags: "--answers <file>", help: "one answer per review checkpoint (lines, or a JSON array of strings)" }),
  /** Scripted answers may pass failed blocking checks (nodes/review.ts gates). */
  acceptFailedChecks: toggle({ flags: "--accept-failed-checks", help: "let --yes / --answers approve past failed blocking checks (the log and report say so)" }),
  resume: maybe<string | true>({ flags: "--resume [run_id]", help: "continue a paused or interrupted run: its id run_<timestamp> or its folder (default: the latest run of --output)" }),
  /** Where runs are checkpointed (src/checkpointer.ts, checked when it is opened: commander's own error would repeat a password); never stored. */
  checkpointer: maybe({ flags: "--checkpointer <url>", help: "checkpoint runs in this PostgreSQL database, shared by a team: postgres://user:password@host:5432/db (default: <output>/checkpoints.sqlite)", env: "TABTUNE_CHECKPOINTER" }),
  seed: defaulted({ flags: "--seed <n>", help: "random seed for split, balancing and the baseline", paths: ["seed", "training.seed"], parse: wholeNumber("--seed") }),
  finetune: toggle({ flags: "--finetune", help: "run llamafactory-cli train/predict when it is on PATH", paths: ["finetune"] }),
  gpus: defaulted({ flags: "--gpus <n>", help: "GPUs per node for training (torchrun: NPROC_PER_NODE)", paths: ["distributed.gpus"], parse: integer("--gpus") }),
  nnodes: defaulted({ flags: "--nnodes <n>", help: "machines taking part in training (NNODES)", paths: ["distributed.nnodes"], parse: integer("--nnodes") }),
  nodeRank: defaulted({ flags: "--node-rank <n>", help: "this machine's rank, 0 … nnodes-1 (NODE_RANK)", paths: ["distributed.nodeRank"], parse: nonNegativeInteger("--node-rank") }),
  masterAddr: defaulted<string>({ flags: "--master-addr <host>", help: "address of rank 0 (MASTER_ADDR)", paths: ["distributed.masterAddr"] }),
  masterPort: defaulted({ flags: "--master-port <port>", help: "port of rank 0 (MASTER_PORT)", paths: ["distributed.masterPort"], parse: port }),
  deepspeed: choice({ flags: "--deepspeed <stage>", help: "DeepSpeed ZeRO stage for training (writes ds_<stage>_config.json)", choices: ["z2", "z3"], paths: ["distributed.deepspeed"] }),
  predictEndpoint: maybe({ flags: "--predict-endpoint <url>", help: "score a model served over an OpenAI-compatible API (…/v1) on the test records", paths: ["predictEndpoint.url"], parse: url, replacesGroup: true }),
  predictModel: maybe({ flags: "--predict-model <name>", help: "model name for --predict-endpoint (default: the first the server lists)", paths: ["predictEndpoint.model"] }),
  predictConcurrency: fixed({ flags: "--predict-concurrency <n>", help: "requests in flight against --predict-endpoint", paths: ["predictEndpoint.concurrency"], parse: integer("--predict-concurrency") }, (config) => config.predict.concurrency),
  approver: maybe({ flags: "--approver <name>", help: "who answers the reviews, named in the log, report and model card (default: git user.name, else the OS user)", paths: ["approver"] }),
  subgroups: maybe({ flags: "--subgroups <columns>", help: "comma-separated columns to report test performance by (e.g. Sex,Island)", paths: ["subgroups"], parse: list }),
  intendedUse: maybe({ flags: "--intended-use <text>", help: "what the model is for, for the model card", paths: ["intendedUse"] }),
  /** One JSON event per line on stdout (cli/json-events.ts); a presentation flag, not a run option. */
  json: toggle({ flags: "--json", help: "print one JSON event per line on stdout (progress, reviews, metrics, the end); human text goes to stderr" }),
};

type FlagTable = typeof FLAGS;
type FlagValue<F> = F extends Flag<infer T, boolean> ? T : never;
type AlwaysKeys = { [K in keyof FlagTable]: FlagTable[K] extends Flag<unknown, true> ? K : never }[keyof FlagTable];
/** The parsed command line, as commander's `opts()` returns it. */
export type CliFlags = { [K in AlwaysKeys]: FlagValue<FlagTable[K]> } & { [K in Exclude<keyof FlagTable, AlwaysKeys>]?: FlagValue<FlagTable[K]> };

/** The value at a dotted path, or undefined. */
function valueAt(root: unknown, path: string): unknown {
  let at: unknown = root;
  for (const key of path.split(".")) at = at !== null && typeof at === "object" ? Reflect.get(at, key) : undefined;
  return at;
}
/** Sets a dotted path, making the objects on the way. */
function setAt(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let at = root;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    const object: Record<string, unknown> = next !== null && typeof next === "object" ? { ...next } : {};
    at[key] = object;
    at = object;
  }
  at[keys[keys.length - 1]!] = value;
}

/** The table's rows with their names typed (Object.entries widens the names to string). */
function flagRows(): [keyof FlagTable, Flag<unknown, boolean>][] {
  return Object.entries(FLAGS).map(([name, flag]): [keyof FlagTable, Flag<unknown, boolean>] => [name as keyof FlagTable, flag]);
}

function commanderOption(name: string, flag: Flag<unknown, boolean>, config: Config): Option {
  const option = new Option(flag.flags, flag.help);
  if (option.attributeName() !== name) throw new Error(`FLAGS.${name}: commander names ${flag.flags} "${option.attributeName()}"`);
  if (flag.choices) option.choices(flag.choices);
  if (flag.parse) option.argParser(flag.parse);
  if (flag.required) option.makeOptionMandatory();
  if (flag.env) option.env(flag.env);
  if (flag.fallback === "option") option.default(valueAt(optionDefaults(config), flag.paths[0] ?? ""));
  else if (flag.fallback !== "none") option.default(flag.fallback.value(config));
  return option;
}

export function buildProgram(config: Config): Command {
  const program = new Command("tabtune").description("Turn a CSV into a reviewed LLM fine-tuning dataset, LlamaFactory configs, a baseline and honest metrics.");
  for (const [name, flag] of flagRows()) program.addOption(commanderOption(name, flag, config));
  return program.configureOutput(oneLineErrors("tabtune --help"));
}

/** The flag (or config key) a user typed for a RunOptions path, for one-line errors. */
export function flagForPath(path: readonly PropertyKey[]): string {
  const key = path.map(String).join(".");
  const flag = Object.values(FLAGS).find((f) => f.paths.some((p) => p === key));
  if (flag) {
    const long = flag.flags.split(/[ ,]+/).find((part) => part.startsWith("--")) ?? flag.flags;
    return flag.alsoFrom ? `${long} or ${flag.alsoFrom}` : long;
  }
  if (key.startsWith("training.")) return `config ${key}`;
  const last = String(path[path.length - 1] ?? "");
  return `--${last.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The run-option part of the command line, as a partial input for fillRunOptions. */
export function inputFromFlags(flags: CliFlags): RunOptionsInput {
  const input: Record<string, unknown> = {};
  for (const [name, flag] of flagRows()) {
    const value: unknown = flags[name];
    if (value === undefined) continue;
    for (const path of flag.paths) setAt(input, path, flag.toOption ? flag.toOption(value) : value);
  }
  const parsed = RunOptionsInput.safeParse(input);
  if (!parsed.success)
    throw new TabtuneError("bad_flag", zodIssuesLine(parsed.error, { name: flagForPath, input }), { suggestion: "run tabtune --help for every flag" });
  return parsed.data;
}

export function optionsFromFlags(flags: CliFlags, config: Config): RunOptions {
  const input = fillRunOptions(inputFromFlags(flags), { config, env: readLlmEnv(), defaultApprover });
  const parsed = RunOptions.safeParse(input);
  if (!parsed.success)
    throw new TabtuneError("bad_flag", zodIssuesLine(parsed.error, { name: flagForPath, input }), { suggestion: "run tabtune --help for every flag" });
  return parsed.data;
}

/**
 * For --start-from: the stored options with only the flags typed on this command line
 * applied, so a run started with --epochs 5 keeps 5 when re-entered with --test-ratio 0.3.
 */
export function mergeExplicitFlags(stored: RunOptions, fresh: RunOptions, explicit: (key: keyof CliFlags) => boolean): RunOptions {
  const next: RunOptions = structuredClone(stored);
  // Runs stored before an option existed get this command line's value (one process, no endpoint, …).
  const root: Record<string, unknown> = next;
  for (const [key, value] of Object.entries(fresh)) if (root[key] === undefined) root[key] = structuredClone(value);
  if (!next.approver) next.approver = fresh.approver;
  for (const [name, flag] of flagRows()) {
    if (!explicit(name) || flag.paths.length === 0) continue;
    for (const path of flag.paths) {
      const group = path.includes(".") ? path.slice(0, path.indexOf(".")) : null;
      // A field of a group the stored run has not got (no endpoint yet) or that the flag replaces: take the fresh group.
      if (group && (flag.replacesGroup || valueAt(next, group) === null)) root[group] = structuredClone(valueAt(fresh, group));
      else if (group === null || valueAt(next, group) !== null) setAt(root, path, structuredClone(valueAt(fresh, path)));
    }
  }
  return next;
}
