/**
 * The record checks: what verify, verify_split and `tabtune apply` check on an Alpaca
 * JSON array (shape, non-empty and varied inputs, output in the label mapping, target
 * not leaked), row accounting, and each check's severity. A failed blocking check means
 * the records cannot train what the plan says; warnings never stop a run.
 */
import { forEachJsonLine } from "../artifacts.js";
import type { AlpacaRecord } from "../rows.js";
import type { Plan } from "../schemas.js";
import type { ExecutionResult, VerifyCheck } from "../state.js";

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

/**
 * Phrases that would put the answer into the question, as one test. Both patterns hold the
 * target's name, so an input without it (under the same case-folding) matches neither: the
 * name alone is looked for first, and only an input that has it is tried on the patterns.
 */
function leakTest(plan: Plan): (input: string) => boolean {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const name = escape(plan.target);
  const mentions = new RegExp(name, "i");
  const patterns = [new RegExp(`\\bThe ${name} is\\b`, "i"), new RegExp(`(^|\\n)${name}:`, "i")];
  return (input) => mentions.test(input) && patterns.some((p) => p.test(input));
}

/** Whether a parsed record is exactly { instruction, input, output }, all three strings. */
function isAlpacaShaped(record: AlpacaRecord): boolean {
  // Three string fields of a non-null object are its own; with exactly three keys, they are all of them.
  if (typeof record === "object" && record !== null && typeof record.instruction === "string" && typeof record.input === "string" && typeof record.output === "string")
    return Object.keys(record).length === 3;
  // Anything else, as first written (Object.keys throws on null, as it always did).
  const keys = Object.keys(record).sort();
  return keys.join() === ALPACA_KEYS.join() && [record.instruction, record.input, record.output].every((v) => typeof v === "string");
}

/**
 * The record checks of one Alpaca JSON array, streamed. With `variedInputs` the inputs
 * must not all be the same (training and test records; a record set where every input is
 * identical lost every planned feature); `apply` may score one record many times.
 */
export async function verifyRecords(path: string, plan: Plan, options: { variedInputs?: boolean; onRecord?: (record: unknown) => void } = {}) {
  const allowed = new Set(Object.values(plan.labels));
  const leaks = leakTest(plan);
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
  const note = (what: string) => (firstBad[what] ??= n);
  await forEachJsonLine<AlpacaRecord>(
    path,
    (record) => {
      options.onRecord?.(record);
      n += 1;
      if (!isAlpacaShaped(record)) {
        badShape += 1;
        note("shape");
        return;
      }
      if (record.input.trim() === "") (emptyInput += 1), note("empty");
      if (plan.task !== "regression" && !allowed.has(record.output)) (outsideMapping += 1), note("mapping");
      if (plan.task === "regression" && !Number.isFinite(Number(record.output))) (outsideMapping += 1), note("mapping");
      if (leaks(record.input)) (leaked += 1), note("leak");
      // Two distinct inputs are enough to know the inputs vary.
      if (firstInput === null) (firstInput = record.input), (distinctInputs = 1);
      else if (distinctInputs === 1 && record.input !== firstInput) distinctInputs = 2;
      inputChars += record.input.length;
      if (plan.task !== "regression") classCounts[record.output] = (classCounts[record.output] ?? 0) + 1;
    },
    { array: true },
  );
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
