/**
 * verify: deterministic checks on every rendered record (Alpaca keys, non-empty and
 * varied inputs, output in the label mapping, target not leaked, rows in vs out with drop
 * reasons, class counts), then the model's critique of a seeded sample of records when a
 * model is configured (the heuristic provider writes none, and says so). verify_split runs
 * the same record checks on the shipped train.json and test.json.
 *
 * Every check has a severity. A failed blocking check means the records cannot train what
 * the plan says (no records, no features, a leaked target, inputs that carry nothing);
 * the reviews show it, and only a person or --accept-failed-checks can approve past it
 * (review.ts). Warnings are shown and never stop a run.
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

/** The name of every check, as stored in VerifyCheck.name. */
export const CHECK = {
  records: "records",
  features: "features in the plan",
  shape: "alpaca shape",
  nonEmpty: "non-empty input",
  varied: "inputs differ across records",
  mapping: "output in label mapping",
  numeric: "numeric output",
  leak: "target not in input",
  rows: "rows in vs out",
} as const;

export type Severity = "blocking" | "warning";

/** Checks whose failure blocks a scripted approval; every other check is a warning. */
const BLOCKING = new Set<string>([CHECK.records, CHECK.features, CHECK.shape, CHECK.nonEmpty, CHECK.varied, CHECK.mapping, CHECK.numeric, CHECK.leak]);

/** A check's severity, from its name (row accounting and anything unknown are warnings). */
export function severityOf(check: Pick<VerifyCheck, "name">): Severity {
  return BLOCKING.has(check.name) ? "blocking" : "warning";
}

/** The failed checks that block a scripted approval, in order. */
export function blockingFailures(checks: readonly VerifyCheck[]): VerifyCheck[] {
  return checks.filter((c) => !c.ok && severityOf(c) === "blocking");
}

/** One line for a failed check: "<name> — <detail>". */
export const describeCheck = (check: VerifyCheck) => `${check.name} — ${check.detail}`;

/** Phrases that would put the answer into the question. */
function leakPatterns(plan: Plan): RegExp[] {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const name = escape(plan.target);
  return [new RegExp(`\\bThe ${name} is\\b`, "i"), new RegExp(`(^|\\n)${name}:`, "i")];
}

/**
 * The record checks of one Alpaca JSON array, streamed. With `variedInputs` the inputs
 * must not all be the same (training and test records; a record set where every input is
 * identical lost every planned feature); `apply` may score one record many times.
 */
export async function verifyRecords(path: string, plan: Plan, options: { variedInputs?: boolean } = {}) {
  const allowed = new Set(Object.values(plan.labels));
  const patterns = leakPatterns(plan);
  const classCounts: Record<string, number> = {};
  let n = 0;
  let badShape = 0;
  let emptyInput = 0;
  let outsideMapping = 0;
  let leaked = 0;
  let inputChars = 0;
  let firstInput: string | null = null;
  let distinctInputs = 0;
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
    // Two distinct inputs are enough to know the inputs vary.
    if (firstInput === null) (firstInput = record.input), (distinctInputs = 1);
    else if (distinctInputs === 1 && record.input !== firstInput) distinctInputs = 2;
    inputChars += record.input.length;
    if (plan.task !== "regression") classCounts[record.output] = (classCounts[record.output] ?? 0) + 1;
  }
  const at = (what: string) => (firstBad[what] ? ` (first: record ${firstBad[what]})` : "");
  const shown = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
  const wellShaped = n - badShape;
  const checks: VerifyCheck[] = [
    { name: CHECK.records, ok: n > 0, detail: `${n} records` },
    { name: CHECK.features, ok: plan.features.length > 0, detail: plan.features.length > 0 ? `${plan.features.length} features` : "the plan keeps no feature column, so every input is empty of data" },
    { name: CHECK.shape, ok: badShape === 0, detail: `${badShape} records without exactly instruction/input/output strings${at("shape")}` },
    { name: CHECK.nonEmpty, ok: emptyInput === 0, detail: `${emptyInput} empty inputs${at("empty")}` },
    {
      name: plan.task === "regression" ? CHECK.numeric : CHECK.mapping,
      ok: outsideMapping === 0,
      detail: `${outsideMapping} outputs outside ${plan.task === "regression" ? "numbers" : "the mapping"}${at("mapping")}`,
    },
    { name: CHECK.leak, ok: leaked === 0, detail: `${leaked} inputs mention "${plan.target}"${at("leak")}` },
  ];
  if (options.variedInputs) {
    const constant = wellShaped >= 2 && distinctInputs === 1;
    checks.push({
      name: CHECK.varied,
      ok: !constant,
      detail: constant ? `all ${wellShaped} inputs are the same text ${shown(firstInput ?? "")}: the planned features were lost` : wellShaped < 2 ? "fewer than 2 records" : "inputs vary",
    });
  }
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
    name: CHECK.rows,
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

/** "2 checks failed: a (blocking), b" or "all 7 checks passed", for the stage line and the log. */
function outcomeLine(checks: readonly VerifyCheck[], records: string): string {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return `all ${checks.length} checks passed on ${records}`;
  return `${failed.length} checks failed on ${records}: ${failed.map((c) => `${c.name}${severityOf(c) === "blocking" ? " (blocking)" : ""}`).join(", ")}`;
}

export async function verify(state: State): Promise<Update> {
  const started = Date.now();
  const plan = requirePlan(state);
  const execution = state.execution;
  const allData = execution?.allData;
  if (!execution || !allData) throw new Error("verify runs only after a successful execute");
  const result = await verifyRecords(allData.path, plan, { variedInputs: true });
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
  const outcome = outcomeLine(result.checks, `${result.records} records`);
  stage("verify", outcome);
  return {
    verification: { checks: result.checks, classCounts: result.classCounts, critique },
    log: [
      ...(model?.log ?? []),
      logEntry("verify", failed.length === 0 ? "all checks passed" : outcome, started, {
        numbers: {
          records: result.records,
          failedChecks: failed.length,
          blockingChecks: blockingFailures(result.checks).length,
          ...Object.fromEntries(Object.entries(result.classCounts).map(([k, v]) => [`class:${k}`, v])),
        },
        artifacts: [allData.path],
      }),
    ],
  };
}

/**
 * verify_split: the record checks on what the run ships, train.json and test.json after
 * imputation and balancing (verify saw all_data.json before either). Each check's detail
 * starts with its file. A failed blocking check sends the run to review_balance (graph.ts),
 * where only a person or --accept-failed-checks can approve past it.
 */
export async function verifySplit(state: State): Promise<Update> {
  const started = Date.now();
  const plan = requirePlan(state);
  const balanced = state.balanceResult;
  if (!balanced) throw new Error("verify_split runs after balance");
  const checks: VerifyCheck[] = [];
  const files = [["train.json", balanced.trainJson.path], ["test.json", balanced.testJson.path]] as const;
  for (const [file, path] of files) {
    const result = await verifyRecords(path, plan, { variedInputs: true });
    checks.push(...result.checks.filter((c) => c.name !== CHECK.features || file === "train.json").map((c) => ({ ...c, detail: `${file}: ${c.detail}` })));
  }
  const outcome = outcomeLine(checks, "train.json and test.json");
  stage("verify_split", outcome);
  const failed = checks.filter((c) => !c.ok).length;
  return {
    splitChecks: checks,
    log: [
      logEntry("verify_split", outcome, started, {
        numbers: { trainRecords: balanced.trainJson.rows ?? 0, testRecords: balanced.testJson.rows ?? 0, failedChecks: failed, blockingChecks: blockingFailures(checks).length },
        artifacts: files.map(([, path]) => path),
      }),
    ],
  };
}
