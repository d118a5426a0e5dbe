/**
 * readTable splits chunks without quotes itself (src/table/split.ts) and reads numbers from
 * positions in the chunk (ColumnBuilder.addRange). Both must give what papaparse's records
 * and ColumnBuilder.add give: the same records, errors and line numbers, the same columns.
 * Files span many 64 KiB chunks and mix line ends, blank and whitespace lines, padded and
 * non-ASCII cells, a quoted chunk between quote-free ones, columns that turn from numbers to
 * text late (codes found by position: RangeLookup), and ragged rows.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRng } from "../src/stats/random.js";
import { cellRules, usesDecimalComma } from "../src/table/cells.js";
import { ColumnBuilder } from "../src/table/column-builder.js";
import { readTable, type Column } from "../src/table/columns.js";
import type { CsvOptions } from "../src/table/csv.js";
import { readRecords } from "../src/table/records.js";
import { RangeLookup } from "../src/table/range-lookup.js";
import { splitQuoteFree } from "../src/table/split.js";

const dir = mkdtempSync(join(tmpdir(), "tabtune-quote-free-"));
let fileNo = 0;
function csv(text: string): string {
  const path = join(dir, `f${++fileNo}.csv`);
  writeFileSync(path, text);
  return path;
}

const OPTS: CsvOptions = { missingTokens: ["", "NA", "nan", "-"], batchRows: 5000, decimalComma: true };

/** Records as readRecords gives them, flat batches turned back into strings, or its error. */
async function records(path: string, flat: boolean): Promise<{ rows: string[][]; error: string | null; flatBatches: number }> {
  const rows: string[][] = [];
  let flatBatches = 0;
  try {
    for await (const batch of readRecords(path, undefined, { flat })) {
      if (batch.flat) {
        flatBatches++;
        const { text, bounds, count } = batch.flat;
        const width = batch.header.length;
        for (let r = 0; r < count; r++) rows.push(Array.from({ length: width }, (_, c) => text.slice(bounds[2 * (r * width + c)], bounds[2 * (r * width + c) + 1])));
      } else rows.push(...batch.records);
    }
  } catch (error) {
    return { rows, error: error instanceof Error ? error.message : String(error), flatBatches };
  }
  return { rows, error: null, flatBatches };
}

/** readTable as it was: papaparse's records, every cell through ColumnBuilder.add. */
async function tableByAdd(path: string, opts: CsvOptions): Promise<Column[]> {
  let builders: ColumnBuilder[] = [];
  let header: string[] = [];
  for await (const batch of readRecords(path)) {
    if (builders.length === 0) {
      header = batch.header;
      const rules = cellRules(opts, usesDecimalComma(batch.delimiter, opts));
      builders = header.map(() => new ColumnBuilder(rules));
    }
    for (const builder of builders) builder.reserve(batch.records.length);
    for (const record of batch.records) builders.forEach((b, c) => b.add(record[c] ?? ""));
  }
  return builders.map((b, i) => b.finish(header[i] ?? "", i));
}

function plain(column: Column): unknown {
  return column.type === "numeric"
    ? { type: column.type, allIntegers: column.allIntegers, values: Array.from(column.values, (v) => (Object.is(v, -0) ? "-0" : v)) }
    : { type: column.type, codes: Array.from(column.codes), dictionary: column.dictionary };
}

/** A random file of `rows` rows; `lineEnd` picks each line's end. */
function randomCsv(seed: number, rows: number, delimiter: string, lineEnd: (rng: () => number) => string, quoteAt = -1): string {
  const rng = createRng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)] as T;
  const numbers = () => pick([String(Math.floor(rng() * 2000) - 1000), (rng() * 100).toFixed(3), "", "NA", "1.50", "+3", "1e3", " 7 ", delimiter === "\t" ? "8\u2003" : "\t8", "0.000001", "1e-7", "-0", "00", "-", "12\u00a0"]);
  const lines = [["id", "x", "y", "cat", "z", "w", "v"].join(delimiter)];
  // w: numbers that turn to text late (codes rebuilt from numbers); v: numbers written "12.50", text at the end.
  const w = (i: number) => (i < 15_000 ? String(i % 5000) : pick(["t1", "t2", String(i % 50)]));
  const v = (i: number) => (i < rows - 10 ? `${i % 6000}.50` : "late text");
  for (let i = 0; i < rows; i++) {
    const y = (rng() * 10 - 5).toFixed(4);
    const cat = i === quoteAt ? '"q""uoted"' : pick(["a", "b", " c ", "", "é", "x y"]);
    lines.push([String(i), numbers(), delimiter === ";" ? y.replace(".", ",") : y, cat, String(Math.floor(rng() * 4)), w(i), v(i)].join(delimiter));
    if (i % 997 === 0) lines.push(pick(["", "   ", delimiter === "\t" ? "\u2003" : "\t", " \r"]));
  }
  return lines.map((line) => line + lineEnd(rng)).join("");
}

describe("quote-free chunks", () => {
  const files: [string, string][] = [
    ["LF", randomCsv(1, 20_000, ",", () => "\n")],
    ["CRLF", randomCsv(2, 20_000, ",", () => "\r\n")],
    ["mixed CRLF and LF", randomCsv(3, 20_000, ",", (rng) => (rng() < 0.5 ? "\r\n" : "\n"))],
    ["CR", randomCsv(4, 20_000, ",", () => "\r")],
    ["semicolons, decimal commas", randomCsv(5, 20_000, ";", () => "\n")],
    ["tabs", randomCsv(6, 20_000, "\t", () => "\n")],
    ["one quoted chunk", randomCsv(7, 20_000, ",", () => "\n", 12_000)],
    ["no line end at the end", randomCsv(8, 20_000, ",", () => "\n").replace(/\n+$/, "")],
  ];

  it.each(files)("gives papaparse's records and readTable gives add()'s columns: %s", async (_, text) => {
    const path = csv(text);
    const flat = await records(path, true);
    expect(flat.error).toBeNull();
    expect(flat.rows.length).toBeGreaterThan(19_000);
    expect(flat.flatBatches).toBeGreaterThan(5);
    const papa = await records(path, false);
    expect(papa.flatBatches).toBe(0);
    expect(flat.rows).toEqual(papa.rows);
    const table = await readTable(path, OPTS);
    expect(table.columns.map(plain)).toEqual((await tableByAdd(path, OPTS)).map(plain));
  });

  it("reports a ragged row in a later chunk at the same line as papaparse", async () => {
    const lines = randomCsv(9, 20_000, ",", () => "\n").split("\n");
    for (const [at, edit] of [
      [15_000, (l: string) => `${l},extra`],
      [15_001, (l: string) => l.slice(0, l.lastIndexOf(","))],
      [15_002, () => "lonely"],
    ] as const) {
      const path = csv(lines.map((l, i) => (i === at ? edit(l) : l)).join("\n"));
      const flat = await records(path, true);
      expect(flat.error).toMatch(new RegExp(`line ${at + 1} has`));
      const papa = await records(path, false);
      expect({ ...flat, flatBatches: 0 }).toEqual(papa);
      expect(flat.flatBatches).toBeGreaterThan(0);
    }
  });

  it("splits complete lines and leaves the open one", () => {
    const split = splitQuoteFree("a,b\r\n \n1,2\n3,", false, ",", "\n", 2, new Int32Array(0));
    expect({ count: split.count, lines: split.lines, consumed: split.consumed, ragged: split.ragged }).toEqual({ count: 2, lines: 3, consumed: 11, ragged: null });
    expect(Array.from(split.bounds.subarray(0, 8))).toEqual([0, 1, 2, 3, 7, 8, 9, 10]);
  });
});

describe("RangeLookup", () => {
  it("finds an entry by position, follows a growing dictionary and starts over on a new one", () => {
    const lookup = new RangeLookup();
    const dictionary = ["north", "south"];
    expect(lookup.find(dictionary, "x,south,y", 2, 7)).toBe(1);
    expect(lookup.find(dictionary, "x,sout,y", 2, 6)).toBe(-1);
    dictionary.push("east");
    expect(lookup.find(dictionary, "east", 0, 4)).toBe(2);
    const many = Array.from({ length: 3000 }, (_, i) => `v${i}`);
    expect(lookup.find(many, "v2999;v0", 0, 5)).toBe(2999);
    expect(lookup.find(many, "v2999;v0", 6, 8)).toBe(0);
    expect(lookup.find(many, "north", 0, 5)).toBe(-1);
  });
});
