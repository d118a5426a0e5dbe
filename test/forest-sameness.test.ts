/**
 * The forest learns what it learned before its fit was made faster (issue 16): for each
 * seeded case of test/helpers/forest-cases.ts, the same trees (sha256 of every split,
 * threshold, child, leaf value and NaN direction), the same importances and the same
 * predictions, bit for bit, as the forest of commit a5f250b wrote to
 * test/fixtures/reference/forest-sameness.json (regenerate only on purpose: see
 * test/fixtures/reference/forest-sameness.ts).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { forestCases, forestOutcome, type ForestOutcome } from "./helpers/forest-cases.js";

const pinned = (JSON.parse(readFileSync(new URL("./fixtures/reference/forest-sameness.json", import.meta.url), "utf8")) as { cases: ForestOutcome[] }).cases;

describe("forest fit is unchanged", () => {
  const cases = forestCases();
  it("pins every case", () => {
    expect(pinned.map((c) => c.name)).toEqual(cases.map((c) => c.name));
  });
  for (const c of cases) {
    it(c.name, () => {
      const want = pinned.find((o) => o.name === c.name);
      expect(want).toBeDefined();
      const got = forestOutcome(c);
      expect(got.nodes).toBe(want?.nodes);
      expect(got.treesSha256).toBe(want?.treesSha256);
      expect(got.importance).toEqual(want?.importance);
      expect(got.predictions).toEqual(want?.predictions);
    });
  }
});
