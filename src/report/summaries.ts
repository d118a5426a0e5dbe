/** The text each review shows: compact, aligned, readable in ten seconds. */
import { severityOf } from "../prep/checks.js";
import { differenceLines, planDifferences } from "./plan-applied.js";
import type { Plan } from "../schemas.js";
import type { State } from "../state.js";
import { imputationLine } from "../stats/imputation/report.js";

const row = (label: string, value: string) => `${(label + ":").padEnd(14)} ${value}`;

function counts(record: Record<string, number>): string {
  return Object.entries(record)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}

export function planSummary(plan: Plan, state: State): string {
  const lines = [
    row("target", `${plan.target} (${plan.task})`),
    row("instruction", plan.instruction),
  ];
  if (plan.task !== "regression")
    lines.push(row("labels", Object.entries(plan.labels).map(([raw, text]) => (raw === text ? raw : `${raw} → ${text}`)).join(", ")));
  lines.push(row(`features (${plan.features.length})`, plan.features.join(", ")));
  lines.push(row("dropped", plan.dropped.length === 0 ? "none" : plan.dropped.map((d) => d.column).join(", ")));
  for (const d of plan.dropped) lines.push(`${" ".repeat(15)}${d.column}: ${d.reason}`);
  lines.push(row("row as text", plan.rowFormat === "sentences" ? '"The <column> is <value>." per feature' : '"<column>: <value>" per line'));
  lines.push(row("cleaning", plan.cleaning[0] ?? "none"));
  for (const step of plan.cleaning.slice(1)) lines.push(`${" ".repeat(15)}${step}`);
  lines.push(row("imputation", plan.imputation.length === 0 ? "no missing feature values" : (plan.imputation[0] ?? "")));
  for (const hint of plan.imputation.slice(1)) lines.push(`${" ".repeat(15)}${hint}`);
  lines.push(row("balancing", `${plan.balancing.strategy} — ${plan.balancing.advice}`));
  if (state.testCsvIssues.length > 0) lines.push(row("test CSV", state.testCsvIssues.join("; ")));
  // Quality findings of explore (src/table/quality.ts), most severe first.
  const findings = state.profile?.findings ?? [];
  lines.push(row("data quality", findings.length === 0 ? "no problems found" : `${findings.length} finding${findings.length === 1 ? "" : "s"}`));
  for (const f of findings) lines.push(`${" ".repeat(15)}[${f.severity}] ${f.message} → ${f.suggestion}`);
  return lines.join("\n");
}

export function prepSummary(state: State): string {
  const plan = state.prepPlan;
  const exec = state.execution;
  if (!plan || !exec) return "nothing prepared yet";
  const lines: string[] = [];
  if (!exec.ok) {
    lines.push(row("FAILED", `prepare_data.js failed ${state.codeTries} times`));
    lines.push(row("error", exec.error?.message ?? "unknown"));
    if (exec.error?.line) lines.push(row("at line", `${exec.error.line}${exec.error.dataRow ? ` (data row ${exec.error.dataRow})` : ""}`));
    if (exec.error?.row) lines.push(row("row", JSON.stringify(exec.error.row).slice(0, 300)));
    lines.push(row("script", state.script?.path ?? "?"));
    return lines.join("\n");
  }
  lines.push(row("rows", `${exec.rowsIn} in → ${exec.rowsOut} records (${exec.dropped} dropped by clean)`));
  const reasons = Object.entries(exec.dropReasons ?? {});
  if (reasons.length > 0) lines.push(row("drop reasons", reasons.map(([reason, n]) => `${reason} ${n}`).join(", ")));
  for (const d of (exec.droppedSample ?? []).slice(0, 3)) lines.push(`${" ".repeat(15)}row ${d.dataRow}: ${JSON.stringify(d.row).slice(0, 160)}`);
  lines.push(row(`kept (${plan.features.length})`, plan.features.join(", ")));
  lines.push(row("dropped", plan.dropped.map((d) => d.column).join(", ") || "none"));
  if (state.verification) {
    if (plan.task !== "regression") lines.push(row("classes", counts(state.verification.classCounts)));
    for (const check of state.verification.checks) lines.push(row(check.ok ? "ok" : severityOf(check) === "blocking" ? "FAILED (blocking)" : "FAILED", `${check.name}: ${check.detail}`));
    for (const note of state.verification.critique) lines.push(row("critique", note));
  }
  const overrides = Object.entries(state.imputeOverrides ?? {});
  lines.push(row("imputation", overrides.length === 0 ? "scored per column after the split (override: impute <column>: <policy>)" : overrides.map(([c, p]) => `${c}: ${p} (your choice)`).join(", ")));
  lines.push(row("test split", `${state.options?.testCsv ? `test CSV ${state.options.testCsv}` : `ratio ${state.options?.testRatio ?? "?"}`}; balancing ${state.balanceStrategy}`));
  const sample = exec.sample[0];
  if (sample) {
    lines.push("sample record:");
    lines.push(`  instruction: ${sample.instruction}`);
    lines.push(`  input:       ${sample.input.length > 400 ? `${sample.input.slice(0, 400)}…` : sample.input}`);
    lines.push(`  output:      ${sample.output}`);
  }
  return lines.join("\n");
}

/** The impute node's outcome (mechanism → policy per column), shown at the review after it. */
function imputationRows(state: State): string[] {
  const columns = state.imputation?.columns ?? [];
  if (!state.imputation) return [];
  if (columns.length === 0) return [row("imputation", "no missing feature values")];
  const [first, ...rest] = columns.map(imputationLine);
  return [row("imputation", first ?? ""), ...rest.map((line) => `${" ".repeat(15)}${line}`), `${" ".repeat(15)}details: ${state.imputation.policies.path.replace(/policies\.json$/, "report.md")}`];
}

export function balanceSummary(state: State): string {
  const b = state.balanceResult;
  if (!b) return "not balanced";
  const script = b.script ? [row("script", `${b.script.path} (written by ${b.writer ?? "heuristic"})`)] : [];
  const diffs = differenceLines(planDifferences(state));
  const applied = diffs.map((d, i) => (i === 0 ? row("plan→applied", d) : `${"".padEnd(15)}${d}`));
  return [row("strategy", b.strategy), row("before", counts(b.before)), row("after", counts(b.after)), ...script, row("test set", "untouched"), ...imputationRows(state), ...applied].join("\n");
}

/** Estimated record lengths against cutoff_len, and the multi-GPU setup when there is one. */
function tokenCheckRows(state: State): string[] {
  const c = state.tokenCheck;
  const d = state.options?.distributed;
  const rows: string[] = [];
  if (c) rows.push(row("tokens", `longest ≈ ${Math.max(c.train.maxTokens, c.test.maxTokens)}, mean ≈ ${Math.round(c.train.meanTokens)} (${c.method}); ${c.train.overCutoff + c.test.overCutoff} record(s) over cutoff_len`));
  if (c?.warning) rows.push(row("WARNING", c.warning));
  if (d && (d.gpus > 1 || d.nnodes > 1 || d.deepspeed)) rows.push(row("distributed", `${d.gpus} GPU(s) × ${d.nnodes} node(s), rank ${d.nodeRank}, master ${d.masterAddr}:${d.masterPort}${d.deepspeed ? `, DeepSpeed ZeRO-${d.deepspeed.slice(1)}` : ""}`));
  return rows;
}

export function configSummary(state: State): string {
  const files = state.configFiles;
  const t = state.options?.training;
  if (!files || !t) return "no configs";
  const o = state.configOverrides;
  const value = (key: string, fallback: unknown) => String(key in o ? o[key] : fallback);
  return [
    row("model", t.model),
    // The chat template and where it came from; a guess is a warning the reviewer must see (finetune/template.ts).
    ...(files.template ? [row("template", `${files.template.template} (${files.template.source === "registry" ? "LlamaFactory's registry" : files.template.source === "flag" ? "--template" : "guessed"})`)] : []),
    ...(files.template?.warning ? [row("WARNING", files.template.warning)] : []),
    row("lora", `rank ${value("lora_rank", t.loraRank)}, alpha ${value("lora_alpha", t.loraAlpha)}, dora ${value("use_dora", t.useDora)}`),
    row("training", `epochs ${value("num_train_epochs", t.epochs)}, lr ${value("learning_rate", t.learningRate)}, batch ${value("per_device_train_batch_size", t.batchSize)} × accum ${value("gradient_accumulation_steps", t.gradAccumulation)}`),
    row("cutoff_len", value("cutoff_len", t.cutoffLen)),
    ...tokenCheckRows(state),
    row("overrides", Object.keys(o).length === 0 ? "none" : Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(", ")),
    // Without resampling review_balance is skipped, so the imputation is shown here.
    ...(state.balanceResult?.strategy === "none" ? imputationRows(state) : []),
    row("train.yaml", files.trainYaml),
    row("predict", `${files.predictTrainYaml}, ${files.predictTestYaml}`),
  ].join("\n");
}
