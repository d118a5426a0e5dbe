/**
 * Lineage: every file a run wrote, with its SHA-256, size, rows and the files it came
 * from, derived from state (each node records an ArtifactRef or a path). Written as
 * `<run>/lineage.json`; `tabtune lineage` prints and verifies it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { z } from "zod";
import { currentSha256, sha256File, writeFileAtomic } from "../artifacts.js";
import { sidecarPath } from "../codegen/sidecar.js";
import { LINEAGE_FILE, paths } from "../paths.js";
import { baselineModelPath } from "../predictor/baseline-model.js";
import type { ArtifactRef, State } from "../state.js";

/** One file of a run: where it is (relative to the output folder when inside it), its hash, and its inputs. */
export const LineageArtifact = z.object({
  path: z.string(),
  sha256: z.string(),
  bytes: z.number().int(),
  rows: z.number().int().nullable(),
  /** The step that wrote it. */
  step: z.string(),
  /** Paths (same convention) of the artifacts it was made from; empty for inputs. */
  from: z.array(z.string()),
  /** What else it came from that is not a file (the approved plan), when anything. */
  note: z.string().optional(),
});
export type LineageArtifact = z.infer<typeof LineageArtifact>;

export const RunLineage = z.object({
  format: z.literal("tabtune-lineage/1"),
  runId: z.string(),
  /** The run directory, relative to the output folder. */
  runDir: z.string().nullable(),
  writtenAt: z.string(),
  artifacts: z.array(LineageArtifact),
});
export type RunLineage = z.infer<typeof RunLineage>;

/** A path as lineage stores it: relative to the output folder when inside it, absolute otherwise. */
function storedPath(output: string, path: string): string {
  const rel = relative(resolve(output), resolve(path));
  return rel.startsWith("..") || isAbsolute(rel) ? resolve(path) : rel;
}

/** The file a stored path names, given the output folder it was stored against. */
function onDisk(output: string, stored: string): string {
  return isAbsolute(stored) ? stored : join(output, stored);
}

/**
 * Every artifact of the state's run, inputs first. Hashes recorded when a step wrote the
 * file are kept (so a later change shows); files that state names only by path are hashed now.
 */
async function buildLineage(state: State): Promise<RunLineage> {
  const options = state.options;
  if (!options) throw new Error("lineage needs the run's options");
  const output = options.output;
  const artifacts: LineageArtifact[] = [];
  const at = (p: string) => storedPath(output, p);
  const fromRef = (ref: ArtifactRef | null | undefined, step: string, from: (string | null | undefined)[], note?: string) => {
    if (!ref) return;
    artifacts.push({ path: at(ref.path), sha256: ref.sha256, bytes: ref.bytes, rows: ref.rows, step, from: from.filter((f): f is string => !!f).map(at), ...(note ? { note } : {}) });
  };
  const fromDisk = async (path: string | null | undefined, step: string, from: (string | null | undefined)[], rows: number | null = null, note?: string) => {
    if (!path || !existsSync(path)) return;
    fromRef({ path, sha256: await sha256File(path), bytes: statSync(path).size, rows }, step, from, note);
  };

  const csv = options.csv;
  if (state.profile) fromRef({ path: csv, sha256: state.profile.sha256, bytes: existsSync(csv) ? statSync(csv).size : 0, rows: state.profile.rows }, "explore", [], "the raw table");
  if (options.testCsv) await fromDisk(options.testCsv, "split", [], null, "the given test table");
  fromRef(state.featureRankings, "select_features", [csv]);
  if (state.featureRankings && state.runDir) await fromDisk(paths.selected(state.runDir), "select_features", [state.featureRankings.path]);
  const script = state.script?.path ?? null;
  fromRef(state.script, "codegen", [csv], `approved plan version ${state.planVersion}`);
  if (script) await fromDisk(sidecarPath(script), "codegen", [csv], null, "the script's ctx (plan, label mapping, column statistics)");
  const exec = state.execution;
  fromRef(exec?.cleaned, "execute", [csv, script]);
  fromRef(exec?.allData, "execute", [csv, script]);
  const split = state.splitResult;
  fromRef(split?.train, "split", [exec?.cleaned?.path]);
  fromRef(split?.test, "split", split?.source === "test_csv" ? [options.testCsv, script] : [exec?.cleaned?.path]);
  const imp = state.imputation;
  fromRef(imp?.policies, "impute", [split?.train.path]);
  if (imp) await fromDisk(imp.policies.path.replace(/policies\.json$/, "report.md"), "impute", [imp.policies.path]);
  fromRef(imp?.train, "impute", [split?.train.path, imp?.policies.path]);
  fromRef(imp?.test, "impute", [split?.test.path, imp?.policies.path]);
  const bal = state.balanceResult;
  fromRef(bal?.script, "balance", [imp?.train.path], bal?.writer ? `written by ${bal.writer}` : undefined);
  fromRef(bal?.trainRows, "balance", [imp?.train.path, bal?.script?.path], bal ? `balancing ${bal.strategy}` : undefined);
  fromRef(bal?.trainJson, "balance", [bal?.trainRows.path, script]);
  fromRef(bal?.testJson, "balance", [imp?.test.path, script]);
  const cf = state.configFiles;
  if (cf) {
    await fromDisk(cf.datasetInfoJson, "finetune_config", [bal?.trainJson.path, bal?.testJson.path]);
    await fromDisk(cf.deepspeedJson, "finetune_config", []);
    await fromDisk(cf.trainYaml, "finetune_config", [cf.datasetInfoJson, cf.deepspeedJson]);
    await fromDisk(cf.predictTrainYaml, "finetune_config", [cf.datasetInfoJson]);
    await fromDisk(cf.predictTestYaml, "finetune_config", [cf.datasetInfoJson]);
  }
  await fromDisk(state.trainRun?.logFile, "finetune", [cf?.trainYaml]);
  const runDir = state.runDir;
  if (runDir) {
    await fromDisk(paths.predictions(runDir, "train"), "predict", [cf?.predictTrainYaml, bal?.trainJson.path]);
    await fromDisk(paths.predictions(runDir, "test"), "predict", [cf?.predictTestYaml, bal?.testJson.path], bal?.testJson.rows ?? null);
  }
  const predictions = runDir && existsSync(paths.predictions(runDir, "test")) ? paths.predictions(runDir, "test") : null;
  fromRef(state.evaluation?.results, "evaluate", [bal?.trainRows.path, imp?.test.path, predictions]);
  const results = state.evaluation?.results.path;
  if (results) await fromDisk(join(dirname(results), "baseline_predictions.jsonl"), "evaluate", [bal?.trainRows.path, imp?.test.path], null, "the baseline's prediction and score per test row");
  if (runDir) await fromDisk(baselineModelPath(runDir), "evaluate", [bal?.trainRows.path], null, "the baseline model tabtune predict loads");
  return { format: "tabtune-lineage/1", runId: state.runId, runDir: runDir ? at(runDir) : null, writtenAt: new Date().toISOString(), artifacts };
}

/** Writes lineage.json into the run's folder. */
export async function writeLineage(state: State): Promise<RunLineage | null> {
  if (!state.options || !state.runDir) return null;
  const lineage = await buildLineage(state);
  writeFileAtomic(join(state.runDir, LINEAGE_FILE), JSON.stringify(lineage, null, 2) + "\n");
  return lineage;
}

/**
 * Every run's lineage in an output folder, oldest first; or the one run when `dir` is a
 * run's own folder. Returns the output folder the stored paths are relative to.
 */
export function readLineages(dir: string): { output: string; runs: RunLineage[]; withoutLineage: string[] } {
  const own = join(dir, LINEAGE_FILE);
  if (existsSync(own)) return { output: dirname(resolve(dir)), runs: [RunLineage.parse(JSON.parse(readFileSync(own, "utf8")))], withoutLineage: [] };
  const runs: RunLineage[] = [];
  const withoutLineage: string[] = [];
  const dirs = existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith("run_") && statSync(join(dir, n)).isDirectory()).sort() : [];
  for (const name of dirs) {
    const file = join(dir, name, LINEAGE_FILE);
    if (existsSync(file)) runs.push(RunLineage.parse(JSON.parse(readFileSync(file, "utf8"))));
    else withoutLineage.push(name);
  }
  return { output: dir, runs, withoutLineage };
}

export interface VerifyProblem {
  runDir: string | null;
  path: string;
  problem: "missing" | "changed";
  expected: string;
  actual: string | null;
}

export interface VerifyOutcome {
  checked: number;
  problems: VerifyProblem[];
}

/** Re-hashes every file of every run: each run owns its files, so any difference is a problem. */
export async function verifyLineages(output: string, runs: RunLineage[]): Promise<VerifyOutcome> {
  const outcome: VerifyOutcome = { checked: 0, problems: [] };
  const hashes = new Map<string, string | null>();
  const current = async (path: string) => {
    if (!hashes.has(path)) hashes.set(path, await currentSha256(path));
    return hashes.get(path) ?? null;
  };
  for (const run of runs) {
    for (const a of run.artifacts) {
      outcome.checked += 1;
      const actual = await current(onDisk(output, a.path));
      if (actual === a.sha256) continue;
      outcome.problems.push({ runDir: run.runDir, path: a.path, problem: actual === null ? "missing" : "changed", expected: a.sha256, actual });
    }
  }
  return outcome;
}
