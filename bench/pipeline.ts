/**
 * The whole run beside pandas + scikit-learn (`npm run bench -- pipeline [10k] [100k] [1m]`,
 * or BENCH_PIPELINE_SIZES=10k,100k; default all three). For each size a seeded rows × 20 CSV
 * (12 numeric, 7 categorical, binary target "churned", ~5% missing cells; bench/lib/generate.ts)
 * goes through:
 *  - tabtune: the built CLI as a user runs it, `node --no-node-snapshot dist/cli.js --csv …
 *    --target churned --yes --provider heuristic` (BENCH_CLI=tsx runs src/cli.ts through tsx
 *    instead); wall, CPU (user + sys) and peak RSS from /usr/bin/time, and the per-step
 *    breakdown from the run folder's log.json (any step but finetune above 35% is flagged;
 *    evaluate's baseline training, its log entry's numbers.baselineTrainingMs, is shown and
 *    counted apart as training);
 *  - bench/reference/pipeline.py with Debian's python3-pandas + python3-sklearn, doing the
 *    same deterministic work with the same config figures (read, profile, clean, stratified
 *    split, median/mode imputation, oversampling only when tabtune's run resampled, forest vs
 *    logistic regression on a validation fold, the forest on ≤ maxTrainRows, bootstrap
 *    intervals, Alpaca records written); skipped loudly when pandas/sklearn are absent.
 * Both run one after the other in the same bench run; the ratios are tabtune / reference.
 * Not part of `npm test`.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getConfig } from "../src/runtime.js";
import { generateCsv, generated } from "./lib/generate.js";
import { commitLabel, referencePython, size, timed, type Timed } from "./lib/measure.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SIZES: Record<string, number> = { "10k": 10_000, "100k": 100_000, "1m": 1_000_000 };
/** A step other than training above this share of the run is flagged (issue 16's target). */
const STEP_SHARE_LIMIT = 0.35;

/** How the CLI is started: the built dist/cli.js (default) or src/cli.ts through tsx (BENCH_CLI=tsx). */
function cliArgs(): { args: string[]; label: string } {
  if (process.env.BENCH_CLI === "tsx") {
    return { args: ["--no-node-snapshot", "--import", import.meta.resolve("tsx"), join(ROOT, "src/cli.ts")], label: "tsx src/cli.ts" };
  }
  const dist = join(ROOT, "dist/cli.js");
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run npm run build first (or BENCH_CLI=tsx)`);
  return { args: ["--no-node-snapshot", dist], label: `node dist/cli.js (built ${statSync(dist).mtime.toISOString()})` };
}

/** Sizes from the arguments ("10k", "100k", "1m"), else BENCH_PIPELINE_SIZES, else all. */
function chosenSizes(args: string[]): string[] {
  const named = args.length > 0 ? args : (process.env.BENCH_PIPELINE_SIZES ?? "").split(",").filter((s) => s !== "");
  const sizes = (named.length > 0 ? named : Object.keys(SIZES)).map((s) => s.toLowerCase());
  const unknown = sizes.filter((s) => !(s in SIZES));
  if (unknown.length > 0) throw new Error(`unknown pipeline size ${unknown.join(", ")}; sizes: ${Object.keys(SIZES).join(", ")}`);
  return sizes;
}

/** Bytes under `dir`. */
function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : entry.isFile() ? statSync(path).size : 0;
  }
  return total;
}

interface Step {
  step: string;
  seconds: number;
  /** Seconds of it that were training (evaluate's baseline fits). */
  training: number;
}

/** Seconds per step (entries of one step summed, in order of first entry) from the run folder's log.json. */
function stepsOf(output: string): { steps: Step[]; runDir: string } | null {
  const run = readdirSync(output).find((name) => name.startsWith("run_") && existsSync(join(output, name, "log.json")));
  if (!run) return null;
  const parsed: unknown = JSON.parse(readFileSync(join(output, run, "log.json"), "utf8"));
  const log = typeof parsed === "object" && parsed !== null && "log" in parsed && Array.isArray(parsed.log) ? (parsed.log as unknown[]) : [];
  const steps: Step[] = [];
  for (const entry of log) {
    if (typeof entry !== "object" || entry === null || !("step" in entry) || !("durationMs" in entry)) continue;
    const name = String(entry.step);
    const seconds = Number(entry.durationMs) / 1000;
    const numbers = "numbers" in entry && typeof entry.numbers === "object" && entry.numbers !== null ? (entry.numbers as Record<string, unknown>) : {};
    const training = typeof numbers.baselineTrainingMs === "number" ? numbers.baselineTrainingMs / 1000 : 0;
    const found = steps.find((s) => s.step === name);
    if (found) (found.seconds += seconds), (found.training += training);
    else steps.push({ step: name, seconds, training });
  }
  return { steps, runDir: join(output, run) };
}

/** Whether the run's balance step resampled the training rows (its log entry's decision is not "no resampling"). */
function tabtuneResampled(runDir: string): boolean {
  const parsed: unknown = JSON.parse(readFileSync(join(runDir, "log.json"), "utf8"));
  const log = typeof parsed === "object" && parsed !== null && "log" in parsed && Array.isArray(parsed.log) ? (parsed.log as unknown[]) : [];
  return log.some((e) => typeof e === "object" && e !== null && "step" in e && e.step === "balance" && "decision" in e && e.decision !== "no resampling");
}

const fmt = (t: Timed) => `${t.wallS.toFixed(1)} s wall, ${t.cpuS.toFixed(1)} s CPU, peak RSS ${size(t.peakRss)}`;
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "?");

async function one(label: string, rows: number, cli: string[], python: string | null): Promise<void> {
  const config = getConfig();
  const csv = await generated(`mixed_v1_${rows}.csv`, (path) => generateCsv(path, rows));
  process.stdout.write(`\n-- ${label}: ${rows.toLocaleString("en")} rows × 20 (${size(statSync(csv).size)}, ${csv})\n`);
  const work = mkdtempSync(join(tmpdir(), "tabtune-bench-pipeline-"));
  try {
    const output = join(work, "out");
    const ours = await timed(process.execPath, [...cli, "--csv", csv, "--output", output, "--target", "churned", "--yes", "--provider", "heuristic"], {
      cwd: work,
      env: { ...process.env, CI: "1" },
    });
    process.stdout.write(`  tabtune    ${fmt(ours)}${ours.status === 0 ? "" : `; EXIT ${ours.status}`}\n`);
    if (ours.status !== 0) process.stdout.write(`  ${ours.stderr.slice(-1500).replace(/\n/g, "\n  ")}\n`);
    const found = existsSync(output) ? stepsOf(output) : null;
    if (found) {
      const logged = found.steps.reduce((sum, s) => sum + s.seconds, 0);
      for (const s of found.steps) {
        const share = s.seconds / ours.wallS;
        const untrained = (s.seconds - s.training) / ours.wallS;
        const flag = s.step !== "finetune" && untrained > STEP_SHARE_LIMIT ? `  <-- above ${STEP_SHARE_LIMIT * 100}% of the run${s.training > 0 ? " without its training" : ""}` : "";
        if (s.seconds >= 0.05 || flag) process.stdout.write(`    ${s.step.padEnd(16)} ${s.seconds.toFixed(2).padStart(7)} s  ${(share * 100).toFixed(1).padStart(5)}%${flag}\n`);
        if (s.training > 0) process.stdout.write(`      of which baseline training ${s.training.toFixed(2)} s (${((s.training / ours.wallS) * 100).toFixed(1)}%); the rest ${(untrained * 100).toFixed(1)}%\n`);
      }
      process.stdout.write(`    ${"(outside steps)".padEnd(16)} ${(ours.wallS - logged).toFixed(2).padStart(7)} s  ${(((ours.wallS - logged) / ours.wallS) * 100).toFixed(1).padStart(5)}%  start-up, checkpoints, unlogged work\n`);
      process.stdout.write(`    run folder ${size(folderBytes(found.runDir))}\n`);
    } else process.stdout.write("  (no log.json in the run folder: no per-step breakdown)\n");

    if (python === null) return;
    // The reference resamples only when tabtune did (its log's balance entry): with --yes the
    // heuristic plan keeps strategy "none" and only advises oversampling, so an oversampling
    // reference would write and fit more rows than the run it is compared with.
    const oversampled = found ? tabtuneResampled(found.runDir) : false;
    process.stdout.write(`    tabtune ${oversampled ? "resampled" : "did not resample"} the training rows; the reference does the same\n`);
    const refOut = join(work, "reference");
    const ref = await timed(python, [
      join(ROOT, "bench/reference/pipeline.py"),
      JSON.stringify({
        csv,
        out: refOut,
        target: "churned",
        missing: config.csv.missingTokens,
        seed: config.seed,
        testRatio: config.split.testRatio,
        balanceBelow: config.balance.adviseBelowRatio,
        oversample: oversampled,
        trees: config.baseline.trees,
        maxDepth: config.baseline.maxDepth,
        maxTrainRows: config.baseline.maxTrainRows,
        cvFolds: config.baseline.cvFolds,
        cvMaxRows: config.baseline.cvMaxRows,
        cvValidationRows: config.baseline.cvValidationRows,
        linearMargin: config.baseline.linearMargin,
        linearC: config.baseline.linear.C,
        linearMaxIterations: config.baseline.linear.maxIterations,
        bootstrap: config.evaluate.bootstrapResamples,
        confidence: config.evaluate.confidenceLevel,
      }),
    ]);
    process.stdout.write(`  reference  ${fmt(ref)}${ref.status === 0 ? "" : `; EXIT ${ref.status}`}\n`);
    if (ref.status !== 0) process.stdout.write(`  ${ref.stderr.slice(-1500).replace(/\n/g, "\n  ")}\n`);
    const phases = ref.stdout.trim().split("\n").pop() ?? "";
    if (ref.status === 0) process.stdout.write(`    phases (s): ${phases}\n`);
    process.stdout.write(`  tabtune / reference: wall ${ratio(ours.wallS, ref.wallS)}, CPU ${ratio(ours.cpuS, ref.cpuS)}, peak RSS ${ratio(ours.peakRss, ref.peakRss)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function bench(args: string[] = []): Promise<void> {
  const sizes = chosenSizes(args);
  const cli = cliArgs();
  const reference = referencePython();
  process.stdout.write(
    `tabtune pipeline bench, ${new Date().toISOString()}, commit ${commitLabel(ROOT)}, node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}\n  tabtune: ${cli.label}\n  reference: ${"python" in reference ? `${reference.python} bench/reference/pipeline.py` : `SKIPPED, ${reference.missing}`}\n`,
  );
  for (const label of sizes) await one(label, SIZES[label] ?? 0, cli.args, "python" in reference ? reference.python : null);
  if (!("python" in reference)) process.stdout.write(`\nREFERENCE SKIPPED: ${reference.missing}\n`);
}
