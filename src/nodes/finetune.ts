/**
 * finetune_config, finetune and predict: LlamaFactory configs under the run directory,
 * and the runs themselves when `--finetune` is given and llamafactory-cli is on PATH.
 * Otherwise the exact commands are printed and the pipeline continues.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { findExecutable, formatCommand, llamafactoryCommands, runStreaming } from "../finetune/commands.js";
import { writeLlamaFactoryConfigs } from "../finetune/configs.js";
import { TabtuneError } from "../errors.js";
import { detail, logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import type { State, StepCommand, Update } from "../state.js";
import { requireOptions, requireRunDir } from "./common.js";

/** LlamaFactory dataset names: letters, digits and underscores. */
export function datasetName(csv: string): string {
  return basename(csv, extname(csv)).replace(/[^A-Za-z0-9_]+/g, "_").toLowerCase() || "dataset";
}

export async function finetuneConfig(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const runDir = requireRunDir(state);
  // A run re-entered with --start-from config gets a new run directory: bring the approved split along.
  for (const [ref, target] of [[state.balanceResult?.trainJson, paths.trainJson(runDir)], [state.balanceResult?.testJson, paths.testJson(runDir)]] as const) {
    if (ref && resolve(ref.path) !== resolve(target)) {
      mkdirSync(paths.runData(runDir), { recursive: true });
      copyFileSync(ref.path, target);
    }
  }
  const files = writeLlamaFactoryConfigs({
    runDir,
    dataDir: paths.runData(runDir),
    datasetName: datasetName(options.csv),
    options: options.training,
    overrides: state.configOverrides,
  });
  mkdirSync(paths.dataDir(options.output), { recursive: true });
  copyFileSync(files.datasetInfoJson, join(paths.dataDir(options.output), "dataset_info.json"));
  stage("finetune_config", `${files.trainYaml}`);
  return {
    configFiles: files,
    log: [
      logEntry("finetune_config", `LlamaFactory configs${Object.keys(state.configOverrides).length ? " with overrides" : ""}`, started, {
        numbers: { overrides: Object.keys(state.configOverrides).length },
        artifacts: [files.trainYaml, files.predictTrainYaml, files.predictTestYaml, files.datasetInfoJson],
      }),
    ],
  };
}

/** Runs one llamafactory-cli command, or prints it when it cannot or should not run. */
async function runOrPrint(state: State, argv: string[], name: string): Promise<StepCommand> {
  const options = requireOptions(state);
  const runDir = requireRunDir(state);
  const cli = findExecutable("llamafactory-cli");
  if (!options.finetune || !cli) {
    const why = !options.finetune ? "--finetune not given" : "llamafactory-cli is not on PATH";
    detail(`${why}; run it yourself:`);
    process.stdout.write(`    ${formatCommand(argv)}\n`);
    return { argv, ran: false, exitCode: null, logFile: null };
  }
  const logFile = paths.logs(runDir, name);
  mkdirSync(join(runDir, "logs"), { recursive: true });
  const result = await runStreaming(argv, { cwd: runDir, logFile, onLine: options.verbose ? (line) => detail(line) : undefined });
  if (result.exitCode !== 0)
    throw new TabtuneError("llamafactory_failed", `${argv.slice(0, 2).join(" ")} exited with ${result.exitCode}; last lines:\n${result.tail.slice(-15).join("\n")}`, {
      suggestion: `see ${logFile}; fix the config and re-run with --resume or --start-from config`,
    });
  return { argv, ran: true, exitCode: 0, logFile };
}

export async function finetune(state: State): Promise<Update> {
  const started = Date.now();
  if (!state.configFiles) throw new Error("finetune needs configs");
  const command = await runOrPrint(state, llamafactoryCommands(state.configFiles).train, "train");
  stage("finetune", command.ran ? "training finished" : "not run (commands printed)");
  return {
    trainRun: command,
    log: [logEntry("finetune", command.ran ? "llamafactory-cli train" : "printed train command", started, { artifacts: command.logFile ? [command.logFile] : [] })],
  };
}

export async function predict(state: State): Promise<Update> {
  const started = Date.now();
  if (!state.configFiles) throw new Error("predict needs configs");
  const commands = llamafactoryCommands(state.configFiles);
  const trained = state.trainRun?.ran === true;
  const results: StepCommand[] = [];
  for (const [argv, name] of [[commands.predictTrain, "predict_train"], [commands.predictTest, "predict_test"]] as const) {
    // Without a trained adapter there is nothing to predict with; print the command instead.
    results.push(trained ? await runOrPrint(state, argv, name) : { argv, ran: false, exitCode: null, logFile: null });
    if (!trained) process.stdout.write(`    ${formatCommand(argv)}\n`);
  }
  stage("predict", trained ? "predictions written" : "not run (no fine-tuned adapter in this run)");
  return {
    predictRuns: results,
    log: [logEntry("predict", trained ? "llamafactory-cli predictions" : "printed predict commands", started)],
  };
}
