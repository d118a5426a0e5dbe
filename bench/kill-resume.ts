/**
 * Sealed runs under SIGKILL (issue 12): one uninterrupted run, then KILLS runs each killed
 * at a moment spread evenly over that run's wall time and resumed once with
 * `--resume --yes`. Counts kills that landed, resumes that finished, and runs whose
 * train.json, test.json and results.json differ from the uninterrupted run's (a "false
 * finished" is a resume that printed its outputs without those bytes). Also times a run
 * with checkpoints.durability "sync" (the default) against "async": the cost of being
 * resumable at every moment.
 *
 *   npm run bench -- kill-resume            (KILLS=40, the penguins table)
 *   KILLS=10 KILL_CSV=examples/credit_data.csv npm run bench -- kill-resume
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runCliAsync } from "../test/helpers/cli.js";
import { runAndKill, sealedBytes } from "../test/helpers/kill.js";

/** Wall ms of an uninterrupted run, from its run folder's appearance (Node's start-up not counted) to its exit. */
async function timedRun(csv: string, output: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
  let appeared = 0;
  const poll = setInterval(() => {
    if (!appeared && existsSync(output) && readdirSync(output).some((n) => n.startsWith("run_"))) appeared = Date.now();
  }, 10);
  const result = await runCliAsync(["--csv", csv, "--output", output, "--yes"], { env });
  clearInterval(poll);
  if (result.code !== 0) throw new Error(`uninterrupted run failed: ${result.stderr}`);
  return Date.now() - appeared;
}

export async function bench(): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json")], { cwd: ROOT });
  const csv = join(ROOT, process.env.KILL_CSV ?? "test/fixtures/penguins.csv");
  const kills = Number(process.env.KILLS ?? 40);
  const dir = mkdtempSync(join(tmpdir(), "tabtune-kill-"));

  const asyncConfig = join(dir, "async.yaml");
  writeFileSync(asyncConfig, readFileSync(join(ROOT, "config/default.yaml"), "utf8").replace(/durability: sync/, "durability: async"));
  const sync: number[] = [];
  const asyncMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    sync.push(await timedRun(csv, join(dir, `sync-${i}`)));
    asyncMs.push(await timedRun(csv, join(dir, `async-${i}`), { TABTUNE_CONFIG: asyncConfig }));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  process.stdout.write(`uninterrupted run, wall ms from its folder's creation to exit (3 each, interleaved): durability sync ${sync.join(", ")} (median ${median(sync)}); async ${asyncMs.join(", ")} (median ${median(asyncMs)})\n`);

  const reference = sealedBytes(join(dir, "sync-0"));
  const span = median(sync);
  let landed = 0;
  let finished = 0;
  let identical = 0;
  let falseFinished = 0;
  const failures: string[] = [];
  for (let i = 0; i < kills; i++) {
    const at = Math.round((span * (i + 0.5)) / kills);
    const output = join(dir, `kill-${i}`);
    const base = ["--csv", csv, "--output", output];
    if (await runAndKill([...base, "--yes"], { afterRunMs: at, output })) landed += 1;
    const resumed = await runCliAsync([...base, "--resume", "--yes"]);
    const same = JSON.stringify(sealedBytes(output)) === JSON.stringify(reference);
    const claimed = resumed.code === 0 && /^Outputs of run/m.test(resumed.stdout);
    if (resumed.code === 0) finished += 1;
    if (same) identical += 1;
    if (claimed && !same) falseFinished += 1;
    if (!same || resumed.code !== 0) failures.push(`kill at ${at} ms: exit ${resumed.code}, ${same ? "same bytes" : "DIFFERENT bytes"}: ${resumed.stderr.split("\n").filter((l) => l.startsWith("error")).join(" ")}`);
    process.stdout.write(`  kill ${i + 1}/${kills} at ${at} ms: resume exit ${resumed.code}, ${same ? "identical" : "DIFFERENT"}\n`);
  }
  process.stdout.write(`${kills} kills spread over ${span} ms: ${landed} landed before the run ended, ${finished} resumes finished, ${identical} byte-identical, ${falseFinished} false "finished"\n`);
  for (const f of failures) process.stdout.write(`  ${f}\n`);
}
