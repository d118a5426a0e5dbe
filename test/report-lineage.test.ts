/**
 * The audit trail end to end (issue 8): the built CLI with --yes on penguins, then
 * report.html is self-contained with its plots, `tabtune lineage` matches the files on
 * disk, --verify names a changed file, and the report's numbers are rebuilt from the
 * log and the artifacts.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, runDirs, tempDir } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

interface Entry {
  step: string;
  by: string;
  numbers: Record<string, number>;
}

describe("report and lineage after tabtune --yes on penguins", () => {
  let output = "";
  let runDir = "";
  beforeAll(() => {
    output = join(tempDir(), "penguins");
    const result = runCli(["--csv", PENGUINS, "--output", output, "--yes"]);
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.code).toBe(0);
    runDir = join(output, runDirs(output)[0] ?? "");
  });

  it("writes a self-contained report.html with at least four inline SVG plots", () => {
    for (const dir of [runDir]) {
      const html = readFileSync(join(dir, "report.html"), "utf8");
      expect((html.match(/<svg[\s>]/g) ?? []).length).toBeGreaterThanOrEqual(4);
      expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
      expect(html).not.toMatch(/<link[^>]*\shref=/i);
      expect(html).not.toMatch(/\s(?:src|href)=["']?(?:https?:)?\/\//i);
      expect(html).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//i);
      expect(html).toMatch(/Confusion matrix/);
      expect(html).toMatch(/Review decisions/);
    }
  });

  it("lists every artifact with the hash of the file on disk", () => {
    const result = runCli(["lineage", output]);
    expect(result.code).toBe(0);
    const listed = [...result.stdout.matchAll(/^ {2}([0-9a-f]{64}) {2}(.+)$/gm)].map((m) => ({ hash: m[1] ?? "", path: m[2] ?? "" }));
    const paths = listed.map((l) => l.path.replace(/^run_[^/]+\//, "run/"));
    // Every file of the run lives in its own folder.
    expect(paths.every((p) => p.startsWith("run/") || isAbsolute(p))).toBe(true);
    for (const expected of ["run/data/cleaned.jsonl", "run/data/all_data.json", "run/scripts/prepare_data.js", "run/data/split_train.jsonl", "run/data/imputed_train.jsonl", "run/imputation/policies.json", "run/data/train_rows.jsonl", "run/data/train.json", "run/data/test.json", "run/configs/train.yaml", "run/evaluation/results.json"])
      expect(paths, expected).toContain(expected);
    for (const { hash, path } of listed) expect(sha(isAbsolute(path) ? path : join(output, path)), path).toBe(hash);
    expect(runCli(["lineage", output, "--verify"]).code).toBe(0);
    expect(runCli(["lineage", runDir, "--verify"]).code).toBe(0); // one run's folder works too
  });

  it("fails --verify naming train.json after one byte of it changed", () => {
    const dir = join(tempDir(), "copy");
    const copy = runCli(["--csv", PENGUINS, "--output", dir, "--yes"]);
    expect(copy.code).toBe(0);
    const train = join(dir, runDirs(dir)[0] ?? "", "data/train.json");
    const bytes = readFileSync(train);
    bytes[10] = bytes[10] === 0x41 ? 0x42 : 0x41;
    writeFileSync(train, bytes);
    const result = runCli(["lineage", dir, "--verify"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/CHANGED run_[^/]+\/data\/train\.json/);
  });

  it("rebuilds the report's key numbers from log.json and the artifacts", () => {
    const md = readFileSync(join(runDir, "report.md"), "utf8");
    const reported = new Map([...md.matchAll(/^\| ([^|]+?) \| (-?[\d.]+) \| (?:log|artifact)[^|]*\|$/gm)].map((m) => [m[1] ?? "", Number(m[2])]));
    const { log } = JSON.parse(readFileSync(join(runDir, "log.json"), "utf8")) as { log: Entry[] };
    const last = (step: string) => [...log].reverse().find((e) => e.step === step)?.numbers ?? {};
    const train = JSON.parse(readFileSync(join(runDir, "data/train.json"), "utf8")) as { output: string }[];
    const test = JSON.parse(readFileSync(join(runDir, "data/test.json"), "utf8")) as unknown[];
    const results = JSON.parse(readFileSync(join(runDir, "evaluation/results.json"), "utf8")) as { trainRows: number; testRows: number; baseline: { accuracy: number; macroF1: number } };
    const close = (name: string, value: number | undefined) => {
      expect(reported.get(name), name).toBeDefined();
      expect(reported.get(name), name).toBeCloseTo(value ?? Number.NaN, 4);
    };
    close("raw rows", last("explore").rows);
    close("prepared records", last("execute").rowsOut);
    close("split train rows", last("split").train);
    close("split test rows", last("split").test);
    close("train records", train.length);
    close("test records", test.length);
    expect(last("balance").trainRecords).toBe(train.length);
    expect(results.testRows).toBe(test.length);
    const perClass: Record<string, number> = {};
    for (const r of train) perClass[r.output] = (perClass[r.output] ?? 0) + 1;
    expect(Object.keys(perClass).length).toBe(3);
    for (const [label, n] of Object.entries(perClass)) close(`train class ${label}`, n);
    close("baseline accuracy", results.baseline.accuracy);
    close("baseline macro-F1", results.baseline.macroF1);
    close("baseline accuracy", last("evaluate").accuracy);
    // every review answer is in the log with its time, typed by the user
    expect(log.filter((e) => e.step.startsWith("review_") && e.by === "user").length).toBeGreaterThan(0);
  });
});
