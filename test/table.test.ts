import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TabtuneError } from "../src/errors.js";
import { TableProfile } from "../src/schemas.js";
import { columnValue, parseNumber, readTable, type Column, type Table } from "../src/table/columns.js";
import { readCsvHeader, readTableSample, streamCsvRows, type CsvOptions } from "../src/table/csv.js";
import { profileTable } from "../src/table/profile.js";
import { readError as readErrorOf } from "./helpers/read-error.js";

const opts: CsvOptions = {
  missingTokens: ["", "NA", "N/A", "n/a", "na", "null", "NULL", "NaN", "nan", "?", "-", "."],
  batchRows: 3,
};
const profileCfg = { topValues: 5, maxClassCardinality: 20, textDistinctRatio: 0.5, sampleRows: 20, targetCloseMargin: 5 };
const dir = mkdtempSync(join(tmpdir(), "tabtune-table-"));
let fileNo = 0;

/** Writes `text` to a fresh temp file and returns its path. */
function csv(text: string): string {
  const path = join(dir, `t${++fileNo}.csv`);
  writeFileSync(path, text);
  return path;
}

/** Every error says what to do. */
async function readError(path: string): Promise<TabtuneError> {
  const error = await readErrorOf(path, opts);
  expect(error.suggestion).toBeTruthy();
  return error;
}

function column(table: Table, name: string): Column {
  const found = table.columns.find((c) => c.name === name);
  if (!found) throw new Error(`no column ${name}`);
  return found;
}

describe("reading errors", () => {
  it("names a missing file", async () => {
    const e = await readError(join(dir, "nope.csv"));
    expect(e.code).toBe("csv_missing");
    expect(e.message).toContain("nope.csv");
  });

  it("rejects an empty file and a blank-lines-only file", async () => {
    expect((await readError(csv(""))).code).toBe("csv_empty");
    expect((await readError(csv("\n\n  \n"))).code).toBe("csv_empty");
  });

  it("rejects a header without data rows", async () => {
    const path = csv("a,b,c\n\n");
    const e = await readError(path);
    expect(e.code).toBe("csv_header_only");
    expect(e.message).toContain(path);
  });

  it("rejects duplicate and empty header names, naming the columns", async () => {
    const dup = await readError(csv("a,b,a\n1,2,3\n"));
    expect(dup.code).toBe("csv_header_duplicate");
    expect(dup.message).toMatch(/line 1: column name "a" appears twice \(columns 1 and 3\)/);
    const empty = await readError(csv("a,,c\n1,2,3\n"));
    expect(empty.code).toBe("csv_header_empty_name");
    expect(empty.message).toMatch(/line 1: column 2 of the header has no name/);
  });

  it("names the line of a ragged row (too many and too few fields)", async () => {
    const many = await readError(csv("a,b\n1,2\n3,4\n5,6,7\n"));
    expect(many.code).toBe("csv_ragged_row");
    expect(many.message).toMatch(/line 4 has 3 fields, the header has 2/);
    const few = await readError(csv("a,b,c\n1,2,3\n4,5\n"));
    expect(few.message).toMatch(/line 3 has 2 fields, the header has 3/);
  });

  it("counts lines inside quoted values and blank lines when naming a line", async () => {
    const e = await readError(csv('a,b\n1,"two\nlines"\n\n3,4\n5\n'));
    expect(e.message).toMatch(/line 6 has 1 field, the header has 2/);
  });

  it("rejects an unterminated quote", async () => {
    const e = await readError(csv('a,b\n1,2\n3,"oops\n5,6\n'));
    expect(e.code).toBe("csv_unterminated_quote");
    expect(e.message).toMatch(/line 3: a quoted value is never closed/);
  });

  it("rejects a malformed closing quote", async () => {
    const e = await readError(csv('a,b\n1,"x"y\n'));
    expect(e.code).toBe("csv_malformed_quote");
    expect(e.message).toMatch(/line 2/);
  });
});

describe("streaming rows", () => {
  it("trims cells, maps missing tokens to null, batches with first lines", async () => {
    const path = csv('\uFEFFid , name,score\r\n1, Ann ,3.5\r\n2,"Bo, Jr.",NA\r\n\r\n3,.,?\r\n4,"multi\r\nline",1\r\n5,Eve,2\r\n');
    const batches: { rows: number; firstLine: number }[] = [];
    const all = [];
    for await (const batch of streamCsvRows(path, opts)) {
      batches.push({ rows: batch.rows.length, firstLine: batch.firstLine });
      all.push(...batch.rows);
    }
    expect(batches).toEqual([
      { rows: 3, firstLine: 2 },
      { rows: 2, firstLine: 6 },
    ]);
    expect(all[0]).toEqual({ id: "1", name: "Ann", score: "3.5" });
    expect(all[1]).toEqual({ id: "2", name: "Bo, Jr.", score: null });
    expect(all[2]).toEqual({ id: "3", name: null, score: null });
    expect(all[3]?.name).toBe("multi\r\nline");
    expect(all[4]).toEqual({ id: "5", name: "Eve", score: "2" });
  });

  it("reads the header and a sample without reading the whole file", async () => {
    const path = csv("x,y\n1,a\n2,b\n3,c\n");
    expect(await readCsvHeader(path)).toEqual(["x", "y"]);
    expect(await readTableSample(path, opts, 2)).toEqual([
      { x: "1", y: "a" },
      { x: "2", y: "b" },
    ]);
  });

  it("reads semicolon- and tab-separated files", async () => {
    const t = await readTable(csv("a;b\n1;x\n2;y\n"), opts);
    expect(t.columns.map((c) => c.type)).toEqual(["numeric", "categorical"]);
    expect(await readCsvHeader(csv("a\tb\n1\t2\n"))).toEqual(["a", "b"]);
  });
});

describe("typed columns", () => {
  it("reads penguins: Species categorical, Beak Length numeric with NaN, '.' in Sex missing", async () => {
    const path = "test/fixtures/penguins.csv";
    const t = await readTable(path, opts);
    expect(t.rows).toBe(344);
    expect(t.sha256).toBe(createHash("sha256").update(readFileSync(path)).digest("hex"));
    const species = column(t, "Species");
    expect(species.type).toBe("categorical");
    if (species.type === "categorical") expect([...species.dictionary].sort()).toEqual(["Adelie", "Chinstrap", "Gentoo"]);
    const beak = column(t, "Beak Length (mm)");
    expect(beak.type).toBe("numeric");
    if (beak.type === "numeric") {
      expect(beak.allIntegers).toBe(false);
      expect(beak.values[0]).toBe(39.1);
      expect(Number.isNaN(beak.values[3])).toBe(true);
      expect(beak.values.filter((v) => Number.isNaN(v)).length).toBe(2);
    }
    expect(columnValue(beak, 3)).toBeNull();
    const sex = column(t, "Sex");
    expect(sex.type === "categorical" && [...sex.dictionary].sort()).toEqual(["FEMALE", "MALE"]);
    // 10 empty cells and one literal "." (python csv module count)
    expect(sex.type === "categorical" && sex.codes.filter((c) => c < 0).length).toBe(11);
    expect(column(t, "Body Mass (g)").type === "numeric" && column(t, "Body Mass (g)")).toMatchObject({ allIntegers: true });
  });

  it("keeps Ames' literal None as a category, not a missing value", async () => {
    const t = await readTable("examples/ames.csv", opts);
    const masVnr = column(t, "Mas_Vnr_Type");
    expect(masVnr.type).toBe("categorical");
    if (masVnr.type === "categorical") {
      expect(masVnr.dictionary).toContain("None");
      expect(masVnr.codes.every((c) => c >= 0)).toBe(true);
    }
  });

  it("keeps high-cardinality numbers out of the dictionary and still reads later text", async () => {
    const many = Array.from({ length: 6000 }, (_, i) => `${i}.5`);
    const numeric = await readTable(csv(`v\n${many.join("\n")}\n`), opts);
    const v = column(numeric, "v");
    expect(v.type === "numeric" && v.values[5999]).toBe(5999.5);
    const mixed = await readTable(csv(`v\n${many.join("\n")}\nNA\ntext\n`), opts);
    const m = column(mixed, "v");
    expect(m.type).toBe("categorical");
    expect([columnValue(m, 0), columnValue(m, 6000), columnValue(m, 6001)]).toEqual(["0.5", null, "text"]);
  });

  it("reads only decimal notation as numbers", () => {
    expect([parseNumber("1e3"), parseNumber("-.5"), parseNumber("007")]).toEqual([1000, -0.5, 7]);
    expect([parseNumber("0x1F"), parseNumber("Infinity"), parseNumber("1,000"), parseNumber("")].every(Number.isNaN)).toBe(true);
  });
});

describe("profile", () => {
  it("computes missing, distinct, top values and the numeric summary of a tiny table", async () => {
    const path = csv(
      ["x,c,k", "2,a,1", "4,b,1", "4,a,1", "5,,1", "7,a,1", "9,b,1", "40,c,1", ",a,1", "2,a,1"].join("\n") + "\n",
    );
    const t = await readTable(path, opts);
    const p = profileTable(t, profileCfg, await readTableSample(path, opts, 3));
    expect(TableProfile.parse(p)).toEqual(p);
    const [x, c] = p.columns;
    expect(x).toMatchObject({ kind: "integer", missing: 1, distinct: 6 });
    expect(x?.missingRate).toBeCloseTo(1 / 9, 12);
    // Reference: numpy 2.4.6 on [2, 2, 4, 4, 5, 7, 9, 40]: mean, median, std(ddof=1), percentile(25/75, linear)
    expect(x?.numeric?.mean).toBeCloseTo(9.125, 12);
    expect(x?.numeric?.median).toBeCloseTo(4.5, 12);
    expect(x?.numeric?.std).toBeCloseTo(12.699128204048383, 10);
    expect(x?.numeric).toMatchObject({ min: 2, max: 40, q1: 3.5, q3: 7.5, outliers: 1 });
    expect(c).toMatchObject({ kind: "categorical", missing: 1, distinct: 3 });
    expect(c?.topValues).toEqual([
      { value: "a", count: 5 },
      { value: "b", count: 2 },
      { value: "c", count: 1 },
    ]);
    expect(c?.numeric).toBeNull();
    expect(p.constantColumns).toEqual(["k"]);
    expect(p.duplicateRows).toBe(1); // the last row repeats the first
    expect(p.sample).toHaveLength(3);
  });

  it("counts duplicate rows across numeric, categorical and missing cells", async () => {
    const t = await readTable(csv("a,b\n1,x\n1,x\n,y\n,y\n1,y\n1,x\n"), opts);
    expect(profileTable(t, profileCfg, []).duplicateRows).toBe(3);
  });

  it("finds the 2 duplicate rows of credit_data (reference: python csv module, cells trimmed)", async () => {
    const t = await readTable("examples/credit_data.csv", opts);
    expect(profileTable(t, profileCfg, []).duplicateRows).toBe(2);
  });

  it("tells identifiers, booleans, dates, text, integers and categories apart", async () => {
    const lines = ["row,customer_id,flag,when,note,level,code,amount"];
    for (let i = 0; i < 30; i++)
      lines.push(
        [
          i + 1,
          `C${1000 + i * 7}`,
          i % 2 ? "yes" : "no",
          `2024-01-${String(1 + (i % 28)).padStart(2, "0")}`,
          `"free text number ${i} about things"`,
          ["low", "mid", "high"][i % 3],
          `K${i * 13}`,
          (i * 1.5).toFixed(1),
        ].join(","),
      );
    const t = await readTable(csv(lines.join("\n") + "\n"), opts);
    const kinds = Object.fromEntries(profileTable(t, profileCfg, []).columns.map((c) => [c.name, c.kind]));
    expect(kinds).toEqual({
      row: "identifier",
      customer_id: "identifier",
      flag: "boolean",
      when: "datetime",
      note: "text",
      level: "categorical",
      code: "identifier",
      amount: "numeric",
    });
  });

  it("profiles the real datasets' kinds", async () => {
    const t = await readTable("test/fixtures/seattle_weather.csv", opts);
    const p = profileTable(t, profileCfg, []);
    expect(p.columns.map((c) => c.kind)).toEqual(["datetime", "numeric", "numeric", "numeric", "numeric", "categorical"]);
    const digits = profileTable(await readTable("test/fixtures/digits.csv", opts), profileCfg, []);
    expect(digits.constantColumns).toEqual(["pixel_0_0", "pixel_4_0", "pixel_4_7"]);
  });
});
