/**
 * What a user reads when an input is wrong: a bad flag value, a CSV that is compressed,
 * UTF-16, holds NUL bytes, an over-long line or mixed line ends; and what a spreadsheet
 * sees in the CSV files tabtune writes. Every message is one line naming the flag or the
 * file and line. Files are generated here, in a temporary folder.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import { TabtuneError } from "../src/errors.js";
import { setQuiet } from "../src/log.js";
import { paths } from "../src/paths.js";
import type { State } from "../src/state.js";
import { readTable } from "../src/table/columns.js";
import { csvCell, fromSpreadsheetSafe, spreadsheetSafe } from "../src/table/csv-out.js";
import { streamCsvRows, type CsvOptions } from "../src/table/csv.js";
import { graphSetup } from "./helpers/graph.js";
import { ROOT, runCli, tempDir } from "./helpers/cli.js";
import { readError as readErrorOf } from "./helpers/read-error.js";

beforeAll(() => setQuiet(true));

const CREDIT = join(ROOT, "examples/credit_data.csv");
const dir = tempDir("tabtune-messages-");
let fileNo = 0;
function file(content: string | Buffer, name = `m${++fileNo}.csv`): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The CLI's stderr as lines; every failure below must be exactly one. */
function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "");
}

describe("a bad flag value is one line naming the flag and what it accepts", () => {
  it.each([
    [["--seed", "1.5"], /--seed must be a whole number, got "1\.5"/],
    [["--epochs", "-3"], /--epochs must be a number greater than 0, got "-3"/],
    // Passes commander (any text), caught by the options schema: flattened, not a zod dump.
    [["--model="], /--model must not be empty, got ""/],
  ])("%s", (flag, expected) => {
    const result = runCli(["--csv", CREDIT, "--output", join(dir, "never"), "--yes", ...flag]);
    expect(result.code).toBe(1);
    const lines = errorLines(result.stderr);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
    expect(lines[0]).toMatch(/tabtune --help/);
  });
});

const opts: CsvOptions = { missingTokens: ["", "NA"], batchRows: 100 };

/** Every diagnosis names the file and a line. */
async function readError(path: string): Promise<TabtuneError> {
  const error = await readErrorOf(path, opts);
  expect(error.message).toContain(path);
  expect(error.message).toMatch(/line \d+/);
  return error;
}

describe("CSV diagnoses name the file, the line and the fix", () => {
  it("a gzip file is told to gunzip, not to iconv; a ZIP (.xlsx) file is named as one", async () => {
    const e = await readError(file(gzipSync(Buffer.from("a,b\n1,2\n3,4\n"))));
    expect(e.code).toBe("csv_compressed");
    expect(e.message).toMatch(/is gzip-compressed/);
    expect(e.suggestion).toMatch(/gunzip it first/);
    expect(e.suggestion).not.toMatch(/latin1/);
    const zip = await readError(file(Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60)])));
    expect(zip.message).toMatch(/is a ZIP archive/);
  });

  it("UTF-16 with a byte-order mark, either order, and without one, is told iconv -f UTF-16", async () => {
    const text = "name,city\nAnn,Paris\nBo,Köln\nCy,Oslo\n";
    const le = await readError(file(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")])));
    const be = await readError(file(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()])));
    const bare = await readError(file(Buffer.from(text, "utf16le")));
    for (const e of [le, be, bare]) {
      expect(e.code).toBe("csv_encoding");
      expect(e.message).toMatch(/is UTF-16/);
      expect(e.suggestion).toMatch(/iconv -f UTF-16(LE)? -t UTF-8/);
      expect(e.suggestion).not.toMatch(/latin1/);
    }
    expect(bare.suggestion).toMatch(/UTF-16LE/);
  });

  it("a NUL byte inside a UTF-8 file is an error naming its line and field, not training text", async () => {
    const e = await readError(file('id,text\n1,fine\n2,"two\nlines"\n3,bad\u0000byte\n'));
    expect(e.code).toBe("csv_nul_byte");
    expect(e.message).toMatch(/line 5, field 2: a NUL byte/);
  });

  it("files mixing CRLF and LF lines read, with quoted line ends kept and no stray \\r", async () => {
    const path = file('id,note,score\r\n1,plain,3\n2,"a\r\nb",4\r\n3,"x",5\n4,last,6');
    const rows = [];
    for await (const batch of streamCsvRows(path, opts)) rows.push(...batch.rows);
    expect(rows).toEqual([
      { id: "1", note: "plain", score: "3" },
      { id: "2", note: "a\r\nb", score: "4" },
      { id: "3", note: "x", score: "5" },
      { id: "4", note: "last", score: "6" },
    ]);
    const table = await readTable(path, opts);
    expect(table.columns.find((c) => c.name === "score")?.type).toBe("numeric");
  });

  it("a 20 MB unquoted cell is an over-long line, an unclosed quote is named where it opens", async () => {
    const big = "x".repeat(20 << 20);
    const long = await readError(file(`a,b\n1,2\n3,${big}\n4,5\n`));
    expect(long.code).toBe("csv_line_too_long");
    expect(long.message).toMatch(/line 3 is longer than 16 M characters/);
    expect(long.message).not.toMatch(/quote/);
    const open = await readError(file(`a,b\n1,2\n3,"opens\nhere ${big}\n4,5\n`));
    expect(open.code).toBe("csv_unterminated_quote");
    expect(open.message).toMatch(/line 3: a quoted value opened here/);
  });

  it("a 10 MB cell under the limit reads whole", async () => {
    const cell = "y".repeat(10 << 20);
    const rows = [];
    for await (const batch of streamCsvRows(file(`a,b\n1,${cell}\n2,z\n`), { ...opts, missingTokens: [] })) rows.push(...batch.rows);
    expect(rows.map((r) => r.b?.length)).toEqual([cell.length, 1]);
  });

  it("the CLI prints a CSV diagnosis as one line and exits 1", () => {
    const result = runCli(["--csv", file(gzipSync(Buffer.from("a,b\n1,2\n")), "data.csv"), "--output", join(dir, "gz-out"), "--yes"]);
    expect(result.code).toBe(1);
    const lines = errorLines(result.stderr);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/data\.csv is gzip-compressed .* — gunzip it first/);
  });
});

describe("CSV files tabtune writes are safe to open in a spreadsheet (OWASP CSV injection)", () => {
  it("text cells starting with = + - @ tab CR get a quote prefix; numbers stay numbers", () => {
    expect(spreadsheetSafe("=cmd|' /C calc'!A0")).toBe("'=cmd|' /C calc'!A0");
    for (const lead of ["=", "+", "-", "@", "\t", "\r"]) expect(spreadsheetSafe(`${lead}x`)).toBe(`'${lead}x`);
    expect(spreadsheetSafe("income")).toBe("income");
    expect(spreadsheetSafe("a=b")).toBe("a=b");
    expect(csvCell(-3.5)).toBe("-3.5");
    expect(csvCell("-3.5")).toBe("'-3.5");
    expect(csvCell(null)).toBe("");
    expect(csvCell(true)).toBe("true");
    expect(csvCell('=HYPERLINK("http://x", "y")')).toBe(`"'=HYPERLINK(""http://x"", ""y"")"`);
    expect(csvCell("\rx")).toBe(`"'\rx"`);
    // Reading back removes exactly the prefix written, also for text that started with a quote.
    for (const text of ["=cmd", "'=cmd", "'plain", "plain", "-x", ""]) expect(fromSpreadsheetSafe(spreadsheetSafe(text))).toBe(text);
  });

  it("feature_rankings.csv and selected_features.txt neutralize hostile column names; state keeps the real names", async () => {
    // digits (sklearn's bundled data, 64 pixel columns) with four columns renamed to formulas.
    const [head = "", ...rest] = readFileSync(join(ROOT, "test/fixtures/digits.csv"), "utf8").split("\n");
    const hostile = ["=1+2", "+SUM(A1)", "-2+3", "@cmd"];
    const names = head.split(",");
    // The busiest pixels, so feature selection keeps them.
    for (const [k, name] of hostile.entries()) names[[20, 28, 36, 44][k] ?? 0] = name;
    const csv = file([names.join(","), ...rest].join("\n"), "hostile-digits.csv");
    const { app, config, options, output } = graphSetup(csv);
    await app.invoke({ runId: "t1", options }, config);
    const state = (await app.getState(config)).values as State;
    const runDir = join(output, "t1");

    const rankings = Papa.parse<Record<string, string>>(readFileSync(paths.rankings(runDir), "utf8"), { header: true, skipEmptyLines: true }).data;
    const written = rankings.map((r) => r.column ?? "");
    for (const name of hostile) {
      expect(written).toContain(`'${name}`);
      expect(written).not.toContain(name);
    }
    // No cell of the file starts a formula; numeric cells are plain numbers.
    for (const row of rankings) {
      for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      expect(Number.isFinite(Number(row.average_rank))).toBe(true);
    }
    const selected = readFileSync(paths.selected(runDir), "utf8").trim().split("\n");
    for (const line of selected) expect(line).not.toMatch(/^[=+\-@\t\r]/);
    const keptHostile = hostile.filter((h) => state.selectedFeatures?.includes(h));
    expect(keptHostile.length).toBeGreaterThan(0);
    for (const name of keptHostile) expect(selected).toContain(`'${name}`);
    expect(state.selectedFeatures?.map(spreadsheetSafe).sort()).toEqual([...selected].sort());
  });
});
