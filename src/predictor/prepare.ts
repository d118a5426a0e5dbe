/**
 * New rows as the run's model reads them: the header checked against the training table,
 * every row through the run's approved `clean` in the sandbox, the run's fitted imputation
 * re-applied, and the kept rows rendered into records — the functions `tabtune apply` runs,
 * with each output row tied back to its input row number.
 *
 * New rows have no target (or one that must not leak into the prediction): `clean` of a
 * tabtune script drops a row without one, so the target cell is set to a placeholder (a
 * valid class, or the training median) before clean sees the row; the rendered `output` is
 * never used. A target given in the CSV is kept aside as the row's known answer.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AtomicLineWriter, readJsonArrayLines, readJsonLines } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { renderRows } from "../prep/render.js";
import { openPrepCode } from "../prep/open.js";
import type { OnProgress } from "../events.js";
import { getConfig } from "../runtime.js";
import type { AlpacaRecord, CleanRow } from "../rows.js";
import { reapplyImputation, type Reapplied } from "../stats/imputation/reapply.js";
import { requireColumns } from "../table/alignment.js";
import { readCsvHeader, streamCsvCells, toRawRow } from "../table/csv.js";
import { localPolicies, type RunFiles } from "./run-files.js";

/** One input row: its number, identifier, given answer and where its cleaned row went. */
export interface InputRow {
  /** 1-based data row number (the header is not a row). */
  row: number;
  /** The identifier column's cell, when the table has one. */
  id: string | null;
  /** The target cell the CSV gave, when it has the target column. */
  truth: string | null;
  /** Index into `cleaned` / `records`, or null when clean dropped the row. */
  kept: number | null;
}

export interface PreparedRows {
  inputs: InputRow[];
  /** Cleaned and imputed rows of the kept inputs, in order. */
  cleaned: CleanRow[];
  /** Their rendered records (the `output` field is the placeholder, never used). */
  records: AlpacaRecord[];
  /** The identifier column, when the training table had one and the CSV carries it. */
  idColumn: string | null;
  /** Whether the CSV carries the target column (its cells are in `truth`). */
  hasTarget: boolean;
  /** Header columns the script does not read (ignored). */
  ignored: string[];
  imputed: Reapplied | null;
}

/** A class the script accepts, or the training median: what the target cell holds while the row is cleaned. */
export function targetPlaceholder(files: RunFiles): string {
  const { plan, labels, columns } = files.sidecar.ctx;
  if (plan.task !== "regression") return Object.keys(labels)[0] ?? "";
  const stats = columns[plan.target];
  return String(stats?.median ?? stats?.mean ?? 0);
}

/**
 * Checks the header of `csv` against the run's training table.
 * @throws TabtuneError naming every missing feature with its did-you-mean.
 */
export async function checkHeader(csv: string, files: RunFiles): Promise<{ header: string[]; ignored: string[]; idColumn: string | null; hasTarget: boolean }> {
  if (!existsSync(csv)) throw new TabtuneError("predict_csv_missing", `--csv ${csv} does not exist`, { suggestion: "check the path of the new data" });
  const { plan, columns } = files.sidecar.ctx;
  const header = await readCsvHeader(csv);
  requireColumns({
    code: "predict_columns_missing",
    file: csv,
    header,
    required: plan.features,
    known: Object.keys(columns),
    role: "that the run's model reads",
    otherwise: (_missing, renamed) => (renamed ? "or use a CSV with the training file's columns" : "use a CSV with the training file's columns (extra columns are ignored)"),
  });
  const read = new Set([...plan.features, plan.target]);
  const idColumn = Object.entries(columns).find(([name, c]) => c.kind === "identifier" && header.includes(name))?.[0] ?? null;
  return { header, ignored: header.filter((name) => !read.has(name) && name !== idColumn), idColumn, hasTarget: header.includes(plan.target) };
}

/** Runs the rows of `csv` through the run's script and imputation; scratch files go to `scratch`. */
export async function prepareRows(csv: string, files: RunFiles, scratch: string, onProgress?: OnProgress): Promise<PreparedRows> {
  const checked = await checkHeader(csv, files);
  const { ctx } = files.sidecar;
  const target = ctx.plan.target;
  const placeholder = targetPlaceholder(files);
  const opened = await openPrepCode(readFileSync(files.script, "utf8"), ctx);
  if (!opened.ok) throw new TabtuneError("predict_script_broken", `${files.script}: ${opened.error}`, { suggestion: "re-run tabtune to write the script again" });
  const sandbox = opened.sandbox;
  const rawCleaned = join(scratch, "cleaned.unimputed.jsonl");
  const cleanedPath = join(scratch, "cleaned.jsonl");
  const recordsPath = join(scratch, "records.json");
  const inputs: InputRow[] = [];
  let kept = 0;
  let imputed: Reapplied | null = null;
  try {
    const out = new AtomicLineWriter(rawCleaned);
    const config = getConfig();
    for await (const batch of streamCsvCells(csv, { ...config.csv, batchRows: config.sandbox.batchRows })) {
      const targetAt = batch.header.indexOf(target);
      const idAt = checked.idColumn === null ? -1 : batch.header.indexOf(checked.idColumn);
      const header = targetAt >= 0 ? batch.header : [...batch.header, target];
      const cells = batch.cells.map((row) => (targetAt >= 0 ? row.map((cell, j) => (j === targetAt ? placeholder : cell)) : [...row, placeholder]));
      const outcome = await sandbox.cleanCells(header, cells);
      if (!outcome.ok) {
        await out.abort();
        const at = outcome.rowIndex;
        const where = at === null ? "" : ` line ${batch.firstLine + at} (data row ${inputs.length + at + 1})`;
        const values = at === null ? "" : `; row ${JSON.stringify(toRawRow(batch.header, batch.cells[at] ?? [])).slice(0, 300)}`;
        throw new TabtuneError("predict_prep_failed", `${csv}${where}: ${outcome.error}${values}`, { suggestion: "fix that row of the new data; the run's approved script is not changed by predict" });
      }
      let text = "";
      outcome.rows.forEach((cleaned, i) => {
        const cellsIn = batch.cells[i] ?? [];
        inputs.push({
          row: inputs.length + 1,
          id: idAt >= 0 ? (cellsIn[idAt] ?? null) : null,
          truth: targetAt >= 0 ? (cellsIn[targetAt] ?? null) : null,
          kept: cleaned === null ? null : kept++,
        });
        if (cleaned !== null) text += JSON.stringify(cleaned) + "\n";
      });
      await out.write(text);
      onProgress?.(inputs.length);
    }
    await out.commit();
    const policies = localPolicies(files, scratch);
    if (policies) {
      const kinds = new Map(Object.entries(ctx.columns).map(([name, c]) => [name, c.kind as string]));
      imputed = await reapplyImputation(policies, rawCleaned, cleanedPath, kinds);
    }
    await renderRows(sandbox, policies ? cleanedPath : rawCleaned, recordsPath);
  } finally {
    sandbox.dispose();
  }
  const cleaned: CleanRow[] = [];
  for await (const row of readJsonLines<CleanRow>(imputed ? cleanedPath : rawCleaned)) cleaned.push(row);
  const records: AlpacaRecord[] = [];
  for await (const record of readJsonArrayLines<AlpacaRecord>(recordsPath)) records.push(record);
  rmSync(rawCleaned, { force: true });
  return { inputs, cleaned, records, idColumn: checked.idColumn, hasTarget: checked.hasTarget, ignored: checked.ignored, imputed };
}
