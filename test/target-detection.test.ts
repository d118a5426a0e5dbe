/**
 * Target detection on 68 public tables the rules were tuned on (test/fixtures/targets/
 * manifest.json: where each came from, its natural target and why), and on 42 held-out
 * tables (heldout/manifest.json, written down before detection first ran on them). Each table goes through the same functions the
 * explore node uses (readTable → profileTable → detectTarget). Tables the heuristic gets
 * wrong are listed in the manifest with `knownMiss` and the reason; for those the test
 * asserts that the right column is still among the three candidates shown at review, so a
 * change in either direction is noticed.
 */
import { readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig } from "../src/config.js";
import { TaskType, type TableProfile } from "../src/schemas.js";
import { readTable } from "../src/table/columns.js";
import { readTableSample } from "../src/table/csv.js";
import { profileTable } from "../src/table/profile.js";
import { coordinatePartners } from "../src/table/target-evidence.js";
import { closeCallLine, derivedFrom, detectTarget, rankTargets } from "../src/table/target.js";

const config = loadConfig();
const dir = "test/fixtures/targets";
const Manifest = z.object({
  tables: z.array(
    z.object({ file: z.string(), target: z.string(), task: TaskType, source: z.string(), reason: z.string().min(10), changes: z.array(z.string()), knownMiss: z.string().optional() }),
  ),
});
const { tables } = Manifest.parse(JSON.parse(readFileSync(`${dir}/manifest.json`, "utf8")));
const heldOut = Manifest.parse(JSON.parse(readFileSync(`${dir}/heldout/manifest.json`, "utf8"))).tables;
const fresh = Manifest.parse(JSON.parse(readFileSync(`${dir}/fresh/manifest.json`, "utf8"))).tables;
const fresh2 = Manifest.parse(JSON.parse(readFileSync(`${dir}/fresh2/manifest.json`, "utf8"))).tables;
/**
 * The SECOND fresh set (fresh2/manifest.json, committed in 5a320e2 and b068d15 before detection
 * ever ran on it), measured ONCE with the rules of 526de93: 14 of 32. No rule changed after.
 * Misses, with why:
 * - birthwt (low), synth.tr (yc), foodstamp (participation), Lanza (classification 1-5): a target
 *   coded as small integers gets no shape bonus, so a measured quantity or label column at the
 *   other end (bwt, xs, income, study) outscores it;
 * - snails (Species input takes the whole-name cue "species"), Journals (price), CollegeDistance
 *   (score, wage), stagec (grade), cu.summary (Price): a name cue lands on an input;
 * - Robey (tfr), Blackmore (exercise), motor (accel), Wheat2 (yield), KosteckiDillon (headache):
 *   target in the middle, no cue; the last column wins;
 * - crabs (sp first vs BD last, no row names: the later wins), toxicity (likewise, vs P), mammals
 *   (brain last vs body first after the row names, which wins there): ties decided by position;
 * - Vocab: vocabulary (0-10 words right) is read as 11 integer classes, and education, the only
 *   measured quantity, outscores it (CollegeDistance's education 12-18 is read as classes too).
 */
const FRESH2_MISSES = [
  "hsaur3_Lanza.csv", "mass_birthwt.csv", "mass_crabs.csv", "mass_synth.tr.csv", "mass_mammals.csv", "mass_snails.csv", "cardata_KosteckiDillon.csv",
  "cardata_Vocab.csv", "cardata_Robey.csv", "cardata_Blackmore.csv", "aer_Journals.csv", "aer_CollegeDistance.csv", "robustbase_foodstamp.csv",
  "robustbase_toxicity.csv", "rpart_stagec.csv", "rpart_cu.summary.csv", "boot_motor.csv", "nlme_Wheat2.csv",
];
/**
 * The FRESH held-out set (fresh/manifest.json, committed in ed02904 before detection ever ran on
 * it) was measured ONCE with the rules of f2f2587: 19 of 37. It is development data since (the
 * sorted-by, coordinate, derived-trailer and lone-label rules came from its misses). Misses now, with why:
 * - rock: perm's 12 values each 4 times read as a balanced design (-15);
 * - shuttle, Ericksen, Cushings: target last, tied with the first column after the row names,
 *   which wins ties where row names come first (Cushings' Type is a lone label among only two numbers);
 * - infert, Leinhardt, Moore, Ginzberg, Greene: target in the middle, no cue; the first or last
 *   column (education, income, partner.status, simplicity, judge) wins;
 * - nodal: "grade" (an input, binary) takes the class cue; r has no cue;
 * - urine: r first after the row names, but calc (last) is a measured quantity (+5);
 * - promotergene: Class (+/-) is not among the candidates at all ("-" is a missing-value token).
 */
const FRESH_MISSES = [
  "datasets_rock.csv", "datasets_infert.csv", "mass_Cushings.csv", "mass_shuttle.csv", "cardata_Ericksen.csv", "cardata_Leinhardt.csv",
  "cardata_Moore.csv", "cardata_Ginzberg.csv", "cardata_Greene.csv", "boot_nodal.csv", "boot_urine.csv", "kernlab_promotergene.csv",
];
/**
 * The first held-out set is now development data: it was measured once before any change
 * from it (25 of 42), then the rules changed with it in view (counts, the tie after row
 * names, partial name cues, the lone label among numbers). These are its misses now (31 of 42), with why:
 * - Zoo (type vs hair), clouds (rainfall vs seeding), delivery (delTime vs n.prod): target last, tied with the first column after the row names, which wins ties there;
 * - Ozone (V4), TeachingRatings (eval), water (mortality), bodyfat (DEXfat): target in the middle,
 *   no cue, outscored by the first/last columns;
 * - RecreationDemand, ResumeNames: the class cue "quality" lands on an input (a 0–5 rating, low/high);
 * - plasma: fibrinogen (first after the row names, the only measured quantity: globulin is integer
 *   levels) outscores ESR (last, two labels);
 * - pottery: kiln (integer codes 1–5, no shape bonus) loses to the first oxide, Al2O3.
 */
const HELD_OUT_MISSES = [
  "mlbench_Zoo.csv", "mlbench_Ozone.csv", "aer_RecreationDemand.csv", "aer_ResumeNames.csv", "aer_TeachingRatings.csv", "hsaur3_plasma.csv",
  "hsaur3_clouds.csv", "hsaur3_water.csv", "hsaur3_pottery.csv", "th.data_bodyfat.csv", "robustbase_delivery.csv",
];

async function profileOf(file: string): Promise<TableProfile> {
  const path = `${dir}/${file}`;
  return profileTable(await readTable(path, config.csv), config.profile, await readTableSample(path, config.csv, config.profile.sampleRows));
}

describe("target detection on public tables", () => {
  it("has at least 30 tables, small, from more than one source", () => {
    expect(tables.length).toBeGreaterThanOrEqual(30);
    expect(new Set(tables.map((t) => t.source.split(":")[0])).size).toBeGreaterThanOrEqual(4);
    const right = tables.filter((t) => !t.knownMiss).length;
    // The honest count: 60 of 68 (4 right before the tie rule after row names now miss, 4 others now right).
    expect(right).toBe(60);
  });

  for (const table of tables.filter((t) => !t.knownMiss)) {
    it(`${table.file} → ${table.target} (${table.task})`, async () => {
      const profile = await profileOf(table.file);
      expect(profile.rows).toBeLessThanOrEqual(300);
      expect(profile.columns.length).toBeLessThanOrEqual(40);
      const chosen = detectTarget(profile, config.profile);
      expect({ column: chosen.column, task: chosen.task }).toEqual({ column: table.target, task: table.task });
    });
  }

  for (const table of tables.filter((t) => t.knownMiss)) {
    it(`known miss: ${table.file} (${table.target} is among the top three shown)`, async () => {
      const profile = await profileOf(table.file);
      const chosen = detectTarget(profile, config.profile);
      expect(chosen.column).not.toBe(table.target);
      const top = rankTargets(profile, config.profile).slice(0, 3);
      const right = top.find((c) => c.column === table.target);
      // Prestige's target ranks lower: three columns outscore it (see its knownMiss).
      if (table.file === "cardata_Prestige.csv") expect(right).toBeUndefined();
      else expect(right?.task).toBe(table.task);
    });
  }
});

describe("target detection on the first held-out tables (measured once untuned: 25 of 42; development data since)", () => {
  it("has at least 20 tables from sources the tuning set does not use, each small", () => {
    expect(heldOut.length).toBeGreaterThanOrEqual(20);
    const tuningSources = new Set(tables.map((t) => t.source.split(":")[0]));
    expect(heldOut.filter((t) => tuningSources.has(t.source.split(":")[0]))).toEqual([]);
    for (const t of heldOut) expect(statSync(`${dir}/heldout/${t.file}`).size).toBeLessThanOrEqual(60_000);
  });

  it(`gets target and task right on ${heldOut.length - HELD_OUT_MISSES.length} of ${heldOut.length}`, async () => {
    const missed: string[] = [];
    for (const table of heldOut) {
      const profile = await profileOf(`heldout/${table.file}`);
      expect(profile.rows).toBeLessThanOrEqual(300);
      const chosen = detectTarget(profile, config.profile);
      if (chosen.column !== table.target || chosen.task !== table.task) missed.push(table.file);
    }
    expect(missed).toEqual(HELD_OUT_MISSES);
  });
});

describe("target detection on the fresh tables (measured once untuned: 19 of 37; development data since)", () => {
  it("has at least 25 tables none of the other sets holds, small, binary/multiclass/regression mixed", () => {
    expect(fresh.length).toBeGreaterThanOrEqual(25);
    const seen = new Set([...tables, ...heldOut].map((t) => t.source.split(": ")[1]?.toLowerCase()));
    expect(fresh.filter((t) => seen.has(t.source.split(": ")[1]?.toLowerCase()))).toEqual([]);
    expect(new Set(fresh.map((t) => t.task)).size).toBe(3);
    let total = 0;
    for (const t of fresh) {
      const size = statSync(`${dir}/fresh/${t.file}`).size;
      expect(size).toBeLessThanOrEqual(60_000);
      total += size;
    }
    expect(total).toBeLessThanOrEqual(1_500_000);
  });

  it(`gets target and task right on ${fresh.length - FRESH_MISSES.length} of ${fresh.length}`, async () => {
    const missed: string[] = [];
    for (const table of fresh) {
      const profile = await profileOf(`fresh/${table.file}`);
      expect(profile.rows).toBeLessThanOrEqual(300);
      const chosen = detectTarget(profile, config.profile);
      if (chosen.column !== table.target || chosen.task !== table.task) missed.push(table.file);
    }
    // Measured once untuned: 19 of 37; 25 with the rules made since.
    expect(fresh.length - missed.length).toBe(25);
    expect(missed).toEqual(FRESH_MISSES);
  });
});

describe("target detection on the SECOND fresh tables (measured once, rules frozen)", () => {
  it("has at least 25 tables none of the other sets holds, each at most 200 KB, binary/multiclass/regression mixed", () => {
    expect(fresh2.length).toBeGreaterThanOrEqual(25);
    const seen = new Set([...tables, ...heldOut, ...fresh].map((t) => t.source.split(": ")[1]?.toLowerCase()));
    expect(fresh2.filter((t) => seen.has(t.source.split(": ")[1]?.toLowerCase()))).toEqual([]);
    expect(new Set(fresh2.map((t) => t.task)).size).toBe(3);
    for (const t of fresh2) expect(statSync(`${dir}/fresh2/${t.file}`).size).toBeLessThanOrEqual(200_000);
  });

  it(`gets target and task right on ${fresh2.length - FRESH2_MISSES.length} of ${fresh2.length}`, async () => {
    const missed: string[] = [];
    for (const table of fresh2) {
      const profile = await profileOf(`fresh2/${table.file}`);
      expect(profile.rows).toBeLessThanOrEqual(300);
      const chosen = detectTarget(profile, config.profile);
      if (chosen.column !== table.target || chosen.task !== table.task) missed.push(table.file);
    }
    // Measured once: 14 of 32.
    expect(fresh2.length - missed.length).toBe(14);
    expect(missed).toEqual(FRESH2_MISSES);
  });
});

describe("rules a data scientist would state", () => {
  it("a row-name first column takes no place: the column beside it is 'first' (mtcars)", async () => {
    const ranked = rankTargets(await profileOf("datasets_mtcars.csv"), config.profile);
    expect(ranked.map((c) => c.column)).not.toContain("model");
    expect(ranked[0]?.reasons).toContain("it is the first column after the row labels");
    // carb (1–8 carburettors, most at 2 and 4, a tail to 8) is a count: a quantity, not 8 classes.
    expect(ranked.find((c) => c.column === "carb")?.task).toBe("regression");
  });

  it("24% missing target values cost about one point, and calendar fields are never candidates (airquality)", async () => {
    const ranked = rankTargets(await profileOf("datasets_airquality.csv"), config.profile);
    expect(ranked.map((c) => c.column)).not.toContain("Day");
    expect(ranked.map((c) => c.column)).not.toContain("Month");
    const ozone = ranked.find((c) => c.column === "Ozone");
    expect(ozone?.reasons.join(" ")).toContain("24.2% of its values are missing");
    expect(ozone?.score).toBeCloseTo(25 - 5 * (37 / 153), 1);
  });

  it("a quantity cue does not fit a categorical column (attrition's PerformanceRating), nor a class cue a 133-level id (nlschools' class)", async () => {
    const attrition = rankTargets(await profileOf("modeldata_attrition.csv"), config.profile);
    expect(attrition.find((c) => c.column === "PerformanceRating")?.reasons.join(" ") ?? "").not.toContain("rating");
    const schools = rankTargets(await profileOf("mass_nlschools.csv"), config.profile);
    expect(schools.find((c) => c.column === "class")?.reasons.join(" ") ?? "").not.toContain("named like a target");
  });

  it("a column named after another with more added is derived from it, not the outcome (LifeCycleSavings' ddpi, scotvote's interaction)", async () => {
    expect(derivedFrom("ddpi", ["sr", "pop15", "dpi", "ddpi"])).toBe("dpi");
    expect(derivedFrom("INCOMESQ", ["AVGEXP", "INCOME", "INCOMESQ"])).toBe("INCOME");
    expect(derivedFrom("dpi", ["sr", "dpi", "ddpi"])).toBeNull();
    // Stems shorter than three letters are too common to mean anything.
    expect(derivedFrom("year", ["ye", "year"])).toBeNull();
    const ranked = rankTargets(await profileOf("datasets_LifeCycleSavings.csv"), config.profile);
    expect(ranked[0]?.column).toBe("sr");
    expect(ranked.find((c) => c.column === "ddpi")?.reasons.join(" ")).toContain('named after "dpi"');
  });

  it("integer counts piled at the low end with a long right tail are quantities, not classes (visits 0–9, articles 0–12)", async () => {
    for (const [file, column] of [["heldout/aer_DoctorVisits.csv", "visits"], ["heldout/aer_PhDPublications.csv", "articles"]] as const) {
      const profile = await profileOf(file);
      const values = profile.columns.find((c) => c.name === column);
      // Few enough levels to pass for class codes: only the shape says count.
      expect(values?.distinct).toBeLessThanOrEqual(config.profile.maxClassCardinality);
      expect(detectTarget(profile, config.profile)).toMatchObject({ column, task: "regression" });
    }
  });

  it("a class cue inside a longer name does not count (ETHNIC.CLASS, MARITAL.STATUS describe the row)", async () => {
    const ranked = rankTargets(await profileOf("heldout/kernlab_income.csv"), config.profile);
    for (const column of ["ETHNIC.CLASS", "MARITAL.STATUS"]) expect(ranked.find((c) => c.column === column)?.reasons.join(" ")).not.toMatch(/in its name|named like/);
    expect(ranked[0]?.column).toBe("INCOME");
  });

  it("a column the rows are sorted by takes no place (cars by speed), and the last place skips columns derived from another (cpus' estperf)", async () => {
    const cars = rankTargets(await profileOf("fresh/datasets_cars.csv"), config.profile);
    expect(cars[0]?.column).toBe("dist");
    expect(cars.find((c) => c.column === "speed")?.reasons.join(" ")).toContain("the rows are sorted by it");
    const cpus = rankTargets(await profileOf("fresh/mass_cpus.csv"), config.profile);
    expect(cpus[0]).toMatchObject({ column: "perf", task: "regression" });
    expect(cpus[0]?.reasons).toContain("it is the last column but for columns derived from it");
    expect(derivedFrom("estperf", ["perf", "estperf"])).toBe("perf");
  });

  it("x, y and z together are coordinates: y takes no target cue there (diamonds), and 'y' alone still does", async () => {
    expect(coordinatePartners("y", ["carat", "x", "y", "z"])).toEqual(["x", "z"]);
    expect(coordinatePartners("y", ["x1", "x2", "y"])).toEqual([]);
    const diamonds = rankTargets(await profileOf("fresh/ggplot2_diamonds.csv"), config.profile);
    expect(diamonds[0]?.column).toBe("price");
    expect(diamonds.find((c) => c.column === "y")?.reasons.join(" ")).toContain("a coordinate");
    expect(detectTarget(await profileOf("mass_UScrime.csv"), config.profile).column).toBe("y");
  });

  it("the one column of text labels among three or more numeric columns is what they tell apart (Satellite), not with two (whiteside's Insul)", async () => {
    const satellite = rankTargets(await profileOf("fresh/mlbench_Satellite.csv"), config.profile);
    expect(satellite[0]?.column).toBe("classes");
    expect(satellite[0]?.reasons).toContain("it is the only column of class labels; the other columns are numbers");
    const whiteside = rankTargets(await profileOf("mass_whiteside.csv"), config.profile);
    expect(whiteside[0]?.column).toBe("Gas");
    expect(whiteside.find((c) => c.column === "Insul")?.reasons.join(" ")).not.toContain("only column of class labels");
  });

  it("a tie between the first two is called close, with both names", async () => {
    const profile = await profileOf("cardata_Wells.csv");
    const line = closeCallLine(rankTargets(profile, config.profile), config.profile.targetCloseMargin);
    expect(line).toContain('"association" leads "switch" by 0 points');
    expect(detectTarget(profile, config.profile).reasons).toContain(line);
  });
});
