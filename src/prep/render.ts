/** Renders cleaned rows into Alpaca records with the prep script's `render` (`tabtune apply --policies`, the predictor's records). */
import { JsonArrayWriter, readLineBatches } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { getConfig } from "../runtime.js";
import type { PrepSandbox } from "../sandbox/sandbox.js";

/**
 * Renders the cleaned rows of `from` (JSON lines) into the Alpaca array `to` with the prep
 * script's `render`. The lines cross to the sandbox as they are and the records come back
 * as the text written (PrepSandbox.renderLines): nothing is parsed or stringified here.
 */
export async function renderRows(sandbox: PrepSandbox, from: string, to: string): Promise<number> {
  const batchRows = getConfig().sandbox.batchRows;
  const out = new JsonArrayWriter(to);
  let batch: string[] = [];
  const flush = async () => {
    const result = await sandbox.renderLines(batch);
    if (!result.ok) {
      await out.abort();
      throw new TabtuneError("render_failed", `render failed on ${from}: ${result.error}`, { suggestion: "revise the plan at review_prep" });
    }
    await out.pushJson(result.rows);
    batch = [];
  };
  for await (const lines of readLineBatches(from))
    for (const line of lines) {
      batch.push(line);
      if (batch.length >= batchRows) await flush();
    }
  if (batch.length > 0) await flush();
  await out.commit();
  return out.count;
}
