/**
 * select_features: wide tables are ranked on the training rows of the split fixed at explore
 * (never a test row): ranked on the fit part of them, and cut to the k best, k chosen on a
 * validation fold (stats/selection-k.ts).
 */
import { writeFileAtomic, artifactRef } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { getConfig } from "../runtime.js";
import type { State, Update } from "../state.js";
import { baselineMaxFeatures } from "../stats/baseline.js";
import { KEPT_UNBOUNDED, rankFeatures, targetCell, type FeatureRanking } from "../stats/selection.js";
import { chooseK, kGrid, type KChoice } from "../stats/selection-k.js";
import { MASK_TRAIN, rowsOn, testMask } from "../stats/split.js";
import { readTable } from "../table/columns.js";
import { csvCell, spreadsheetSafe } from "../table/csv-out.js";
import { requireOptions, requireProfile, requireRunDir, requireState } from "./common.js";
import { readSplitMask } from "./split.js";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { progressReporter } from "../events.js";

/**
 * feature_rankings.csv: one row per candidate, best first; `validation_score` is filled on
 * the row of each k tried (the k-th eligible column): the score of the top k on the validation fold.
 */
function rankingsCsv(rankings: FeatureRanking[], places: Map<string, number>, choice: KChoice | null): string {
  const header = ["rank", "column", "kind", "variance", "abs_correlation", "mutual_information", "forest_importance", "average_rank", "kept", "validation_score", "reason"];
  const scoreAt = new Map((choice?.scores ?? []).map((s) => [s.k, s.score]));
  const lines = rankings.map((r, i) => {
    const place = places.get(r.column);
    const score = place === undefined ? null : (scoreAt.get(place) ?? null);
    return [i + 1, r.column, r.kind, r.variance, r.absCorrelation, r.mutualInformation, r.forestImportance, r.averageRank, r.kept, score, r.reason].map(csvCell).join(",");
  });
  return [header.join(","), ...lines].join("\n") + "\n";
}

/** The training rows split again, seeded and stratified like the split: the fit part ranks, the validation fold chooses k. */
function foldRows(train: Int32Array, labels: string[], ratio: number, seed: number, stratify: boolean): { fit: Int32Array; validation: Int32Array } {
  const fold = testMask(labels, ratio, seed, stratify);
  return { fit: train.filter((_, i) => fold[i] === 0), validation: train.filter((_, i) => fold[i] === 1) };
}

export async function selectFeatures(state: State, runConfig?: LangGraphRunnableConfig): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const runDir = requireRunDir(state);
  const profile = requireProfile(state);
  const target = requireState(state.target, "target", "select_features");
  const config = getConfig();
  const fs = config.featureSelection;
  const reading = progressReporter(runConfig, "select_features", "reading CSV", "rows");
  const table = await readTable(options.csv, { missingTokens: config.csv.missingTokens, batchRows: config.csv.batchRows, decimalComma: config.csv.decimalComma }, (done) => reading.update(done, profile.rows));
  reading.finish(table.rows);
  const skip = new Set(profile.columns.filter((c) => c.kind === "identifier" || c.kind === "text").map((c) => c.name));
  skip.add(target.column);
  const column = (name: string) => {
    const col = table.columns.find((c) => c.name === name);
    if (!col)
      throw new TabtuneError("csv_changed", `column ${name} is not in ${options.csv} any more (explore profiled it there)`, { suggestion: "start the run again on the CSV as it is now" });
    return col;
  };
  // Only the training rows of explore's mask (never a test row) are looked at below.
  const splitMask = requireState(state.splitMask, "split mask", "select_features");
  const mask = await readSplitMask(splitMask);
  if (mask.length !== table.rows)
    throw new TabtuneError("csv_changed", `${options.csv} has ${table.rows} rows, explore's split mask ${mask.length}`, { suggestion: "start the run again on the CSV as it is now" });
  const targetColumn = column(target.column);
  const regression = target.task === "regression";
  const train = rowsOn(mask, MASK_TRAIN);
  const { fit, validation } = foldRows(train, Array.from(train, (r) => String(targetCell(targetColumn, r))), fs.validationRatio, options.seed, !regression);
  // Typed columns go in as they are: no per-row objects or cell arrays (50,000 × 200 stays ~80 MB).
  const candidates = table.columns.filter((c) => !skip.has(c.name));
  const growing = progressReporter(runConfig, "select_features", "forest", "trees");
  const rankings = rankFeatures({
    columns: candidates,
    target: targetColumn,
    task: target.task,
    keep: "auto",
    minVariance: fs.minVariance,
    miBins: fs.miBins,
    forestTrees: fs.forestTrees,
    forestMaxRows: fs.forestMaxRows,
    forestMaxColumns: fs.forestMaxColumns,
    rows: fit,
    seed: options.seed,
    onTree: growing.update,
  });
  growing.finish();
  // k: forests on the top k of the ranking, scored on the validation fold; the smallest k near the best.
  const eligible = rankings.filter((r) => r.kept).map((r) => column(r.column));
  const grid = kGrid(eligible.length, fs.keep === "auto" ? null : fs.keep);
  const choice =
    grid.length > 1 && fit.length > 0 && validation.length > 0
      ? chooseK({
          columns: eligible,
          target: targetColumn,
          task: target.task,
          fitRows: fit,
          validationRows: validation,
          grid,
          tolerance: fs.kTolerance,
          trees: fs.forestTrees,
          maxDepth: 16,
          maxFeatures: baselineMaxFeatures(config.baseline.maxFeatures, target.task),
          maxRows: fs.forestMaxRows,
          seed: options.seed,
        })
      : null;
  const k = choice?.k ?? grid[grid.length - 1] ?? 0;
  const places = new Map<string, number>();
  for (const r of rankings) {
    if (!r.kept) continue;
    places.set(r.column, places.size + 1);
    r.kept = places.size <= k;
    const why = choice ? `the smallest k with validation ${choice.metric} within ${fs.kTolerance} of the best (${choice.best.toFixed(4)})` : `every candidate (too few to choose among)`;
    r.reason = r.reason.replace(KEPT_UNBOUNDED, `${r.kept ? "in" : "outside"} the top ${k}: ${why}`);
  }
  const selected = rankings.filter((r) => r.kept).map((r) => r.column);
  writeFileAtomic(paths.rankings(runDir), rankingsCsv(rankings, places, choice));
  writeFileAtomic(paths.selected(runDir), selected.map(spreadsheetSafe).join("\n") + "\n");
  const scores = choice ? choice.scores.map((s) => `k=${s.k}: ${s.score.toFixed(4)}`).join(", ") : "none";
  const decision = `kept ${selected.length} of ${candidates.length} candidate columns, ranked on ${fit.length} of the ${train.length} training rows; k=${k} chosen on ${validation.length} validation rows (${choice?.metric ?? "not scored"}: ${scores})`;
  stage("select_features", decision);
  return {
    selectedFeatures: selected,
    featureRankings: await artifactRef(paths.rankings(runDir), rankings.length),
    log: [
      logEntry("select_features", decision, started, {
        numbers: {
          candidates: candidates.length,
          kept: selected.length,
          fitRows: fit.length,
          validationRows: validation.length,
          ...Object.fromEntries((choice?.scores ?? []).map((s) => [`validationScoreK${s.k}`, s.score])),
        },
        artifacts: [paths.rankings(runDir), paths.selected(runDir), splitMask.file.path],
      }),
    ],
  };
}
