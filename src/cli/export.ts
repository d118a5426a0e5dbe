/**
 * `tabtune export --run <run folder> --out <dir>`: a self-contained bundle of what a run's
 * model needs to be used elsewhere, in the run folder's own layout so that
 * `tabtune predict --run <bundle>` reads it as it reads a run: the model card, the approved
 * prep script and its ctx, the fitted imputation (policies.json and the training rows its
 * imputers are refitted from), the LlamaFactory configs and dataset_info.json, the saved
 * baseline, the results, lineage.json, and manifest.json (every file's SHA-256, and the
 * adapter's path and per-file hashes: the weights themselves are not copied).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { Command } from "commander";
import { sha256File, writeFileAtomic } from "../artifacts.js";
import { sidecarPath } from "../codegen/sidecar.js";
import { TabtuneError } from "../errors.js";
import { LINEAGE_FILE, MODEL_CARD, paths } from "../paths.js";
import { baselineModelPath } from "../predictor/baseline-model.js";
import { MANIFEST_FILE, openRunFiles, type BundleManifest } from "../predictor/run-files.js";
import { oneLineErrors } from "./options.js";

/** A file of the bundle: where it is in the run, and what it is for a reader of the manifest. */
interface Part {
  from: string;
  what: string;
  required: boolean;
}

/** Every file the bundle copies from `runDir` (the ones that exist), paths relative to it. */
function parts(runDir: string): Part[] {
  const rel = (path: string) => relative(runDir, path);
  const configs = existsSync(join(runDir, "configs")) ? readdirSync(join(runDir, "configs")).filter((n) => /\.(ya?ml|json)$/.test(n)).sort() : [];
  return [
    { from: MODEL_CARD, what: "the model card (intended use, data, features, metrics with intervals, limitations, versions)", required: false },
    { from: rel(paths.prepScript(runDir)), what: "the approved prep script (clean and render)", required: true },
    { from: rel(sidecarPath(paths.prepScript(runDir))), what: "the script's ctx (plan, label mapping, column statistics)", required: true },
    { from: rel(paths.policies(runDir)), what: "the fitted imputation policies", required: false },
    { from: rel(paths.splitTrain(runDir)), what: "the training rows the imputers are refitted from (training data: share with the same care)", required: false },
    { from: rel(baselineModelPath(runDir)), what: "the saved baseline model", required: true },
    ...configs.map((name) => ({ from: join("configs", name), what: "a LlamaFactory config of the run", required: false })),
    { from: join("data", "dataset_info.json"), what: "LlamaFactory's dataset_info.json", required: false },
    { from: rel(paths.results(runDir)), what: "the run's evaluation results", required: false },
    { from: LINEAGE_FILE, what: "the run's lineage (every file with its SHA-256 and inputs)", required: false },
  ];
}

/** The adapter folder's files with their hashes (not their contents). */
async function adapterHashes(adapter: string): Promise<BundleManifest["adapter"]> {
  const files: { path: string; sha256: string; bytes: number }[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!name.startsWith("checkpoint-")) await walk(path);
      } else files.push({ path: relative(adapter, path), sha256: await sha256File(path), bytes: statSync(path).size });
    }
  };
  await walk(adapter);
  return { path: adapter, files };
}

/** Writes the bundle (into a temporary folder renamed into place); returns the summary lines. */
export async function exportRun(runArg: string, outArg: string): Promise<string[]> {
  const files = openRunFiles(runArg);
  if (files.bundle) throw new TabtuneError("export_from_bundle", `--run ${runArg} is already a bundle`, { suggestion: "copy the folder, or export from the run folder itself" });
  const runDir = files.dir;
  const out = resolve(outArg);
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0))
    throw new TabtuneError("export_out_exists", `--out ${outArg} already exists and is not empty`, { suggestion: "pass a new or empty folder" });
  const todo = parts(runDir);
  const absent = todo.filter((p) => p.required && !existsSync(join(runDir, p.from)));
  if (absent.length > 0)
    throw new TabtuneError("export_incomplete", `${runArg} lacks ${absent.map((p) => p.from).join(", ")}`, {
      suggestion: "export a run that finished evaluate (re-run with --start-from evaluate to save its baseline)",
    });
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    const manifest: BundleManifest = { format: "tabtune-bundle/1", runId: basename(runDir), exportedFrom: runDir, exportedAt: new Date().toISOString(), files: [], adapter: null };
    for (const part of todo) {
      const source = join(runDir, part.from);
      if (!existsSync(source)) continue;
      const target = join(tmp, part.from);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(source, target);
      manifest.files.push({ path: part.from, sha256: await sha256File(target), bytes: statSync(target).size, what: part.what });
    }
    if (files.adapter) manifest.adapter = await adapterHashes(files.adapter);
    writeFileAtomic(join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
    if (existsSync(out)) rmSync(out, { recursive: true }); // an empty folder, checked above
    renameSync(tmp, out);
    const lines = [`exported ${runDir} to ${out}: ${manifest.files.length} files and ${MANIFEST_FILE}`];
    for (const f of manifest.files) lines.push(`  ${f.path.padEnd(36)} ${f.what}`);
    lines.push(manifest.adapter ? `  adapter: ${manifest.adapter.path} (${manifest.adapter.files.length} files hashed in ${MANIFEST_FILE}; the weights are not copied)` : "  adapter: none (the run was not fine-tuned here)");
    if (!existsSync(join(out, MODEL_CARD))) lines.push(`  note: the run has no ${MODEL_CARD} (it is written by the report at evaluate)`);
    lines.push(`  use it:  tabtune predict --run ${outArg} --csv new.csv`);
    return lines;
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** `tabtune export …`: returns the exit code. */
export async function exportMain(argv: string[]): Promise<number> {
  const program = new Command("tabtune export")
    .description("Bundle what a finished run's model needs so that tabtune predict --run <bundle> works from it alone.")
    .requiredOption("--run <dir>", "a finished run's folder (<output>/run_<id>)")
    .requiredOption("--out <dir>", "a new (or empty) folder for the bundle")
    .configureOutput(oneLineErrors("tabtune export --help"));
  program.parse(argv, { from: "user" });
  const flags = program.opts<{ run: string; out: string }>();
  process.stdout.write((await exportRun(flags.run, flags.out)).join("\n") + "\n");
  return 0;
}
