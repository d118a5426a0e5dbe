/**
 * finetune_config, finetune and predict: LlamaFactory configs under the run directory,
 * and the runs themselves when `--finetune` is given and llamafactory-cli is on PATH.
 * Otherwise the exact commands (with their torchrun environment) are printed and the
 * pipeline continues. `--predict-endpoint` scores a served model on the test records.
 */
import { existsSync, mkdirSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { findExecutable, formatCommand, llamafactoryCommands, runStreaming } from "../finetune/commands.js";
import { writeLlamaFactoryConfigs } from "../finetune/configs.js";
import { formatEnv, SINGLE_PROCESS, torchrunEnv } from "../finetune/distributed.js";
import { coerceOverrides } from "../finetune/keys.js";
import { endpointCallOptions, predictWithEndpoint, type EndpointRecord } from "../finetune/predict-endpoint.js";
import { checkTokenLengths, forEachJsonArrayElement, histogramStats, tokenCheckOf, type RecordTokens, type TokenEstimateOptions } from "../finetune/token-check.js";
import { parseTrainerLine } from "../finetune/train-log.js";
import { choosePredictBackend, predictEnv, vllmInferArgv, type PredictBackend } from "../finetune/predict-backend.js";
import { lastCheckpoint } from "../finetune/resume.js";
import { TabtuneError } from "../errors.js";
import { detail, logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { startProgress } from "../progress.js";
import { getConfig } from "../runtime.js";
import type { State, StepCommand, Update } from "../state.js";
import { requireOptions, requireRunDir, requireState } from "./common.js";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { progressReporter } from "../events.js";

/** LlamaFactory dataset names: letters, digits and underscores. */
export function datasetName(csv: string): string {
  return basename(csv, extname(csv)).replace(/[^A-Za-z0-9_]+/g, "_").toLowerCase() || "dataset";
}

/**
 * verify_split's token estimates when they are of this run's train.json and test.json (the
 * sha256 balance recorded for each) with these settings; null sends the check to the files.
 */
function countedTokens(state: State, opts: TokenEstimateOptions): RecordTokens | null {
  const counted = state.recordTokens;
  const balanced = state.balanceResult;
  if (!counted || !balanced || counted.charsPerToken !== opts.charsPerToken || counted.templateTokens !== opts.templateTokens) return null;
  return counted.train.sha256 === balanced.trainJson.sha256 && counted.test.sha256 === balanced.testJson.sha256 ? counted : null;
}

export async function finetuneConfig(state: State, runConfig?: LangGraphRunnableConfig): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const runDir = requireRunDir(state);
  const config = getConfig();
  const files = writeLlamaFactoryConfigs({
    runDir,
    dataDir: paths.runData(runDir),
    datasetName: datasetName(options.csv),
    options: options.training,
    overrides: state.configOverrides,
    distributed: options.distributed ?? SINGLE_PROCESS,
    template: options.template,
  });
  // The chat template: LlamaFactory's registry, --template, or a guess that the review must see.
  const template = files.template;
  if (template) detail(`chat template ${template.template} (${template.source === "registry" ? "LlamaFactory's registry" : template.source === "flag" ? "--template" : "guessed"})`);
  if (template?.warning) detail(`warning: ${template.warning}`);

  // The cutoff_len in effect is the override when there is one (already validated by the write above).
  const coerced = coerceOverrides(state.configOverrides);
  const override = coerced.ok ? coerced.values.cutoff_len : undefined;
  const cutoffLen = typeof override === "number" ? override : options.training.cutoffLen;
  const checking = progressReporter(runConfig, "finetune_config", "token check", "records");
  const records = (state.balanceResult?.trainJson.rows ?? 0) + (state.balanceResult?.testJson.rows ?? 0);
  const counted = countedTokens(state, config.evaluate);
  const tokenCheck = counted
    ? tokenCheckOf(histogramStats(counted.train, cutoffLen), histogramStats(counted.test, cutoffLen), cutoffLen, config.evaluate)
    : await checkTokenLengths(paths.trainJson(runDir), paths.testJson(runDir), cutoffLen, config.evaluate, (done) => checking.update(done, records > 0 ? records : undefined));
  checking.finish(tokenCheck.train.records + tokenCheck.test.records);
  stage("finetune_config", `${files.trainYaml}`);
  detail(`longest record ≈ ${Math.max(tokenCheck.train.maxTokens, tokenCheck.test.maxTokens)} tokens (cutoff_len ${cutoffLen}; ${tokenCheck.method})`);
  if (tokenCheck.warning) detail(`warning: ${tokenCheck.warning}`);
  return {
    configFiles: files,
    tokenCheck,
    log: [
      logEntry("finetune_config", `LlamaFactory configs${Object.keys(state.configOverrides).length ? " with overrides" : ""}, template ${template?.template ?? "?"}${template?.warning ? `; ${template.warning}` : ""}${tokenCheck.warning ? `; ${tokenCheck.warning}` : ""}`, started, {
        numbers: {
          overrides: Object.keys(state.configOverrides).length,
          cutoffLen,
          maxEstimatedTokens: Math.max(tokenCheck.train.maxTokens, tokenCheck.test.maxTokens),
          recordsOverCutoff: tokenCheck.train.overCutoff + tokenCheck.test.overCutoff,
        },
        artifacts: [files.trainYaml, files.predictTrainYaml, files.predictTestYaml, files.datasetInfoJson, ...(files.deepspeedJson ? [files.deepspeedJson] : [])],
      }),
    ],
  };
}

/** Runs one llamafactory-cli (or vllm_infer.py) command, or prints it (with its environment) when it cannot or should not run. */
async function runOrPrint(state: State, argv: string[], name: string, env: Record<string, string>): Promise<StepCommand> {
  const options = requireOptions(state);
  const runDir = requireRunDir(state);
  const cli = argv[0] === "llamafactory-cli" ? findExecutable("llamafactory-cli") : (argv[0] ?? null);
  const printed = `${Object.keys(env).length ? `${formatEnv(env)} ` : ""}${formatCommand(argv)}`;
  if (!options.finetune || !cli) {
    const why = !options.finetune ? "--finetune not given" : "llamafactory-cli is not on PATH";
    detail(`${why}; run it yourself:`);
    process.stdout.write(`    ${printed}\n`);
    return { argv, ran: false, exitCode: null, logFile: null };
  }
  const logFile = paths.logs(runDir, name);
  mkdirSync(join(runDir, "logs"), { recursive: true });
  detail(`${printed}  (output in ${logFile})`);
  const bar = options.verbose ? null : startProgress(name, 0, name === "train" ? "steps" : "batches");
  let loss = "";
  const onLine = (line: string): void => {
    if (options.verbose) return detail(line);
    const parsed = parseTrainerLine(line);
    if (parsed.kind === "loss") {
      loss = `loss ${parsed.loss.toFixed(4)}${parsed.epoch !== null ? ` epoch ${parsed.epoch}` : ""}`;
    } else if (parsed.kind === "step") {
      bar?.update(parsed.step, { total: parsed.total, note: loss });
    }
  };
  const result = await runStreaming(argv, { cwd: runDir, logFile, env: { ...process.env, ...env }, onLine });
  bar?.stop();
  if (result.exitCode !== 0)
    throw new TabtuneError("llamafactory_failed", `${argv.slice(0, 2).join(" ")} (${name}) exited with ${result.exitCode}; last lines:\n${result.tail.slice(-15).join("\n")}`, {
      suggestion: `see ${logFile}; fix the config and re-run with --start-from config${name === "train" ? "" : " (or --start-from predict)"}`,
    });
  if (loss) detail(`last logged ${loss}`);
  return { argv, ran: true, exitCode: 0, logFile };
}

export async function finetune(state: State): Promise<Update> {
  const started = Date.now();
  const configFiles = requireState(state.configFiles, "LlamaFactory configs", "finetune");
  const distributed = requireOptions(state).distributed ?? SINGLE_PROCESS;
  // A training that died left checkpoint-* in sft/: LlamaFactory resumes from the last one (no overwrite_output_dir).
  const resumeFrom = lastCheckpoint(join(requireRunDir(state), "sft"));
  if (resumeFrom) detail(`resuming training from ${resumeFrom.path} (step ${resumeFrom.step}; LlamaFactory continues from the last checkpoint in output_dir)`);
  const command = await runOrPrint(state, llamafactoryCommands(configFiles).train, "train", torchrunEnv(distributed));
  stage("finetune", command.ran ? `training finished${resumeFrom ? ` (resumed from checkpoint-${resumeFrom.step})` : ""}` : "not run (commands printed)");
  const what = command.ran ? `llamafactory-cli train${resumeFrom ? `, resumed from ${resumeFrom.path}` : ""}` : "printed train command";
  return {
    trainRun: command,
    log: [logEntry("finetune", what, started, { artifacts: command.logFile ? [command.logFile] : [], ...(resumeFrom ? { numbers: { resumedFromStep: resumeFrom.step } } : {}) })],
  };
}

/** Scores the served model on test.json; the predictions land where LlamaFactory's would. */
async function predictEndpoint(state: State, runConfig: LangGraphRunnableConfig | undefined): Promise<StepCommand> {
  const options = requireOptions(state);
  const runDir = requireRunDir(state);
  const endpoint = requireState(options.predictEndpoint, "--predict-endpoint", "predict");
  const records: EndpointRecord[] = [];
  await forEachJsonArrayElement(paths.testJson(runDir), (r) => records.push({ instruction: String(r.instruction ?? ""), input: String(r.input ?? ""), output: String(r.output ?? "") }));
  const out = paths.predictions(runDir, "test");
  const bar = progressReporter(runConfig, "predict", "endpoint", "records");
  bar.update(0, records.length);
  try {
    const result = await predictWithEndpoint(records, out, endpointCallOptions(endpoint, (done) => bar.update(done, records.length)));
    bar.finish();
    detail(`${result.records} test records answered by ${result.model} at ${endpoint.url} (${result.retries} retries, ${result.empty} empty answers)`);
  } catch (error) {
    bar.finish(); // closes the CLI's bar; the error says how far it got
    throw error;
  }
  return { argv: ["POST", endpoint.url], ran: true, exitCode: 0, logFile: null };
}

export async function predict(state: State, runConfig?: LangGraphRunnableConfig): Promise<Update> {
  const started = Date.now();
  const configFiles = requireState(state.configFiles, "LlamaFactory configs", "predict");
  const options = requireOptions(state);
  const commands = llamafactoryCommands(configFiles);
  const runDir = requireRunDir(state);
  // An adapter trained here, or by the printed command before `--start-from predict`.
  const trained = state.trainRun?.ran === true || existsSync(join(runDir, "sft", "adapter_config.json"));
  const results: StepCommand[] = [];
  if (options.predictEndpoint) {
    results.push(await predictEndpoint(state, runConfig));
    stage("predict", `test records scored by ${options.predictEndpoint.url}`);
    return {
      predictRuns: results,
      log: [logEntry("predict", `served model at ${options.predictEndpoint.url} on the test records`, started, { artifacts: [paths.predictions(runDir, "test")] })],
    };
  }
  // One process either way (finetune/predict-backend.ts): vLLM's batch script when vllm is installed, else HF generate on one GPU.
  const backend: PredictBackend = trained && options.finetune ? choosePredictBackend(configFiles.predictTestYaml) : { kind: "hf", reason: "commands printed" };
  if (trained && options.finetune) detail(backend.kind === "vllm" ? `predicting with vLLM (${backend.script}): ${backend.reason}` : `predicting with HF generate (llamafactory-cli): ${backend.reason}`);
  const env = backend.kind === "vllm" ? {} : predictEnv();
  for (const [argv, name, yaml] of [[commands.predictTrain, "predict_train", configFiles.predictTrainYaml], [commands.predictTest, "predict_test", configFiles.predictTestYaml]] as const) {
    const command = backend.kind === "vllm" ? vllmInferArgv(backend, yaml) : argv;
    // vllm_infer.py opens its --save_name without creating the folder (LlamaFactory's trainer does).
    if (backend.kind === "vllm") mkdirSync(join(runDir, name), { recursive: true });
    // Without a trained adapter there is nothing to predict with; print the command instead.
    results.push(trained ? await runOrPrint(state, command, name, env) : { argv: command, ran: false, exitCode: null, logFile: null });
    if (!trained) process.stdout.write(`    ${formatEnv(env)} ${formatCommand(command)}\n`);
  }
  const engine = backend.kind === "vllm" ? "vLLM (scripts/vllm_infer.py)" : "HF generate (llamafactory-cli)";
  stage("predict", trained ? `predictions written by ${engine}` : "not run (no fine-tuned adapter in this run)");
  return {
    predictRuns: results,
    log: [logEntry("predict", trained ? `predictions by ${engine}: ${backend.reason}` : "printed predict commands", started)],
  };
}
