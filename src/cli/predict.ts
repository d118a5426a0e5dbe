/**
 * `tabtune predict --run <run folder | bundle> --csv new.csv [--out predictions.csv]`:
 * scores new rows with a finished run's model (src/predictor/score.ts does the work).
 */
import { basename, dirname, extname, join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { getConfig, setAgentApiKey } from "../runtime.js";
import { predictCsv } from "../predictor/score.js";
import { oneLineErrors } from "./options.js";

interface PredictFlags {
  run: string;
  csv: string;
  out?: string;
  force: boolean;
  baseline: boolean;
  predictEndpoint?: string;
  predictModel?: string;
  predictConcurrency: number;
  agentApiKey?: string;
}

const url = (value: string) => {
  if (!/^https?:\/\/[^\s]+$/.test(value)) throw new InvalidArgumentError(`--predict-endpoint must be an http(s) URL such as http://localhost:8000/v1, got "${value}"`);
  return value;
};
const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--predict-concurrency must be a whole number ≥ 1, got "${value}"`);
  return n;
};

/** `new.csv` → `new.predictions.csv`, next to it. */
export function defaultPredictionsPath(csv: string): string {
  return join(dirname(csv), `${basename(csv, extname(csv))}.predictions.csv`);
}

export function buildPredictProgram(concurrency: number): Command {
  return new Command("tabtune predict")
    .description("Score new rows with a finished run's model: the run's prep script and imputation, then its saved baseline, fine-tuned adapter or a served model.")
    .requiredOption("--run <dir>", "a finished run's folder (<output>/run_<id>) or a bundle written by tabtune export")
    .requiredOption("--csv <path>", "the new rows, with the training file's feature columns (the target may be absent; extra columns are ignored)")
    .option("--out <path>", "where to write the predictions CSV (default: <csv name>.predictions.csv next to the CSV)")
    .option("--force", "replace --out when it exists", false)
    .option("--baseline", "predict with the saved baseline even when the run has a fine-tuned adapter", false)
    .option("--predict-endpoint <url>", "ask a model served over an OpenAI-compatible API (…/v1) instead", url)
    .option("--predict-model <name>", "model name for --predict-endpoint (default: the first the server lists)")
    .option("--predict-concurrency <n>", "requests in flight against --predict-endpoint", positive, concurrency)
    .option("--agent-api-key <key>", "API key for --predict-endpoint (kept in memory only)")
    .configureOutput(oneLineErrors("tabtune predict --help"));
}

/** `tabtune predict …`: parses its flags, scores, prints a summary; returns the exit code. */
export async function predictMain(argv: string[]): Promise<number> {
  const program = buildPredictProgram(getConfig().predict.concurrency);
  program.parse(argv, { from: "user" });
  const flags = program.opts<PredictFlags>();
  setAgentApiKey(flags.agentApiKey); // in memory for --predict-endpoint only
  const outcome = await predictCsv({
    run: flags.run,
    csv: flags.csv,
    out: flags.out ?? defaultPredictionsPath(flags.csv),
    force: flags.force,
    baselineOnly: flags.baseline,
    endpoint: flags.predictEndpoint ? { url: flags.predictEndpoint, model: flags.predictModel ?? null, concurrency: flags.predictConcurrency } : null,
  });
  process.stdout.write(outcome.lines.join("\n") + "\n");
  return 0;
}
