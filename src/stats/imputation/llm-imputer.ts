/**
 * The LLM imputer for categorical cells (DESIGN §7), offered only when a model is
 * configured. The model sees one row's other feature values (never the target, never an
 * identifier: the frame holds neither) plus a few solved training rows, and must answer a
 * value of the column's training vocabulary; anything else is re-asked, then the training
 * mode answers (the heuristic fallback). It is scored on probe cells: a bounded share of
 * the very cells hidden to score the other policies, shown as the engines saw them, with
 * solved examples only from rows the mask left observed. It is fitted on nothing, so no
 * row's answer depends on another split.
 * It spends at most `imputation.llm.maxCalls` calls and `maxTokens` tokens (prompt +
 * completion) in a run, scoring and filling together: once spent, no more is asked, a column
 * whose probe cells were not all answered is not measured (so not chosen), and the cells of a
 * chosen column left unasked keep the scored choice's fill (`fill`'s `base`), which the
 * node records per column in policies.json and the report.
 */
import type { Config } from "../../config.js";
import { imputeValues, promptLimits, type CallRecord, type Decider } from "../../llm/index.js";
import { createRng, shuffleInPlace } from "../random.js";
import { isMissing, type Frame, type FrameColumn } from "./frame.js";
import { SCORED_POLICIES, type ImputePolicy } from "./policies.js";
import { fitSimpleColumn } from "./simple.js";
import { budgetLeft, type LlmBudget } from "./budget.js";
import type { ProbeCells } from "./scoring.js";

type RowValues = Record<string, string | number | null>;

/** What the model measured on a column's probe cells, beside the candidates on the same cells. */
export interface LlmScore {
  /** 1 − accuracy of the model's answers (a null answer counts as wrong). */
  maskedError: number;
  /** Probe cells asked, over all mask fractions. */
  cells: number;
  /** Each scored candidate's 1 − accuracy on exactly these cells. */
  sameCells: Partial<Record<ImputePolicy, number>>;
}

/** What policies.json and report.md record of the LLM imputer. */
export interface LlmImputerSummary {
  model: string;
  calls: number;
  /** Calls the mode answered because the model could not. */
  fellBack: number;
  /** Per column offered: its probe score, or null when it was not measured. */
  scored: Record<string, { cells: number; llm: number; sameCells: LlmScore["sameCells"] } | null>;
  /** The budget (imputation.llm.maxCalls / maxTokens) and what the run spent of it. */
  budget: LlmBudget;
  /** Per column filled by the model: cells it answered, and cells the budget left to `fallback` (the scored choice). */
  filled: Record<string, { asked: number; byFallback: number; fallback: string }>;
}

/** What `fill` did: the column, and how many gaps the model answered vs the budget left to the base fill. */
export interface LlmFill {
  column: FrameColumn;
  asked: number;
  unasked: number;
}

export interface LlmImputer {
  /** "<provider>:<model>" of the agent model that answers. */
  readonly model: string;
  /** Every call made so far, for the pipeline log. */
  readonly calls: CallRecord[];
  /** The run's budget and what has been spent. */
  readonly budget: LlmBudget;
  /** Solved examples per prompt: what scoring should set aside per probe (ProbeRequest.examples). */
  readonly exampleRows: number;
  /**
   * The model's masked-cell error on column j's probe cells (scoring.ts). null when there
   * were none, or when any answer came from the fallback: then the model was not measured.
   */
  score(j: number, probes: ProbeCells[]): Promise<LlmScore | null>;
  /**
   * Column j of `frame` with its missing cells asked of the model while the budget lasts;
   * examples come from `train`. Cells left unasked take `base`'s value (the scored choice's
   * fill of the same rows), or stay missing without one.
   */
  fill(frame: Frame, train: Frame, j: number, seed: number, base?: FrameColumn): Promise<LlmFill>;
}

/** Row i of the frame as the model reads it: every column but `skip`. */
function rowValues(frame: Frame, i: number, skip: number): RowValues {
  const row: RowValues = {};
  frame.columns.forEach((col, j) => {
    if (j === skip) return;
    if (isMissing(col, i)) row[col.name] = null;
    else row[col.name] = col.type === "numeric" ? col.values[i]! : col.dictionary[col.codes[i]!]!;
  });
  return row;
}

function observedRows(col: FrameColumn, rows: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) if (!isMissing(col, i)) out.push(i);
  return out;
}

/** The training mode of a categorical column: the fallback answer (ties: the level that sorts first). */
function modeOf(col: FrameColumn): string | null {
  const mode = fitSimpleColumn(col, "median").value;
  return typeof mode === "string" ? mode : null;
}

/** The LLM imputer of a run, or null with the heuristic provider (the policy is then never offered). */
export function createLlmImputer(decider: Decider, options: { provider: string; agentModel: string | null }, config: Pick<Config, "imputation" | "llm">): LlmImputer | null {
  if (decider.provider === "heuristic") return null;
  const settings = config.imputation.llm;
  const limits = promptLimits(config);
  const calls: CallRecord[] = [];
  const budget: LlmBudget = { maxCalls: settings.maxCalls, maxTokens: settings.maxTokens, calls: 0, tokens: 0 };

  /**
   * Asks for `rows` in batches while the budget lasts; each answer is checked against the
   * vocabulary and re-asked. A row not asked (budget spent) is undefined.
   */
  async function ask(column: string, vocabulary: string[], mode: string | null, examples: RowValues[], rows: RowValues[]): Promise<(string | null | undefined)[]> {
    const allowed = new Set(vocabulary);
    const out: (string | null | undefined)[] = [];
    for (let start = 0; start < rows.length; start += settings.batchRows) {
      if (!budgetLeft(budget)) {
        out.push(...rows.slice(start).map(() => undefined));
        break;
      }
      const batch = rows.slice(start, start + settings.batchRows);
      const { value, source } = await decider.imputeCategories({
        values: imputeValues({ column, vocabulary, examples, rows: batch }, limits),
        fallback: () => ({ values: batch.map(() => mode) }),
        check: (answer) => {
          if (answer.values.length !== batch.length) return `answer exactly ${batch.length} values, one per row; there were ${answer.values.length}`;
          const wrong = answer.values.find((v) => v !== null && !allowed.has(v));
          if (wrong === undefined) return null;
          const listed = vocabulary.length <= 30 ? JSON.stringify(vocabulary) : `${JSON.stringify(vocabulary.slice(0, 30)).slice(0, -1)}, …] (${vocabulary.length} in all, listed in the question)`;
          return `${JSON.stringify(wrong)} is not an allowed value of ${JSON.stringify(column)}; use one of ${listed} or null`;
        },
      });
      calls.push(source);
      budget.calls++;
      budget.tokens += source.promptTokens + source.completionTokens;
      out.push(...value.values);
    }
    return out;
  }

  const exampleRows = Math.min(limits.sampleRows, 10);

  /** Rows of `frame` where column j is observed, as solved examples: the other features and j's value. */
  function solved(frame: Frame, j: number, index: readonly number[]): RowValues[] {
    const col = frame.columns[j]!;
    return index.map((i) => ({ ...rowValues(frame, i, j), [col.name]: col.type === "categorical" ? col.dictionary[col.codes[i]!]! : null }));
  }

  return {
    model: `${options.provider}:${options.agentModel ?? "?"}`,
    calls,
    budget,
    exampleRows,
    async score(j, probes) {
      const cells = probes.reduce((n, p) => n + p.truth.length, 0);
      if (cells === 0) return null;
      const before = calls.length;
      let wrong = 0;
      let unasked = 0;
      const sameWrong = new Map<ImputePolicy, { wrong: number; cells: number }>();
      for (const probe of probes) {
        const col = probe.rows.columns[j]!;
        const known = probe.examples.columns[j]!;
        if (col.type !== "categorical" || known.type !== "categorical") throw new Error(`the LLM imputer fills categorical columns only, not ${col.name}`);
        const examples = solved(probe.examples, j, Array.from({ length: probe.examples.rows }, (_, i) => i));
        const rows = Array.from({ length: probe.rows.rows }, (_, i) => rowValues(probe.rows, i, j));
        const answers = await ask(col.name, col.dictionary, modeOf(known), examples, rows);
        wrong += probe.truth.filter((t, k) => answers[k] !== t).length;
        unasked += answers.filter((a) => a === undefined).length;
        for (const policy of SCORED_POLICIES.categorical) {
          const error = probe.errors[policy];
          const so = sameWrong.get(policy) ?? { wrong: 0, cells: 0 };
          if (error !== undefined) sameWrong.set(policy, { wrong: so.wrong + error * probe.truth.length, cells: so.cells + probe.truth.length });
        }
      }
      // Not measured: an answer came from the fallback, or the budget left cells unasked.
      if (unasked > 0 || calls.slice(before).some((c) => c.fellBack)) return null;
      return { maskedError: wrong / cells, cells, sameCells: Object.fromEntries([...sameWrong].map(([p, w]) => [p, w.wrong / w.cells])) };
    },
    async fill(frame, train, j, seed, base) {
      const col = frame.columns[j]!;
      const trainCol = train.columns[j]!;
      if (col.type !== "categorical" || trainCol.type !== "categorical") throw new Error(`the LLM imputer fills categorical columns only, not ${col.name}`);
      const gaps: number[] = [];
      for (let i = 0; i < frame.rows; i++) if (isMissing(col, i)) gaps.push(i);
      const codes = Int32Array.from(col.codes);
      let asked = 0;
      let unasked = 0;
      if (gaps.length > 0) {
        const examples = solved(train, j, shuffleInPlace(observedRows(trainCol, train.rows), createRng(seed + 1)).slice(0, exampleRows));
        const answers = await ask(col.name, trainCol.dictionary, modeOf(trainCol), examples, gaps.map((i) => rowValues(frame, i, j)));
        gaps.forEach((i, k) => {
          const level = answers[k];
          if (level === undefined) {
            unasked++;
            const b = base?.type === "categorical" ? base.codes[i]! : -1;
            codes[i] = b < 0 || !base || base.type !== "categorical" ? -1 : col.dictionary.indexOf(base.dictionary[b]!);
            return;
          }
          asked++;
          codes[i] = level === null ? -1 : col.dictionary.indexOf(level);
        });
      }
      return { column: { ...col, codes }, asked, unasked };
    },
  };
}
