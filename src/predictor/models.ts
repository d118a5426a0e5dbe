/**
 * The models `tabtune predict` can ask: the run's saved baseline, its fine-tuned adapter
 * through `llamafactory-cli` (a prediction config like the run's predict_test.yaml, pointed
 * at the new records), or a served model through --predict-endpoint. A generation is read
 * as evaluate reads it: the label it names (matchLabel) or the first number it states;
 * one that names none is marked unmatched, never guessed.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { readJsonLines } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { formatCommand, LLAMAFACTORY_CLI, runStreaming } from "../finetune/commands.js";
import { toLlamaFactoryYaml } from "../finetune/llamafactory-yaml.js";
import { endpointCallOptions, predictWithEndpoint, type EndpointRecord } from "../finetune/predict-endpoint.js";
import type { AlpacaRecord } from "../rows.js";
import { firstNumber, matchLabel } from "../stats/label-match.js";

/** One kept row's answer from a language model: the raw generation and what it names (null: unmatched). */
export interface Generated {
  generation: string;
  /** Label text (classification) or number (regression); null when the generation names none. */
  value: string | number | null;
}

/** Reads generations as evaluate does: label texts by matchLabel, numbers by firstNumber. */
export function readGenerations(generations: string[], task: string, labelTexts: string[]): Generated[] {
  return generations.map((generation) => {
    if (task === "regression") {
      const n = firstNumber(generation);
      return { generation, value: Number.isFinite(n) ? n : null };
    }
    return { generation, value: matchLabel(generation, labelTexts) };
  });
}

const endpointRecords = (records: AlpacaRecord[]): EndpointRecord[] => records.map((r) => ({ instruction: r.instruction, input: r.input, output: "" }));

/** Asks a served model for every record (bounded concurrency, retries: src/finetune/predict-endpoint.ts). */
export async function predictEndpoint(
  records: AlpacaRecord[],
  scratch: string,
  endpoint: { url: string; model: string | null; concurrency: number },
  onAnswer?: (done: number, total: number) => void,
): Promise<{ generations: string[]; model: string }> {
  const out = join(scratch, "endpoint", "generated_predictions.jsonl");
  const result = await predictWithEndpoint(endpointRecords(records), out, endpointCallOptions(endpoint, onAnswer));
  return { generations: await generationsOf(out, records.length), model: result.model };
}

/** The `predict` field of each line of a generated_predictions.jsonl. @throws when the count is not `expected`. */
async function generationsOf(path: string, expected: number): Promise<string[]> {
  const out: string[] = [];
  for await (const line of readJsonLines<{ predict?: unknown }>(path)) out.push(typeof line.predict === "string" ? line.predict : line.predict == null ? "" : String(line.predict));
  if (out.length !== expected)
    throw new TabtuneError("predictions_mismatch", `${path} has ${out.length} generations for ${expected} records`, { suggestion: "run tabtune predict again; nothing was written" });
  return out;
}

/**
 * The prediction config for the new records: the run's predict_test.yaml (model, adapter,
 * template, decoding) with the dataset and output folder replaced. Returns its path.
 */
export function adapterPredictConfig(predictYaml: string, records: AlpacaRecord[], scratch: string): { yaml: string; outputDir: string } {
  const parsed: unknown = parseYaml(readFileSync(predictYaml, "utf8"));
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new TabtuneError("predict_config_invalid", `${predictYaml} is not a LlamaFactory config`, { suggestion: "re-run tabtune with --start-from config" });
  const config: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(parsed)) if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") config[key] = value;
  const dataDir = join(scratch, "data");
  const outputDir = join(scratch, "predict_new");
  mkdirSync(dataDir, { recursive: true });
  const name = "tabtune_predict";
  writeFileSync(join(dataDir, `${name}.json`), JSON.stringify(records.map((r) => ({ instruction: r.instruction, input: r.input, output: "" }))) + "\n");
  writeFileSync(
    join(dataDir, "dataset_info.json"),
    JSON.stringify({ [name]: { file_name: `${name}.json`, formatting: "alpaca", columns: { prompt: "instruction", query: "input", response: "output" } } }, null, 2) + "\n",
  );
  const yaml = join(scratch, "predict_new.yaml");
  writeFileSync(yaml, toLlamaFactoryYaml({ ...config, dataset_dir: dataDir, eval_dataset: name, output_dir: outputDir, overwrite_output_dir: true }));
  return { yaml, outputDir };
}

/**
 * Runs `llamafactory-cli train <config>` (LlamaFactory predicts through `train` with a
 * do_predict config) on the new records, as one process, and reads its generations.
 */
export async function predictAdapter(records: AlpacaRecord[], predictYaml: string, scratch: string, onLine?: (line: string) => void): Promise<string[]> {
  const { yaml, outputDir } = adapterPredictConfig(predictYaml, records, scratch);
  const argv = [LLAMAFACTORY_CLI, "train", yaml];
  const logFile = join(scratch, "llamafactory.log");
  // One process on one GPU: llamafactory-cli starts one process per visible GPU otherwise.
  const env = { ...process.env, CUDA_VISIBLE_DEVICES: (process.env.CUDA_VISIBLE_DEVICES ?? "0").split(",")[0] ?? "0" };
  const result = await runStreaming(argv, { cwd: scratch, env, logFile, onLine });
  if (result.exitCode !== 0)
    throw new TabtuneError("llamafactory_failed", `${formatCommand(argv)} exited with ${result.exitCode}; last lines: ${result.tail.slice(-5).join(" | ")}`, {
      suggestion: "check the adapter and the GPU, or predict with the saved baseline (--model baseline) or a served model (--predict-endpoint)",
    });
  return generationsOf(join(outputDir, "generated_predictions.jsonl"), records.length);
}
