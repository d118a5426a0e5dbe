/**
 * The fast paths of reading and profiling give exactly what the plain ways give:
 * parseDecimal against Number(), sortNumbers against Float64Array.prototype.sort, and the
 * column builder's mode switches, missing tokens and decimal commas on small files.
 */
import { toRawRow } from "../src/table/csv.js";
import { sampleRowsText } from "../src/llm/profile-text.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sortNumbers } from "../src/stats/sort.js";
import { columnValue, parseDecimal, parseNumber, readTable, type Column, type Table } from "../src/table/columns.js";
import type { CsvOptions } from "../src/table/csv.js";
import { mean, quantileSorted, sampleStandardDeviation } from "simple-statistics";
import { countDuplicateRows, numericSummary } from "../src/table/profile.js";
import { createRng } from "../src/stats/random.js";

const opts: CsvOptions = { missingTokens: ["", "NA", "?", "-"], batchRows: 100 };
const dir = mkdtempSync(join(tmpdir(), "tabtune-fast-"));
let fileNo = 0;
function csv(text: string): string {
  const path = join(dir, `f${++fileNo}.csv`);
  writeFileSync(path, text);
  return path;
}
function column(table: Table, name: string): Column {
  const found = table.columns.find((c) => c.name === name);
  if (!found) throw new Error(`no column ${name}`);
  return found;
}

/** A random decimal: sign, 1–18 digits, a dot anywhere or none, sometimes an exponent or junk. */
function randomDecimal(rng: () => number): string {
  const digits = Array.from({ length: 1 + Math.floor(rng() * 18) }, () => String(Math.floor(rng() * 10))).join("");
  const dot = Math.floor(rng() * (digits.length + 2));
  let text = dot > digits.length ? digits : `${digits.slice(0, dot)}.${digits.slice(dot)}`;
  if (rng() < 0.3) text = `-${text}`;
  else if (rng() < 0.05) text = `+${text}`;
  if (rng() < 0.05) text += `e${Math.floor(rng() * 40) - 20}`;
  if (rng() < 0.02) text += "x";
  return text;
}

describe("parseDecimal", () => {
  it("gives the very double parseNumber gives, on 200,000 random decimals and the edge cases", () => {
    const rng = createRng(3);
    const cells = Array.from({ length: 200_000 }, () => randomDecimal(rng));
    cells.push("0", "-0", "+0", ".5", "-.5", "5.", ".", "-", "+", "", "1..2", "9007199254740993", "0.1", "123456789012345", "1234567890123456", "0x1F", "1e3");
    const differ = cells.filter((cell) => !Object.is(parseDecimal(cell), parseNumber(cell)));
    expect(differ).toEqual([]);
    expect([parseDecimal("-12.50"), parseDecimal("0.1"), parseDecimal("-0")]).toEqual([-12.5, 0.1, -0]);
  });
});

describe("sortNumbers", () => {
  const same = (values: Float64Array) => {
    const expected = values.slice().sort();
    const got = sortNumbers(values.slice());
    expect(got.length).toBe(expected.length);
    expect(got.every((v, i) => Object.is(v, expected[i]))).toBe(true);
  };
  it("sorts like Float64Array.prototype.sort: few distinct values, many, infinities, both zeros", () => {
    const rng = createRng(5);
    const n = 50_000;
    same(Float64Array.from({ length: n }, () => Math.floor(rng() * 70) - 20));
    same(Float64Array.from({ length: n }, () => rng() * 1e6 - 5e5));
    same(Float64Array.from({ length: n }, () => [Infinity, -Infinity, 0, 1e-310, -1e-310, 2.5][Math.floor(rng() * 6)] ?? 0));
    same(Float64Array.from({ length: n }, () => (rng() < 0.5 ? -0 : 0)));
    same(Float64Array.from({ length: n }, (_, i) => (i < 40_000 ? i % 3 : i))); // starts few-distinct, ends many
    same(Float64Array.of(3, -1, 3, 2.5));
    // Counted with -0 apart: only -0 beside negatives and positives, and -0 with +0 among few values.
    same(Float64Array.from({ length: n }, () => [-0, -3, 2, -1e-310][Math.floor(rng() * 4)] ?? 0));
    same(Float64Array.from({ length: n }, () => [-0, 0, -2.5, 7][Math.floor(rng() * 4)] ?? 0));
    // The radix sort (over 32,768 distinct): both zeros, infinities, subnormals, huge and negative values.
    const special = [-0, 0, Infinity, -Infinity, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE];
    same(Float64Array.from({ length: n }, (_, i) => (i % 10 === 0 ? (special[i % 8] ?? 0) : (rng() - 0.5) * 10 ** Math.floor(rng() * 40 - 20))));
    same(Float64Array.from({ length: n }, () => Math.floor(rng() * 1e6) / 100)); // high digits all alike: passes skipped
  });
});

describe("numericSummary", () => {
  it("gives the very doubles simple-statistics gives for mean, std and quartiles", () => {
    const rng = createRng(13);
    for (const n of [1, 2, 3, 4, 5, 10, 101, 5000]) {
      const sorted = Float64Array.from({ length: n }, () => (rng() - 0.3) * 10 ** Math.floor(rng() * 12)).sort();
      const xs = Array.from(sorted);
      const summary = numericSummary(sorted);
      expect(summary).toMatchObject({
        mean: mean(xs),
        std: n > 1 ? sampleStandardDeviation(xs) : 0,
        q1: quantileSorted(xs, 0.25),
        median: quantileSorted(xs, 0.5),
        q3: quantileSorted(xs, 0.75),
        min: xs[0],
        max: xs[n - 1],
      });
    }
    expect(numericSummary(new Float64Array(0))).toBeNull();
  });
});

describe("column builder", () => {
  it("reads a numeric missing token (-999) as missing and other numbers as numbers", async () => {
    const t = await readTable(csv("v,w\n1,a\n-999,b\n2.5,-999\n"), { ...opts, missingTokens: ["", "-999"] });
    expect([0, 1, 2].map((r) => columnValue(column(t, "v"), r))).toEqual([1, null, 2.5]);
    expect(columnValue(column(t, "w"), 2)).toBeNull();
  });

  it("keeps -999 a missing token after a column switched to numbers past 4,096 distinct values", async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i}.25`);
    rows.splice(4500, 0, "-999", " NA ");
    const t = await readTable(csv(`v\n${rows.join("\n")}\n`), { ...opts, missingTokens: ["", "NA", "-999"] });
    const v = column(t, "v");
    expect(v.type).toBe("numeric");
    expect([columnValue(v, 4499), columnValue(v, 4500), columnValue(v, 4501), columnValue(v, 4502)]).toEqual([4499.25, null, null, 4500.25]);
  });

  it("trims every kind of whitespace, ASCII or not, before reading a cell", async () => {
    const t = await readTable(csv("v,c\n 1 ,\u00a0red\u00a0\n\t2,red\n3\u3000,blue\n"), opts);
    expect([0, 1, 2].map((r) => columnValue(column(t, "v"), r))).toEqual([1, 2, 3]);
    const c = column(t, "c");
    expect(c.type === "categorical" && c.dictionary).toEqual(["red", "blue"]);
  });

  it("merges 3,5 and 3.5 into one category in a semicolon file", async () => {
    const t = await readTable(csv("w;x\n3,5;1\n3.5;2\nlight;3\n3,5;4\n"), opts);
    const w = column(t, "w");
    expect(w.type === "categorical" && w.dictionary).toEqual(["3.5", "light"]);
    expect([0, 1, 2, 3].map((r) => columnValue(w, r))).toEqual(["3.5", "3.5", "light", "3.5"]);
  });

  it("reads a file of many chunks the same as its rows say, and counts duplicates across chunks", async () => {
    const rng = createRng(9);
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i % 500},${(rng() * 100).toFixed(2)},${["a", "b", "NA"][i % 3]}`);
    lines.push(lines[10] ?? "", lines[19_999] ?? "");
    const t = await readTable(csv(`k,x,c\n${lines.join("\n")}\n`), opts);
    expect(t.rows).toBe(20_002);
    const [k, x, c] = [column(t, "k"), column(t, "x"), column(t, "c")];
    const mismatched = lines.filter((line, r) => {
      const [kText, xText, cText] = line.split(",");
      return columnValue(k, r) !== Number(kText) || columnValue(x, r) !== Number(xText) || columnValue(c, r) !== (cText === "NA" ? null : cText);
    });
    expect(mismatched).toEqual([]);
    // Reference: rows whose text was seen before (every cell here is written one way only).
    expect(countDuplicateRows(t)).toBe(lines.length - new Set(lines).size);
    expect(countDuplicateRows(t)).toBeGreaterThanOrEqual(2);
  });
});

describe("toRawRow", () => {
  it("keeps a column named __proto__ as an own cell, which the LLM's sample-row text shows", () => {
    const row = toRawRow(["age", "__proto__"], ["41", "yes"]);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row)).toEqual(["age", "__proto__"]);
    expect(Object.getOwnPropertyDescriptor(row, "__proto__")?.value).toBe("yes");
    expect(sampleRowsText([row], { maxRows: 5, maxChars: 1000 })).toBe("age,__proto__\n41,yes");
  });
});
