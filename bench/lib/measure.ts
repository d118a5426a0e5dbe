/**
 * A command timed as a user would see it: wall seconds, CPU seconds (user + system) and
 * peak RSS from GNU time (/usr/bin/time -f), which reads them from wait4's rusage. Peak RSS
 * is that of the largest process of the tree (the command or a child it waited for), as
 * getrusage reports it; CPU includes every waited-for child. Without /usr/bin/time only the
 * wall time is known (apt-get install time).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";

export interface Timed {
  status: number | null;
  wallS: number;
  /** user + system CPU seconds, NaN without /usr/bin/time. */
  cpuS: number;
  /** Peak resident set size in bytes, NaN without /usr/bin/time. */
  peakRss: number;
  stdout: string;
  stderr: string;
}

const TIME = "/usr/bin/time";
const MARK = "BENCH_TIME";

/** Runs `command args` in `cwd`, stdout and stderr kept (the last 4 MB of each). */
export async function timed(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Timed> {
  const withTime = existsSync(TIME);
  const start = performance.now();
  const child = withTime
    ? spawn(TIME, ["-f", `${MARK} %e %U %S %M`, command, ...args], { cwd: options.cwd, env: options.env ?? process.env })
    : spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env });
  let stdout = "";
  let stderr = "";
  const keep = (text: string, chunk: Buffer) => (text + chunk.toString("utf8")).slice(-4_000_000);
  child.stdout.on("data", (chunk: Buffer) => (stdout = keep(stdout, chunk)));
  child.stderr.on("data", (chunk: Buffer) => (stderr = keep(stderr, chunk)));
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  const wall = (performance.now() - start) / 1000;
  const line = stderr.split("\n").reverse().find((l) => l.startsWith(MARK));
  if (!line) return { status, wallS: wall, cpuS: NaN, peakRss: NaN, stdout, stderr };
  const [, e, u, s, m] = line.split(" ").map(Number);
  return { status, wallS: e ?? wall, cpuS: (u ?? NaN) + (s ?? NaN), peakRss: (m ?? NaN) * 1024, stdout, stderr: stderr.replace(`${line}\n`, "") };
}

/** "1.23 GB" / "456 MB". */
export function size(bytes: number): string {
  if (!Number.isFinite(bytes)) return "?";
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GB` : `${(bytes / 2 ** 20).toFixed(0)} MB`;
}

/** The commit measured: HEAD's short hash, "+dirty" when src/ or bench/ has uncommitted changes. */
export function commitLabel(root: string): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "bench", "config"], { cwd: root, encoding: "utf8" }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return "unknown commit";
  }
}

/** The Python with pandas and scikit-learn (BENCH_PYTHON, else Debian's /usr/bin/python3), or null with why. */
export function referencePython(): { python: string } | { missing: string } {
  const python = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
  try {
    execFileSync(python, ["-c", "import pandas, sklearn, numpy"], { stdio: "ignore" });
    return { python };
  } catch {
    return { missing: `${python} cannot import pandas + scikit-learn: apt-get install python3-pandas python3-sklearn (or set BENCH_PYTHON)` };
  }
}
