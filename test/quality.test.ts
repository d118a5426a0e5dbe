/** Quality findings on small planted tables, and how the heuristic plan uses them. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { heuristicPlan } from "../src/planning/heuristic-plan.js";
import { QualityFinding, TableProfile } from "../src/schemas.js";
import { createRng } from "../src/stats/random.js";
import { readTable, type Table } from "../src/table/columns.js";
import { profileTable } from "../src/table/profile.js";
import { lookupLambda } from "../src/stats/association.js";
import { binaryAuc } from "../src/stats/kernel.js";
import { findQualityIssues, severityOf, spellingKey } from "../src/table/quality.js";
import { detectTarget } from "../src/table/target.js";

const config = loadConfig();
const dir = mkdtempSync(join(tmpdir(), "tabtune-quality-"));
let fileNo = 0;
const NOW = Date.parse("2025-06-01T00:00:00Z");

async function analyse(lines: string[], target?: string): Promise<{ table: Table; profile: TableProfile; findings: QualityFinding[] }> {
  const path = join(dir, `q${++fileNo}.csv`);
  writeFileSync(path, lines.join("\n") + "\n");
  const table = await readTable(path, config.csv);
  const profile = profileTable(table, config.profile, []);
  const choice = detectTarget(profile, config.profile, target);
  const findings = findQualityIssues(table, profile, choice, config.quality, { seed: 1, now: NOW });
  return { table, profile: { ...profile, findings }, findings };
}

const byCheck = (findings: QualityFinding[], check: QualityFinding["check"]) => findings.filter((f) => f.check === check);

/** n rows of a customer table; `cell(i)` adds columns. */
function rows(n: number, header: string, cell: (i: number, rng: () => number) => string): string[] {
  const rng = createRng(3);
  return [header, ...Array.from({ length: n }, (_, i) => cell(i, rng))];
}

describe("helpers", () => {
  it("grades severity by the share of rows", () => {
    expect(severityOf(0, 100, config.quality)).toBe("low");
    expect(severityOf(1, 100, config.quality)).toBe("medium");
    expect(severityOf(5, 100, config.quality)).toBe("high");
  });
  it("keys spellings without case, spaces, _ - .", () => {
    expect(spellingKey(" iPhone  13 ")).toBe(spellingKey("iphone-13"));
    expect(spellingKey("New_York")).toBe(spellingKey("new york"));
  });
  it("λ is 1 for a value→class lookup and 0 for unique values", () => {
    expect(lookupLambda(Int32Array.of(0, 0, 1, 1), 2, Int32Array.of(1, 1, 0, 0), 2).lambda).toBe(1);
    expect(lookupLambda(Int32Array.of(0, 1, 2, 3), 4, Int32Array.of(1, 1, 0, 0), 2).lambda).toBe(0);
  });
  it("AUC counts pairs, ties as half", () => {
    // By hand: 0.35 beats 0.1 (1); 0.8 beats all (3); 0.4 beats 0.1 and ties 0.4 twice (2) → 6 / 9.
    expect(binaryAuc([0.35, 0.8, 0.4], [0.1, 0.4, 0.4])).toBeCloseTo(6 / 9, 12);
    expect(binaryAuc([3, 4], [1, 2])).toBe(1);
  });
});

describe("findQualityIssues", () => {
  it("finds near-duplicate category spellings and counts the minority rows", async () => {
    const devices = ["iPhone 13", "iPhone 13", "iPhone 13", "iphone 13", "Pixel 7", "pixel_7", "Galaxy"];
    const { findings } = await analyse(rows(70, "device,price,bought", (i) => `${devices[i % 7]},${100 + i},${i % 2 ? "yes" : "no"}`));
    const [spelling] = byCheck(findings, "near_duplicate_categories");
    expect(spelling).toMatchObject({ columns: ["device"], affectedRows: 20, severity: "high" });
    expect(spelling?.message).toContain('"iPhone 13" (30) / "iphone 13" (10)');
    expect(spelling?.message).toContain('"Pixel 7" (10) / "pixel_7" (10)');
    expect(spelling?.suggestion).toContain("one spelling");
  });

  it("flags negative ages and amounts but not negative temperatures", async () => {
    const { findings } = await analyse(
      rows(200, "age,loan_amount,temperature,outcome", (i) => `${i === 5 ? -3 : 20 + (i % 50)},${i < 20 ? -100 : 500 + i},${(i % 31) - 10},${i % 3 ? "a" : "b"}`),
    );
    const negatives = byCheck(findings, "negative_values");
    expect(negatives.map((f) => [f.columns[0], f.affectedRows, f.severity])).toEqual([
      ["loan_amount", 20, "high"],
      ["age", 1, "low"],
    ]);
    expect(negatives[1]?.message).toBe('"age" has 1 negative value (0.5%; smallest -3), impossible for age');
  });

  it("flags end before start and dates in the future", async () => {
    const { findings } = await analyse(
      rows(100, "start_date,end_date,visit,label", (i) => {
        const start = `2024-01-${String(1 + (i % 28)).padStart(2, "0")}`;
        const end = i < 3 ? "2023-12-31" : `2024-02-${String(1 + (i % 28)).padStart(2, "0")}`;
        const visit = i === 0 ? "2031-05-05" : `2024-03-${String(1 + (i % 28)).padStart(2, "0")}`;
        return `${start},${end},${visit},${i % 2 ? "x" : "y"}`;
      }),
    );
    expect(byCheck(findings, "end_before_start")[0]).toMatchObject({ columns: ["start_date", "end_date"], affectedRows: 3, severity: "medium" });
    expect(byCheck(findings, "future_dates")[0]).toMatchObject({ columns: ["visit"], affectedRows: 1 });
    expect(byCheck(findings, "future_dates")[0]?.message).toContain("2031-05-05");
  });

  it("finds a column that maps each value to one class, a renamed copy of the target, and a numeric threshold leak", async () => {
    const { findings, profile } = await analyse(
      rows(300, "income,branch,status_code,days_to_default,churn", (i, rng) => {
        const churn = rng() < 0.3 ? "yes" : "no";
        const branch = ["a", "b", "c"][i % 3];
        const code = churn === "yes" ? "C1" : "C0";
        const days = churn === "yes" ? Math.floor(rng() * 30) : 100 + Math.floor(rng() * 300);
        return `${Math.round(30000 + rng() * 50000)},${branch},${code},${days},${churn}`;
      }),
      "churn",
    );
    const leaks = byCheck(findings, "target_leakage");
    expect(leaks.map((f) => f.columns[0]).sort()).toEqual(["days_to_default", "status_code"]);
    expect(leaks.every((f) => f.severity === "high")).toBe(true);
    expect(leaks.find((f) => f.columns[0] === "days_to_default")?.message).toContain("AUC 1.000");
    expect(TableProfile.parse(profile).findings).toHaveLength(findings.length);

    const target = detectTarget(profile, config.profile, "churn");
    const plan = heuristicPlan({ profile, target, targetCounts: {}, selectedFeatures: null, config });
    expect(plan.features).toEqual(["income", "branch"]);
    expect(plan.dropped.find((d) => d.column === "status_code")?.reason).toMatch(/^target leakage: /);
  });

  it("finds a regression leak by correlation and an identical copy of the target", async () => {
    const { findings } = await analyse(
      rows(200, "size,price_eur,noise,price", (i, rng) => {
        const price = 1000 + i * 10 + rng() * 5;
        return `${i % 7},${(price * 0.92).toFixed(2)},${rng().toFixed(3)},${price.toFixed(2)}`;
      }),
      "price",
    );
    const leaks = byCheck(findings, "target_leakage");
    expect(leaks.map((f) => f.columns[0])).toEqual(["price_eur"]);
    expect(leaks[0]?.message).toMatch(/correlation with the target is 1\.000/);
    const copy = await analyse(rows(50, "a,b,y", (i) => `${i % 5},${i % 2 ? "p" : "q"},${i % 2 ? "p" : "q"}`), "y");
    expect(byCheck(copy.findings, "target_leakage")[0]?.message).toContain("same value as the target in every row");
  });

  it("reports duplicate rows and constant columns, most severe first, and nothing on clean data", async () => {
    const { findings } = await analyse(rows(40, "k,a,b,y", (i) => `same,${i % 3},${i % 5},${i % 2 ? "u" : "v"}`));
    expect(findings.map((f) => f.check)).toEqual(["duplicate_rows", "constant_column"]);
    expect(findings[0]).toMatchObject({ affectedRows: 10, severity: "high" });
    expect(findings[1]).toMatchObject({ columns: ["k"], severity: "low" });
    const clean = await analyse(rows(60, "x,z,y", (i, rng) => `${rng().toFixed(4)},${rng().toFixed(4)},${rng() < 0.5 ? "a" : "b"}`));
    expect(clean.findings).toEqual([]);
  });

  it("finds no leakage or impossible values in the shared example datasets", async () => {
    for (const path of ["examples/credit_data.csv", "examples/ames.csv", "test/fixtures/penguins.csv", "test/fixtures/breast_cancer.csv", "test/fixtures/seattle_weather.csv"]) {
      const table = await readTable(path, config.csv);
      const profile = profileTable(table, config.profile, []);
      const findings = findQualityIssues(table, profile, detectTarget(profile, config.profile), config.quality, { seed: 1, now: NOW });
      expect(findings.filter((f) => f.severity !== "low"), path).toEqual([]);
    }
  });
});
