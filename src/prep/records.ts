/**
 * The shipped records (train.json, test.json) from the imputed rows, each row rendered at
 * most once per run: a row imputation left exactly as split wrote it takes execute's record
 * from all_data.json (render is a pure function of the cleaned row: the sandbox seeds
 * `Math.random` by the row's keys and values and fixes the clock, so the record is the same
 * bytes whatever batch renders it); the other rows are rendered in batches through one
 * sandbox, opened only when a row needs it, by the text protocol (PrepSandbox.renderLines):
 * the imputed lines cross as written and the records come back as the text written, so no
 * row is parsed or stringified on the host for rendering (nor to count labels: `onLine` sees
 * the line). Each file's ref comes from its writer.
 */
import { AtomicLineWriter, JsonArrayWriter, LineCursor } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { collectIfExternalAbove, EXTERNAL_GARBAGE_BYTES } from "../memory.js";
import type { PrepSandbox } from "../sandbox/sandbox.js";
import type { ArtifactRef } from "../state.js";

/** One part's files. */
export interface PartFiles {
  /** The part as split wrote it (JSON lines): a row equal to its imputed line kept execute's record. */
  split: string;
  /** The same rows, in the same order, after imputation. */
  imputed: string;
  /** Where the records go (a JSON array, one record per line). */
  records: string;
  /** How many times each row is written (balance's resampling); once each when absent. */
  copies?: Uint32Array;
  /** Also writes the rows, each as many times, here (train_rows.jsonl). */
  rows?: string;
  /** Sees every row's imputed line, in order (balance counts labels with it). */
  onLine?: (line: string) => void;
}

/** What a part wrote: the records' ref and, when asked, the rows' ref; both from the writers. */
export interface PartRefs {
  records: ArtifactRef;
  rows: ArtifactRef | null;
}

/** execute's records (all_data.json, one per cleaned row) and which part each cleaned row went to. */
export interface KnownRecords {
  /** all_data.json's record texts in order, in batches (readLinesChecked, so a changed file throws after its last record). */
  records: AsyncIterable<string[]>;
  /** Named in an error. */
  path: string;
  /** Cleaned row i went to the test part; else to training. */
  isTest: (i: number) => boolean;
}

/** Renders imputed lines (JSON objects) into record texts through a sandbox opened on first use; a failure is the run's error. */
type Renderer = (lines: string[], from: string) => Promise<string[]>;

/** Records still to write, in order: execute's record text, or a row waiting in the render batch. */
type Pending = { copies: number } & ({ text: string } | { at: number });

class Part {
  readonly #split: LineCursor;
  readonly #imputed: LineCursor;
  readonly #records: JsonArrayWriter;
  readonly #rows: AtomicLineWriter | null;
  #pending: Pending[] = [];
  /** Imputed lines waiting for render, as written. */
  #toRender: string[] = [];
  /** train_rows.jsonl's lines since the last flush ("\n" included), and how many. */
  #rowsText = "";
  #rowsCount = 0;
  #index = 0;
  /** Rows that took execute's record, and rows rendered here. */
  reused = 0;
  rendered = 0;

  constructor(
    private readonly files: PartFiles,
    private readonly render: Renderer,
    private readonly batchRows: number,
  ) {
    this.#split = new LineCursor(files.split);
    this.#imputed = new LineCursor(files.imputed);
    this.#records = new JsonArrayWriter(files.records);
    this.#rows = files.rows ? new AtomicLineWriter(files.rows) : null;
  }

  /**
   * Takes the part's next row with execute's record for it (null: none known); false when
   * the part has no rows left. Awaits only to read the next batch of lines or to flush a
   * full render batch: a row costs no promise of its own.
   */
  async next(record: string | null): Promise<boolean> {
    if (!this.#split.ready) await this.#split.fill();
    if (!this.#imputed.ready) await this.#imputed.fill();
    const more = this.take(record);
    if (more && this.#pending.length >= this.batchRows) await this.#flush();
    return more;
  }

  /** Whether take() can run without a read or a flush first. */
  get ready(): boolean {
    return this.#split.ready && this.#imputed.ready && this.#pending.length < this.batchRows;
  }

  /** next() for a part that is ready. */
  take(record: string | null): boolean {
    const [split, line] = [this.#split.take(), this.#imputed.take()];
    if ((split === undefined) !== (line === undefined))
      throw new TabtuneError("imputed_rows_mismatch", `${this.files.imputed} and ${this.files.split} hold different numbers of rows`, {
        suggestion: "re-enter the run at split (--start-from split) so both are written again",
      });
    if (line === undefined) return false;
    const copies = this.files.copies ? (this.files.copies[this.#index] ?? 0) : 1;
    this.#index += 1;
    this.files.onLine?.(line);
    if (this.#rows !== null)
      for (let c = 0; c < copies; c++) {
        this.#rowsText += line + "\n";
        this.#rowsCount += 1;
      }
    if (copies === 0) return true;
    if (record !== null && split === line) {
      this.#pending.push({ copies, text: record });
      this.reused += 1;
    } else {
      this.#pending.push({ copies, at: this.#toRender.length });
      this.#toRender.push(line);
      this.rendered += 1;
    }
    return true;
  }

  async #flush(): Promise<void> {
    const rendered = this.#toRender.length > 0 ? await this.render(this.#toRender, this.files.rows ?? this.files.imputed) : [];
    const texts: string[] = [];
    for (const p of this.#pending) {
      const text = "text" in p ? p.text : (rendered[p.at] ?? "");
      for (let c = 0; c < p.copies; c++) texts.push(text);
    }
    this.#pending = [];
    this.#toRender = [];
    await this.#records.pushJson(texts);
    if (this.#rows !== null && this.#rowsCount > 0) await this.#rows.write(this.#rowsText, this.#rowsCount);
    this.#rowsText = "";
    this.#rowsCount = 0;
  }

  async finish(): Promise<PartRefs> {
    while (await this.next(null));
    await this.#flush();
    return { records: await this.#records.commit(), rows: (await this.#rows?.commit()) ?? null };
  }

  async abort(): Promise<void> {
    await this.#split.close();
    await this.#imputed.close();
    await this.#records.abort();
    await this.#rows?.abort();
  }
}

/**
 * Writes both parts' records (and train_rows when asked). With `known`, execute's records
 * are walked once in cleaned-row order and handed to the part each row went to; rows
 * without one (a test CSV's test part, a run without source rows) are all rendered.
 */
export async function writeRecords(args: {
  train: PartFiles;
  test: PartFiles;
  known: KnownRecords | null;
  openSandbox: () => Promise<PrepSandbox>;
  batchRows: number;
}): Promise<{ train: PartRefs; test: PartRefs; reused: number; rendered: number }> {
  const opened: { sandbox: PrepSandbox | null } = { sandbox: null };
  const render: Renderer = async (lines, from) => {
    opened.sandbox ??= await args.openSandbox();
    const result = await opened.sandbox.renderLines(lines);
    collectIfExternalAbove(EXTERNAL_GARBAGE_BYTES);
    if (!result.ok) throw new TabtuneError("render_failed", `render failed on ${from}: ${result.error}`, { suggestion: "revise the plan at review_prep" });
    return result.rows;
  };
  const train = new Part(args.train, render, args.batchRows);
  const test = new Part(args.test, render, args.batchRows);
  try {
    if (args.known) {
      let i = 0;
      for await (const records of args.known.records)
        for (const record of records) {
          const part = args.known.isTest(i) ? test : train;
          if (!(part.ready ? part.take(record) : await part.next(record)))
            throw new TabtuneError("records_mismatch", `${args.known.path} has more records than the split parts have rows (${i + 1}th record)`, {
              suggestion: "re-enter the run at review_prep (--start-from review_prep) so execute writes it again",
            });
          i += 1;
        }
    }
    const refs = { train: await train.finish(), test: await test.finish() };
    return { ...refs, reused: train.reused + test.reused, rendered: train.rendered + test.rendered };
  } catch (error) {
    await train.abort();
    await test.abort();
    throw error;
  } finally {
    opened.sandbox?.dispose();
  }
}
