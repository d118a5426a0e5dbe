/** select_features: wide tables are ranked by four scores and cut to the configured size. */
import { writeFileAtomic, artifactRef } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { getConfig } from "../runtime.js";
import type { State, Update } from "../state.js";
import { rankFeatures, type FeatureRanking } from "../stats/selection.js";
import { readTable } from "../table/columns.js";
import { csvCell, spreadsheetSafe } from "../table/csv-out.js";
import { requireOptions, requireProfile, requireRunDir, requireState } from "./common.js";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { progressReporter } from "../events.js";

function rankingsCsv(rankings: FeatureRanking[]): string {
  const header = ["rank", "column", "kind", "variance", "abs_correlation", "mutual_information", "forest_importance", "average_rank", "kept", "reason"];
  const lines = rankings.map((r, i) =>
    [i + 1, r.column, r.kind, r.variance, r.absCorrelation, r.mutualInformation, r.forestImportance, r.averageRank, r.kept, r.reason].map(csvCell).join(","),
  );
  return [header.join(","), ...lines].join("\n") + "\n";
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
  // Typed columns go in as they are: no per-row objects or cell arrays (50,000 × 200 stays ~80 MB).
  const candidates = table.columns.filter((c) => !skip.has(c.name));
  const growing = progressReporter(runConfig, "select_features", "forest", "trees");
  const rankings = rankFeatures({
    columns: candidates,
    target: column(target.column),
    task: target.task,
    keep: fs.keep,
    minVariance: fs.minVariance,
    miBins: fs.miBins,
    forestTrees: fs.forestTrees,
    forestMaxRows: fs.forestMaxRows,
    forestMaxColumns: fs.forestMaxColumns,
    seed: options.seed,
    onTree: growing.update,
  });
  growing.finish();
  const selected = rankings.filter((r) => r.kept).map((r) => r.column);
  writeFileAtomic(paths.rankings(runDir), rankingsCsv(rankings));
  writeFileAtomic(paths.selected(runDir), selected.map(spreadsheetSafe).join("\n") + "\n");
  stage("select_features", `kept ${selected.length} of ${candidates.length} candidate columns`);
  return {
    selectedFeatures: selected,
    featureRankings: await artifactRef(paths.rankings(runDir), rankings.length),
    log: [
      logEntry("select_features", `kept ${selected.length} of ${candidates.length}`, started, {
        numbers: { candidates: candidates.length, kept: selected.length },
        artifacts: [paths.rankings(runDir), paths.selected(runDir)],
      }),
    ],
  };
}
