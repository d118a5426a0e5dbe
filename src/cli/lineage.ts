/**
 * `tabtune lineage <output-dir> [--verify]`: prints every run's artifacts (hash, path, the
 * step that wrote it, what it came from); with --verify re-hashes each file and exits 1
 * naming every file that changed or is missing.
 */
import { existsSync } from "node:fs";
import { Command } from "commander";
import { TabtuneError } from "../errors.js";
import { oneLineErrors } from "./options.js";
import { readLineages, verifyLineages, type RunLineage } from "../report/lineage.js";

function printRun(run: RunLineage): string[] {
  const lines = [`run ${run.runDir ?? "(no run directory)"} — thread ${run.runId}, ${run.artifacts.length} artifacts, recorded ${run.writtenAt}`];
  for (const a of run.artifacts) {
    lines.push(`  ${a.sha256}  ${a.path}`);
    const facts = [a.step, a.rows === null ? null : `${a.rows} rows`, `${a.bytes} bytes`, a.note ?? null].filter((x): x is string => x !== null);
    lines.push(`      ${facts.join(" · ")}`);
    lines.push(`      from: ${a.from.length === 0 ? "(input)" : a.from.join(", ")}`);
  }
  return lines;
}

/** `tabtune lineage …`: returns the exit code (1 when --verify found a problem). */
export async function lineageMain(argv: string[]): Promise<number> {
  const program = new Command("tabtune lineage")
    .description("Print the artifacts of every run in an output folder with their SHA-256 and inputs.")
    .argument("<dir>", "the --output folder of tabtune runs, or one run's run_<id> folder")
    .option("--verify", "re-hash every file; exit 1 naming any that changed or is missing", false)
    .configureOutput(oneLineErrors("tabtune lineage --help"));
  program.parse(argv, { from: "user" });
  const [output] = program.args;
  const { verify } = program.opts<{ verify: boolean }>();
  if (!output || !existsSync(output)) throw new TabtuneError("lineage_no_output", `${output ?? "(none)"} does not exist`, { suggestion: "pass the --output folder of a finished run" });
  const { output: base, runs, withoutLineage } = readLineages(output);
  if (runs.length === 0)
    throw new TabtuneError("lineage_missing", `${output} has no lineage.json`, { suggestion: "lineage is written when a run reaches evaluate; finish the run (--resume) first" });
  const out: string[] = [];
  for (const run of runs) out.push(...printRun(run), "");
  for (const dir of withoutLineage) out.push(`run ${dir}: no lineage.json (the run did not reach evaluate)`);
  if (!verify) {
    process.stdout.write(out.join("\n") + "\n");
    return 0;
  }
  const result = await verifyLineages(base, runs);
  for (const p of result.problems)
    out.push(p.problem === "missing" ? `MISSING ${p.path} (run ${p.runDir ?? "?"})` : `CHANGED ${p.path} (run ${p.runDir ?? "?"}): recorded ${p.expected}, now ${p.actual}`);
  out.push(result.problems.length === 0 ? `verified ${result.checked} artifacts: every hash matches` : `${result.problems.length} of ${result.checked} artifacts changed or missing`);
  process.stdout.write(out.join("\n") + "\n");
  return result.problems.length === 0 ? 0 : 1;
}
