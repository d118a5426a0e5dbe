/** Kills the CLI with SIGKILL at a chosen moment, then resumes it: the crash checks of issue 12. */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, noteCliSpawn, ROOT, runCliAsync, runDirs, type CliResult } from "./cli.js";

/**
 * When to kill: once stderr shows a line matching `afterLine`, `afterMs` after the start,
 * or `afterRunMs` after the run's folder appeared in `output` (Node's start-up not counted).
 */
export type KillMoment = { afterLine: RegExp } | { afterMs: number } | { afterRunMs: number; output: string };

/** Resolves when `output` holds a run folder (polled every 10 ms), or never. */
function runFolderAppears(output: string, stop: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (stop()) return clearInterval(poll);
      if (existsSync(output) && runDirs(output).length > 0) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
}

/** Starts `tabtune args` and kills it with SIGKILL at `moment`; resolves true when the signal killed it. */
export function runAndKill(args: string[], moment: KillMoment): Promise<boolean> {
  noteCliSpawn(args);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--no-node-snapshot", CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: "1", NO_COLOR: "1", npm_lifecycle_event: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let seen = "";
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    if ("afterMs" in moment) setTimeout(kill, moment.afterMs);
    if ("afterRunMs" in moment) void runFolderAppears(moment.output, () => child.exitCode !== null || child.signalCode !== null).then(() => setTimeout(kill, moment.afterRunMs));
    child.stderr.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if ("afterLine" in moment && moment.afterLine.test(seen)) kill();
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) => resolve(signal === "SIGKILL"));
  });
}

/** The files an uninterrupted run and a killed-then-resumed one must agree on, byte for byte. */
export const SEALED_FILES = ["data/train.json", "data/test.json", "evaluation/results.json"];

/** The newest run folder's bytes of SEALED_FILES (null where a file is missing). */
export function sealedBytes(output: string): Record<string, string | null> {
  const run = existsSync(output) ? runDirs(output).at(-1) : undefined;
  const out: Record<string, string | null> = {};
  for (const file of SEALED_FILES) {
    try {
      out[file] = run ? readFileSync(join(output, run, file), "utf8") : null;
    } catch {
      out[file] = null;
    }
  }
  return out;
}

/** `--resume --yes` until the run says it finished (at most `tries` times). */
export async function resumeUntilDone(base: string[], tries = 2): Promise<CliResult[]> {
  const results: CliResult[] = [];
  for (let i = 0; i < tries; i++) {
    const result = await runCliAsync([...base, "--resume", "--yes"]);
    results.push(result);
    if (result.code !== 0 || /^Outputs of run/m.test(result.stdout)) break;
  }
  return results;
}
