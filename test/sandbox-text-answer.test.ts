/**
 * The prep ops answer the lines cleanCsv writes (harness.ts), and the host checks them in
 * place with a pattern per key list instead of parsing them (text-answer.ts). These tests
 * hold that check to what the parsing check accepted: exact keys in order, JSON scalars
 * written as JSON.stringify writes them, finite numbers, and nothing more than asked for.
 */
import { afterEach, describe, expect, it } from "vitest";
import { checkRecordAnswer, checkTextAnswer, LinePatterns } from "../src/sandbox/text-answer.js";
import { sandboxOpener } from "./helpers/sandbox.js";

/** An answer as an honest harness writes it: head, cleaned lines, records. */
function answer(shapes: string[][], ids: number[], lines: string[], records: string[]): string {
  const body = (list: string[]) => list.map((line) => `${line}\n`).join("");
  return `${JSON.stringify({ ok: true, shapes, ids })}\n${body(lines)}${body(records)}`;
}

const RECORD = JSON.stringify({ instruction: "i", input: "x", output: "o" });
const check = (text: string, rows: number, withRender = true) => checkTextAnswer(text, rows, withRender, new LinePatterns());
const refused = (text: string, rows: number, withRender = true) => {
  const checked = check(text, rows, withRender);
  return checked.ok ? "accepted" : checked.error;
};

describe("checkTextAnswer", () => {
  it("accepts lines JSON.stringify wrote, whatever their values, and hands them back as they came", () => {
    const rows = [
      { 2: "a", 10: 1e21, z: "quote \" back \\ nl \n ctrl \u0001 \u2028 \u{1F600} \udc00", b: true, n: null, f: -1.5e-300, t: 5e-324 },
      { 2: "", 10: 0, z: "", b: false, n: null, f: 1.7976931348623157e308, t: 0.1 },
    ];
    const lines = rows.map((row) => JSON.stringify(row));
    const keys = Object.keys(rows[0] ?? {});
    const text = answer([keys], [0, -1, 0], lines, [RECORD, RECORD]);
    expect(check(text, 3)).toEqual({ ok: true, kept: [true, false, true], cleanedLines: `${lines.join("\n")}\n`, records: [RECORD, RECORD] });
    expect(check(answer([keys], [-1, 0], [lines[0] ?? ""], []), 2, false)).toMatchObject({ ok: true, kept: [false, true], records: [] });
    expect(check(answer([], [-1], [], []), 1)).toEqual({ ok: true, kept: [false], cleanedLines: "", records: [] });
  });

  it("refuses keys other than the shape's, in another order, or a shape the host refuses", () => {
    expect(refused(answer([["a", "b"]], [0], ['{"b":1,"a":2}'], [RECORD]), 1)).toMatch(/cleaned row of the wrong shape/);
    expect(refused(answer([["a"]], [0], ['{"a":1,"b":2}'], [RECORD]), 1)).toMatch(/cleaned row of the wrong shape/);
    expect(refused(answer([["__proto__"]], [0], ['{"__proto__":1}'], [RECORD]), 1)).toMatch(/__proto__/);
    expect(refused(answer([["a", "a"]], [0], ['{"a":1,"a":2}'], [RECORD]), 1)).toMatch(/twice/);
    expect(refused(answer([["a"]], [1], ['{"a":1}'], [RECORD]), 1)).toMatch(/wrong shape/);
    expect(refused(answer([["a"]], [0, 0], ['{"a":1}'], [RECORD]), 1)).toMatch(/2 results for 1 rows/);
  });

  it("refuses values that are not JSON scalars, or not written as JSON.stringify writes them", () => {
    for (const value of ['{"x":1}', "[1]", "NaN", "Infinity", "undefined", "1e999", "1e+999", "-1e+400", "1.8e+308", "1".repeat(22), "01", "1.", ".5", "1E5", "+1", '"raw\nnewline"', '"tab\there"', '"\ud800"', '"\\x41"', '"\\/"', '"open', "true ", " 1"]) {
      expect([value, refused(answer([["a"]], [0], [`{"a":${value}}`], [RECORD]), 1)]).toEqual([value, expect.stringMatching(/wrong shape|clean returned/)]);
    }
    expect(refused(answer([["a"]], [0], ['{"a": 1}'], [RECORD]), 1)).toMatch(/wrong shape/);
    // Large but finite numbers pass the exact check their exponent sends them to.
    expect(check(answer([["a", "b"]], [0], ['{"a":9.9e+307,"b":"e+999"}'], [RECORD]), 1)).toMatchObject({ ok: true });
  });

  it("refuses records that are not exactly three strings, missing records, and text past the last record", () => {
    const line = '{"a":1}';
    for (const record of ['{"instruction":"i","input":"x"}', '{"instruction":"i","input":"x","output":1}', '{"input":"x","instruction":"i","output":"o"}', `${RECORD.slice(0, -1)},"extra":"e"}`]) {
      expect(check(answer([["a"]], [0], [line], [record]), 1)).toMatchObject({ ok: false, op: "render", index: 0, cleaned: { a: 1 }, error: expect.stringMatching(/record of the wrong shape/) });
    }
    expect(refused(answer([["a"]], [0], [line], []), 1)).toMatch(/record of the wrong shape/);
    expect(refused(answer([["a"]], [0], [line], [RECORD, RECORD]), 1)).toMatch(/more lines/);
    expect(refused(answer([["a"]], [0], [line], [RECORD]), 1, false)).toMatch(/more lines/);
    expect(refused("not json", 1)).toMatch(/not JSON/);
    expect(refused(`${JSON.stringify({ ok: true, shapes: [], ids: [-1] })}`, 1)).toMatch(/wrong shape/);
  });
});

describe("checkRecordAnswer", () => {
  it("accepts one record line per row and refuses anything else", () => {
    expect(checkRecordAnswer(`{"ok":true}\n${RECORD}\n${RECORD}\n`, 2)).toEqual({ ok: true, records: [RECORD, RECORD] });
    expect(checkRecordAnswer('{"ok":true}\n', 0)).toEqual({ ok: true, records: [] });
    expect(checkRecordAnswer(`{"ok":true}\n${RECORD}\n`, 2)).toMatchObject({ ok: false, index: 1 });
    expect(checkRecordAnswer(`{"ok":true}\n${RECORD}\n${RECORD}\n`, 1)).toMatchObject({ ok: false, error: expect.stringMatching(/more lines/) });
    expect(checkRecordAnswer(`{"ok":true}\n{"instruction":"i","input":"x","output":"o","x":1}\n`, 1)).toMatchObject({ ok: false, index: 0 });
    expect(checkRecordAnswer(`{"ok":true} \n${RECORD}\n`, 1)).toMatchObject({ ok: false, index: null });
  });
});

describe("prep text from the sandbox", () => {
  const { openOk, disposeAll } = sandboxOpener();
  afterEach(disposeAll);

  it("cells holding the separator go as JSON and give the same lines", async () => {
    const sandbox = await openOk(`function clean(row) { return row.x === null ? null : { x: row.x, n: row.x.length }; }
      function render(row) { return { instruction: "i", input: row.x, output: String(row.n) }; }`);
    const header = ["x"];
    const plain = await sandbox.prepText(header, [["a"], [null], ["b"]], true);
    const nul = await sandbox.prepText(header, [["a\u0000b"], [null], [""]], true);
    expect(plain).toEqual({ ok: true, kept: [true, false, true], cleanedLines: '{"x":"a","n":1}\n{"x":"b","n":1}\n', records: ['{"instruction":"i","input":"a","output":"1"}', '{"instruction":"i","input":"b","output":"1"}'] });
    expect(nul).toEqual({ ok: true, kept: [true, false, true], cleanedLines: '{"x":"a\\u0000b","n":3}\n{"x":"","n":0}\n', records: ['{"instruction":"i","input":"a\\u0000b","output":"3"}', '{"instruction":"i","input":"","output":"0"}'] });
  });

  it("renderLines renders cleaned.jsonl lines as render gives them and names a failing line's row", async () => {
    const sandbox = await openOk(`function clean(row) { return row; }
      function render(row) { if (row.x === "bad") throw new Error("no"); return { instruction: Object.keys(row).join(","), input: String(row.x), output: "o" }; }`);
    expect(await sandbox.renderLines(['{"2":1,"x":"a"}', '{"x":null}'])).toEqual({
      ok: true,
      rows: ['{"instruction":"2,x","input":"a","output":"o"}', '{"instruction":"x","input":"null","output":"o"}'],
    });
    expect(await sandbox.renderLines(['{"x":"a"}', '{"x":"bad"}'])).toMatchObject({ ok: false, rowIndex: 1, row: { x: "bad" }, error: expect.stringMatching(/render: Error: no/) });
  });

  it("a script that patches toJSON cannot smuggle other text into the files", async () => {
    const sandbox = await openOk(`Object.prototype.toJSON = function () { return { a: 1, injected: "x" }; };
      function clean(row) { return { a: 1 }; }
      function render(row) { return { instruction: "i", input: "x", output: "o" }; }`);
    const outcome = await sandbox.prepText(["x"], [["1"]], true);
    expect(outcome.ok).toBe(false);
    expect((await sandbox.renderLines(['{"a":1}'])).ok).toBe(false);
  });
});
