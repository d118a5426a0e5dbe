/** Files written by steps: atomic writes, hashes, line-by-line reading. */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { finished } from "node:stream/promises";
import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { fsError, TabtuneError } from "./errors.js";
import type { ArtifactRef } from "./state.js";

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The SHA-256 of the file at `path` as it is now, or null when there is none: for checking a recorded hash. */
export async function currentSha256(path: string): Promise<string | null> {
  return existsSync(path) ? sha256File(path) : null;
}

export async function artifactRef(path: string, rows: number | null): Promise<ArtifactRef> {
  return { path, sha256: await sha256File(path), bytes: statSync(path).size, rows };
}

/** The file-system error as the one-line TabtuneError naming `path`, or the error itself. */
function explained(error: unknown, path: string): unknown {
  return fsError(error, path) ?? error;
}

function makeFolderFor(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw fsError(error) ?? error;
  }
}

/**
 * Writes through a temporary file renamed into place, so a crash never leaves half a
 * file; on any failure the temporary file is removed and a TabtuneError names `path`.
 * Answers the file's ArtifactRef (hash and size of `content`, `rows` as given) without
 * reading it back.
 */
export function writeFileAtomic(path: string, content: string, rows: number | null = null): ArtifactRef {
  makeFolderFor(path);
  const tmp = `${path}.tmp-${process.pid}`;
  const bytes = Buffer.from(content, "utf8");
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw explained(error, path);
  }
  return { path, sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length, rows };
}

/** Temporary files of writers not yet committed or aborted, removed if the process exits first. */
const openTemps = new Set<string>();
process.on("exit", () => {
  for (const tmp of openTemps) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing more can be done while exiting.
    }
  }
});

/**
 * A streaming writer whose output appears at `path` only when `commit()` succeeds.
 * A failed write (disk full, …) rejects the pending `write` or `commit` with a
 * TabtuneError naming `path` and removes the temporary file; so does `abort()`.
 * It hashes (SHA-256) and counts bytes and rows as they are written, and `commit()`
 * answers the file's ArtifactRef: what artifactRef would read back, without reading.
 */
export class AtomicLineWriter {
  private readonly tmp: string;
  private readonly stream: WriteStream;
  private readonly hash = createHash("sha256");
  /** The stream's first error: later writes and commit reject with it. */
  private failure: unknown = null;
  /** Rows written so far (each write adds the rows its text holds, one by default). */
  rows = 0;
  /** Bytes written so far. */
  bytes = 0;
  /** Lines appended by writeLine and not yet handed to the stream, and how many. */
  private pending = "";
  private pendingRows = 0;

  constructor(readonly path: string) {
    makeFolderFor(path);
    this.tmp = `${path}.tmp-${process.pid}`;
    openTemps.add(this.tmp);
    this.stream = createWriteStream(this.tmp);
    this.stream.on("error", (error) => {
      this.failure ??= explained(error, path);
      this.discard();
    });
  }

  /** Rows written so far; the name older callers count lines by. */
  get lines(): number {
    return this.rows + this.pendingRows;
  }

  /** Appends `text`, which holds `rows` rows (one line by default; 0 for a bracket or a header). */
  async write(text: string, rows = 1): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (this.pendingRows > 0) {
      text = this.pending + text;
      rows += this.pendingRows;
      this.pending = "";
      this.pendingRows = 0;
    }
    const bytes = Buffer.from(text, "utf8");
    this.hash.update(bytes);
    this.bytes += bytes.length;
    this.rows += rows;
    if (!this.stream.write(bytes)) await this.drained();
  }

  /** Appends one row's line ("\n" included), gathered with the next ones into writes of about 64 KB. */
  async writeLine(line: string): Promise<void> {
    this.pending += line;
    this.pendingRows += 1;
    if (this.pending.length >= 65_536) await this.write("", 0);
  }

  /** Renames the finished file into place and answers its ref (hash, bytes and rows counted while writing). */
  async commit(): Promise<ArtifactRef> {
    if (this.pendingRows > 0) await this.write("", 0);
    if (this.failure !== null) throw this.failure;
    this.stream.end();
    try {
      await finished(this.stream);
      if (this.failure !== null) throw this.failure;
      renameSync(this.tmp, this.path);
    } catch (error) {
      this.failure ??= explained(error, this.path);
      this.discard();
      throw this.failure;
    }
    openTemps.delete(this.tmp);
    return { path: this.path, sha256: this.hash.digest("hex"), bytes: this.bytes, rows: this.rows };
  }

  async abort(): Promise<void> {
    this.stream.destroy();
    await finished(this.stream).catch(() => undefined);
    this.discard();
  }

  /** Resolves on 'drain'; rejects if the stream fails or closes first. */
  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("close", done);
        if (this.failure !== null) reject(this.failure);
        else resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("close", done);
    });
  }

  private discard(): void {
    this.stream.destroy();
    try {
      rmSync(this.tmp, { force: true });
      openTemps.delete(this.tmp);
    } catch {
      // Still listed in openTemps: removed when the process exits.
    }
  }
}

/** Bytes per read of readLineBatches: a million-line file is a few hundred reads. */
const CHUNK_BYTES = 1 << 20;
/** Bytes decoded into one string by readLineBatches (see there). */
const DECODE_BYTES = 64 << 10;

/** A line of a JsonArrayWriter array trimmed and without its trailing comma: a record's text, a bracket, or "". */
export function unframedArrayLine(raw: string): string {
  const line = raw.charCodeAt(0) <= 32 || raw.charCodeAt(raw.length - 1) <= 32 ? raw.trim() : raw;
  return line.charCodeAt(line.length - 1) === 44 /* , */ ? line.slice(0, -1) : line;
}

/** A line with a JsonArrayWriter array's framing taken off: the record text, or null for a bracket or blank line. */
function arrayRecordText(raw: string): string | null {
  const line = unframedArrayLine(raw);
  return line === "" || line === "[" || line === "]" || line === "[]" ? null : line;
}

/**
 * A file's lines in batches, one batch per ~1 MB read ("\n" or "\r\n" endings; blank lines
 * skipped; with `array`, a JsonArrayWriter array's record texts, brackets and trailing commas
 * taken off). `onChunk` sees every byte read, in order (for hashing). The readers of row
 * files loop over batches: one await per batch, not per line, because under LangGraph every
 * promise pays Node 20's async-hook bookkeeping, which on a million-line file cost more than
 * parsing the lines (and readline's per-line events cost as much again).
 */
export async function* readLineBatches(path: string, opts: { array?: boolean; onChunk?: (bytes: Buffer) => void } = {}): AsyncGenerator<string[]> {
  const file = await open(path, "r");
  const decoder = new StringDecoder("utf8");
  let rest = "";
  // One buffer for every read: onChunk and the decoder are done with its bytes before the next.
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, null);
      const end = bytesRead === 0;
      const lines: string[] = [];
      if (!end) opts.onChunk?.(buffer.subarray(0, bytesRead));
      // Decoded a piece at a time: strings this small live in V8's young generation, and
      // decoding, splitting and parsing lines out of them took a third less CPU than out of
      // one 1 MB string (a large object).
      for (let at = 0; at < bytesRead; at += DECODE_BYTES) {
        const piece = decoder.write(buffer.subarray(at, Math.min(bytesRead, at + DECODE_BYTES)));
        // A piece without a line end only lengthens the open line (kept unflattened: a long line costs linear time).
        rest = piece.includes("\n") ? splitLines(rest + piece, lines) : rest + piece;
      }
      if (end) {
        rest += decoder.end();
        if (rest !== "") lines.push(rest.endsWith("\r") ? rest.slice(0, -1) : rest);
      }
      const kept: string[] = [];
      for (const line of lines) {
        if (opts.array) {
          const record = arrayRecordText(line);
          if (record !== null) kept.push(record);
        } else if (line.length > 0 && !(line.charCodeAt(0) <= 32 && line.trim() === "")) kept.push(line);
      }
      if (kept.length > 0) yield kept;
      if (end) return;
    }
  } finally {
    await file.close();
  }
}

/** Pushes the lines `text` ends ("\n" or "\r\n", the ending dropped) onto `lines`; answers the unfinished rest. */
function splitLines(text: string, lines: string[]): string {
  let from = 0;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", from)) {
    lines.push(text.slice(from, at > from && text.charCodeAt(at - 1) === 13 ? at - 1 : at));
    from = at + 1;
  }
  return text.slice(from);
}

/**
 * A file's lines one at a time from readLineBatches' batches, without a promise per line:
 * `take()` answers the next line already read, undefined when the batch is used up; then
 * `await fill()` reads the next batch (none left: `done`, and take stays undefined).
 */
export class LineCursor {
  readonly #batches: AsyncGenerator<string[]>;
  #lines: string[] = [];
  #at = 0;
  done = false;

  constructor(path: string) {
    this.#batches = readLineBatches(path);
  }

  /** A line is waiting, or the file is done: take() answers without a fill. */
  get ready(): boolean {
    return this.#at < this.#lines.length || this.done;
  }

  take(): string | undefined {
    return this.#at < this.#lines.length ? this.#lines[this.#at++] : undefined;
  }

  async fill(): Promise<void> {
    const next = await this.#batches.next();
    this.#lines = next.done ? [] : next.value;
    this.#at = 0;
    this.done = next.done === true;
  }

  /** Closes the file early (a reader that stops before the end). */
  async close(): Promise<void> {
    await this.#batches.return(undefined);
  }
}

/**
 * Reads a file's lines in batches (readLineBatches; with `array`, a JsonArrayWriter array's
 * record texts) while hashing the bytes read, then hands the SHA-256 to `check`, which throws
 * when the file is not the one recorded. A reader that commits nothing before the end reads a
 * checked file once instead of hashing it first and reading it again.
 */
export async function* readLinesChecked(path: string, check: (sha256: string | null) => void, array = false): AsyncGenerator<string[]> {
  if (!existsSync(path)) check(null);
  const hash = createHash("sha256");
  yield* readLineBatches(path, { array, onChunk: (bytes) => hash.update(bytes) });
  check(hash.digest("hex"));
}

/**
 * Hands `each` every line of a JSON-lines file parsed, in order, with its index (with `array`,
 * every record of a JsonArrayWriter array); answers how many. The loop a step runs over all
 * its rows: one await per batch (readLineBatches), where readJsonLines costs one per row.
 */
export async function forEachJsonLine<T>(path: string, each: (value: T, index: number) => void, opts: { array?: boolean } = {}): Promise<number> {
  let n = 0;
  for await (const lines of readLineBatches(path, opts)) for (const line of lines) each(JSON.parse(line) as T, n++);
  return n;
}

/** Reads a JSON-lines file one parsed record at a time. */
export async function* readJsonLines<T>(path: string): AsyncGenerator<T> {
  for await (const lines of readLineBatches(path)) for (const line of lines) yield JSON.parse(line) as T;
}

/**
 * Writes a JSON array with one record per line, so it is valid JSON for LlamaFactory
 * and still readable record by record.
 */
export class JsonArrayWriter {
  private readonly out: AtomicLineWriter;
  private first = true;

  constructor(path: string) {
    this.out = new AtomicLineWriter(path);
  }

  get count(): number {
    return this.out.rows;
  }

  async push(record: unknown): Promise<void> {
    await this.pushAll([record]);
  }

  /** Appends records in one write. */
  async pushAll(records: readonly unknown[]): Promise<void> {
    await this.pushJson(records.map((record) => JSON.stringify(record)));
  }

  /** Appends records already encoded (each JSON.stringify of a record, e.g. a line of another such array), in one write. */
  async pushJson(texts: readonly string[]): Promise<void> {
    if (texts.length === 0) return;
    let text = "";
    for (const json of texts) {
      text += (this.first ? "[\n" : ",\n") + json;
      this.first = false;
    }
    await this.out.write(text, texts.length);
  }

  /** Closes the array and answers the file's ref, `rows` being the records. */
  async commit(): Promise<ArtifactRef> {
    await this.out.write(this.first ? "[]\n" : "\n]\n", 0);
    return this.out.commit();
  }

  abort(): Promise<void> {
    return this.out.abort();
  }
}

/** Reads a JSON array written by JsonArrayWriter, one record per line. */
export async function* readJsonArrayLines<T>(path: string): AsyncGenerator<T> {
  for await (const lines of readLineBatches(path, { array: true })) for (const line of lines) yield JSON.parse(line) as T;
}

/** Throws (nodes/common.ts requireArtifact's error) unless `actual` (the file's SHA-256, null when it is gone) is the recorded one. */
export function requireSameHash(ref: Pick<ArtifactRef, "path" | "sha256">, actual: string | null, what: string): void {
  if (actual === null)
    throw new TabtuneError("artifact_missing", `${ref.path} (${what}) is gone`, { suggestion: "start the run again; a run folder's files must not be removed" });
  if (actual !== ref.sha256)
    throw new TabtuneError("artifact_changed", `${ref.path} (${what}) changed since this run wrote it (sha256 ${actual.slice(0, 12)}…, recorded ${ref.sha256.slice(0, 12)}…)`, {
      suggestion: "restore it, or re-enter the run with --start-from at the step that writes it",
    });
}
