/**
 * Columns start as numbers (src/table/column-builder.ts "early" mode) and go back to codes
 * on the first text cell. The result must be the very table the plain path gives: codes from
 * the first cell, numbers past 4,096 distinct all-numeric entries, String(value) texts when
 * a column that switched to numbers meets text. `plainColumn` below is that plain path,
 * written out as it was before the early mode, and every column of the random files must
 * come out equal to it: type, each value (Object.is: -0 and NaN), codes and dictionary.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRng } from "../src/stats/random.js";
import { canonicalNumber, columnValue, parseNumber, readTable, type Column } from "../src/table/columns.js";

const dir = mkdtempSync(join(tmpdir(), "tabtune-early-"));
let fileNo = 0;
function csv(text: string): string {
  const path = join(dir, `f${++fileNo}.csv`);
  writeFileSync(path, text);
  return path;
}

/** The plain path for one column of trimmed cells (comma files: no decimal commas). */
function plainColumn(cells: string[], missing: ReadonlySet<string>): { type: "numeric"; values: number[] } | { type: "categorical"; codes: number[]; dictionary: string[] } {
  const numericTokens = [...missing].some((t) => !Number.isNaN(parseNumber(t.trim())));
  let mode: "codes" | "numbers" = "codes";
  let dictionary: string[] = [];
  let dictNumbers: number[] = [];
  let lookup = new Map<string, number>([...missing].map((t) => [t, -1]));
  let allNumeric = true;
  let codes: number[] = [];
  let values: number[] = [];
  for (const cell of cells) {
    if (mode === "numbers") {
      const n = numericTokens && missing.has(cell) ? NaN : parseNumber(cell);
      if (!Number.isNaN(n) || missing.has(cell)) {
        values.push(n);
        continue;
      }
      // Text after numbers: earlier numbers become codes as String(value).
      dictionary = [];
      dictNumbers = [];
      lookup = new Map([...missing].map((t) => [t, -1]));
      const byNumber = new Map<string, number>();
      codes = values.map((v) => {
        if (Number.isNaN(v)) return -1;
        const text = String(v);
        let code = byNumber.get(text);
        if (code === undefined) {
          code = dictionary.length;
          dictionary.push(text);
          dictNumbers.push(v);
          byNumber.set(text, code);
          if (!lookup.has(text)) lookup.set(text, code);
        }
        return code;
      });
      values = [];
      mode = "codes";
      allNumeric = true;
    }
    let code = lookup.get(cell);
    if (code === undefined) {
      code = dictionary.length;
      dictionary.push(cell);
      lookup.set(cell, code);
      const n = parseNumber(cell);
      dictNumbers.push(n);
      if (Number.isNaN(n)) allNumeric = false;
    }
    codes.push(code);
    if (allNumeric && dictionary.length > 4096) {
      values = codes.map((c) => (c < 0 ? NaN : (dictNumbers[c] ?? NaN)));
      codes = [];
      mode = "numbers";
    }
  }
  if (mode === "numbers") return { type: "numeric", values };
  if (allNumeric && dictionary.length > 0) return { type: "numeric", values: codes.map((c) => (c < 0 ? NaN : (dictNumbers[c] ?? NaN))) };
  return { type: "categorical", codes, dictionary };
}

function same(got: Column, want: ReturnType<typeof plainColumn>): string | null {
  if (got.type !== want.type) return `type ${got.type}, plain ${want.type}`;
  if (got.type === "numeric" && want.type === "numeric") {
    const at = want.values.findIndex((v, i) => !Object.is(v, got.values[i]));
    return got.values.length !== want.values.length ? "length" : at >= 0 ? `row ${at}: ${got.values[at]} vs ${want.values[at]}` : null;
  }
  if (got.type === "categorical" && want.type === "categorical") {
    if (JSON.stringify(got.dictionary) !== JSON.stringify(want.dictionary)) return `dictionary ${got.dictionary.slice(0, 8).join("|")} vs ${want.dictionary.slice(0, 8).join("|")}`;
    const at = want.codes.findIndex((c, i) => c !== got.codes[i]);
    return got.codes.length !== want.codes.length ? "length" : at >= 0 ? `code at row ${at}` : null;
  }
  return "unreachable";
}

/** Cell makers, each a column of a random file: spellings, missing tokens, late text, many distinct values. */
function makers(rows: number, rng: () => number): Record<string, (r: number) => string> {
  const textAt = Math.floor(rng() * rows);
  return {
    ints: () => String(Math.floor(rng() * 70)),
    fixed2: () => (rng() * 100).toFixed(2), // "12.50": trailing zeros, exceptions in early mode
    tenths: () => (Math.floor(rng() * 5) / 10).toFixed(2), // mostly non-canonical, few distinct
    lateText: (r) => (r === textAt ? "n/a" : (rng() * 10).toFixed(1)),
    lateTextMany: (r) => (r === rows - 3 ? "unknown" : (rng() * 1e4).toFixed(3)), // past 4,096 distinct first
    lateTextFew: (r) => (r === rows - 3 ? "unknown" : ["1", "1.0", "01", "+1", "2", ".5", "0.5", "-0", "0", "1e3"][Math.floor(rng() * 10)] ?? ""),
    tokens: () => (rng() < 0.1 ? "-999" : rng() < 0.1 ? "NA" : rng() < 0.1 ? "" : String(Math.floor(rng() * 9000))),
    early: (r) => (r < 3 ? "x" : String(r)), // text first
    allMissing: () => (rng() < 0.5 ? "" : "NA"),
    tiny: () => (rng() < 0.5 ? "0.000001" : rng() < 0.5 ? "0.0000001" : "1e-7"),
    padded: () => ` ${Math.floor(rng() * 5)} `,
    manyExceptions: (r) => (r === rows - 2 ? "zz" : `${(rng() * 1e4).toFixed(2)}0`), // past 4,096 distinct spellings, then text
  };
}

describe("early numeric columns", () => {
  it("reads every column as the plain path does (random files, 9,000 and 300 rows)", async () => {
    const missing = new Set(["", "NA", "-999"]);
    for (const [rows, seed] of [[9000, 1], [300, 2], [9000, 3]] as const) {
      const rng = createRng(seed);
      const make = makers(rows, rng);
      const names = Object.keys(make);
      const cells = names.map(() => [] as string[]);
      const lines = [names.join(",")];
      for (let r = 0; r < rows; r++) {
        const row = names.map((name, c) => {
          const cell = make[name]?.(r) ?? "";
          cells[c]?.push(cell.trim());
          return cell;
        });
        lines.push(row.join(","));
      }
      const table = await readTable(csv(`${lines.join("\n")}\n`), { missingTokens: [...missing], batchRows: 1000 });
      const differ = names.map((name, c) => [name, same(table.columns[c] as Column, plainColumn(cells[c] ?? [], missing))]).filter(([, d]) => d !== null);
      expect(differ).toEqual([]);
    }
  });

  it("keeps the exact spellings when a numeric column meets text after 600 rows (the switch back)", async () => {
    const values = Array.from({ length: 600 }, (_, i) => (i % 7 === 0 ? `${i}.50` : String(i / 4)));
    const t = await readTable(csv(`v,w\n${values.map((v, i) => `${v},${i}`).join("\n")}\nlate,600\n0.5,601\n`), { missingTokens: [""], batchRows: 100 });
    const v = t.columns[0] as Column;
    expect(v.type).toBe("categorical");
    // Rows 0 and 7 are written "0.50" and "7.50", not as String() writes the number.
    expect([0, 1, 7, 600, 601].map((r) => columnValue(v, r))).toEqual(["0.50", "0.25", "7.50", "late", "0.5"]);
    expect(t.columns[1]?.type).toBe("numeric");
  });

  it("canonicalNumber accepts only cells spelled as String() writes their number", () => {
    const rng = createRng(4);
    const cells = ["0", "-0", "00", "0.5", ".5", "5.", "1.50", "-12.25", "+3", "0.000001", "0.0000001", "123456789012345", "1234567890123456", "1e3", "", "-"];
    for (let i = 0; i < 50_000; i++) cells.push(((rng() - 0.5) * 10 ** Math.floor(rng() * 12)).toFixed(Math.floor(rng() * 8)));
    const wrong = cells.filter((cell) => {
      const n = canonicalNumber(cell);
      return Number.isNaN(n) ? false : String(n) !== cell || !Object.is(n, Number(cell));
    });
    expect(wrong).toEqual([]);
    expect(cells.filter((c) => !Number.isNaN(canonicalNumber(c))).length).toBeGreaterThan(20_000);
  });
});
