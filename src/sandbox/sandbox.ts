/**
 * Runs the generated `scripts/prepare_data.js` in its own V8 isolate (isolated-vm):
 * a memory limit, a time limit per batch, and none of require, process, fetch, files
 * or network. Rows and results cross the boundary only as text (JSON, or cells joined in
 * one string; see harness.ts), so no host object is reachable from inside and no
 * isolate object (Proxy, getter) ever runs on the host.
 * Failures of the script are returned as values, never thrown, and every message in them
 * is passed through `printable` (one line, no control characters) before it leaves.
 * Inside, there is no WebAssembly, `Math.random` is seeded and the clock is fixed (see
 * HARDEN_SOURCE in isolate-globals.ts).
 */
import ivm from "isolated-vm";
import type { AlpacaRecord, CleanRow, RawRow } from "../rows.js";
import { BIND_SOURCE, PRELUDE_SOURCE } from "./harness.js";
import { describeFailure, errorText, outward, sandboxSetting, type SandboxLimits } from "./limits.js";
import { checkRecordAnswer, checkTextAnswer, LinePatterns, RECORDS_HEAD } from "./text-answer.js";
import { checkCleanBatch, checkCleanResult, checkRenderBatch, checkRenderResult } from "./validate.js";
import { cellBatch, cellTextBatch, lineBatch, objectBatch, parseEnvelope, type EncodedBatch, type Envelope, type FailedEnvelope } from "./wire.js";

export type { SandboxLimits } from "./limits.js";

/** Result of running code over one batch; failures are values, never thrown. */
export type BatchOutcome<T> =
  | { ok: true; rows: T[] }
  /** rowIndex is within the batch; null when not row-specific (timeout, memory, closed). */
  | { ok: false; error: string; rowIndex: number | null; row: unknown };

/** Result of `PrepSandbox.prep`: clean and render of one batch in one crossing. */
export type PrepOutcome =
  | {
      ok: true;
      /** One entry per input row; null where clean dropped the row. */
      cleaned: (CleanRow | null)[];
      /** One record per kept row, in order. */
      rendered: AlpacaRecord[];
    }
  | {
      ok: false;
      /** Which function failed; null when not row-specific (timeout, memory, closed). */
      op: "clean" | "render" | null;
      error: string;
      /** Index of the input row within the batch, or null. */
      rowIndex: number | null;
      /** The input row's values, or null. */
      row: unknown;
      /** For a render failure: the cleaned row render was given. */
      cleaned: CleanRow | null;
    };

/** A failed prep batch. */
export type PrepFailure = Extract<PrepOutcome, { ok: false }>;

/** Result of `PrepSandbox.prepText`: clean (and render) of one batch as the text cleanCsv writes. */
export type PrepTextOutcome =
  | {
      ok: true;
      /** Per input row: false where clean dropped it. */
      kept: boolean[];
      /** The kept rows' cleaned.jsonl lines (JSON.stringify of each cleaned row), each ending "\n". */
      cleanedLines: string;
      /** Each kept row's record as JSON.stringify writes it; empty without render. */
      records: string[];
    }
  | PrepFailure;

/** Result of `PrepSandbox.open`. */
export type OpenOutcome = { ok: true; sandbox: PrepSandbox } | { ok: false; error: string };

/** The isolate's entry function; see harness.ts for the protocol. */
type Entry = ivm.Reference<(op: string, ...args: unknown[]) => string>;


function outwardBatch<T>(outcome: BatchOutcome<T>): BatchOutcome<T> {
  return outcome.ok ? outcome : { ...outcome, error: outward(outcome.error) };
}

function outwardFailure(failure: PrepFailure): PrepFailure {
  return { ...failure, error: outward(failure.error) };
}

/** A checked text answer as row objects (its lines are JSON: the checks proved it). */
function prepObjects(outcome: PrepTextOutcome): PrepOutcome {
  if (!outcome.ok) return outcome;
  const lines = outcome.cleanedLines.split("\n");
  const cleaned: (CleanRow | null)[] = new Array<CleanRow | null>(outcome.kept.length);
  for (let i = 0, next = 0; i < cleaned.length; i++) cleaned[i] = outcome.kept[i] ? JSON.parse(lines[next++] ?? "null") : null;
  const rendered: AlpacaRecord[] = outcome.records.map((record) => JSON.parse(record));
  return { ok: true, cleaned, rendered };
}

/** A generated data-prep script loaded in its own isolate. */
export class PrepSandbox {
  readonly #isolate: ivm.Isolate;
  readonly #entry: Entry;
  readonly #limits: SandboxLimits;
  /** Why the sandbox can no longer run anything, or null while it can. */
  #closed: string | null = null;
  /** Patterns of the cleaned lines this sandbox's script answers, by key list. */
  readonly #patterns = new LinePatterns();
  /**
   * The latest call into the isolate. Calls are chained so the isolate runs one at a
   * time: isolated-vm with calls queued on one isolate let external string memory pile
   * up past the memory limit (and once crashed the process) in our bench. Callers may
   * still start a batch before the previous one returns, to overlap host work.
   */
  #queue: Promise<unknown> = Promise.resolve();

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
    const outcome = await PrepSandbox.#open(code, ctx, limits);
    return outcome.ok ? outcome : { ok: false, error: outward(outcome.error) };
  }

  static async #open(code: string, ctx: unknown, limits: SandboxLimits): Promise<OpenOutcome> {
    const setting = sandboxSetting(limits.seed, limits.clockMs);
    if (!setting.ok) return setting;
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
      await entry.apply(undefined, ["configure", setting.seed, setting.clockMs], { timeout });
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

  /**
   * Compiles `code` in a fresh isolate without running it: null when it compiles, else
   * the error ("SyntaxError: Unexpected token …"). Nothing of the script executes.
   */
  static async checkSyntax(code: string, limits: SandboxLimits): Promise<string | null> {
    let isolate: ivm.Isolate;
    try {
      isolate = new ivm.Isolate({ memoryLimit: limits.memoryLimitMb });
    } catch (error) {
      return `the sandbox could not start: ${errorText(error)}`;
    }
    try {
      const script = await isolate.compileScript(code, { filename: "prepare_data.js" });
      script.release();
      return null;
    } catch (error) {
      return outward(`the script does not compile: ${errorText(error)}`);
    } finally {
      if (!isolate.isDisposed) isolate.dispose();
    }
  }

  /** Runs `clean` over a batch: one entry per input row, null where the row is dropped. */
  async clean(rows: RawRow[]): Promise<BatchOutcome<CleanRow | null>> {
    return outwardBatch(await this.#clean(objectBatch(rows)));
  }

  /** clean over CSV cells under one header (what streamCsvCells yields), without building row objects first. */
  async cleanCells(header: readonly string[], cells: readonly (string | null)[][]): Promise<BatchOutcome<CleanRow | null>> {
    return outwardBatch(await this.#clean(cellBatch(header, cells)));
  }

  async #clean(rows: EncodedBatch): Promise<BatchOutcome<CleanRow | null>> {
    const answer = await this.#call("clean", rows);
    if (!answer.ok) return { ok: false, error: `clean: ${answer.error}`, rowIndex: null, row: null };
    const envelope = answer.envelope;
    if (envelope.kind === "failed") return this.#rowFailure("clean", envelope, rows);
    if (envelope.kind !== "rows") return { ok: false, error: "clean: the sandbox answered an envelope of the wrong shape", rowIndex: null, row: null };
    const checked = checkCleanBatch(envelope.shapes, envelope.rows);
    if (checked.ok) return { ok: true, rows: checked.rows };
    return { ok: false, error: checked.error, rowIndex: checked.index, row: checked.index === null ? null : rows.row(checked.index) };
  }

  /** Runs `render` over a batch of cleaned rows. */
  async render(cleanRows: CleanRow[]): Promise<BatchOutcome<AlpacaRecord>> {
    return outwardBatch(await this.#render(cleanRows));
  }

  async #render(cleanRows: CleanRow[]): Promise<BatchOutcome<AlpacaRecord>> {
    const rows = objectBatch(cleanRows);
    const answer = await this.#call("render", rows);
    if (!answer.ok) return { ok: false, error: `render: ${answer.error}`, rowIndex: null, row: null };
    const envelope = answer.envelope;
    if (envelope.kind === "failed") return this.#rowFailure("render", envelope, rows);
    if (envelope.kind !== "rows") return { ok: false, error: "render: the sandbox answered an envelope of the wrong shape", rowIndex: null, row: null };
    const checked = checkRenderBatch(envelope.rows);
    return checked.ok ? { ok: true, rows: checked.rows } : { ok: false, error: checked.error, rowIndex: checked.index, row: rows.row(checked.index) };
  }

  /**
   * Runs `render` over cleaned.jsonl lines (JSON objects, no newline in them) and answers
   * each record as JSON.stringify writes it, checked on the host without being parsed.
   */
  async renderLines(lines: readonly string[]): Promise<BatchOutcome<string>> {
    const rows = lineBatch(lines);
    const answer = await this.#cross("renderLines", rows);
    if (!answer.ok) return outwardBatch({ ok: false, error: `render: ${answer.error}`, rowIndex: null, row: null });
    if (!answer.text.startsWith(RECORDS_HEAD)) {
      const envelope = parseEnvelope(answer.text, rows.size);
      if (!envelope.ok) return outwardBatch({ ok: false, error: `render: ${envelope.error}`, rowIndex: null, row: null });
      if (envelope.value.kind !== "failed") return outwardBatch({ ok: false, error: "render: the sandbox answered an envelope of the wrong shape", rowIndex: null, row: null });
      return outwardBatch(this.#rowFailure("render", envelope.value, rows));
    }
    const checked = checkRecordAnswer(answer.text, rows.size);
    if (checked.ok) return { ok: true, rows: checked.records };
    return outwardBatch({ ok: false, error: checked.error, rowIndex: checked.index, row: checked.index === null ? null : rows.row(checked.index) });
  }

  /**
   * Runs `clean` over a batch and `render` over a copy of every kept row, in one crossing
   * of the isolate boundary. Both results are validated on the host exactly as `clean`
   * and `render` validate theirs.
   */
  async prep(rows: RawRow[]): Promise<PrepOutcome> {
    const outcome = prepObjects(await this.#prepText(objectBatch(rows), true));
    return outcome.ok ? outcome : outwardFailure(outcome);
  }

  /** prep over CSV cells under one header (what streamCsvCells yields), without building row objects first. */
  async prepCells(header: readonly string[], cells: readonly (string | null)[][]): Promise<PrepOutcome> {
    const outcome = prepObjects(await this.#prepText(cellTextBatch(header, cells) ?? cellBatch(header, cells), true));
    return outcome.ok ? outcome : outwardFailure(outcome);
  }

  /**
   * clean (and, with `withRender`, render) over CSV cells under one header, answered as
   * the text cleanCsv writes: the cleaned.jsonl lines and the records' JSON, checked on
   * the host line by line (text-answer.ts) without being parsed and written again.
   */
  async prepText(header: readonly string[], cells: readonly (string | null)[][], withRender: boolean): Promise<PrepTextOutcome> {
    const outcome = await this.#prepText(cellTextBatch(header, cells) ?? cellBatch(header, cells), withRender);
    return outcome.ok ? outcome : outwardFailure(outcome);
  }

  async #prepText(rows: EncodedBatch, withRender: boolean): Promise<PrepTextOutcome> {
    const batchFailure = (error: string): PrepFailure => ({ ok: false, op: null, error, rowIndex: null, row: null, cleaned: null });
    const answer = await this.#cross(rows.cellsText ? "prepCells" : "prep", rows, withRender);
    if (!answer.ok) return batchFailure(answer.error);
    if (!answer.text.startsWith('{"ok":true,')) {
      const envelope = parseEnvelope(answer.text, rows.size);
      if (!envelope.ok) return batchFailure(envelope.error);
      if (envelope.value.kind !== "failed") return batchFailure("the sandbox answered an envelope of the wrong shape");
      const failed = envelope.value;
      const row = this.#rowFailure(failed.op ?? "clean", failed, rows);
      if (row.ok) return batchFailure("the sandbox answered an envelope of the wrong shape");
      const cleaned = failed.cleaned === undefined ? null : checkCleanResult(failed.cleaned);
      return { ok: false, op: failed.op ?? null, error: row.error, rowIndex: row.rowIndex, row: row.row, cleaned: cleaned?.ok ? cleaned.value : null };
    }
    const checked = checkTextAnswer(answer.text, rows.size, withRender, this.#patterns);
    if (checked.ok) return checked;
    const at = checked.index;
    return { ok: false, op: checked.op, error: checked.error, rowIndex: at, row: at === null ? null : rows.row(at), cleaned: checked.cleaned };
  }

  /** CPU time the isolate has used so far, in ms (for benches and progress). */
  get cpuMs(): number {
    return this.#isolate.isDisposed ? 0 : Number(this.#isolate.cpuTime) / 1e6;
  }

  /** Frees the isolate. Safe to call more than once; later batches fail as values. */
  dispose(): void {
    this.#closed ??= "the sandbox was disposed";
    if (!this.#isolate.isDisposed) this.#isolate.dispose();
  }

  /** A row failure reported by the harness, as a BatchOutcome with the input row. */
  #rowFailure<T>(op: "clean" | "render", envelope: FailedEnvelope, rows: EncodedBatch): BatchOutcome<T> {
    const row = envelope.rowIndex === null ? null : rows.row(envelope.rowIndex);
    if (envelope.invalid !== undefined) {
      const checked = op === "clean" ? checkCleanResult(envelope.invalid) : checkRenderResult(envelope.invalid);
      const error = checked.ok ? `${op} returned a value that is not plain data` : checked.error;
      return { ok: false, error, rowIndex: envelope.rowIndex, row };
    }
    return { ok: false, error: `${op}: ${envelope.error ?? "failed"}`, rowIndex: envelope.rowIndex, row };
  }

  /** One crossing of a run op: the batch in as JSON text, the harness's envelope back, parsed and shape-checked. */
  async #call(op: "clean" | "render", rows: EncodedBatch): Promise<{ ok: true; envelope: Envelope } | { ok: false; error: string }> {
    const answer = await this.#cross(op, rows);
    if (!answer.ok) return answer;
    const envelope = parseEnvelope(answer.text, rows.size);
    return envelope.ok ? { ok: true, envelope: envelope.value } : { ok: false, error: envelope.error };
  }

  /** One crossing: the batch's arguments in, the harness's answer back as text (unchecked). */
  async #cross(op: "clean" | "render" | "prep" | "prepCells" | "renderLines", rows: EncodedBatch, ...extra: boolean[]): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
    if (this.#closed !== null) return { ok: false, error: `${this.#closed}; open a new sandbox` };
    const args: [string, ...(string | number | boolean)[]] = [op, ...rows.args, ...extra];
    const call = this.#queue.then(() =>
      this.#closed !== null ? Promise.reject(new Error("closed")) : this.#entry.apply(undefined, args, { timeout: this.#limits.batchTimeoutMs }),
    );
    this.#queue = call.catch(() => undefined);
    let text: unknown;
    try {
      text = await call;
    } catch (error) {
      const batch = `in batch of ${rows.size} rows`;
      if (this.#closed !== null) return { ok: false, error: `${this.#closed} ${batch}` };
      const failure = describeFailure(error, this.#isolate, this.#limits, batch);
      if (this.#isolate.isDisposed) this.#closed = `the sandbox is closed because it ${failure}`;
      return { ok: false, error: failure };
    }
    // Let a batch queued behind this one enter the isolate before this one is checked
    // here, so the isolate and the host work at the same time.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return typeof text === "string" ? { ok: true, text } : { ok: false, error: "the sandbox answered something other than text" };
  }
}
