/**
 * The LLM imputer for categorical cells (DESIGN §7), offered only when a model is
 * configured. The model sees one row's other feature values (never the target, never an
 * identifier: the frame holds neither) plus a few solved training rows, and must answer a
 * value of the column's training vocabulary; anything else is re-asked, then the training
 * mode answers (the heuristic fallback). It is scored like the other policies, on masked
 * observed training cells, and fitted on nothing, so no row's answer depends on another
 * split.
 */
import type { Config } from "../../config.js";
import { imputeValues, promptLimits, type CallRecord, type Decider } from "../../llm/index.js";
import { createRng, shuffleInPlace } from "../random.js";
import { isMissing, type Frame, type FrameColumn } from "./frame.js";

type RowValues = Record<string, string | number | null>;

export interface LlmImputer {
  /** "<provider>:<model>" of the agent model that answers. */
  readonly model: string;
  /** Every call made so far, for the pipeline log. */
  readonly calls: CallRecord[];
  /**
   * The masked-cell error (1 − accuracy) of column j on at most `maxScoredCells` observed
   * cells of `frame` (a seeded sample), and how many cells it was measured on. null (and
   * 0 cells) when any answer came from the fallback: then the model was not measured.
   */
  score(frame: Frame, j: number, seed: number): Promise<{ maskedError: number | null; cells: number }>;
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

/** The most frequent level of a categorical column (ties: the first level). */
function modeOf(col: Extract<FrameColumn, { kind: "categorical" }>): string | null {
  const counts = new Array<number>(col.levels.length).fill(0);
  for (const code of col.codes) if (code >= 0) counts[code]! += 1;
  let best = -1;
  counts.forEach((n, code) => {
    if (n > 0 && (best < 0 || n > counts[best]!)) best = code;
  });
  return best < 0 ? null : col.levels[best]!;
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
          return wrong === undefined ? null : `${JSON.stringify(wrong)} is not an allowed value of ${JSON.stringify(column)}; use one of ${JSON.stringify(vocabulary)} or null`;
        },
      });
      calls.push(source);
      out.push(...value.values);
    }
    return out;
  }

  function examplesOf(train: Frame, j: number, exclude: Set<number>, seed: number): RowValues[] {
    const col = train.columns[j]!;
    const pool = shuffleInPlace(observedRows(col, train.rows).filter((i) => !exclude.has(i)), createRng(seed + 1));
    return pool.slice(0, Math.min(limits.sampleRows, 10)).map((i) => ({ ...rowValues(train, i, j), [col.name]: col.kind === "categorical" ? col.levels[col.codes[i]!]! : null }));
  }

  return {
    model: `${options.provider}:${options.agentModel ?? "?"}`,
    calls,
    async score(frame, j, seed) {
      const col = frame.columns[j]!;
      if (col.kind !== "categorical") throw new Error(`the LLM imputer fills categorical columns only, not ${col.name}`);
      const hidden = shuffleInPlace(observedRows(col, frame.rows), createRng(seed)).slice(0, settings.maxScoredCells);
      if (hidden.length === 0) return { maskedError: null, cells: 0 };
      const before = calls.length;
      const answers = await ask(col.name, col.levels, modeOf(col), examplesOf(frame, j, new Set(hidden), seed), hidden.map((i) => rowValues(frame, i, j)));
      if (calls.slice(before).some((c) => c.fellBack)) return { maskedError: null, cells: 0 };
      const right = hidden.filter((i, k) => answers[k] === col.levels[col.codes[i]!]).length;
      return { maskedError: 1 - right / hidden.length, cells: hidden.length };
    },
    async fill(frame, train, j, seed) {
      const col = frame.columns[j]!;
      const trainCol = train.columns[j]!;
      if (col.kind !== "categorical" || trainCol.kind !== "categorical") throw new Error(`the LLM imputer fills categorical columns only, not ${col.name}`);
      const gaps: number[] = [];
      for (let i = 0; i < frame.rows; i++) if (isMissing(col, i)) gaps.push(i);
      const codes = Int32Array.from(col.codes);
      if (gaps.length > 0) {
        const answers = await ask(col.name, trainCol.levels, modeOf(trainCol), examplesOf(train, j, new Set(), seed), gaps.map((i) => rowValues(frame, i, j)));
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
