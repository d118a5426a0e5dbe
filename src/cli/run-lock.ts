/**
 * One writer per run: `<run>/.lock` holds the pid, host and start time of the process
 * writing the run. A second process is refused with a message naming the holder; a lock
 * left by a process that no longer exists on this host (kill -9, power loss) is stale and
 * taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";
import { TabtuneError } from "../errors.js";
import { paths } from "../paths.js";

const LockFile = z.object({ pid: z.number().int(), host: z.string(), startedAt: z.string(), runId: z.string() });
type LockFile = z.infer<typeof LockFile>;

export interface RunLock {
  readonly path: string;
  release(): void;
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(path: string): LockFile | null {
  try {
    const parsed = LockFile.safeParse(JSON.parse(readFileSync(path, "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Why an existing lock does not stop us, or null when its holder may still be writing. */
function staleReason(holder: LockFile | null): string | null {
  if (holder === null) return "unreadable lock file";
  if (holder.host !== hostname()) return null; // another machine's process cannot be checked from here
  if (holder.pid === process.pid) return null;
  return alive(holder.pid) ? null : `process ${holder.pid} no longer exists`;
}

/** Takes the run's lock, or throws naming the process that holds it. */
export function lockRun(runDir: string, runId: string): RunLock {
  const path = paths.lock(runDir);
  mkdirSync(runDir, { recursive: true }); // a run killed before its folder was made still has its checkpoint
  const mine: LockFile = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), runId };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(mine) + "\n", { flag: "wx" });
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readHolder(path);
    if (staleReason(holder) === null) {
      const who = holder ? `process ${holder.pid} on ${holder.host} (since ${holder.startedAt})` : "another process";
      throw new TabtuneError("run_locked", `run ${runId} is being written by ${who}`, {
        suggestion: `wait for it to finish; if that process is gone, delete ${path}`,
      });
    }
    rmSync(path, { force: true }); // stale: its writer died without releasing it
  }
  throw new TabtuneError("run_locked", `could not take the lock ${path}`, { suggestion: `delete ${path} if no tabtune process is writing run ${runId}` });
}
