/** Files written by steps: atomic writes, hashes, line-by-line reading. */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { finished } from "node:stream/promises";
import { createInterface } from "node:readline";
import { fsError } from "./errors.js";
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
 */
export function writeFileAtomic(path: string, content: string): void {
  makeFolderFor(path);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw explained(error, path);
  }
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
 */
export class AtomicLineWriter {
  private readonly tmp: string;
  private readonly stream: WriteStream;
  /** The stream's first error: later writes and commit reject with it. */
  private failure: unknown = null;
  lines = 0;

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

  async write(text: string): Promise<void> {
    if (this.failure !== null) throw this.failure;
    this.lines += 1;
    if (!this.stream.write(text)) await this.drained();
  }

  async commit(): Promise<void> {
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

/** Reads a JSON-lines file one parsed record at a time. */
export async function* readJsonLines<T>(path: string): AsyncGenerator<T> {
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() !== "") yield JSON.parse(line) as T;
  }
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
    return this.out.lines - 1;
  }

  async push(record: unknown): Promise<void> {
    const prefix = this.first ? "[\n" : ",\n";
    this.first = false;
    await this.out.write(prefix + JSON.stringify(record));
  }

  async commit(): Promise<void> {
    await this.out.write(this.first ? "[]\n" : "\n]\n");
    await this.out.commit();
  }

  abort(): Promise<void> {
    return this.out.abort();
  }
}

/** Reads a JSON array written by JsonArrayWriter, one record per line. */
export async function* readJsonArrayLines<T>(path: string): AsyncGenerator<T> {
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.trim().replace(/,$/, "");
    if (line === "" || line === "[" || line === "]" || line === "[]") continue;
    yield JSON.parse(line) as T;
  }
}
