/**
 * The LLM imputer for categorical cells (DESIGN §7), offered only when a model is
 * configured. The model sees one row's other feature values (never the target, never an
 * identifier: the frame holds neither) plus a few solved training rows, and must answer a
 * value of the column's training vocabulary; anything else is re-asked, then the training
 * mode answers (the heuristic fallback). It is scored on probe cells: a bounded share of
 * the very cells hidden to score the other policies, shown as the engines saw them, with
 * solved examples only from rows the mask left observed. It is fitted on nothing, so no
 * row's answer depends on another split.
 */
import type { Config } from "../../config.js";
import { imputeValues, promptLimits, type CallRecord, type Decider } from "../../llm/index.js";
import { createRng, shuffleInPlace } from "../random.js";
import { isMissing, type Frame, type FrameColumn } from "./frame.js";
import { SCORED_POLICIES, type ImputePolicy } from "./policies.js";
import { fitSimpleColumn } from "./simple.js";
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
}

export interface LlmImputer {
  /** "<provider>:<model>" of the agent model that answers. */
  readonly model: string;
  /** Every call made so far, for the pipeline log. */
  readonly calls: CallRecord[];
  /** Solved examples per prompt: what scoring should set aside per probe (ProbeRequest.examples). */
  readonly exampleRows: number;
  /**
   * The model's masked-cell error on column j's probe cells (scoring.ts). null when there
   * were none, or when any answer came from the fallback: then the model was not measured.
   */
  score(j: number, probes: ProbeCells[]): Promise<LlmScore | null>;
  /** Column j of `frame` with every missing cell asked of the model; examples come from `train`. */
  fill(frame: Frame, train: Frame, j: number, seed: number): Promise<FrameColumn>;
}

/** Row i of the frame as the model reads it: every column but `skip`. */
function rowValues(frame: Frame, i: number, skip: number): RowValues {
  const row: RowValues = {};
  frame.columns.forEach((col, j) => {
    if (j === skip) return;
    if (isMissing(col, i)) row[col.name] = null;
    else row[col.name] = col.kind === "numeric" ? col.values[i]! : col.levels[col.codes[i]!]!;
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

  /** Asks for `rows` in batches; each answer is checked against the vocabulary and re-asked. */
  async function ask(column: string, vocabulary: string[], mode: string | null, examples: RowValues[], rows: RowValues[]): Promise<(string | null)[]> {
    const allowed = new Set(vocabulary);
    const out: (string | null)[] = [];
    for (let start = 0; start < rows.length; start += settings.batchRows) {
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
      out.push(...value.values);
    }
    return out;
  }

  const exampleRows = Math.min(limits.sampleRows, 10);

  /** Rows of `frame` where column j is observed, as solved examples: the other features and j's value. */
  function solved(frame: Frame, j: number, index: readonly number[]): RowValues[] {
    const col = frame.columns[j]!;
    return index.map((i) => ({ ...rowValues(frame, i, j), [col.name]: col.kind === "categorical" ? col.levels[col.codes[i]!]! : null }));
  }

  return {
    model: `${options.provider}:${options.agentModel ?? "?"}`,
    calls,
    exampleRows,
    async score(j, probes) {
      const cells = probes.reduce((n, p) => n + p.truth.length, 0);
      if (cells === 0) return null;
      const before = calls.length;
      let wrong = 0;
      const sameWrong = new Map<ImputePolicy, number>();
      for (const probe of probes) {
        const col = probe.rows.columns[j]!;
        const known = probe.examples.columns[j]!;
        if (col.kind !== "categorical" || known.kind !== "categorical") throw new Error(`the LLM imputer fills categorical columns only, not ${col.name}`);
        const examples = solved(probe.examples, j, Array.from({ length: probe.examples.rows }, (_, i) => i));
        const rows = Array.from({ length: probe.rows.rows }, (_, i) => rowValues(probe.rows, i, j));
        const answers = await ask(col.name, col.levels, modeOf(known), examples, rows);
        wrong += probe.truth.filter((t, k) => answers[k] !== t).length;
        for (const policy of SCORED_POLICIES.categorical) {
          const error = probe.errors[policy];
          if (error !== undefined) sameWrong.set(policy, (sameWrong.get(policy) ?? 0) + error * probe.truth.length);
        }
      }
      if (calls.slice(before).some((c) => c.fellBack)) return null;
      return { maskedError: wrong / cells, cells, sameCells: Object.fromEntries([...sameWrong].map(([p, w]) => [p, w / cells])) };
    },
    async fill(frame, train, j, seed) {
      const col = frame.columns[j]!;
      const trainCol = train.columns[j]!;
      if (col.kind !== "categorical" || trainCol.kind !== "categorical") throw new Error(`the LLM imputer fills categorical columns only, not ${col.name}`);
      const gaps: number[] = [];
      for (let i = 0; i < frame.rows; i++) if (isMissing(col, i)) gaps.push(i);
      const codes = Int32Array.from(col.codes);
      if (gaps.length > 0) {
        const examples = solved(train, j, shuffleInPlace(observedRows(trainCol, train.rows), createRng(seed + 1)).slice(0, exampleRows));
        const answers = await ask(col.name, trainCol.levels, modeOf(trainCol), examples, gaps.map((i) => rowValues(frame, i, j)));
        gaps.forEach((i, k) => {
          const level = answers[k];
          const code = level === null || level === undefined ? -1 : col.levels.indexOf(level);
          codes[i] = code;
        });
      }
      return { ...col, codes };
    },
  };
}
