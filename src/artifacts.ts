/** Files written by steps: atomic writes, hashes, line-by-line reading. */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync, writeFileSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import type { ArtifactRef } from "./state.js";

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function artifactRef(path: string, rows: number | null): Promise<ArtifactRef> {
  return { path, sha256: await sha256File(path), bytes: statSync(path).size, rows };
}

/** Writes through a temporary file renamed into place, so a crash never leaves half a file. */
export function writeFileAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/** A streaming writer whose output appears at `path` only when `commit()` succeeds. */
export class AtomicLineWriter {
  private readonly tmp: string;
  private readonly stream: WriteStream;
  lines = 0;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = `${path}.tmp-${process.pid}`;
    this.stream = createWriteStream(this.tmp);
  }

  async write(text: string): Promise<void> {
    this.lines += 1;
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once("drain", resolve));
  }

  async commit(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    renameSync(this.tmp, this.path);
  }

  async abort(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
    rmSync(this.tmp, { force: true });
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
