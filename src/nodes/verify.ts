/**
 * verify: deterministic checks on every rendered record (prep/checks.ts: Alpaca keys,
 * non-empty and varied inputs, output in the label mapping, target not leaked, rows in vs
 * out with drop reasons, class counts), then the model's critique of a seeded sample of
 * records when a model is configured (the heuristic provider writes none, and says so). verify_split runs
 * the same record checks on the shipped train.json and test.json.
 *
 * Every check has a severity. A failed blocking check means the records cannot train what
 * the plan says (no records, no features, a leaked target, inputs that carry nothing);
 * the reviews show it, and only a person or --accept-failed-checks can approve past it
 * (review.ts). Warnings are shown and never stop a run.
 */
import { forEachJsonLine } from "../artifacts.js";
import { answeredBy, promptLimits, verifyValues } from "../llm/index.js";
import { logEntry, stage } from "../log.js";
import { blockingFailures, CHECK, rowAccountingCheck, severityOf, verifyRecords } from "../prep/checks.js";
import { TokenCounter } from "../finetune/token-check.js";
import type { AlpacaRecord } from "../rows.js";
import { getConfig, getDecider } from "../runtime.js";
import { createRng } from "../stats/random.js";
import type { LogEntry, State, Update, VerifyCheck } from "../state.js";
import { modelCallLog, requireOptions, requirePlan, requireState } from "./common.js";


/** Up to `n` records drawn uniformly with a seeded reservoir, in file order. */
async function sampleRecords(path: string, n: number, seed: number): Promise<AlpacaRecord[]> {
  const rng = createRng(seed);
  const kept: { index: number; record: AlpacaRecord }[] = [];
  await forEachJsonLine<AlpacaRecord>(
    path,
    (record, index) => {
      if (kept.length < n) kept.push({ index, record });
      else {
        const slot = Math.floor(rng() * (index + 1));
        if (slot < n) kept[slot] = { index, record };
      }
    },
    { array: true },
  );
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
  const execution = requireState(state.execution, "prep result", "verify");
  const allData = requireState(execution.allData, "all_data.json from a successful execute", "verify");
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
  const balanced = requireState(state.balanceResult, "balanced train.json and test.json", "verify_split");
  const checks: VerifyCheck[] = [];
  const files = [["train.json", balanced.trainJson], ["test.json", balanced.testJson]] as const;
  // Each record's token estimate is counted as it is checked, for finetune_config's check of cutoff_len.
  const { charsPerToken, templateTokens } = getConfig().evaluate;
  const estimate = { charsPerToken, templateTokens };
  const counters = files.map(() => new TokenCounter(estimate));
  for (const [k, [file, ref]] of files.entries()) {
    const counter = counters[k]!;
    const result = await verifyRecords(ref.path, plan, { variedInputs: true, onRecord: (record) => counter.add(record) });
    checks.push(...result.checks.filter((c) => c.name !== CHECK.features || file === "train.json").map((c) => ({ ...c, detail: `${file}: ${c.detail}` })));
  }
  const [train, test] = counters as [TokenCounter, TokenCounter];
  const recordTokens = train.usable && test.usable ? { ...estimate, train: train.histogram(balanced.trainJson.sha256), test: test.histogram(balanced.testJson.sha256) } : null;
  const outcome = outcomeLine(checks, "train.json and test.json");
  stage("verify_split", outcome);
  const failed = checks.filter((c) => !c.ok).length;
  return {
    splitChecks: checks,
    recordTokens,
    log: [
      logEntry("verify_split", outcome, started, {
        numbers: { trainRecords: balanced.trainJson.rows ?? 0, testRecords: balanced.testJson.rows ?? 0, failedChecks: failed, blockingChecks: blockingFailures(checks).length },
        artifacts: files.map(([, ref]) => ref.path),
      }),
    ],
  };
}
