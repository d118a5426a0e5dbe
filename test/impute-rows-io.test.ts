/**
 * The imputation's fast paths give what the plain ones gave: the median by selection (numpy's
 * median, as kernel.medianSorted of the sorted values), and writeImputed's rows edited as text
 * (what JSON.stringify of the parsed, filled row writes, byte for byte).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { medianSorted } from "../src/stats/kernel.js";
import { buildColumn, type Frame } from "../src/stats/imputation/frame.js";
import { cellValue, spliceCell, writeImputed, type Cell } from "../src/stats/imputation/rows-io.js";
import { applySimple, fitSimple, medianInPlace } from "../src/stats/imputation/simple.js";
import { createRng } from "../src/stats/random.js";

describe("medianInPlace", () => {
  it("matches numpy.median (test/fixtures/reference/impute-median.py)", () => {
    expect(medianInPlace(Float64Array.of(4, 1, 3, 2))).toBe(2.5);
    expect(medianInPlace(Float64Array.of(5, 3, 1, 4, 2))).toBe(3);
    expect(medianInPlace(Float64Array.of(2, 2, 2, 1, 3, 3))).toBe(2);
    expect(medianInPlace(Float64Array.of(0.1, -7.5, 3.25, 3.25, 1e-3, 9, 9, 9))).toBe(3.25);
    expect(medianInPlace(Float64Array.of(-0, 0, -1)) === 0).toBe(true); // numpy: 0.0 (either zero)
    expect(medianInPlace(new Float64Array())).toBeNaN();
    expect(medianInPlace(Float64Array.of(7))).toBe(7);
  });

  it("is medianSorted of the sorted values on random arrays, with many ties and none", () => {
    const rng = createRng(5);
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rng() * 3000);
      const levels = t % 2 === 0 ? 1 + Math.floor(rng() * 12) : 0;
      const values = Float64Array.from({ length: n }, () => (levels > 0 ? Math.floor(rng() * levels) : rng() * 200 - 100));
      expect(medianInPlace(values.slice())).toBe(medianSorted(values.slice().sort()));
    }
  });
});

describe("applySimple with only some columns", () => {
  it("fills and copies those columns, leaves the others the input's own", () => {
    const frame: Frame = { rows: 3, columns: [buildColumn("a", "numeric", [1, null, 3]), buildColumn("b", "categorical", ["x", null, "x"])] };
    const fills = fitSimple(frame, "median");
    const out = applySimple(frame, fills, [0]);
    expect(out.columns[0]).toMatchObject({ values: Float64Array.of(1, 2, 3) });
    expect(out.columns[1]).toBe(frame.columns[1]);
    expect(frame.columns[0]).toMatchObject({ values: Float64Array.of(1, Number.NaN, 3) });
    expect(applySimple(frame, fills).columns.map((c) => c.type === "categorical" && c.codes[1])).toEqual([false, 0]);
  });
});

const dir = mkdtempSync(join(tmpdir(), "tabtune-rows-io-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** writeImputed before its text path: every row parsed, filled and stringified (the reference). */
function reference(lines: string[], frame: Frame, columns: number[], kinds: Map<string, string>): { text: string; filled: [string, number][] } {
  const filled = new Map<string, number>();
  const out = lines.map((line, i) => {
    const row = JSON.parse(line) as Record<string, Cell | undefined>;
    for (const j of columns) {
      const name = frame.columns[j]!.name;
      if (row[name] !== null && row[name] !== undefined && row[name] !== "") continue;
      const value = cellValue(frame, j, i, kinds.get(name));
      if (value === null) continue;
      row[name] = value;
      filled.set(name, (filled.get(name) ?? 0) + 1);
    }
    return JSON.stringify(row) + "\n";
  });
  return { text: out.join(""), filled: [...filled] };
}

describe("writeImputed", () => {
  it("spliceCell sets a null or empty cell, keeps a present one, and gives up on an absent key", () => {
    expect(spliceCell('{"a":null,"b":1}', '"a":', "2.5")).toBe('{"a":2.5,"b":1}');
    expect(spliceCell('{"b":1,"a":""}', '"a":', '"x"')).toBe('{"b":1,"a":"x"}');
    expect(spliceCell('{"a":"null","b":1}', '"a":', "3")).toBe('{"a":"null","b":1}');
    expect(spliceCell('{"x\\"a":null,"a":null}', '"a":', "3")).toBe('{"x\\"a":null,"a":3}');
    expect(spliceCell('{"b":"\\"a\\":null"}', '"a":', "3")).toBeNull();
  });

  it("writes, byte for byte, what parsing, filling and stringifying every row wrote", async () => {
    const rng = createRng(8);
    const texts = ['plain', 'with "quotes"', 'a,"n":null,b', '{brace}', "[bracket]", "é ✓ \u2028", 'back\\slash', "", "null"];
    const names = ["n", "c", "1", 'q"uote', "i"];
    // Rows as the run writes them (JSON.stringify), some cells null, "" or absent, and a numeric cell that is no number.
    const rows = Array.from({ length: 400 }, () => {
      const row: Record<string, Cell> = {};
      const pick = () => rng();
      if (pick() > 0.05) row.n = pick() < 0.2 ? null : pick() < 0.05 ? "oops" : Math.round(pick() * 1000) / 10;
      row.c = pick() < 0.2 ? (pick() < 0.5 ? null : "") : texts[Math.floor(pick() * texts.length)]!;
      row["1"] = pick() < 0.2 ? null : Math.floor(pick() * 5);
      row['q"uote'] = pick() < 0.2 ? null : pick() < 0.5;
      row.i = pick() < 0.2 ? null : Math.floor(pick() * 50);
      row.note = texts[Math.floor(pick() * texts.length)]!;
      return row;
    });
    const cellsOf = (name: string) => rows.map((r) => (r[name] === undefined || r[name] === "" ? null : r[name]!));
    const original: Frame = {
      rows: rows.length,
      columns: [
        buildColumn("n", "numeric", cellsOf("n")),
        buildColumn("c", "categorical", cellsOf("c")),
        buildColumn("1", "numeric", cellsOf("1")),
        buildColumn('q"uote', "categorical", cellsOf('q"uote').map((v) => (v === null ? null : String(v)))),
        buildColumn("i", "numeric", cellsOf("i")),
      ],
    };
    const imputed = applySimple(original, fitSimple(original, "mean"));
    const kinds = new Map([["n", "numeric"], ["c", "categorical"], ["1", "integer"], ['q"uote', "boolean"], ["i", "integer"]]);
    const columns = [0, 1, 2, 3, 4];
    expect(names.every((n) => original.columns.some((c) => c.name === n))).toBe(true);
    const canonical = rows.map((r) => JSON.stringify(r));
    // A file written by something else (spaced JSON) is parsed throughout: the output is still the reference.
    const spaced = rows.map((r) => JSON.stringify(r, null, 1).replace(/\n/g, ""));
    for (const lines of [canonical, spaced]) {
      const from = join(dir, "from.jsonl");
      const to = join(dir, "to.jsonl");
      writeFileSync(from, lines.join("\n") + "\n");
      const filled = new Map<string, number>();
      const ref = await writeImputed(from, to, imputed, columns, kinds, filled, original);
      const want = reference(lines, imputed, columns, kinds);
      expect(readFileSync(to, "utf8")).toBe(want.text);
      expect([...filled]).toEqual(want.filled);
      expect(ref.rows).toBe(rows.length);
    }
  });
});
