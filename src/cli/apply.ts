/**
 * `tabtune apply`: runs an approved prepare_data.js on new data, in the same sandbox
 * with the same checks as execute and verify. The script's ctx (plan, label mapping,
 * column statistics) comes from the prepare_data.ctx.json codegen wrote next to it.
 * With --policies, the run's fitted imputation (imputation/policies.json) fills the
 * cleaned rows before they are rendered, exactly as the run filled its test rows.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { Command } from "commander";
import { readPrepSidecar } from "../codegen/sidecar.js";
import { TabtuneError } from "../errors.js";
import { verifyRecords } from "../prep/checks.js";
import { cleanCsv } from "../prep/clean-csv.js";
import { openPrepCode } from "../prep/open.js";
import { renderRows } from "../prep/render.js";
import { reapplyImputation, type Reapplied } from "../stats/imputation/reapply.js";
import { requireColumns } from "../table/alignment.js";
import { oneLineErrors } from "./options.js";
import { readCsvHeader } from "../table/csv.js";

export interface ApplyArgs {
  script: string;
  csv: string;
  out: string;
  /** A run's imputation/policies.json; absent: missing values stay empty ("unknown"). */
  policies?: string;
}

/** `new.json` → `new.cleaned.jsonl`: the cleaned rows, kept next to the records. */
export function cleanedPathFor(out: string): string {
  return join(dirname(out), `${basename(out, extname(out))}.cleaned.jsonl`);
}

function mustExist(path: string, what: string, suggestion: string): void {
  if (!existsSync(path)) throw new TabtuneError("apply_missing_file", `${what} ${path} does not exist`, { suggestion });
}

/** Runs the script over the CSV; returns the lines to print. Throws TabtuneError on any failure. */
export async function applyScript(args: ApplyArgs): Promise<string[]> {
  mustExist(args.script, "--script", "pass <output>/run_<id>/scripts/prepare_data.js of an approved run");
  mustExist(args.csv, "--csv", "check the path of the new data");
  const sidecar = readPrepSidecar(args.script);
  if (!sidecar.ok) throw new TabtuneError("apply_no_ctx", sidecar.error, { suggestion: "use a prepare_data.js written by tabtune (its ctx file is written with it)" });
  const { ctx } = sidecar.value;
  const plan = ctx.plan;

  requireColumns({
    code: "apply_columns_missing",
    file: args.csv,
    header: await readCsvHeader(args.csv),
    required: [...plan.features, plan.target],
    known: Object.keys(ctx.columns),
    role: "the script reads",
    otherwise: (missing) =>
      missing.some((m) => m.column === plan.target) ? `the records need the target "${plan.target}" for their output` : "use a CSV with the training file's header",
  });

  if (args.policies) mustExist(args.policies, "--policies", "pass <run>/imputation/policies.json of the run whose script this is");
  const opened = await openPrepCode(readFileSync(args.script, "utf8"), ctx);
  if (!opened.ok) throw new TabtuneError("apply_script_broken", `${args.script}: ${opened.error}`, { suggestion: "re-run tabtune to write the script again" });
  const cleanedPath = cleanedPathFor(args.out);
  // With imputation the rows are cleaned, filled, then rendered; the unfilled rows are scratch.
  const rawCleaned = args.policies ? `${cleanedPath}.unimputed-${process.pid}` : cleanedPath;
  let run;
  let imputed: Reapplied | null = null;
  try {
    run = await cleanCsv({ csv: args.csv, sandbox: opened.sandbox, cleanedPath: rawCleaned, renderedPath: args.policies ? null : args.out, sampleSize: 1, target: plan.target });
    if (run.ok && args.policies) {
      const kinds = new Map(Object.entries(ctx.columns).map(([name, c]) => [name, c.kind as string]));
      imputed = await reapplyImputation(args.policies, rawCleaned, cleanedPath, kinds);
      await renderRows(opened.sandbox, cleanedPath, args.out);
    }
  } finally {
    opened.sandbox.dispose();
    if (args.policies) rmSync(rawCleaned, { force: true });
  }
  if (!run.ok) {
    const e = run.error;
    const where = e?.line ? ` line ${e.line} (data row ${e.dataRow ?? "?"})` : "";
    const row = e?.row ? `; row ${JSON.stringify(e.row).slice(0, 300)}` : "";
    throw new TabtuneError("apply_failed", `${args.csv}${where}: ${e?.message ?? "the script failed"}${row}`, {
      suggestion: "fix that row of the new data, or revise the plan and approve a new script",
    });
  }

  const verified = await verifyRecords(args.out, plan);
  const failed = verified.checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    rmSync(args.out, { force: true });
    rmSync(cleanedPath, { force: true });
    throw new TabtuneError("apply_checks_failed", `the records failed ${failed.map((c) => `${c.name} (${c.detail})`).join("; ")}`, {
      suggestion: "nothing was written; check the new data against the training data's labels",
    });
  }
  const reasons = Object.entries(run.dropReasons ?? {}).map(([reason, n]) => `${reason} ${n}`).join(", ");
  const lines = [
    `applied ${args.script} (plan version ${sidecar.value.planVersion}, attempt ${sidecar.value.attempt}) to ${args.csv}`,
    `  rows     ${run.rowsIn} in → ${run.rowsOut} records${run.dropped > 0 ? `, ${run.dropped} dropped (${reasons})` : ""}`,
  ];
  if (imputed) {
    const filled = [...imputed.filled].filter(([, n]) => n > 0).map(([name, n]) => `${name} ${n}`).join(", ");
    const empty = [...imputed.unfitted].map(([name, n]) => `${name} ${n}`).join(", ");
    const asked = imputed.askedModel.length > 0 ? `; left unknown, the run asked a model for these and apply calls none: ${imputed.askedModel.join(", ")}` : "";
    lines.push(`  imputed  ${filled || "no cell needed filling"} (fitted imputers of ${args.policies})${empty ? `; left unknown, no policy was fitted: ${empty}` : ""}${asked}`);
  }
  if (plan.task !== "regression") lines.push(`  classes  ${Object.entries(verified.classCounts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  lines.push(`  checks   ${verified.checks.map((c) => c.name).join(", ")}: all passed`);
  lines.push(`  records  ${args.out}`, `  cleaned  ${cleanedPath}`);
  return lines;
}

/** The `apply` subcommand's own flags. */
export function buildApplyProgram(): Command {
  return new Command("tabtune apply")
    .description("Run an approved prepare_data.js on new data, in the sandbox with the same checks, writing Alpaca records.")
    .requiredOption("--script <path>", "<output>/run_<id>/scripts/prepare_data.js of an approved run (its prepare_data.ctx.json is read too)")
    .requiredOption("--csv <path>", "the new data, with the training file's columns and the target")
    .requiredOption("--out <path>", "where to write the records (a JSON array); the cleaned rows go next to it as <name>.cleaned.jsonl")
    .option("--policies <path>", "<run>/imputation/policies.json: fill missing values with that run's fitted imputers before rendering")
    .configureOutput(oneLineErrors("tabtune apply --help"));
}

/** `tabtune apply …`: parses its flags, runs, prints a summary; returns the exit code. */
export async function applyMain(argv: string[]): Promise<number> {
  const program = buildApplyProgram();
  program.parse(argv, { from: "user" });
  const flags = program.opts<ApplyArgs>();
  const lines = await applyScript(flags);
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}
