/**
 * Will the records fit in `cutoff_len`? LlamaFactory silently truncates a record whose
 * prompt + response is longer, which can cut the label off. Without the model's tokenizer
 * we estimate tokens, conservatively for tabular text:
 *
 *   tokens ≈ digits + ⌈other characters / charsPerToken⌉ + templateTokens
 *
 * Digits count one token each because Qwen2/2.5/3 and Llama-2 tokenize numbers digit by
 * digit (Llama-3 groups up to three digits, so this overestimates there); ~4 characters a
 * token is the usual figure for English words; the template adds its system prompt and
 * role markers (≈ 20–30 tokens for Qwen's default system prompt).
 */
import { createReadStream } from "node:fs";
import { readLineBatches, unframedArrayLine } from "../artifacts.js";
import type { OnProgress } from "../events.js";

export interface TokenEstimateOptions {
  charsPerToken: number;
  templateTokens: number;
}

export interface SplitTokenStats {
  records: number;
  /** Largest estimate over the split's records. */
  maxTokens: number;
  meanTokens: number;
  /** Records whose estimate exceeds cutoff_len. */
  overCutoff: number;
}

export interface TokenCheck {
  cutoffLen: number;
  /** How the estimate is made, for the review and the log. */
  method: string;
  train: SplitTokenStats;
  test: SplitTokenStats;
  /** A sentence for the review when records would be truncated, else null. */
  warning: string | null;
}

/** Records per token estimate of one file ([estimate, records], estimates ascending), tied to the file by its recorded sha256. */
export interface TokenHistogram {
  sha256: string;
  counts: [number, number][];
}

/**
 * The token estimates of the shipped train.json and test.json, counted by verify_split as it
 * checks every record, with the settings they were estimated with: finetune_config's check
 * for any cutoff_len (one chosen at review_config too) without reading the files again.
 */
export interface RecordTokens {
  charsPerToken: number;
  templateTokens: number;
  train: TokenHistogram;
  test: TokenHistogram;
}

/** Counts records per token estimate (estimateTokens); `usable` is false once an element was not an object, which the token check would not have counted. */
export class TokenCounter {
  readonly #counts = new Map<number, number>();
  usable = true;
  constructor(private readonly opts: TokenEstimateOptions) {}

  add(record: unknown): void {
    if (typeof record !== "object" || record === null || Array.isArray(record)) this.usable = false;
    else {
      const tokens = estimateTokens(record, this.opts);
      this.#counts.set(tokens, (this.#counts.get(tokens) ?? 0) + 1);
    }
  }

  histogram(sha256: string): TokenHistogram {
    return { sha256, counts: [...this.#counts].sort((a, b) => a[0] - b[0]) };
  }
}

/** A file's token statistics from its histogram: what splitTokenStats reads from the file. */
export function histogramStats(histogram: TokenHistogram, cutoffLen: number): SplitTokenStats {
  let records = 0;
  let total = 0;
  let maxTokens = 0;
  let overCutoff = 0;
  for (const [tokens, n] of histogram.counts) {
    records += n;
    total += tokens * n;
    if (tokens > maxTokens) maxTokens = tokens;
    if (tokens > cutoffLen) overCutoff += n;
  }
  return { records, maxTokens, meanTokens: records === 0 ? 0 : total / records, overCutoff };
}

/**
 * Estimated tokens of one record as the model sees it (instruction, input and output).
 * @example estimateTokens({ instruction: "Predict.", input: "The age is 42.", output: "Yes" }, { charsPerToken: 4, templateTokens: 0 }) // 9 (2 digits + ⌈25/4⌉)
 */
export function estimateTokens(record: { instruction?: unknown; input?: unknown; output?: unknown }, opts: TokenEstimateOptions): number {
  // The three texts joined by "\n", counted field by field instead of joined: two newlines, no digits.
  const instruction = textOf(record.instruction);
  const input = textOf(record.input);
  const output = textOf(record.output);
  const digits = digitCount(instruction) + digitCount(input) + digitCount(output);
  const length = instruction.length + input.length + output.length + 2;
  return digits + Math.ceil((length - digits) / opts.charsPerToken) + opts.templateTokens;
}

/** A field as estimateTokens reads it: "" for a missing one, else its String. */
function textOf(value: unknown): string {
  return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
}

function digitCount(text: string): number {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  return digits;
}

/**
 * Calls `onRecord` for each element of a JSON array file, never holding a large train.json
 * in memory whole. Elements must be objects (Alpaca records); anything else between them is
 * skipped. A JsonArrayWriter array (one record per line) is read in line batches and each
 * line parsed as it is; at the first line that is not a bracket or one object, the file is
 * scanned character by character from its start instead (scanJsonArray), the records
 * already handed on skipped, so every JSON array of objects is read as before.
 * `chunkBytes` sizes the scan's reads (1 MiB unless a test asks for less).
 * @throws SyntaxError when the file is not a JSON array of objects.
 */
export async function forEachJsonArrayElement(path: string, onRecord: (value: Record<string, unknown>) => void, chunkBytes = 1 << 20): Promise<number> {
  let count = 0;
  let opened = false;
  let lineByLine = true;
  batches: for await (const lines of readLineBatches(path))
    for (const raw of lines) {
      const line = unframedArrayLine(raw);
      if (line === "[" || line === "[]") opened = true;
      else if (line !== "]" && line !== "") {
        const record = lineRecord(line);
        if (record === null) {
          lineByLine = false;
          break batches;
        }
        onRecord(record);
        count++;
      }
    }
  // A file that never opened a bracket on a line of its own goes to the scan too: it decides whether the array opened.
  return lineByLine && opened ? count : scanJsonArray(path, onRecord, chunkBytes, count);
}

/** The object a line holds, or null when the line is not exactly one JSON object. */
function lineRecord(line: string): Record<string, unknown> | null {
  if (line.charCodeAt(0) !== 123 /* { */) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/**
 * forEachJsonArrayElement's scan, for any JSON array of objects: it reads char codes and
 * skips a string's body to its closing quote in a tight loop (an escape skips the next
 * character, across chunk ends too), so only the structure outside strings is looked at one
 * character at a time. The first `skip` elements are counted, not parsed nor handed on.
 */
async function scanJsonArray(path: string, onRecord: (value: Record<string, unknown>) => void, chunkBytes: number, skip: number): Promise<number> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  let current = "";
  let count = 0;
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: chunkBytes })) {
    const text = chunk as string;
    const n = text.length;
    let from = -1;
    let i = 0;
    if (escaped) {
      escaped = false;
      i = 1;
    }
    for (; i < n; i++) {
      if (inString) {
        // A string's body: to the closing quote, an escape taking the next character with it.
        for (; i < n; i++) {
          const c = text.charCodeAt(i);
          if (c === 92) i++;
          else if (c === 34) break;
        }
        if (i >= n) {
          escaped = i > n;
          break;
        }
        inString = false;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === 34) inString = true;
      else if (c === 91 && !started) started = true;
      else if (c === 123) {
        if (depth === 0) from = i;
        depth++;
      } else if (c === 125) {
        depth--;
        if (depth === 0) {
          if (count >= skip) {
            current += text.slice(from < 0 ? 0 : from, i + 1);
            onRecord(JSON.parse(current) as Record<string, unknown>);
          }
          current = "";
          from = -1;
          count++;
        }
      }
    }
    if (depth > 0 && count >= skip) {
      current += text.slice(from < 0 ? 0 : from);
    }
  }
  if (!started || depth !== 0 || inString) throw new SyntaxError(`${path} is not a JSON array of records`);
  return count;
}

/** Token statistics of one Alpaca JSON file. */
export async function splitTokenStats(path: string, cutoffLen: number, opts: TokenEstimateOptions, onRecord?: () => void): Promise<SplitTokenStats> {
  let maxTokens = 0;
  let total = 0;
  let overCutoff = 0;
  const records = await forEachJsonArrayElement(path, (record) => {
    onRecord?.();
    const tokens = estimateTokens(record, opts);
    total += tokens;
    if (tokens > maxTokens) maxTokens = tokens;
    if (tokens > cutoffLen) overCutoff++;
  });
  return { records, maxTokens, meanTokens: records === 0 ? 0 : total / records, overCutoff };
}

/** The estimate for a run's train.json and test.json against cutoff_len. */
export async function checkTokenLengths(trainJson: string, testJson: string, cutoffLen: number, opts: TokenEstimateOptions, onProgress?: OnProgress): Promise<TokenCheck> {
  let done = 0;
  const counted = onProgress ? () => onProgress(++done) : undefined;
  const train = await splitTokenStats(trainJson, cutoffLen, opts, counted);
  const test = await splitTokenStats(testJson, cutoffLen, opts, counted);
  return tokenCheckOf(train, test, cutoffLen, opts);
}

/** The token check from both files' statistics: the method line and, when records would be truncated, the warning. */
export function tokenCheckOf(train: SplitTokenStats, test: SplitTokenStats, cutoffLen: number, opts: TokenEstimateOptions): TokenCheck {
  const over = train.overCutoff + test.overCutoff;
  const longest = Math.max(train.maxTokens, test.maxTokens);
  const warning =
    over === 0
      ? null
      : `${over} record(s) (${train.overCutoff} train, ${test.overCutoff} test) are estimated longer than cutoff_len ${cutoffLen} (longest ≈ ${longest} tokens) and would be truncated; raise cutoff_len (for example \`cutoff_len: ${nextPowerOfTwo(longest)}\`) or drop long text columns`;
  return {
    cutoffLen,
    method: `≈ digits + characters/${opts.charsPerToken} + ${opts.templateTokens} template tokens`,
    train,
    test,
    warning,
  };
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
