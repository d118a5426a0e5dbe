/** The text each review shows: compact, aligned, readable in ten seconds. */
import type { Plan } from "../schemas.js";
import type { State } from "../state.js";

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
    if (exec.error?.line) lines.push(row("at line", String(exec.error.line)));
    if (exec.error?.row) lines.push(row("row", JSON.stringify(exec.error.row).slice(0, 300)));
    lines.push(row("script", state.script?.path ?? "?"));
    return lines.join("\n");
  }
  lines.push(row("rows", `${exec.rowsIn} in → ${exec.rowsOut} records (${exec.dropped} dropped by clean)`));
  lines.push(row(`kept (${plan.features.length})`, plan.features.join(", ")));
  lines.push(row("dropped", plan.dropped.map((d) => d.column).join(", ") || "none"));
  if (state.verification) {
    if (plan.task !== "regression") lines.push(row("classes", counts(state.verification.classCounts)));
    for (const check of state.verification.checks) lines.push(row(check.ok ? "ok" : "FAILED", `${check.name}: ${check.detail}`));
    for (const note of state.verification.critique) lines.push(row("critique", note));
  }
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

export function balanceSummary(state: State): string {
  const b = state.balanceResult;
  if (!b) return "not balanced";
  return [row("strategy", b.strategy), row("before", counts(b.before)), row("after", counts(b.after)), row("test set", "untouched")].join("\n");
}

export function configSummary(state: State): string {
  const files = state.configFiles;
  const t = state.options?.training;
  if (!files || !t) return "no configs";
  const o = state.configOverrides;
  const value = (key: string, fallback: unknown) => String(key in o ? o[key] : fallback);
  return [
    row("model", t.model),
    row("lora", `rank ${value("lora_rank", t.loraRank)}, alpha ${value("lora_alpha", t.loraAlpha)}, dora ${value("use_dora", t.useDora)}`),
    row("training", `epochs ${value("num_train_epochs", t.epochs)}, lr ${value("learning_rate", t.learningRate)}, batch ${value("per_device_train_batch_size", t.batchSize)} × accum ${value("gradient_accumulation_steps", t.gradAccumulation)}`),
    row("cutoff_len", value("cutoff_len", t.cutoffLen)),
    row("overrides", Object.keys(o).length === 0 ? "none" : Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(", ")),
    row("train.yaml", files.trainYaml),
    row("predict", `${files.predictTrainYaml}, ${files.predictTestYaml}`),
  ].join("\n");
}
