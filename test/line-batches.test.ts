/**
 * The row-file readers every step uses: readLineBatches reads the lines readline would
 * (blank lines skipped, "\r\n" endings, multi-byte characters split across its 1 MiB
 * reads, no final newline), LineCursor hands them out one at a time, readLinesChecked
 * hashes exactly the bytes of the file, and cellString reads a cell as parsing the row would.
 */
import { createHash } from "node:crypto";
import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { JsonArrayWriter, LineCursor, readLineBatches, readLinesChecked } from "../src/artifacts.js";
import { cellString, type CleanRow } from "../src/rows.js";
import { createRng } from "../src/stats/random.js";

const dir = mkdtempSync(join(tmpdir(), "tabtune-lines-"));

/** What readline (the readers' old source) gives for the file, blank lines dropped. */
async function readlineLines(path: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity })) if (line.trim() !== "") lines.push(line);
  return lines;
}

async function batched(path: string, array = false): Promise<{ lines: string[]; batches: number }> {
  const lines: string[] = [];
  let batches = 0;
  for await (const batch of readLineBatches(path, { array })) {
    expect(batch.length).toBeGreaterThan(0);
    lines.push(...batch);
    batches += 1;
  }
  return { lines, batches };
}

/** ~2.5 MB of lines with 2-, 3- and 4-byte characters, CRLF and LF endings, blank lines: reads split characters and line ends. */
function mixedText(): string {
  const rng = createRng(11);
  const words = ["Zürich", "São Paulo", "東京", "🦊 fox", "plain", "a\\\"quoted\\\"", ""];
  const parts: string[] = [];
  for (let i = 0; i < 60_000; i++) {
    const word = words[Math.floor(rng() * words.length)] ?? "";
    const end = rng() < 0.3 ? "\r\n" : "\n";
    parts.push(`{"i":${i},"w":"${word.repeat(1 + Math.floor(rng() * 6))}"}${end}`);
    if (rng() < 0.01) parts.push(rng() < 0.5 ? "\n" : "   \n");
  }
  return parts.join("");
}

describe("readLineBatches", () => {
  it("reads the lines readline reads, across 1 MiB reads that split characters and CRLF endings", async () => {
    const path = join(dir, "mixed.jsonl");
    writeFileSync(path, mixedText());
    expect(readFileSync(path).length).toBeGreaterThan(2 * (1 << 20));
    const { lines, batches } = await batched(path);
    expect(lines).toEqual(await readlineLines(path));
    expect(lines).toHaveLength(60_000);
    expect(batches).toBeGreaterThan(2);
  });

  it("reads a line longer than a read, and a CRLF split between two decoded pieces", async () => {
    const path = join(dir, "long.jsonl");
    // "\r" is the last byte of the first 64 KiB piece and "\n" the first of the next; then a 3 MB line of 3-byte characters.
    const lines = ["a".repeat((64 << 10) - 1), "東".repeat(1_000_000), '{"i":1}', "b".repeat(70_000)];
    writeFileSync(path, `${lines[0]}\r\n${lines[1]}\n${lines[2]}\r\n${lines[3]}`);
    const { lines: read } = await batched(path);
    expect(read.map((l) => l.length)).toEqual(lines.map((l) => l.length));
    expect(read).toEqual(lines);
  });

  it("keeps a last line without a newline, and reads an empty file as no batch", async () => {
    const path = join(dir, "tail.jsonl");
    writeFileSync(path, '{"a":1}\n\n{"a":2}\r\n{"a":3}');
    expect((await batched(path)).lines).toEqual(['{"a":1}', '{"a":2}', '{"a":3}']);
    writeFileSync(join(dir, "empty.jsonl"), "");
    expect(await batched(join(dir, "empty.jsonl"))).toEqual({ lines: [], batches: 0 });
  });

  it("with array, answers a JsonArrayWriter array's record texts", async () => {
    const path = join(dir, "records.json");
    const out = new JsonArrayWriter(path);
    const records = Array.from({ length: 5000 }, (_, i) => ({ instruction: "Predict", input: `row ${i}, 東京 ${"x".repeat(i % 300)}`, output: i % 3 === 0 ? "yes" : "no" }));
    await out.pushAll(records.slice(0, 2500));
    await out.pushAll(records.slice(2500));
    await out.commit();
    const { lines } = await batched(path, true);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(records);
    const empty = join(dir, "none.json");
    await new JsonArrayWriter(empty).commit();
    expect((await batched(empty, true)).lines).toEqual([]);
  });

  it("readLinesChecked hands the check the SHA-256 of the file's bytes after the last batch", async () => {
    const path = join(dir, "checked.jsonl");
    writeFileSync(path, mixedText());
    let seen: string | null = "";
    const lines: string[] = [];
    for await (const batch of readLinesChecked(path, (sha) => (seen = sha))) {
      expect(seen).toBe("");
      lines.push(...batch);
    }
    expect(seen).toBe(createHash("sha256").update(readFileSync(path)).digest("hex"));
    expect(lines).toEqual(await readlineLines(path));
    await expect(readLinesChecked(join(dir, "gone.jsonl"), () => { throw new Error("gone"); }).next()).rejects.toThrow("gone");
  });
});

describe("LineCursor", () => {
  it("takes every line once, asking for a fill only between batches", async () => {
    const path = join(dir, "cursor.jsonl");
    writeFileSync(path, mixedText());
    const cursor = new LineCursor(path);
    const taken: string[] = [];
    let fills = 0;
    for (;;) {
      if (!cursor.ready) {
        await cursor.fill();
        fills += 1;
      }
      const line = cursor.take();
      if (line === undefined) break;
      taken.push(line);
    }
    expect(cursor.done).toBe(true);
    expect(taken).toEqual(await readlineLines(path));
    expect(fills).toBeLessThan(10);
  });
});

describe("cellString", () => {
  it("is String() of the parsed cell for every shape of line", () => {
    const rows: (CleanRow | string)[] = [
      { age: 41, churned: "yes" },
      { churned: "", age: 3 },
      { age: -1.5e-7, churned: 1e21 },
      { churned: null },
      { churned: true, x: false },
      { x: '"churned":"no"', churned: "sí, 東京 🦊" },
      { x: "{", churned: "nested-looking" },
      { churned: 'with "quotes" and \\ slash' },
      { churned: "tab\there" },
      { other: 1 },
      { "churned ": "near miss", churned: 0 },
      '{"a": 1, "churned": "spaced, out"}',
      '{"churned" : 7}',
      '{"n":{"churned":"inner"},"churned":"outer"}',
      '{"churned":[1,2]}',
      '{"churned":"first","churned":"last"}',
      '{"churned":1,"x":"\\",\\"churned\\":2"}',
    ];
    for (const row of rows) {
      const line = typeof row === "string" ? row : JSON.stringify(row);
      expect(cellString(line, "churned"), line).toBe(String((JSON.parse(line) as CleanRow)["churned"]));
    }
  });
});
