/**
 * `tabtune predict` as a library call: new rows of a CSV through the run's prep and
 * imputation, predicted by one model (the saved baseline, the fine-tuned adapter, or a
 * served model), written as one CSV row per input row. The file appears whole or not at
 * all (written to a temporary file and renamed).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { findExecutable, LLAMAFACTORY_CLI } from "../finetune/commands.js";
import { startProgress } from "../progress.js";
import { csvCell } from "../table/csv-out.js";
import { predictBaseline, readBaselineModel, type BaselinePrediction, type SavedBaseline } from "./baseline-model.js";
import { predictAdapter, predictEndpoint, readGenerations, type Generated } from "./models.js";
import { prepareRows, type PreparedRows } from "./prepare.js";
import { openRunFiles, type RunFiles } from "./run-files.js";

export interface PredictArgs {
  run: string;
  csv: string;
  out: string;
  force: boolean;
  /** Use the saved baseline even when the run has an adapter and llamafactory-cli is on PATH. */
  baselineOnly: boolean;
  endpoint: { url: string; model: string | null; concurrency: number } | null;
}

/** Which model answers, and why. */
type Chosen = { kind: "baseline"; note: string } | { kind: "adapter"; adapter: string; predictYaml: string } | { kind: "endpoint"; url: string };

/** The model for these flags and this run: --predict-endpoint, else the adapter when llamafactory-cli is here, else the baseline. */
export function chooseModel(files: RunFiles, args: Pick<PredictArgs, "baselineOnly" | "endpoint">, cli: string | null = findExecutable(LLAMAFACTORY_CLI)): Chosen {
  if (args.endpoint) return { kind: "endpoint", url: args.endpoint.url };
  if (!args.baselineOnly && files.adapter && files.predictYaml) {
    if (cli) return { kind: "adapter", adapter: files.adapter, predictYaml: files.predictYaml };
    return { kind: "baseline", note: `the run's adapter ${files.adapter} needs ${LLAMAFACTORY_CLI}, which is not on PATH` };
  }
  return { kind: "baseline", note: args.baselineOnly ? "--baseline given" : "the run has no fine-tuned adapter" };
}

export interface PredictOutcome {
  out: string;
  lines: string[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Scores the CSV and writes `args.out`; returns the summary lines. @throws TabtuneError, nothing written. */
export async function predictCsv(args: PredictArgs): Promise<PredictOutcome> {
  if (existsSync(args.out) && !args.force)
    throw new TabtuneError("predict_out_exists", `--out ${args.out} already exists`, { suggestion: "pass another --out, or --force to replace it" });
  const files = openRunFiles(args.run);
  const chosen = chooseModel(files, args);
  const baseline: SavedBaseline | null = files.baseline ? readBaselineModel(files.baseline) : null;
  if (chosen.kind === "baseline" && !baseline)
    throw new TabtuneError("baseline_missing", `${args.run} has no saved baseline (baseline/model.json) and ${chosen.note}`, {
      suggestion: "re-run with --start-from evaluate to save the baseline, or predict with --predict-endpoint URL",
    });
  const scratch = mkdtempSync(join(tmpdir(), "tabtune-predict-"));
  try {
    const reading = startProgress("preparing rows", 0, "rows");
    let prepared: PreparedRows;
    try {
      prepared = await prepareRows(args.csv, files, scratch, (done) => reading.update(done));
    } finally {
      reading.stop();
    }
    const base = baseline ? predictBaseline(baseline, prepared.cleaned) : null;
    let generated: Generated[] | null = null;
    let modelName = `baseline ${baseline?.kind ?? ""}`.trim();
    const { plan, labels } = files.sidecar.ctx;
    const labelTexts = Object.keys(labels).map((raw) => labels[raw] ?? raw);
    if (chosen.kind === "endpoint" && args.endpoint) {
      const bar = startProgress("endpoint", prepared.records.length, "records");
      try {
        const answered = await predictEndpoint(prepared.records, scratch, args.endpoint, (done) => bar.update(done));
        generated = readGenerations(answered.generations, plan.task, labelTexts);
        modelName = `endpoint ${answered.model}`;
      } finally {
        bar.stop();
      }
    } else if (chosen.kind === "adapter") {
      generated = readGenerations(await predictAdapter(prepared.records, chosen.predictYaml, scratch), plan.task, labelTexts);
      modelName = "adapter";
    }
    writeFileAtomic(args.out, predictionsCsv(prepared, files, base, generated, modelName));
    return { out: args.out, lines: summary(args, files, prepared, baseline, base, generated, modelName, chosen) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The CSV text: a header, then one line per input row. */
export function predictionsCsv(prepared: PreparedRows, files: RunFiles, base: BaselinePrediction | null, generated: Generated[] | null, modelName: string): string {
  const { plan, labels } = files.sidecar.ctx;
  const rawLabels = Object.keys(labels);
  const text = (raw: string) => labels[raw] ?? raw;
  const probabilities = base?.probabilities ? rawLabels.map((raw) => `p_${text(raw)}`) : [];
  const header = [
    "row",
    ...(prepared.idColumn ? [prepared.idColumn] : []),
    "prediction",
    "model",
    "status",
    ...(generated ? ["generation", "baseline_prediction"] : []),
    ...probabilities,
    ...(prepared.hasTarget ? [`given_${plan.target}`] : []),
  ];
  const lines = [header.map(csvCell).join(",")];
  for (const input of prepared.inputs) {
    const k = input.kept;
    const basePrediction = k === null || !base ? null : (base.predictions[k] ?? null);
    const baseText = basePrediction === null ? null : typeof basePrediction === "number" ? basePrediction : text(basePrediction);
    const answer = k === null || !generated ? null : (generated[k] ?? null);
    const prediction = generated ? (answer?.value ?? null) : baseText;
    const status = k === null ? "dropped by the prep script" : generated && answer?.value === null ? "unmatched" : "ok";
    const probs = probabilities.length === 0 ? [] : rawLabels.map((_, c) => (k === null ? null : (base?.probabilities?.[k]?.[c] ?? null)));
    const cells: (string | number | null)[] = [
      input.row,
      ...(prepared.idColumn ? [input.id] : []),
      prediction,
      k === null ? null : modelName,
      status,
      ...(generated ? [answer?.generation ?? null, baseText] : []),
      ...probs,
      ...(prepared.hasTarget ? [input.truth === null ? null : plan.task === "regression" ? input.truth : text(input.truth)] : []),
    ];
    lines.push(cells.map(csvCell).join(","));
  }
  return lines.join("\n") + "\n";
}

/** Accuracy (classes) or RMSE (numbers) of `predicted` against the given answers, on rows that have both. */
function scoreAgainstTruth(prepared: PreparedRows, task: string, predicted: (k: number) => string | number | null, truthOf: (raw: string) => string | number): string | null {
  let n = 0;
  let right = 0;
  let squared = 0;
  for (const input of prepared.inputs) {
    if (input.kept === null || input.truth === null) continue;
    const p = predicted(input.kept);
    if (p === null && task === "regression") continue;
    const truth = truthOf(input.truth);
    n++;
    if (task === "regression") squared += (Number(p) - Number(truth)) ** 2;
    else if (p === truth) right++;
  }
  if (n === 0) return null;
  return task === "regression" ? `RMSE ${Math.sqrt(squared / n).toFixed(4)} on ${plural(n, "row")}` : `accuracy ${(right / n).toFixed(4)} (${right}/${n})`;
}

function summary(args: PredictArgs, files: RunFiles, prepared: PreparedRows, baseline: SavedBaseline | null, base: BaselinePrediction | null, generated: Generated[] | null, modelName: string, chosen: Chosen): string[] {
  const { plan, labels } = files.sidecar.ctx;
  const dropped = prepared.inputs.filter((i) => i.kept === null).length;
  const lines = [`predicted ${plural(prepared.inputs.length, "row")} of ${args.csv} with the run ${files.dir}${files.bundle ? " (bundle)" : ""}`];
  const detail = chosen.kind === "baseline" ? `${baseline?.description ?? ""}; ${chosen.note}` : chosen.kind === "adapter" ? `${chosen.adapter} through ${LLAMAFACTORY_CLI}` : chosen.url;
  lines.push(`  model      ${modelName} (${detail})`);
  if (prepared.ignored.length > 0) lines.push(`  ignored    ${plural(prepared.ignored.length, "column")} the script does not read: ${prepared.ignored.join(", ")}`);
  if (dropped > 0) lines.push(`  dropped    ${plural(dropped, "row")} the prep script's clean returned null for (no prediction, status "dropped by the prep script")`);
  if (prepared.imputed) {
    const filled = [...prepared.imputed.filled].filter(([, n]) => n > 0).map(([name, n]) => `${name} ${n}`).join(", ");
    lines.push(`  imputed    ${filled || "no cell needed filling"} (the run's fitted imputers)`);
  }
  if (generated) {
    const unmatched = generated.filter((g) => g.value === null).length;
    if (unmatched > 0) lines.push(`  unmatched  ${plural(unmatched, "generation")} named no ${plan.task === "regression" ? "number" : "label"} (status "unmatched", prediction left empty)`);
  }
  if (prepared.hasTarget) {
    const truthOf = (raw: string) => (plan.task === "regression" ? Number(raw) : (labels[raw] ?? raw));
    const text = (v: string | number | undefined) => (v === undefined ? null : typeof v === "number" ? v : (labels[v] ?? v));
    const baseScore = base ? scoreAgainstTruth(prepared, plan.task, (k) => text(base.predictions[k]), truthOf) : null;
    if (baseScore) lines.push(`  baseline   ${baseScore} against the given ${plan.target}`);
    const modelScore = generated ? scoreAgainstTruth(prepared, plan.task, (k) => generated[k]?.value ?? null, truthOf) : null;
    if (modelScore) lines.push(`  ${chosen.kind.padEnd(10)} ${modelScore} against the given ${plan.target} (unmatched count as wrong)`);
  }
  lines.push(`  written    ${args.out}`);
  return lines;
}
