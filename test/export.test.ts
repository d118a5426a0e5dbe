/**
 * `tabtune export` as a user runs it: a finished penguins run bundled, the bundle copied
 * elsewhere and the run's output folder deleted, then `tabtune predict --run <bundle>`.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { exportRun } from "../src/cli/export.js";
import { BundleManifest } from "../src/predictor/run-files.js";
import { ROOT, runCli, runDirs, tempDir } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");
let dir = "";
let output = "";
let runDir = "";
let newCsv = "";

beforeAll(() => {
  dir = tempDir("tabtune-export-");
  output = join(dir, "out");
  const run = runCli(["--csv", PENGUINS, "--output", output, "--yes"]);
  expect(run.code, run.stderr).toBe(0);
  runDir = join(output, runDirs(output).at(-1) ?? "");
  const [header, ...rows] = readFileSync(PENGUINS, "utf8").trim().split("\n");
  newCsv = join(dir, "new.csv");
  writeFileSync(newCsv, [header, ...rows.filter((_, i) => i % 7 === 0)].join("\n") + "\n");
});

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("tabtune export", () => {
  it("refuses a --out that is not empty, and a folder that is not a run, leaving both as they were", async () => {
    const taken = join(dir, "taken");
    mkdirSync(taken);
    writeFileSync(join(taken, "x"), "keep me\n");
    await expect(exportRun(runDir, taken)).rejects.toThrow(/taken already exists and is not empty/);
    await expect(exportRun(dir, join(dir, "fresh"))).rejects.toThrow(/has no scripts\/prepare_data\.js/);
    expect(readFileSync(join(taken, "x"), "utf8")).toBe("keep me\n");
    expect(existsSync(join(dir, "fresh"))).toBe(false);
  });

  it("writes a bundle that predicts alone, after the run's folder is gone, exactly as the run did", () => {
    const fromRun = join(dir, "from-run.csv");
    const before = runCli(["predict", "--run", runDir, "--csv", newCsv, "--out", fromRun]);
    expect(before.code, before.stderr).toBe(0);

    const bundle = join(dir, "bundle");
    const exported = runCli(["export", "--run", runDir, "--out", bundle]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/adapter: none/);
    const manifest = BundleManifest.parse(JSON.parse(readFileSync(join(bundle, "manifest.json"), "utf8")));
    const paths = manifest.files.map((f) => f.path);
    for (const wanted of ["MODEL_CARD.md", "scripts/prepare_data.js", "scripts/prepare_data.ctx.json", "imputation/policies.json", "baseline/model.json", "configs/train.yaml", "configs/predict_test.yaml", "data/dataset_info.json", "lineage.json"])
      expect(paths).toContain(wanted);
    for (const f of manifest.files) expect(sha256(join(bundle, f.path)), f.path).toBe(f.sha256);
    expect(readFileSync(join(bundle, "MODEL_CARD.md"), "utf8")).toBe(readFileSync(join(runDir, "MODEL_CARD.md"), "utf8"));

    // Elsewhere, with the run's output folder deleted.
    const moved = join(dir, "elsewhere", "bundle");
    mkdirSync(join(dir, "elsewhere"));
    cpSync(bundle, moved, { recursive: true });
    rmSync(bundle, { recursive: true });
    rmSync(output, { recursive: true });
    const fromBundle = join(dir, "from-bundle.csv");
    const after = runCli(["predict", "--run", moved, "--csv", newCsv, "--out", fromBundle]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/\(bundle\)/);
    expect(readFileSync(fromBundle, "utf8")).toBe(readFileSync(fromRun, "utf8"));
  });

});
