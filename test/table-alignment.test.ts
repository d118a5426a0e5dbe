/** --test-csv alignment: missing, extra and reordered columns, type mismatches, unseen categories and labels. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { alignTestTable } from "../src/table/alignment.js";
import { readTable } from "../src/table/columns.js";
import { profileTable } from "../src/table/profile.js";
import { detectTarget } from "../src/table/target.js";

const config = loadConfig();
const dir = mkdtempSync(join(tmpdir(), "tabtune-align-"));

function csv(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

const trainLines = ["id,age,plan,score,status", ...Array.from({ length: 40 }, (_, i) => `${i + 1},${20 + (i % 30)},${["basic", "plus"][i % 2]},${(i * 0.5).toFixed(1)},${i % 3 ? "good" : "bad"}`)];

async function align(testLines: string[]) {
  const train = await readTable(csv("train.csv", trainLines), config.csv);
  const profile = profileTable(train, config.profile, []);
  const target = detectTarget(profile, config.profile, "status");
  const test = await readTable(csv(`test${testLines.length}-${testLines[0]?.length}.csv`, testLines), config.csv);
  return alignTestTable(train, profile, test, target);
}

describe("alignTestTable", () => {
  it("says nothing for a test CSV shaped like the training CSV", async () => {
    expect(await align(trainLines.slice(0, 10))).toEqual({ issues: [], missing: [] });
  });

  it("reports missing, extra and reordered columns", async () => {
    const result = await align(["status,plan,id,region,score", "good,basic,1,north,2.5", "bad,plus,2,south,3"]);
    expect(result.missing).toEqual(["age"]);
    expect(result.issues).toEqual([
      "missing in test CSV: age",
      "extra in test CSV (ignored): region",
      "columns are in a different order (matched by name)",
    ]);
  });

  it("reports numeric columns holding text, unseen categories and unseen labels", async () => {
    const result = await align([
      "id,age,plan,score,status",
      "1,31,basic,1.5,good",
      "2,unknown,premium,2.0,good",
      "3,40,Premium,low,excellent",
      "4,41,plus,3.5,bad",
    ]);
    expect(result.missing).toEqual([]);
    expect(result.issues).toEqual([
      '"age" is integer in training but 1 test row holds text: "unknown" (read as missing)',
      '"plan" has categories not seen in training, 2 values in 2 rows: "premium", "Premium"',
      '"score" is numeric in training but 1 test row holds text: "low" (read as missing)',
      'target "status" has labels not seen in training, 1 value in 1 row: "excellent" (evaluation will reject them)',
    ]);
  });

  it("lists a missing target among the missing columns (explore makes it fatal)", async () => {
    const result = await align(["id,age,plan,score", "1,31,basic,1.5"]);
    expect(result.missing).toEqual(["status"]);
  });
});
