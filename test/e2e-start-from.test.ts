/** --start-from review_prep and config: new flags, a new run directory, earlier runs untouched. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { hashTree, ROOT, runCli, runDirs, tempDir, type CliResult } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");

describe("--start-from", () => {
  // One finished run (with --lora-rank 16) is the parent of both forks below.
  const output = join(tempDir(), "penguins");
  let parent: CliResult;
  let first = "";
  beforeAll(() => {
    parent = runCli(["--csv", PENGUINS, "--output", output, "--lora-rank", "16", "--yes"]);
    first = runDirs(output)[0] ?? "";
  });

  it("config re-writes the configs with new flags in a new run directory and keeps the run's other flags", () => {
    expect(parent.code, parent.stderr).toBe(0);
    const runs = runDirs(output).length;
    const before = hashTree(join(output, first));
    const again = runCli(["--csv", PENGUINS, "--output", output, "--start-from", "config", "--epochs", "5", "--yes"]);
    expect(again.stderr).not.toMatch(/error:/);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/^(explore|split|impute) /m); // earlier steps' results are kept
    const dirs = runDirs(output);
    expect(dirs).toHaveLength(runs + 1);
    expect(hashTree(join(output, first))).toEqual(before);
    const second = join(output, dirs.at(-1) ?? "");
    const yaml = parse(readFileSync(join(second, "configs/train.yaml"), "utf8")) as Record<string, unknown>;
    expect(yaml.num_train_epochs).toBe(5);
    expect(yaml.lora_rank).toBe(16); // from the original run, not the default 64
    // The new run has its own copy of the approved split, identical to the first run's.
    expect(readFileSync(join(second, "data/train.json"), "utf8")).toBe(readFileSync(join(output, first, "data/train.json"), "utf8"));
  });

  it("review_prep shows the prepared data again and continues into a new run directory", () => {
    expect(parent.code, parent.stderr).toBe(0);
    const runs = runDirs(output).length;
    const paused = runCli(["--csv", PENGUINS, "--output", output, "--resume", first, "--start-from", "review_prep"]);
    expect(paused.code).toBe(2);
    expect(paused.stdout).toMatch(/Paused at review_prep/);
    const resumed = runCli(["--csv", PENGUINS, "--output", output, "--resume", "--yes"]);
    expect(resumed.code).toBe(0);
    expect(runDirs(output)).toHaveLength(runs + 1);
  });

  it("a step the run never reached is a clear error", () => {
    const output = join(tempDir(), "penguins");
    expect(runCli(["--csv", PENGUINS, "--output", output]).code).toBe(2); // paused at review_plan
    const result = runCli(["--csv", PENGUINS, "--output", output, "--start-from", "split", "--yes"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/never reached split/);
  });
});
