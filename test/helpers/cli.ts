/** Runs the built CLI as a child process with no terminal, the way CI and scripts use it. */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = join(ROOT, "dist", "cli.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Every CLI child process of the suite calls this: with TABTUNE_TEST_SPAWN_LOG=<file> set it
 * appends "<test file>\t<args>" there, to count the spawns per file (each costs seconds).
 */
export function noteCliSpawn(args: string[]): void {
  const log = process.env.TABTUNE_TEST_SPAWN_LOG;
  if (log) appendFileSync(log, `${relative(ROOT, expect.getState().testPath ?? "?")}\t${args.join(" ")}\n`);
}

export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  noteCliSpawn(args);
  const result = spawnSync(process.execPath, ["--no-node-snapshot", CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, CI: "1", NO_COLOR: "1", npm_lifecycle_event: "", ...options.env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 300_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * runCli without blocking the event loop, for tests whose own process serves the CLI
 * (a local LLM server): same environment, same result shape.
 */
export function runCliAsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  noteCliSpawn(args);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--no-node-snapshot", CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, CI: "1", NO_COLOR: "1", npm_lifecycle_event: "", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function tempDir(prefix = "tabtune-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** path → sha256 of every file under a folder, to prove a folder was not touched. */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

export function runDirs(output: string): string[] {
  return readdirSync(output).filter((n) => n.startsWith("run_")).sort();
}
