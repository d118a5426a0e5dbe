/** Renders cleaned rows into Alpaca records with the prep script's `render` (balance's train/test files, `tabtune apply --policies`). */
import { JsonArrayWriter, readJsonLines } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import type { CleanRow } from "../rows.js";
import { getConfig } from "../runtime.js";
import type { PrepSandbox } from "../sandbox/sandbox.js";

/** Renders the cleaned rows of `from` (JSON lines) into the Alpaca array `to` with the prep script's `render`. */
export async function renderRows(sandbox: PrepSandbox, from: string, to: string): Promise<number> {
  const batchRows = getConfig().sandbox.batchRows;
  const out = new JsonArrayWriter(to);
  let batch: CleanRow[] = [];
  const flush = async () => {
    const result = await sandbox.render(batch);
    if (!result.ok) {
      await out.abort();
      throw new TabtuneError("render_failed", `render failed on ${from}: ${result.error}`, { suggestion: "revise the plan at review_prep" });
    }
    for (const record of result.rows) await out.push(record);
    batch = [];
  };
  for await (const row of readJsonLines<CleanRow>(from)) {
    batch.push(row);
    if (batch.length >= batchRows) await flush();
  }
  if (batch.length > 0) await flush();
  await out.commit();
  return out.count;
}
