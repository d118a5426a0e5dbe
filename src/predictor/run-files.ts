/**
 * What `tabtune predict` reads from a finished run's folder or from an exported bundle (which
 * keeps the run folder's layout for these files): the approved prep script and its ctx, the
 * fitted imputation, the saved baseline, the prediction config and the adapter it names.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { readPrepSidecar, type PrepSidecar } from "../codegen/sidecar.js";
import { TabtuneError } from "../errors.js";
import { paths } from "../paths.js";
import { baselineModelPath } from "./baseline-model.js";

/** `<bundle>/manifest.json`: what `tabtune export` wrote (see src/cli/export.ts). */
export const MANIFEST_FILE = "manifest.json";

export const BundleManifest = z.object({
  format: z.literal("tabtune-bundle/1"),
  runId: z.string(),
  /** The run folder it was exported from, as it was then. */
  exportedFrom: z.string(),
  exportedAt: z.string(),
  files: z.array(z.object({ path: z.string(), sha256: z.string(), bytes: z.number().int(), what: z.string() })),
  /** The fine-tuned adapter: where it was, and the hash of each of its files (the weights are not copied). */
  adapter: z.object({ path: z.string(), files: z.array(z.object({ path: z.string(), sha256: z.string(), bytes: z.number().int() })) }).nullable(),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

export interface RunFiles {
  /** The run folder or bundle, absolute. */
  dir: string;
  /** A bundle (manifest.json) rather than a run folder. */
  bundle: boolean;
  script: string;
  sidecar: PrepSidecar;
  /** imputation/policies.json, when the run fitted imputers. */
  policies: string | null;
  /** baseline/model.json, when evaluate saved one. */
  baseline: string | null;
  /** configs/predict_test.yaml, when the run wrote LlamaFactory configs. */
  predictYaml: string | null;
  /** The adapter folder the prediction config names, when it holds an adapter_config.json. */
  adapter: string | null;
}

/** The adapter folder `adapter_name_or_path` of a prediction config names, or null. */
export function adapterOf(predictYaml: string): string | null {
  let config: unknown;
  try {
    config = parseYaml(readFileSync(predictYaml, "utf8"));
  } catch {
    return null;
  }
  const path = config && typeof config === "object" && "adapter_name_or_path" in config ? config.adapter_name_or_path : null;
  return typeof path === "string" && existsSync(join(path, "adapter_config.json")) ? path : null;
}

/**
 * The files of a run folder or bundle.
 * @throws TabtuneError naming the folder when it is not one (no approved prep script or ctx).
 */
export function openRunFiles(dirArg: string): RunFiles {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new TabtuneError("predict_run_missing", `--run ${dirArg} is not a folder`, { suggestion: "pass a run's folder (<output>/run_<id>) or a bundle written by tabtune export" });
  const script = paths.prepScript(dir);
  if (!existsSync(script))
    throw new TabtuneError("predict_no_script", `--run ${dirArg} has no scripts/prepare_data.js`, {
      suggestion: "pass a finished run's folder (<output>/run_<id>, not the output folder itself) or a bundle written by tabtune export",
    });
  const sidecar = readPrepSidecar(script);
  if (!sidecar.ok) throw new TabtuneError("predict_no_ctx", sidecar.error, { suggestion: "use a run whose script was written by tabtune (its ctx file is written with it)" });
  const some = (path: string) => (existsSync(path) ? path : null);
  const predictYaml = some(join(dir, "configs", "predict_test.yaml"));
  return {
    dir,
    bundle: existsSync(join(dir, MANIFEST_FILE)),
    script,
    sidecar: sidecar.value,
    policies: some(paths.policies(dir)),
    baseline: some(baselineModelPath(dir)),
    predictYaml,
    adapter: predictYaml ? adapterOf(predictYaml) : null,
  };
}

/**
 * policies.json as reapplyImputation can read it here: the training rows it names
 * (`fittedOn.path`, stored as the run wrote it) when they exist as named, else the copy in
 * this folder's data/split_train.jsonl (a bundle, or a run read from another working
 * directory), through a rewritten copy in `scratch`. reapplyImputation still checks their hash.
 */
export function localPolicies(files: RunFiles, scratch: string): string | null {
  if (!files.policies) return null;
  const parsed: unknown = JSON.parse(readFileSync(files.policies, "utf8"));
  const json: Record<string, unknown> = parsed && typeof parsed === "object" ? { ...parsed } : {};
  const fitted = json.fittedOn && typeof json.fittedOn === "object" ? { ...json.fittedOn } : null;
  const named = fitted && "path" in fitted && typeof fitted.path === "string" ? fitted.path : null;
  if (named === null || (!files.bundle && isAbsolute(named) && existsSync(named))) return files.policies;
  const local = paths.splitTrain(files.dir);
  if (!existsSync(local)) return files.policies; // reapplyImputation names the missing file
  const copy = join(scratch, "policies.json");
  mkdirSync(scratch, { recursive: true });
  writeFileSync(copy, JSON.stringify({ ...json, fittedOn: { ...fitted, path: local } }));
  return copy;
}
