/**
 * Writers that know what they wrote: the ref an AtomicLineWriter, a JsonArrayWriter or
 * writeFileAtomic answers (hash, bytes and rows counted while writing) is the ref
 * artifactRef reads back from the finished file, with the rows counted by reading it.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { artifactRef, AtomicLineWriter, JsonArrayWriter, readJsonArrayLines, readJsonLines, writeFileAtomic } from "../src/artifacts.js";

const fresh = () => mkdtempSync(join(tmpdir(), "tabtune-writer-"));

async function countJsonLines(path: string): Promise<number> {
  let n = 0;
  for await (const _ of readJsonLines(path)) n += 1;
  return n;
}

async function countArrayRecords(path: string): Promise<number> {
  let n = 0;
  for await (const _ of readJsonArrayLines(path)) n += 1;
  expect((JSON.parse(readFileSync(path, "utf8")) as unknown[]).length).toBe(n);
  return n;
}

/** Rows of every shape the steps write: numbers, nulls, non-ASCII text, an emoji (4 UTF-8 bytes). */
const ROWS = [
  { age: 41, city: "Zürich", churned: "yes" },
  { age: null, city: "São Paulo", churned: "no" },
  { age: 0.1, city: "東京 🚀", churned: "no" },
];

describe("AtomicLineWriter answers the ref of what it wrote", () => {
  it("rows written one per line", async () => {
    const path = join(fresh(), "data", "rows.jsonl");
    const out = new AtomicLineWriter(path);
    for (const row of ROWS) await out.write(JSON.stringify(row) + "\n");
    const ref = await out.commit();
    expect(ref).toEqual(await artifactRef(path, await countJsonLines(path)));
    expect(ref.rows).toBe(ROWS.length);
  });

  it("several rows in one write, counted as the caller says", async () => {
    const path = join(fresh(), "rows.jsonl");
    const out = new AtomicLineWriter(path);
    await out.write(ROWS.map((r) => JSON.stringify(r) + "\n").join(""), ROWS.length);
    await out.write("", 0);
    await out.write(JSON.stringify(ROWS[0]) + "\n");
    const ref = await out.commit();
    expect(ref).toEqual(await artifactRef(path, await countJsonLines(path)));
    expect(ref.rows).toBe(ROWS.length + 1);
  });

  it("lines gathered by writeLine, mixed with plain writes, in order", async () => {
    const path = join(fresh(), "rows.jsonl");
    const out = new AtomicLineWriter(path);
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ ...ROWS[i % ROWS.length], i }) + "\n");
    for (const [i, line] of lines.entries()) await (i % 1000 === 7 ? out.write(line) : out.writeLine(line));
    expect(out.lines).toBe(lines.length);
    const ref = await out.commit();
    expect(readFileSync(path, "utf8")).toBe(lines.join(""));
    expect(ref).toEqual(await artifactRef(path, await countJsonLines(path)));
    expect(ref.rows).toBe(lines.length);
  });

  it("an empty file", async () => {
    const path = join(fresh(), "empty.jsonl");
    const out = new AtomicLineWriter(path);
    const ref = await out.commit();
    expect(readFileSync(path, "utf8")).toBe("");
    expect(ref).toEqual(await artifactRef(path, await countJsonLines(path)));
    expect(ref.rows).toBe(0);
    expect(ref.bytes).toBe(0);
  });

  it("a commit whose rename fails (the path is a folder) rejects, answers no ref and leaves no temp file", async () => {
    const dir = fresh();
    const path = join(dir, "rows.jsonl");
    mkdirSync(join(path, "inside"), { recursive: true });
    const out = new AtomicLineWriter(path);
    await out.write(JSON.stringify(ROWS[0]) + "\n");
    await expect(out.commit()).rejects.toBeTruthy();
    expect(readdirSync(dir)).toEqual(["rows.jsonl"]);
    expect(readdirSync(path)).toEqual(["inside"]);
  });

  it("an aborted writer leaves nothing at the path", async () => {
    const dir = fresh();
    const out = new AtomicLineWriter(join(dir, "rows.jsonl"));
    await out.write(JSON.stringify(ROWS[0]) + "\n");
    await out.abort();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("JsonArrayWriter answers the ref of the array it wrote", () => {
  it("records pushed one at a time and in batches", async () => {
    const path = join(fresh(), "train.json");
    const out = new JsonArrayWriter(path);
    await out.push(ROWS[0]);
    await out.pushAll([]);
    await out.pushAll(ROWS.slice(1));
    const ref = await out.commit();
    expect(ref).toEqual(await artifactRef(path, await countArrayRecords(path)));
    expect(ref.rows).toBe(ROWS.length);
    expect(out.count).toBe(ROWS.length);
  });

  it("no records: the empty array", async () => {
    const path = join(fresh(), "test.json");
    const out = new JsonArrayWriter(path);
    const ref = await out.commit();
    expect(readFileSync(path, "utf8")).toBe("[]\n");
    expect(ref).toEqual(await artifactRef(path, await countArrayRecords(path)));
    expect(ref.rows).toBe(0);
  });

  it("the bytes do not depend on how the records were grouped into writes", async () => {
    const dir = fresh();
    const one = new JsonArrayWriter(join(dir, "one.json"));
    for (const row of ROWS) await one.push(row);
    const batched = new JsonArrayWriter(join(dir, "batched.json"));
    await batched.pushAll(ROWS);
    const [a, b] = [await one.commit(), await batched.commit()];
    expect(a.sha256).toBe(b.sha256);
    expect(readFileSync(a.path, "utf8")).toBe(`[\n${ROWS.map((r) => JSON.stringify(r)).join(",\n")}\n]\n`);
  });
});

describe("writeFileAtomic answers the ref of the file it wrote", () => {
  it("text with multi-byte characters, rows as given", async () => {
    const path = join(fresh(), "mask.txt");
    const ref = writeFileAtomic(path, "1\n2\n0\n€\n", 4);
    expect(ref).toEqual(await artifactRef(path, 4));
  });

  it("an empty file, rows unknown", async () => {
    const path = join(fresh(), "empty.txt");
    writeFileSync(path, "old");
    const ref = writeFileAtomic(path, "");
    expect(ref).toEqual(await artifactRef(path, null));
    expect(ref.bytes).toBe(0);
  });
});
