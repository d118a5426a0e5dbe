/**
 * verify: deterministic checks on every rendered record (Alpaca keys, non-empty input,
 * output in the label mapping, target not leaked, rows in vs out with drop reasons,
 * class counts), then the model's critique of a seeded sample of records when a model
 * is configured (the heuristic provider writes none, and says so).
 */
import { readJsonArrayLines } from "../artifacts.js";
import { answeredBy, promptLimits, verifyValues } from "../llm/index.js";
import { logEntry, stage } from "../log.js";
import { getConfig, getDecider } from "../runtime.js";
import { createRng } from "../stats/random.js";
import type { AlpacaRecord } from "../sandbox/sandbox.js";
import type { Plan } from "../schemas.js";
import type { ExecutionResult, LogEntry, State, Update, VerifyCheck } from "../state.js";
import { modelCallLog, requireOptions, requirePlan } from "./common.js";

const ALPACA_KEYS = ["input", "instruction", "output"];

/** Phrases that would put the answer into the question. */
function leakPatterns(plan: Plan): RegExp[] {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const name = escape(plan.target);
  return [new RegExp(`\\bThe ${name} is\\b`, "i"), new RegExp(`(^|\\n)${name}:`, "i")];
}

export async function verifyRecords(path: string, plan: Plan) {
  const allowed = new Set(Object.values(plan.labels));
  const patterns = leakPatterns(plan);
  const classCounts: Record<string, number> = {};
  let n = 0;
  let badShape = 0;
  let emptyInput = 0;
  let outsideMapping = 0;
  let leaked = 0;
  let inputChars = 0;
  const firstBad: Record<string, number> = {};
  for await (const record of readJsonArrayLines<AlpacaRecord>(path)) {
    n += 1;
    const keys = Object.keys(record).sort();
    const note = (what: string) => (firstBad[what] ??= n);
    if (keys.join() !== ALPACA_KEYS.join() || ![record.instruction, record.input, record.output].every((v) => typeof v === "string")) {
      badShape += 1;
      note("shape");
      continue;
    }
    if (record.input.trim() === "") (emptyInput += 1), note("empty");
    if (plan.task !== "regression" && !allowed.has(record.output)) (outsideMapping += 1), note("mapping");
    if (plan.task === "regression" && !Number.isFinite(Number(record.output))) (outsideMapping += 1), note("mapping");
    if (patterns.some((p) => p.test(record.input))) (leaked += 1), note("leak");
    inputChars += record.input.length;
    if (plan.task !== "regression") classCounts[record.output] = (classCounts[record.output] ?? 0) + 1;
  }
  const at = (what: string) => (firstBad[what] ? ` (first: record ${firstBad[what]})` : "");
  const checks: VerifyCheck[] = [
    { name: "records", ok: n > 0, detail: `${n} records` },
    { name: "alpaca shape", ok: badShape === 0, detail: `${badShape} records without exactly instruction/input/output strings${at("shape")}` },
    { name: "non-empty input", ok: emptyInput === 0, detail: `${emptyInput} empty inputs${at("empty")}` },
    {
      name: plan.task === "regression" ? "numeric output" : "output in label mapping",
      ok: outsideMapping === 0,
      detail: `${outsideMapping} outputs outside ${plan.task === "regression" ? "numbers" : "the mapping"}${at("mapping")}`,
    },
    { name: "target not in input", ok: leaked === 0, detail: `${leaked} inputs mention "${plan.target}"${at("leak")}` },
  ];
  return { checks, classCounts, records: n, meanInputChars: n > 0 ? inputChars / n : 0 };
}

/**
 * Rows in vs rows out: every input row is either a record or a counted drop, and the
 * file holds exactly the records execute counted.
 */
export function rowAccountingCheck(execution: Pick<ExecutionResult, "rowsIn" | "rowsOut" | "dropped" | "dropReasons">, records: number): VerifyCheck {
  const reasons = Object.entries(execution.dropReasons ?? {})
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  const balanced = execution.rowsIn === execution.rowsOut + execution.dropped && records === execution.rowsOut;
  const droppedText = execution.dropped === 0 ? "none dropped" : `${execution.dropped} dropped${reasons ? ` (${reasons})` : ""}`;
  return {
    name: "rows in vs out",
    ok: balanced,
    detail: `${execution.rowsIn} rows in → ${records} records, ${droppedText}${balanced ? "" : `; execute counted ${execution.rowsOut} out`}`,
  };
}

/** Up to `n` records drawn uniformly with a seeded reservoir, in file order. */
async function sampleRecords(path: string, n: number, seed: number): Promise<AlpacaRecord[]> {
  const rng = createRng(seed);
  const kept: { index: number; record: AlpacaRecord }[] = [];
  let index = 0;
  for await (const record of readJsonArrayLines<AlpacaRecord>(path)) {
    if (kept.length < n) kept.push({ index, record });
    else {
      const slot = Math.floor(rng() * (index + 1));
      if (slot < n) kept[slot] = { index, record };
    }
    index += 1;
  }
  return kept.sort((a, b) => a.index - b.index).map((k) => k.record);
}

/**
 * The model's critique of seeded random samples (DESIGN §3): its summary and issues as
 * notes, with the call's log entry; null when no model is configured. Nothing stands
 * in for it: a model that fails leaves a note saying so, never a made-up critique.
 */
export async function critiqueWithModel(state: State, allDataPath: string, checks: readonly VerifyCheck[]): Promise<{ notes: string[]; log: LogEntry[] } | null> {
  const options = requireOptions(state);
  const decider = getDecider(options);
  if (decider.provider === "heuristic") return null;
  const limits = promptLimits(getConfig());
  const records = await sampleRecords(allDataPath, limits.sampleRows, options.seed);
  const { value, source } = await decider.critique({
    values: verifyValues({ plan: requirePlan(state), checks: checks.map((c) => `${c.ok ? "ok" : "FAILED"}: ${c.name} — ${c.detail}`), records }, limits),
    fallback: () => ({ verdict: "ok", issues: [], summary: "" }),
  });
  const log = modelCallLog("verify", source);
  if (source.fellBack) return { notes: [`model critique: none (${answeredBy(source)} could not answer: ${source.error ?? "unknown reason"})`], log };
  return { notes: [`model critique (${answeredBy(source)}, ${value.verdict}): ${value.summary}`, ...value.issues.map((i) => `model: ${i}`)], log };
}

export async function verify(state: State): Promise<Update> {
  const started = Date.now();
  const plan = requirePlan(state);
  const execution = state.execution;
  const allData = execution?.allData;
  if (!execution || !allData) throw new Error("verify runs only after a successful execute");
  const result = await verifyRecords(allData.path, plan);
  result.checks.push(rowAccountingCheck(execution, result.records));
  const critique: string[] = [];
  const model = await critiqueWithModel(state, allData.path, result.checks);
  critique.push(...(model?.notes ?? ["model critique: none (no model configured)"]));
  // Rough token estimate: ~4 characters per token for English-like text.
  critique.push(`mean input ≈ ${Math.round(result.meanInputChars / 4)} tokens (${Math.round(result.meanInputChars)} characters)`);
  const counts = Object.values(result.classCounts);
  if (counts.length > 1) {
    const ratio = Math.min(...counts) / Math.max(...counts);
    if (ratio < 0.2) critique.push(`rare classes: smallest/largest = ${ratio.toFixed(2)}; accuracy alone will flatter the model`);
  }
  const failed = result.checks.filter((c) => !c.ok);
  stage("verify", failed.length === 0 ? `all ${result.checks.length} checks passed on ${result.records} records` : `${failed.length} checks failed: ${failed.map((c) => c.name).join(", ")}`);
  return {
    verification: { checks: result.checks, classCounts: result.classCounts, critique },
    log: [
      ...(model?.log ?? []),
      logEntry("verify", failed.length === 0 ? "all checks passed" : `failed: ${failed.map((c) => c.name).join(", ")}`, started, {
        numbers: { records: result.records, failedChecks: failed.length, ...Object.fromEntries(Object.entries(result.classCounts).map(([k, v]) => [`class:${k}`, v])) },
        artifacts: [allData.path],
      }),
    ],
  };
}
