/**
 * `tabtune apply` as a user runs it: the built CLI as a child process, on the script of
 * a finished run, with new data that is fine, broken on one row, or of the wrong shape.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readPrepSidecar } from "../src/codegen/sidecar.js";
import { reapplyImputation } from "../src/stats/imputation/reapply.js";
import { ROOT, runCli, runDirs, tempDir } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");
let dir = "";
let script = "";
let runDir = "";

beforeAll(() => {
  dir = tempDir("tabtune-apply-");
  const output = join(dir, "out");
  const run = runCli(["--csv", PENGUINS, "--output", output, "--yes"]);
  expect(run.code, run.stderr).toBe(0);
  runDir = join(output, runDirs(output).at(-1) ?? "");
  script = join(runDir, "scripts", "prepare_data.js");
});

/** The penguins file with its body replaced by `rows` (header kept). */
function newCsv(name: string, rows: string[], header?: string): string {
  const [first] = readFileSync(PENGUINS, "utf8").split("\n");
  const path = join(dir, name);
  writeFileSync(path, [header ?? first, ...rows].join("\n") + "\n");
  return path;
}

describe("tabtune apply", () => {
  it("writes checked records and the cleaned rows for new data", () => {
    const csv = newCsv("new.csv", ["Adelie,Dream,39.5,17.4,186,3800,FEMALE", "Gentoo,Biscoe,46.1,13.2,211,4500,FEMALE", ",Biscoe,46.1,13.2,211,4500,MALE"]);
    const out = join(dir, "new.json");
    const run = runCli(["apply", "--script", script, "--csv", csv, "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/3 in → 2 records, 1 dropped \(target missing 1\)/);
    expect(run.stdout).toMatch(/checks .*: all passed/);
    const records = JSON.parse(readFileSync(out, "utf8")) as { instruction: string; input: string; output: string }[];
    expect(records.map((r) => r.output)).toEqual(["Adelie", "Gentoo"]);
    expect(records[0]?.input).toMatch(/Island/);
    expect(readFileSync(join(dir, "new.cleaned.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
  });

  it("names the CSV line, data row and values of a failing row, exits 1 and writes nothing", () => {
    const good = "Adelie,Dream,39.5,17.4,186,3800,FEMALE";
    const csv = newCsv("broken.csv", [good, good, good, good, "Emperor,Ross,50,19,220,30000,MALE", good]);
    const out = join(dir, "broken.json");
    const run = runCli(["apply", "--script", script, "--csv", csv, "--out", out]);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*broken\.csv line 6 \(data row 5\): clean: Error: target value "Emperor" is not in the label mapping/);
    expect(lines[0]).toMatch(/"Island":"Ross"/);
    expect(existsSync(out)).toBe(false);
  });

  it("refuses missing files, a script without its ctx, and a CSV without the target, in one line each", () => {
    const csv = newCsv("ok.csv", ["Adelie,Dream,39.5,17.4,186,3800,FEMALE"]);
    const noScript = runCli(["apply", "--script", join(dir, "nope.js"), "--csv", csv, "--out", join(dir, "x.json")]);
    expect(noScript.code).toBe(1);
    expect(noScript.stderr.trim()).toMatch(/^error: --script .*nope\.js does not exist — /);
    const noCsv = runCli(["apply", "--script", script, "--csv", join(dir, "nope.csv"), "--out", join(dir, "x.json")]);
    expect(noCsv.stderr.trim()).toMatch(/^error: --csv .*nope\.csv does not exist/);
    const bare = join(dir, "bare.js");
    writeFileSync(bare, readFileSync(script, "utf8"));
    const noCtx = runCli(["apply", "--script", bare, "--csv", csv, "--out", join(dir, "x.json")]);
    expect(noCtx.code).toBe(1);
    expect(noCtx.stderr.trim()).toMatch(/^error: .*bare\.ctx\.json does not exist/);
    const noTarget = newCsv("unlabelled.csv", ["Dream,39.5,17.4,186,3800,FEMALE"], "Island,Beak Length (mm),Beak Depth (mm),Flipper Length (mm),Body Mass (g),Sex");
    const unlabelled = runCli(["apply", "--script", script, "--csv", noTarget, "--out", join(dir, "x.json")]);
    expect(unlabelled.code).toBe(1);
    expect(unlabelled.stderr.trim()).toMatch(/^error: .*lacks the column "Species" the script reads — the records need the target "Species"/);
    const noFlags = runCli(["apply", "--csv", csv]);
    expect(noFlags.code).not.toBe(0);
    expect(noFlags.stderr).toMatch(/required option '--script <path>' not specified/);
  });

  it("is documented by tabtune --help and tabtune apply --help, and the main command still runs", () => {
    const help = runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--csv <path>/);
    expect(help.stdout).toMatch(/tabtune apply --script/);
    const applyHelp = runCli(["apply", "--help"]);
    expect(applyHelp.code).toBe(0);
    expect(applyHelp.stdout).toMatch(/--script <path>[\s\S]*--csv <path>[\s\S]*--out <path>/);
  });
});

describe("tabtune apply --policies", () => {
  const kinds = () => {
    const sidecar = readPrepSidecar(script);
    if (!sidecar.ok) throw new Error(sidecar.error);
    return new Map(Object.entries(sidecar.value.ctx.columns).map(([name, c]) => [name, c.kind as string]));
  };

  it("re-applies the run's fitted imputers: on the run's own test rows it reproduces imputed_test.jsonl byte for byte", async () => {
    const out = join(dir, "reimputed_test.jsonl");
    const result = await reapplyImputation(join(runDir, "imputation", "policies.json"), join(runDir, "data", "split_test.jsonl"), out, kinds());
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(runDir, "data", "imputed_test.jsonl"), "utf8"));
    expect(result.rows).toBe(readFileSync(out, "utf8").trim().split("\n").length);
  });

  it("fills the new rows' missing values before rendering and says what it filled", () => {
    const csv = newCsv("gaps.csv", ["Adelie,Dream,39.5,,186,3800,", "Gentoo,Biscoe,46.1,13.2,211,4500,FEMALE", "Chinstrap,Dream,,17.9,192,3500,"]);
    const out = join(dir, "gaps.json");
    const run = runCli(["apply", "--script", script, "--csv", csv, "--out", out, "--policies", join(runDir, "imputation", "policies.json")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/imputed .*Sex 2/);
    const cleaned = readFileSync(join(dir, "gaps.cleaned.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const row of cleaned) for (const column of ["Sex", "Beak Depth (mm)", "Beak Length (mm)"]) expect(row[column], column).not.toBeNull();
    const records = JSON.parse(readFileSync(out, "utf8")) as { input: string }[];
    expect(records.map((r) => r.input).join(" ")).not.toMatch(/unknown/);
    // Without --policies the same rows keep their gaps, rendered as unknown.
    const plain = runCli(["apply", "--script", script, "--csv", csv, "--out", join(dir, "gaps-plain.json")]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(readFileSync(join(dir, "gaps-plain.json"), "utf8")).toMatch(/unknown/);
  });

  it("refuses policies whose training rows changed, in one line, writing no records", () => {
    const policies = JSON.parse(readFileSync(join(runDir, "imputation", "policies.json"), "utf8")) as { fittedOn: { sha256: string } };
    policies.fittedOn.sha256 = "0".repeat(64);
    const stale = join(dir, "stale-policies.json");
    writeFileSync(stale, JSON.stringify(policies));
    const csv = newCsv("stale.csv", ["Adelie,Dream,39.5,,186,3800,"]);
    const out = join(dir, "stale.json");
    const run = runCli(["apply", "--script", script, "--csv", csv, "--out", out, "--policies", stale]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^error: .*stale-policies\.json: the training rows it was fitted on, .*split_train\.jsonl, have changed since — /)]);
    expect(existsSync(out)).toBe(false);
  });
});
