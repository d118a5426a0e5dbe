/** Reading real-world CSVs: delimiters, byte-order marks, line endings, decimal commas, encodings. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TabtuneError } from "../src/errors.js";
import { columnValue, decimalCommaToDot, readTable, type Column, type Table } from "../src/table/columns.js";
import { readCsvHeader, readTableSample, streamCsvRows, type CsvOptions } from "../src/table/csv.js";
import { guessDelimiter } from "../src/table/records.js";
import { readError as readErrorOf } from "./helpers/read-error.js";

const opts: CsvOptions = { missingTokens: ["", "NA", "?"], batchRows: 100 };
const dir = mkdtempSync(join(tmpdir(), "tabtune-reading-"));
let fileNo = 0;

function csv(content: string | Buffer): string {
  const path = join(dir, `r${++fileNo}.csv`);
  writeFileSync(path, content);
  return path;
}

function column(table: Table, name: string): Column {
  const found = table.columns.find((c) => c.name === name);
  if (!found) throw new Error(`no column ${name} in ${table.columns.map((c) => c.name).join(", ")}`);
  return found;
}

/** Every error names the file and says what to do. */
async function readError(path: string): Promise<TabtuneError> {
  const error = await readErrorOf(path, opts);
  expect(error.message).toContain(path);
  expect(error.suggestion).toBeTruthy();
  return error;
}

describe("delimiter detection", () => {
  it("counts candidates outside quotes and prefers the one consistent on every line", () => {
    expect(guessDelimiter("a,b,c\n1,2,3\n")).toBe(",");
    expect(guessDelimiter("a;b;c\n1,5;2;3\n")).toBe(";");
    expect(guessDelimiter("a\tb\n1\t2\n")).toBe("\t");
    expect(guessDelimiter("a|b|c\n1|2|3\n")).toBe("|");
    // Commas inside quotes do not count; the header has one ";" on every line.
    expect(guessDelimiter('"x, y";z\n"1,2,3";4\n')).toBe(";");
    // A header with one comma and two semicolons, where only ";" is consistent.
    expect(guessDelimiter("a;b,c;d\n1;2;3\n4;5;6\n")).toBe(";");
    // One column: no candidate in the header.
    expect(guessDelimiter("value\n1\n2\n")).toBe(",");
  });

  it("reads pipe-separated and tab-separated files into typed columns", async () => {
    const t = await readTable(csv("id|name|score\n1|a|2.5\n2|b|3\n"), opts);
    expect(t.columns.map((c) => [c.name, c.type])).toEqual([
      ["id", "numeric"],
      ["name", "categorical"],
      ["score", "numeric"],
    ]);
    expect(await readCsvHeader(csv("x\ty\tz\n1\t2\t3\n"))).toEqual(["x", "y", "z"]);
  });
});

describe("byte-order marks, line endings and quotes", () => {
  it("drops a UTF-8 BOM, also before a quoted first header name", async () => {
    const t = await readTable(csv('\uFEFF"id","label"\r\n1,yes\r\n2,no\r\n'), opts);
    expect(t.columns.map((c) => c.name)).toEqual(["id", "label"]);
    expect(t.rows).toBe(2);
  });

  it("keeps quoted newlines (\\n and \\r\\n) and quoted delimiters inside one value", async () => {
    const path = csv('a;b\r\n1;"line one\r\nline two; still b"\r\n2;"x ""quoted"" y"\r\n');
    const rows = [];
    for await (const batch of streamCsvRows(path, opts)) rows.push(...batch.rows);
    expect(rows).toEqual([
      { a: "1", b: "line one\r\nline two; still b" },
      { a: "2", b: 'x "quoted" y' },
    ]);
  });

  it("reads old Mac \\r line endings", async () => {
    const t = await readTable(csv("a,b\r1,2\r3,4\r"), opts);
    expect(t.rows).toBe(2);
    expect(columnValue(column(t, "b"), 1)).toBe(4);
  });
});

describe("decimal commas", () => {
  it("converts only numbers written with a decimal comma", () => {
    expect(["3,5", "-0,25", ",5", "1,5e3", "1,000,000", "a,b", "1.234,5", "7"].map(decimalCommaToDot)).toEqual([
      "3.5", "-0.25", ".5", "1.5e3", "1,000,000", "a,b", "1.234,5", "7",
    ]);
  });

  it("reads 3,5 as 3.5 in a semicolon file, in columns and in streamed rows", async () => {
    const path = csv("weight;city;count\n3,5;Köln;2\n-0,25;Lyon;NA\n10;Graz;4\n");
    const t = await readTable(path, opts);
    const weight = column(t, "weight");
    expect(weight.type).toBe("numeric");
    expect([0, 1, 2].map((r) => columnValue(weight, r))).toEqual([3.5, -0.25, 10]);
    expect(columnValue(column(t, "city"), 0)).toBe("Köln");
    expect((await readTableSample(path, opts, 1))[0]).toEqual({ weight: "3.5", city: "Köln", count: "2" });
  });

  it("leaves commas alone in comma files and when decimalComma is off", async () => {
    const off = await readTable(csv("w;x\n3,5;1\n4,5;2\n"), { ...opts, decimalComma: false });
    expect(column(off, "w").type).toBe("categorical");
    const comma = await readTable(csv('w,x\n"3,5",1\n"4,5",2\n'), opts);
    expect(column(comma, "w").type).toBe("categorical");
  });
});

describe("encodings", () => {
  it("rejects Latin-1 bytes with the line, the field and how to convert", async () => {
    const latin1 = Buffer.concat([Buffer.from("name,city\nAnn,Paris\nBo,K"), Buffer.from([0xf6]), Buffer.from("ln\n")]);
    const e = await readError(csv(latin1));
    expect(e.code).toBe("csv_encoding");
    expect(e.message).toMatch(/line 3, field 2: bytes that are not UTF-8/);
    expect(e.suggestion).toContain("UTF-8");
  });

  it("counts lines inside quoted values when naming the bad line", async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n1,"x\ny"\n2,'), Buffer.from([0xe9]), Buffer.from("\n")]);
    expect((await readError(csv(bytes))).message).toMatch(/line 4, field 2/);
  });

  it("accepts a real U+FFFD character written in UTF-8", async () => {
    const t = await readTable(csv("a,b\n1,\uFFFD\n2,ok\n"), opts);
    expect(columnValue(column(t, "b"), 0)).toBe("\uFFFD");
  });

  it("rejects UTF-16 with a clear message", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("a,b\n1,2\n", "utf16le")]);
    const e = await readError(csv(utf16));
    expect(e.code).toBe("csv_encoding");
    expect(e.message).toContain("UTF-16");
  });
});

describe("type inference on small tables", () => {
  it("reads integers, floats, booleans and text as typed columns with missing tokens", async () => {
    const t = await readTable(csv("i,f,b,t\n1,1.5,yes,a\n2,NA,no,b\n?,2.5e1,yes,\n"), opts);
    const i = column(t, "i");
    expect(i.type === "numeric" && i.allIntegers).toBe(true);
    expect([0, 1, 2].map((r) => columnValue(i, r))).toEqual([1, 2, null]);
    expect([0, 1, 2].map((r) => columnValue(column(t, "f"), r))).toEqual([1.5, null, 25]);
    expect(column(t, "b").type).toBe("categorical");
    expect(columnValue(column(t, "t"), 2)).toBeNull();
  });
});
