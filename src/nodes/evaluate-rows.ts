/**
 * The training rows evaluate reads, streamed instead of held: every row passes once through
 * the caller's summaries (the report's snapshot and columns, the target's mean), and only the
 * rows the baselines fit on are kept as objects: the seeded sample of at most
 * baseline.maxTrainRows (baselineTrainRows' rows, in file order) and the cross-validation's
 * sample of the rows before balancing (sampleForCv's rows). The choice of each sample is the one
 * compareBaselines makes from the full lists, so the models and results are the same; on the
 * 1M bench table evaluate keeps ~30,000 row objects instead of 800,000. Also the LLM's
 * generations, one per test row.
 */
import { forEachJsonLine, readJsonLines, readLineBatches } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import type { CleanRow } from "../rows.js";
import type { BaselineRow } from "../stats/baseline.js";
import { sampleForCv } from "../stats/baseline-cv.js";
import type { CvSample } from "../stats/baseline-choice.js";
import { createRng, sampleIndices } from "../stats/random.js";

/** The records of a JSON-lines file at these row indices (ascending); only those lines are parsed. */
async function readRowsAt(path: string, indices: readonly number[]): Promise<BaselineRow[]> {
  const rows: BaselineRow[] = [];
  let i = 0;
  let next = 0;
  for await (const lines of readLineBatches(path)) {
    if (next >= indices.length) break;
    for (const line of lines)
      if (i++ === indices[next]) {
        rows.push(JSON.parse(line) as BaselineRow);
        next++;
      }
  }
  return rows;
}

/** Rows of a JSON-lines file (its non-blank lines). */
async function countRows(path: string): Promise<number> {
  let n = 0;
  for await (const lines of readLineBatches(path)) n += lines.length;
  return n;
}

/** What evaluate keeps of its training rows. */
export interface TrainingRows {
  /** Rows of the final training file. */
  rows: number;
  /** The rows the baselines fit on: all of them up to maxTrainRows, else the seeded sample baselineTrainRows draws. */
  sample: BaselineRow[];
  /** The cross-validation's rows: sampleForCv's sample of the rows before balancing, and how many those were. */
  validation: CvSample;
}

/**
 * Streams the final training rows (`train`, `rows` of them when the artifact says so) through
 * `visit`, keeping the baselines' samples; `unbalanced` is the file before balancing (null:
 * the same file), whose labels choose the cross-validation's rows.
 */
export async function readTrainingRows(args: {
  train: { path: string; rows: number | null };
  unbalanced: string | null;
  target: string;
  options: { maxTrainRows: number; cvMaxRows: number; seed: number };
  stratify: boolean;
  visit: (row: CleanRow) => void;
}): Promise<TrainingRows> {
  const { target, options } = args;
  const path = args.train.path;
  // baselineTrainRows' sample: sorted indices (null: every row), drawn from the count alone.
  const draw = (rows: number) => (rows > options.maxTrainRows ? sampleIndices(rows, options.maxTrainRows, createRng(options.seed)) : null);
  let n = args.train.rows ?? (await countRows(path));
  let keep = draw(n);
  let sample: BaselineRow[] = [];
  /** String(target) per row (interned), when this file is also the cross-validation's source. */
  const labels: string[] = [];
  const interned = new Map<string, string>();
  const label = (row: CleanRow): string => {
    const text = String(row[target]);
    const known = interned.get(text);
    if (known !== undefined) return known;
    interned.set(text, text);
    return text;
  };
  let next = 0;
  const read = await forEachJsonLine<CleanRow>(path, (row, at) => {
    args.visit(row);
    if (args.unbalanced === null) labels.push(label(row));
    if (keep === null || keep[next] === at) {
      sample.push(row);
      next++;
    }
  });
  if (read !== n) {
    // The artifact's count was stale (the file changed): the sample is drawn again from the rows read (visited once already).
    n = read;
    keep = draw(n);
    sample = await readRowsAt(path, keep ?? Array.from({ length: n }, (_, j) => j));
  }

  if (args.unbalanced !== null) await forEachJsonLine<CleanRow>(args.unbalanced, (row) => labels.push(label(row)));
  const picked = sampleForCv(labels, options.cvMaxRows, options.seed, args.stratify);
  const sourcePath = args.unbalanced ?? path;
  // All rows are in memory when the fit sample is the whole file (small tables): pick from it.
  const rows = args.unbalanced === null && keep === null ? picked.map((j) => sample[j] as BaselineRow) : await readRowsAt(sourcePath, picked);
  return { rows: n, sample, validation: { sourceRows: labels.length, rows } };
}

/** One LLM generation for a test row: its text, and the reference answer LlamaFactory wrote beside it (null when absent). */
export interface Generation {
  predict: string;
  label: string | null;
}

/** generated_predictions.jsonl, one per test row in order. @throws when the counts differ. */
export async function readGenerations(path: string, expected: number): Promise<Generation[]> {
  const out: Generation[] = [];
  for await (const p of readJsonLines<{ predict?: unknown; label?: unknown }>(path)) {
    out.push({ predict: typeof p.predict === "string" ? p.predict : p.predict == null ? "" : String(p.predict), label: typeof p.label === "string" ? p.label : null });
  }
  if (out.length !== expected)
    throw new TabtuneError("predictions_mismatch", `${path} has ${out.length} predictions for ${expected} test rows`, { suggestion: "re-run prediction on this run's test.json (--start-from predict)" });
  return out;
}
