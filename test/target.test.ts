import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { TabtuneError } from "../src/errors.js";
import type { TableProfile } from "../src/schemas.js";
import { readTable } from "../src/table/columns.js";
import { readTableSample } from "../src/table/csv.js";
import { profileTable } from "../src/table/profile.js";
import { detectTarget } from "../src/table/target.js";

// The shipped config: its missing-token list must not break any of the datasets.
const config = loadConfig();
const dir = mkdtempSync(join(tmpdir(), "tabtune-target-"));

async function profileOf(path: string): Promise<TableProfile> {
  const table = await readTable(path, config.csv);
  return profileTable(table, config.profile, await readTableSample(path, config.csv, config.profile.sampleRows));
}

function csv(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function targetError(profile: TableProfile, explicit?: string): TabtuneError {
  try {
    detectTarget(profile, config.profile, explicit);
  } catch (error) {
    if (error instanceof TabtuneError) {
      expect(error.message).not.toContain("\n");
      return error;
    }
    throw error;
  }
  throw new Error("expected detectTarget to throw");
}

// Targets and tasks from /work/shared/datasets/INDEX.md.
describe("detectTarget picks the documented target of every dataset", () => {
  it("penguins → Species, multiclass (3)", async () => {
    const t = detectTarget(await profileOf("test/fixtures/penguins.csv"), config.profile);
    expect(t.column).toBe("Species");
    expect(t.task).toBe("multiclass");
    expect(t.labels).toEqual({ Adelie: "Adelie", Chinstrap: "Chinstrap", Gentoo: "Gentoo" });
    expect(t.reasons.join(" ")).toContain("Species");
  });

  it("credit_data → Status, binary (good/bad), not the last column Price", async () => {
    const t = detectTarget(await profileOf("examples/credit_data.csv"), config.profile);
    expect(t).toMatchObject({ column: "Status", task: "binary", labels: { bad: "bad", good: "good" } });
  });

  it("breast_cancer → target, binary with integer-coded labels", async () => {
    const t = detectTarget(await profileOf("test/fixtures/breast_cancer.csv"), config.profile);
    expect(t).toMatchObject({ column: "target", task: "binary", labels: { "0": "0", "1": "1" } });
  });

  it("digits → target, multiclass with labels 0–9 in numeric order", async () => {
    const t = detectTarget(await profileOf("test/fixtures/digits.csv"), config.profile);
    expect(t.column).toBe("target");
    expect(t.task).toBe("multiclass");
    expect(Object.keys(t.labels)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  });

  it("ames → Sale_Price (72nd of 74), regression with no labels", async () => {
    const t = detectTarget(await profileOf("examples/ames.csv"), config.profile);
    expect(t).toMatchObject({ column: "Sale_Price", task: "regression", labels: {} });
  });

  it("seattle_weather → weather, multiclass (5), never the date", async () => {
    const t = detectTarget(await profileOf("test/fixtures/seattle_weather.csv"), config.profile);
    expect(t.column).toBe("weather");
    expect(t.task).toBe("multiclass");
    expect(Object.keys(t.labels)).toEqual(["drizzle", "fog", "rain", "snow", "sun"]);
  });
});

describe("explicit --target", () => {
  it("honours a valid column and says so", async () => {
    const t = detectTarget(await profileOf("test/fixtures/penguins.csv"), config.profile, "Island");
    expect(t).toMatchObject({ column: "Island", task: "multiclass" });
    expect(t.reasons[0]).toContain("--target");
  });

  it("reads a numeric target with many values as regression", async () => {
    const t = detectTarget(await profileOf("test/fixtures/penguins.csv"), config.profile, "Body Mass (g)");
    expect(t).toMatchObject({ task: "regression", labels: {} });
  });

  it("rejects an unknown column, listing the columns", async () => {
    const e = targetError(await profileOf("test/fixtures/penguins.csv"), "Foo");
    expect(e.code).toBe("target_not_found");
    expect(e.message).toBe(
      '--target "Foo" is not a column of test/fixtures/penguins.csv; columns are: Species, Island, Beak Length (mm), Beak Depth (mm), Flipper Length (mm), Body Mass (g), Sex',
    );
  });

  it("truncates a long column list", async () => {
    const e = targetError(await profileOf("test/fixtures/digits.csv"), "nope");
    expect(e.message).toMatch(/columns are: pixel_0_0, .*, … \(53 more\)$/);
  });

  it("points out a case-only mismatch", async () => {
    const e = targetError(await profileOf("test/fixtures/penguins.csv"), "species");
    expect(e.message).toContain('did you mean "Species"?');
    expect(e.suggestion).toContain("case-sensitive");
  });

  it("rejects a constant column", async () => {
    const e = targetError(await profileOf("test/fixtures/digits.csv"), "pixel_0_0");
    expect(e.code).toBe("target_constant");
    expect(e.message).toBe('--target "pixel_0_0" in test/fixtures/digits.csv has the same value ("0") in every row');
  });

  it("rejects an identifier", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i + 1},${i % 3 ? "a" : "b"},${i * 2}`);
    const profile = await profileOf(csv("ids.csv", `customer_id,group,v\n${rows.join("\n")}\n`));
    const e = targetError(profile, "customer_id");
    expect(e.code).toBe("target_identifier");
    expect(e.message).toContain("customer_id");
    expect(e.message).toContain("ids.csv");
  });

  it("rejects a text column with more classes than maxClassCardinality", async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `c${i % 30},${i}`);
    const profile = await profileOf(csv("wide.csv", `cat,v\n${rows.join("\n")}\n`));
    expect(targetError(profile, "cat").code).toBe("target_too_many_classes");
  });
});

describe("heuristic", () => {
  it("never picks an identifier, date or text column, and fails loudly when nothing is left", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i + 1},2024-02-${String(1 + (i % 28)).padStart(2, "0")},"note number ${i} words here",same`);
    const profile = await profileOf(csv("none.csv", `id,date,comment,k\n${rows.join("\n")}\n`));
    const e = targetError(profile);
    expect(e.code).toBe("target_not_found");
    expect(e.suggestion).toContain("--target");
  });

  it("prefers the last column without name cues and gives reasons", async () => {
    // Two measured columns, so neither is "the only measurement among factors": position decides.
    const rows = Array.from({ length: 30 }, (_, i) => `${(i * 0.37).toFixed(2)},${((i * 7) % 30) / 3},${i % 2 ? "up" : "down"}`);
    const t = detectTarget(await profileOf(csv("plain.csv", `a,b,c\n${rows.join("\n")}\n`)), config.profile);
    expect(t).toMatchObject({ column: "c", task: "binary", labels: { down: "down", up: "up" } });
    expect(t.reasons).toContain("it is the last column");
  });
});
