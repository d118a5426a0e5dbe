/**
 * The one place a CSV file is tokenised: papaparse's parser fed chunk by chunk from a
 * file stream, so memory stays bounded by one chunk plus one row. Every structural
 * problem (missing or empty file, header only, duplicate or empty header names, ragged
 * rows, unterminated or malformed quotes) is a TabtuneError naming the file and line.
 */
import type { Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import Papa from "papaparse";
import { TabtuneError } from "../errors.js";
import { assertTextFile, checkCharacters, countChar, literalReplacementChars } from "./encoding.js";
import { splitQuoteFree } from "./split.js";

/** Bytes read from disk per chunk. */
const CHUNK_BYTES = 64 << 10;
/** A row still open after this many characters is an error: an unterminated quote, or a line too long to read. */
const MAX_OPEN_ROW_CHARS = 16 << 20;

/** Records of one chunk: raw (untrimmed) fields and the 1-based file line each starts on. */
export interface RecordBatch {
  header: string[];
  records: string[][];
  lines: number[];
  /** The delimiter the file was read with (see guessDelimiter). */
  delimiter: string;
  /** Only when readRecords was asked for flat batches and the chunk took the quote-free path (then `records` and `lines` are empty). */
  flat?: FlatRecords;
}

/**
 * The records of a chunk without quotes as positions in its text, no string per field:
 * field c of record r is `text.slice(bounds[2k], bounds[2k + 1])` with k = r × width + c
 * (raw, untrimmed, as papaparse would give it). `bounds` is reused by the next batch.
 */
export interface FlatRecords {
  text: string;
  bounds: Int32Array;
  count: number;
}

type Newline = "\n" | "\r\n" | "\r";

interface ParseOutput {
  data: string[][];
  errors: { code: string; row: number }[];
  cursor: number;
}

/** Rows of strings (papaparse without dynamicTyping yields only strings; first cells are checked). */
function isRows(data: unknown[]): data is string[][] {
  return data.every((row) => Array.isArray(row) && (row.length === 0 || typeof row[0] === "string"));
}

/** papaparse's low-level parser is typed `any`; check what we use instead of casting. */
function toParseOutput(value: unknown): ParseOutput {
  if (typeof value !== "object" || value === null) throw new Error("papaparse returned no result");
  const data: unknown = Reflect.get(value, "data");
  const errors: unknown = Reflect.get(value, "errors");
  const meta: unknown = Reflect.get(value, "meta");
  const cursor: unknown = typeof meta === "object" && meta !== null ? Reflect.get(meta, "cursor") : undefined;
  if (!Array.isArray(data) || !Array.isArray(errors) || typeof cursor !== "number")
    throw new Error("papaparse returned an unexpected result");
  if (!isRows(data)) throw new Error("papaparse returned a row that is not an array of strings");
  const errs = errors.map((e: unknown) => {
    const code: unknown = typeof e === "object" && e !== null ? Reflect.get(e, "code") : undefined;
    const row: unknown = typeof e === "object" && e !== null ? Reflect.get(e, "row") : undefined;
    return { code: typeof code === "string" ? code : "Unknown", row: typeof row === "number" ? row : 0 };
  });
  return { data, errors: errs, cursor };
}

/** Line ending of the file, guessed from its first chunk. */
function guessNewline(text: string): Newline {
  const lf = text.indexOf("\n");
  if (lf > 0 && text[lf - 1] === "\r") return "\r\n";
  if (lf === -1 && text.includes("\r")) return "\r";
  return "\n";
}

/** Delimiters tabtune recognises, in order of preference on a tie. */
export const DELIMITERS = [",", ";", "\t", "|"] as const;
/** Complete lines of the first chunk looked at when guessing the delimiter. */
const DELIMITER_SAMPLE_LINES = 20;

/**
 * The delimiter of a CSV from the start of its text: each candidate is counted per line
 * outside double quotes on up to DELIMITER_SAMPLE_LINES complete lines. A candidate must
 * occur in the header line; one that occurs the same number of times on every line wins,
 * then the one seen most often in the header, then the earlier in DELIMITERS. Comma when
 * the header has none of them (a one-column file).
 * @example guessDelimiter('a;b\n"1,5";2\n') // ";"
 */
export function guessDelimiter(text: string): string {
  const counts: number[][] = []; // per complete line, per candidate
  let current = DELIMITERS.map(() => 0);
  let quoted = false;
  for (let i = 0; i < text.length && counts.length < DELIMITER_SAMPLE_LINES; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      if (current.some((c) => c > 0) || counts.length === 0) counts.push(current);
      current = DELIMITERS.map(() => 0);
    } else if (!quoted) {
      const k = DELIMITERS.indexOf(ch as (typeof DELIMITERS)[number]);
      if (k >= 0) current[k]! += 1;
    }
  }
  // A file of one line (or one partial line) is judged by that line.
  if (counts.length === 0) counts.push(current);
  const header = counts[0] ?? [];
  let best = -1;
  let bestKey: [number, number] = [-1, -1];
  DELIMITERS.forEach((_, k) => {
    const inHeader = header[k] ?? 0;
    if (inHeader === 0) return;
    const consistent = counts.every((line) => line[k] === inHeader) ? 1 : 0;
    if (consistent > bestKey[0] || (consistent === bestKey[0] && inHeader > bestKey[1])) {
      best = k;
      bestKey = [consistent, inHeader];
    }
  });
  return best < 0 ? "," : (DELIMITERS[best] ?? ",");
}

/** A row papaparse produces for an empty (or whitespace-only) line. */
function isBlank(record: string[]): boolean {
  return record.length === 1 && (record[0] ?? "").trim() === "";
}

function newlinesIn(record: string[], nl: string): number {
  let count = 0;
  for (const field of record) {
    let at = field.indexOf(nl);
    while (at !== -1) {
      count++;
      at = field.indexOf(nl, at + 1);
    }
  }
  return count;
}

/** Removes the "\r" a CRLF line end leaves on the last field when "\n" is the newline. */
function dropTrailingCr(record: string[]): void {
  const last = record.length - 1;
  const field = record[last];
  if (field !== undefined && field.endsWith("\r")) record[last] = field.slice(0, -1);
}

/**
 * Where the quoted field still open at the end of `text` (the start of a row) opens,
 * or -1 when every quoted field in it is closed. A quote opens a field only at its start.
 */
export function openQuoteAt(text: string, delimiter: string, nl: string): number {
  let fieldStart = true;
  let open = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (open !== -1) {
      if (ch !== '"') continue;
      if (text[i + 1] === '"') i++;
      else open = -1;
    } else if (fieldStart && ch === '"') open = i;
    fieldStart = open === -1 && (text.startsWith(delimiter, i) || ch === nl);
  }
  return open;
}

/** A row open for over MAX_OPEN_ROW_CHARS: a quote never closed, or a line with no line end. */
function rowTooLong(path: string, line: number, row: string, delimiter: string, nl: string): TabtuneError {
  const limit = `${MAX_OPEN_ROW_CHARS >> 20} M characters`;
  const quote = openQuoteAt(row, delimiter, nl);
  if (quote !== -1)
    return csvError(
      "csv_unterminated_quote",
      `${path} line ${line + countChar(row.slice(0, quote), nl)}: a quoted value opened here is still open ${limit} later`,
      'close the quote; a quote inside a quoted value is written as two quotes ("")',
    );
  return csvError(
    "csv_line_too_long",
    `${path} line ${line} is longer than ${limit} (no line end found)`,
    `tabtune reads rows of up to ${limit}: shorten the long value on that line, or check that the file is a CSV with line ends`,
  );
}

function raggedRow(path: string, line: number, fields: number, width: number): TabtuneError {
  return csvError(
    "csv_ragged_row",
    `${path} line ${line} has ${fields} field${fields === 1 ? "" : "s"}, the header has ${width}`,
    "fix that line: every row needs one value per column (quote values that contain the delimiter)",
  );
}

export function csvError(code: string, message: string, suggestion: string): TabtuneError {
  return new TabtuneError(code, message, { suggestion });
}

async function assertReadableFile(path: string): Promise<void> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new TabtuneError("csv_missing", `${path} does not exist or cannot be read`, {
      suggestion: "check the path of the CSV file",
      cause,
    });
  });
  if (!info.isFile()) throw csvError("csv_not_file", `${path} is not a file`, "pass the path of a CSV file");
  if (info.size === 0) throw csvError("csv_empty", `${path} is empty (0 bytes)`, "give a CSV with a header line and data rows");
}

/** Checks header names: none empty, none repeated. Returns them trimmed. */
function checkHeader(path: string, line: number, raw: string[]): string[] {
  const header = raw.map((name, i) => (i === 0 ? name.replace(/^\uFEFF/, "") : name).trim());
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === "")
      throw csvError(
        "csv_header_empty_name",
        `${path} line ${line}: column ${i + 1} of the header has no name`,
        "give every column a name in the header line",
      );
    const first = seen.get(name);
    if (first !== undefined)
      throw csvError(
        "csv_header_duplicate",
        `${path} line ${line}: column name "${name}" appears twice (columns ${first + 1} and ${i + 1})`,
        "rename one of them so every column name is unique",
      );
    seen.set(name, i);
  });
  return header;
}

/**
 * Streams the data records of a CSV, one batch per chunk read (a batch may be empty).
 * Blank lines are skipped. Throws TabtuneError on any structural problem; header-only and
 * empty files throw after the last chunk, so a caller that stops early (the header) is not
 * affected. `hash`, when given, is fed every byte of the file. `opts.flat`: a chunk without
 * quotes (after the header, with no bad bytes seen) comes as FlatRecords (splitQuoteFree),
 * with the same records, errors and line numbers as papaparse's.
 */
export async function* readRecords(path: string, hash?: Hash, opts: { flat?: boolean } = {}): AsyncGenerator<RecordBatch> {
  await assertReadableFile(path);
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const decoder = new StringDecoder("utf8");
  let parser: Papa.Parser | null = null;
  let delimiter = ",";
  /** The line end papaparse splits on: "\n" (also for CRLF files, see below) or "\r". */
  let newline: "\n" | "\r" = "\n";
  /** Set once a chunk held bytes that are not UTF-8 or NUL bytes; the first record showing them is reported. */
  const checks = { invalidUtf8: false, nul: false };
  let header: string[] | null = null;
  let partial = "";
  let baseIndex = 0;
  let line = 1; // 1-based line where the next record starts
  let dataRows = 0;

  const flat: FlatRecords = { text: "", bounds: new Int32Array(0), count: 0 };

  function consume(text: string, last: boolean): RecordBatch | null {
    if (opts.flat && header !== null && !checks.invalidUtf8 && !checks.nul && !text.includes('"')) {
      const width = header.length;
      const split = splitQuoteFree(text, last, delimiter, newline, width, flat.bounds);
      if (split.ragged !== null)
        throw raggedRow(path, line + split.ragged.lineOffset, split.ragged.fields, width);
      line += split.lines;
      if (!last) {
        partial = text.substring(split.consumed);
        baseIndex += split.consumed;
        if (partial.length > MAX_OPEN_ROW_CHARS) throw rowTooLong(path, line, partial, delimiter, newline);
      }
      dataRows += split.count;
      flat.text = text;
      flat.bounds = split.bounds;
      flat.count = split.count;
      return { header, records: [], lines: [], delimiter, flat };
    }
    if (parser === null) {
      if (text.trim() === "" && !last) {
        partial = text;
        return null;
      }
      // A byte-order mark is not part of the first column's name (nor of a quoted one).
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      // papaparse takes one line end; "\n" with a trailing "\r" removed per record reads
      // CRLF files and files mixing CRLF and LF lines alike (quoted "\r\n" is kept).
      const guessed = guessNewline(text);
      newline = guessed === "\r\n" ? "\n" : guessed;
      delimiter = guessDelimiter(text);
      parser = new Papa.Parser({ delimiter, newline, skipEmptyLines: false });
    }
    const out = toParseOutput(parser.parse(text, baseIndex, !last));
    if (!last) {
      partial = text.substring(out.cursor - baseIndex);
      baseIndex = out.cursor;
    }
    const nl = newline;
    const firstError = out.errors.find((e) => e.code === "MissingQuotes" || e.code === "InvalidQuotes");
    const records: string[][] = [];
    const lines: number[] = [];
    // Only a quoted field can hold a newline; a chunk without quotes needs no search.
    const quoted = text.includes('"');
    for (let i = 0; i < out.data.length; i++) {
      const record = out.data[i] ?? [];
      if (firstError && firstError.row === i) {
        if (firstError.code === "MissingQuotes")
          throw csvError(
            "csv_unterminated_quote",
            `${path} line ${line}: a quoted value is never closed (the file ends inside quotes)`,
            'close the quote; a quote inside a quoted value is written as two quotes ("")',
          );
        throw csvError(
          "csv_malformed_quote",
          `${path} line ${line}: a closing quote is followed by other characters`,
          'quote the whole value and write a quote inside it as two quotes ("")',
        );
      }
      if (nl === "\n") dropTrailingCr(record);
      const startLine = line;
      if (checks.invalidUtf8 || checks.nul) checkCharacters(path, startLine, record, nl, checks);
      line += quoted ? 1 + newlinesIn(record, nl) : 1;
      if (isBlank(record)) continue;
      if (header === null) {
        header = checkHeader(path, startLine, record);
        continue;
      }
      if (record.length !== header.length) throw raggedRow(path, startLine, record.length, header.length);
      records.push(record);
      lines.push(startLine);
    }
    // `line` is now where the unfinished row starts.
    if (partial.length > MAX_OPEN_ROW_CHARS) throw rowTooLong(path, line, partial, delimiter, nl);
    dataRows += records.length;
    return header === null ? null : { header, records, lines, delimiter };
  }

  try {
    let first = true;
    for await (const chunk of stream) {
      if (!(chunk instanceof Buffer)) throw new Error("file stream returned a string chunk");
      if (first) assertTextFile(path, chunk);
      first = false;
      hash?.update(chunk);
      const text = decoder.write(chunk);
      if (!checks.invalidUtf8 && text.includes("\uFFFD") && countChar(text, "\uFFFD") > literalReplacementChars(chunk)) checks.invalidUtf8 = true;
      if (!checks.nul && text.includes("\u0000")) checks.nul = true;
      // A chunk without a line end cannot finish the open row: keep it without re-parsing
      // the row (papaparse starts again at the row's start), so long rows cost linear time.
      if (parser !== null && partial !== "" && !text.includes(newline)) {
        partial += text;
        if (partial.length > MAX_OPEN_ROW_CHARS) throw rowTooLong(path, line, partial, delimiter, newline);
        continue;
      }
      const batch = consume(partial === "" ? text : [partial, text].join(""), false);
      if (batch) yield batch;
    }
    const tail = decoder.end();
    if (tail.includes("\uFFFD")) checks.invalidUtf8 = true;
    const batch = consume(partial + tail, true);
    if (batch) yield batch;
  } finally {
    stream.destroy();
  }
  if (header === null)
    throw csvError("csv_empty", `${path} has no header line (only blank lines)`, "give a CSV with a header line and data rows");
  if (dataRows === 0)
    throw csvError("csv_header_only", `${path} has a header line but no data rows`, "add data rows below the header");
}
