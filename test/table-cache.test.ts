/**
 * The table explore keeps for select_features (src/table/cache.ts): handed out once by
 * readTable for the same unchanged file read the same way, never for a changed file or
 * other read options.
 */
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { forgetTable, keepTable } from "../src/table/cache.js";
import { readTable } from "../src/table/columns.js";
import type { CsvOptions } from "../src/table/csv.js";

const dir = mkdtempSync(join(tmpdir(), "tabtune-cache-"));
const opts: CsvOptions = { missingTokens: ["", "NA"], batchRows: 100 };

afterEach(() => forgetTable());

describe("table cache", () => {
  it("hands a kept table to the next readTable of the same file once, then reads the file again", async () => {
    const path = join(dir, "a.csv");
    writeFileSync(path, "x,y\n1,a\n2,b\n");
    const first = await readTable(path, opts);
    keepTable(first, opts);
    const progress: number[] = [];
    const again = await readTable(path, { ...opts, batchRows: 7 }, (rows) => progress.push(rows));
    expect(again).toBe(first);
    expect(progress).toEqual([2]);
    const third = await readTable(path, opts);
    expect(third).not.toBe(first);
    expect(third.sha256).toBe(first.sha256);
  });

  it("is not used once the file changed or with other missing tokens", async () => {
    const path = join(dir, "b.csv");
    writeFileSync(path, "x,y\n1,a\n2,NA\n");
    const table = await readTable(path, opts);
    keepTable(table, opts);
    const otherTokens = await readTable(path, { ...opts, missingTokens: [""] });
    expect(otherTokens).not.toBe(table);
    expect(otherTokens.columns[1]?.type === "categorical" && otherTokens.columns[1].dictionary).toEqual(["a", "NA"]);
    appendFileSync(path, "3,c\n");
    const changed = await readTable(path, opts);
    expect(changed).not.toBe(table);
    expect(changed.rows).toBe(3);
  });
});
