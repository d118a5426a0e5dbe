/**
 * Runs the generated `scripts/prepare_data.js` in its own V8 isolate (isolated-vm):
 * a memory limit, a time limit per batch, and none of require, process, fetch, files
 * or network. Rows and results cross the boundary only as JSON text, so no host object
 * is reachable from inside and no isolate object (Proxy, getter) ever runs on the host.
 * Failures of the script are returned as values, never thrown.
 */
import ivm from "isolated-vm";
import { BIND_SOURCE, MAX_ROW_CHARS, PRELUDE_SOURCE } from "./harness.js";
import { checkCleanResult, checkRenderResult, isRecord, type Checked } from "./validate.js";

/** Resources one sandbox may use. */
export interface SandboxLimits {
  /** Heap limit of the isolate, in MB (isolated-vm's minimum is 8). */
  memoryLimitMb: number;
  /** Wall-clock limit for loading the script and for each batch, in ms. */
  batchTimeoutMs: number;
}

/** A row as read from the CSV: header → cell text, null when missing. */
export type RawRow = Record<string, string | null>;
/** One value of a cleaned row. */
export type CleanValue = string | number | boolean | null;
/** A row after `clean`: flat, JSON-safe values only. */
export type CleanRow = Record<string, CleanValue>;

/** One fine-tuning example, as `render` writes it. */
export interface AlpacaRecord {
  instruction: string;
  input: string;
  output: string;
}

/** Result of running code over one batch; failures are values, never thrown. */
export type BatchOutcome<T> =
  | { ok: true; rows: T[] }
  /** rowIndex is within the batch; null when not row-specific (timeout, memory, closed). */
  | { ok: false; error: string; rowIndex: number | null; row: unknown };

/** Result of `PrepSandbox.open`. */
export type OpenOutcome = { ok: true; sandbox: PrepSandbox } | { ok: false; error: string };

/** The isolate's entry function; see harness.ts for the protocol. */
type Entry = ivm.Reference<(op: string, payload: unknown, ctxJson?: string) => string>;

/** Longest error message passed on from the isolate, in characters. */
const MAX_ERROR_CHARS = 2000;

/** Shortens text from the isolate so a hostile message cannot flood logs or prompts. */
function clip(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}… (${text.length} characters)` : text;
}

/** "Name: message" of something thrown on the host by isolated-vm. */
function errorText(error: unknown): string {
  return clip(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

/** A generated data-prep script loaded in its own isolate. */
export class PrepSandbox {
  readonly #isolate: ivm.Isolate;
  readonly #entry: Entry;
  readonly #limits: SandboxLimits;
  /** Why the sandbox can no longer run anything, or null while it can. */
  #closed: string | null = null;

  private constructor(isolate: ivm.Isolate, entry: Entry, limits: SandboxLimits) {
    this.#isolate = isolate;
    this.#entry = entry;
    this.#limits = limits;
  }

  /**
   * Compiles and loads `code` with `ctx` (JSON data, deep-frozen inside the isolate).
   * Fails as a value when the code does not compile, throws or loops while loading, or
   * does not define both `clean` and `render`.
   */
  static async open(code: string, ctx: unknown, limits: SandboxLimits): Promise<OpenOutcome> {
    let ctxJson: string;
    try {
      ctxJson = JSON.stringify(ctx ?? null);
    } catch (error) {
      return { ok: false, error: `the sandbox context is not JSON data: ${errorText(error)}` };
    }
    let isolate: ivm.Isolate;
    try {
      isolate = new ivm.Isolate({ memoryLimit: limits.memoryLimitMb });
    } catch (error) {
      return { ok: false, error: `the sandbox could not start: ${errorText(error)}` };
    }
    const fail = (error: string): OpenOutcome => {
      if (!isolate.isDisposed) isolate.dispose();
      return { ok: false, error };
    };
    const timeout = limits.batchTimeoutMs;
    try {
      const context = await isolate.createContext();
      const prelude = await isolate.compileScript(PRELUDE_SOURCE, { filename: "tabtune-harness.js" });
      const entry: Entry = await prelude.run(context, { reference: true, timeout });
      let script: ivm.Script;
      try {
        script = await isolate.compileScript(code, { filename: "prepare_data.js" });
      } catch (error) {
        return fail(`the script does not compile: ${errorText(error)}`);
      }
      try {
        await script.run(context, { timeout });
      } catch (error) {
        return fail(`the script ${describeFailure(error, isolate, limits, "while loading")}`);
      }
      const bind = await isolate.compileScript(BIND_SOURCE, { filename: "tabtune-bind.js" });
      const fns = await bind.run(context, { reference: true, timeout });
      const missing: unknown = await entry.apply(undefined, ["bind", fns.derefInto(), ctxJson], { timeout });
      fns.release();
      if (missing !== "") {
        const what = typeof missing === "string" ? missing : "clean and render";
        return fail(`the script must define top-level functions clean(row, ctx) and render(row, ctx); missing: ${what}`);
      }
      return { ok: true, sandbox: new PrepSandbox(isolate, entry, limits) };
    } catch (error) {
      return fail(`the sandbox could not start: it ${describeFailure(error, isolate, limits, "while loading")}`);
    }
  }

  /** Runs `clean` over a batch: one entry per input row, null where the row is dropped. */
  async clean(rows: RawRow[]): Promise<BatchOutcome<CleanRow | null>> {
    return this.#runBatch("clean", rows, checkCleanResult);
  }

  /** Runs `render` over a batch of cleaned rows. */
  async render(rows: CleanRow[]): Promise<BatchOutcome<AlpacaRecord>> {
    return this.#runBatch("render", rows, checkRenderResult);
  }

  /** Frees the isolate. Safe to call more than once; later batches fail as values. */
  dispose(): void {
    this.#closed ??= "the sandbox was disposed";
    if (!this.#isolate.isDisposed) this.#isolate.dispose();
  }

  async #runBatch<T>(
    op: "clean" | "render",
    rows: readonly unknown[],
    check: (value: unknown) => Checked<T>,
  ): Promise<BatchOutcome<T>> {
    const batchFailure = (error: string): BatchOutcome<T> => ({ ok: false, error: `${op}: ${error}`, rowIndex: null, row: null });
    if (this.#closed !== null) return batchFailure(`${this.#closed}; open a new sandbox`);

    let text: unknown;
    try {
      text = await this.#entry.apply(undefined, [op, JSON.stringify(rows)], { timeout: this.#limits.batchTimeoutMs });
    } catch (error) {
      const batch = `in batch of ${rows.length} rows`;
      if (this.#closed !== null) return batchFailure(`${this.#closed} ${batch}`);
      const failure = describeFailure(error, this.#isolate, this.#limits, batch);
      if (this.#isolate.isDisposed) this.#closed = `the sandbox is closed because it ${failure}`;
      return batchFailure(failure);
    }

    const envelope = parseEnvelope(text, rows.length);
    if (!envelope.ok) return batchFailure(envelope.error);
    const { value } = envelope;
    if (!value.ok) {
      const row = value.rowIndex === null ? null : rows[value.rowIndex];
      return { ok: false, error: `${op}: ${value.error}`, rowIndex: value.rowIndex, row };
    }
    const out: T[] = [];
    for (const [index, result] of value.rows.entries()) {
      const checked = check(result);
      if (!checked.ok) return { ok: false, error: checked.error, rowIndex: index, row: rows[index] };
      out.push(checked.value);
    }
    return { ok: true, rows: out };
  }
}

/** What the harness answers for a batch, once checked. */
type Envelope = { ok: true; rows: unknown[] } | { ok: false; rowIndex: number | null; error: string };

/** Parses and checks the harness's answer; it is untrusted text. */
function parseEnvelope(text: unknown, rowCount: number): Checked<Envelope> {
  const broken = (why: string): Checked<Envelope> => ({ ok: false, error: `the sandbox answered ${why}` });
  if (typeof text !== "string") return broken("something other than text");
  if (text.length > (rowCount + 1) * (MAX_ROW_CHARS + 64)) return broken(`${text.length} characters, more than allowed`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return broken("text that is not JSON");
  }
  if (!isRecord(parsed)) return broken("JSON that is not an object");
  if (parsed.ok === true && Array.isArray(parsed.rows)) {
    if (parsed.rows.length !== rowCount) return broken(`${parsed.rows.length} results for ${rowCount} rows`);
    return { ok: true, value: { ok: true, rows: parsed.rows } };
  }
  const { rowIndex, error } = parsed;
  const indexOk = rowIndex === null || (typeof rowIndex === "number" && Number.isInteger(rowIndex) && rowIndex >= 0 && rowIndex < rowCount);
  if (parsed.ok === false && indexOk && typeof error === "string") {
    return { ok: true, value: { ok: false, rowIndex, error: clip(error) } };
  }
  return broken("an envelope of the wrong shape");
}

/**
 * Names a failure thrown by isolated-vm as a verb phrase ("timed out after 5000 ms in
 * batch of 100 rows"): the memory limit, the time limit, or anything else.
 */
function describeFailure(error: unknown, isolate: ivm.Isolate, limits: SandboxLimits, during: string): string {
  const text = errorText(error);
  if (isolate.isDisposed && /memory limit/i.test(text)) {
    return `exceeded the ${limits.memoryLimitMb} MB memory limit ${during}`;
  }
  if (/timed out/i.test(text)) {
    return `timed out after ${limits.batchTimeoutMs} ms ${during}; look for an endless loop or very slow code`;
  }
  if (isolate.isDisposed) return `stopped and was disposed ${during} (${text})`;
  return `failed ${during}: ${text}`;
}
