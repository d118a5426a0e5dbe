/**
 * Disks that refuse: a full disk (the kernel's /dev/full answers every write with
 * ENOSPC), an --output that is a file or lies under one, a folder without write
 * permission. Each is one line naming the path and what to do, with no stack trace and
 * no `*.tmp-<pid>` file left behind.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AtomicLineWriter, JsonArrayWriter, writeFileAtomic } from "../src/artifacts.js";
import { formatError, fsError, TabtuneError } from "../src/errors.js";
import { CLI, ROOT, runCli, tempDir, type CliResult } from "./helpers/cli.js";

const CREDIT = join(ROOT, "examples/credit_data.csv");
const HAS_DEV_FULL = existsSync("/dev/full");
const IS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

/** runCli, as "nobody" when the tests run as root (root ignores permissions). */
function runUnprivileged(args: string[]): CliResult {
  const result = spawnSync(process.execPath, ["--no-node-snapshot", CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: "1", NO_COLOR: "1", npm_lifecycle_event: "" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
    ...(IS_ROOT ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Why the read-only case cannot run here, or null. */
const READ_ONLY_SKIP: string | null = (() => {
  if (process.platform === "win32") return "no POSIX permissions";
  if (!IS_ROOT) return null;
  const probe = spawnSync(process.execPath, ["-e", `require("fs").accessSync(${JSON.stringify(CLI)}, require("fs").constants.R_OK)`], { uid: NOBODY, gid: NOBODY });
  return probe.status === 0 ? null : "running as root and user nobody cannot read the built CLI";
})();

/** A folder whose next temp file for `name` is /dev/full: every write to it fails with ENOSPC. */
function fullDiskAt(name: string): { dir: string; path: string } {
  const dir = tempDir("tabtune-full-");
  const path = join(dir, name);
  symlinkSync("/dev/full", `${path}.tmp-${process.pid}`);
  return { dir, path };
}

async function rejection(promise: Promise<unknown>): Promise<TabtuneError> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof TabtuneError)) throw new Error(`expected a TabtuneError, got ${String(error)}`);
  return error;
}

function expectDiskFull(error: TabtuneError, path: string): void {
  expect(error.code).toBe("disk_full");
  expect(error.message).toContain(path);
  expect(formatError(error)).toMatch(/^error: no space left on the disk .* — free some space/);
  expect(formatError(error)).not.toContain("\n");
}

describe.skipIf(!HAS_DEV_FULL)("a full disk (writes to /dev/full fail with ENOSPC)", () => {
  it("AtomicLineWriter rejects the pending write, leaves no temp file and nothing at the path", async () => {
    const { dir, path } = fullDiskAt("rows.jsonl");
    const out = new AtomicLineWriter(path);
    const line = `${JSON.stringify({ text: "x".repeat(200) })}\n`;
    const error = await rejection(
      (async () => {
        for (let i = 0; i < 50_000; i++) await out.write(line);
        await out.commit();
      })(),
    );
    expectDiskFull(error, path);
    expect(readdirSync(dir)).toEqual([]);
    // Later calls give the same answer instead of writing on.
    await expect(out.write(line)).rejects.toBe(error);
    await expect(out.commit()).rejects.toBe(error);
    await out.abort();
  });

  it("JsonArrayWriter rejects at commit when the disk fills while the last bytes are flushed", async () => {
    const { dir, path } = fullDiskAt("train.json");
    const out = new JsonArrayWriter(path);
    await out.push({ instruction: "q", input: "a", output: "b" });
    expectDiskFull(await rejection(out.commit()), path);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("writeFileAtomic throws one line and removes its temp file", () => {
    const { dir, path } = fullDiskAt("policies.json");
    let error: unknown = null;
    try {
      writeFileAtomic(path, "{}");
    } catch (e) {
      error = e;
    }
    if (!(error instanceof TabtuneError)) throw new Error(`expected a TabtuneError, got ${String(error)}`);
    expectDiskFull(error, path);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("writers that fail for any reason leave no temp file", () => {
  it("a writer whose folder cannot be created says which part of the path is a file", () => {
    const dir = tempDir("tabtune-notdir-");
    writeFileSync(join(dir, "plain"), "a file");
    const error = (() => {
      try {
        new AtomicLineWriter(join(dir, "plain", "data", "rows.jsonl"));
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(TabtuneError);
    expect(formatError(error)).toMatch(new RegExp(`${join(dir, "plain")} is a file, so .*rows\\.jsonl|${join(dir, "plain")}.* is a file`));
  });

  it("abort removes the temp file of an uncommitted writer", async () => {
    const dir = tempDir("tabtune-abort-");
    const out = new AtomicLineWriter(join(dir, "rows.jsonl"));
    await out.write("{}\n");
    await out.abort();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("the file-system errors tabtune explains each name the path and what to do", () => {
    // Errors as Node's fs raises them (code, syscall, path), for the codes no test machine can produce on demand.
    const raised = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path, errno: -1 });
    const cases: [string, RegExp][] = [
      ["EROFS", /\/data\/out is on a read-only file system — choose an --output folder on a writable disk/],
      ["EACCES", /no permission to create the folder \/data\/out.* — choose an --output folder you can write to/],
      ["EEXIST", /\/data\/out already exists and is not a folder — remove or rename that file, or choose another --output/],
      ["ENOSPC", /no space left on the disk .* \/data\/out — free some space/],
    ];
    for (const [code, expected] of cases) expect(formatError(raised(code, "mkdir", "/data/out"))).toMatch(expected);
    expect(fsError(new Error("not a file-system error"))).toBeNull();
  });
});

describe("--output problems print one line and exit 1", () => {
  function expectOneLine(result: CliResult, expected: RegExp): void {
    expect(result.code).toBe(1);
    const lines = result.stderr.split("\n").filter((l) => l.trim() !== "");
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }

  it("--output pointing at a file", () => {
    const dir = tempDir("tabtune-outfile-");
    const output = join(dir, "results.txt");
    writeFileSync(output, "keep me");
    expectOneLine(runCli(["--csv", CREDIT, "--output", output, "--yes"]), new RegExp(`${output}.* (already exists and is not a folder|is a file).* — .*--output`));
  });

  it("--output under a file (ENOTDIR)", () => {
    const dir = tempDir("tabtune-outunder-");
    writeFileSync(join(dir, "plain"), "a file");
    const output = join(dir, "plain", "out");
    expectOneLine(runCli(["--csv", CREDIT, "--output", output, "--yes"]), new RegExp(`${join(dir, "plain")} is a file, so .* cannot be created — .*--output`));
  });

  // chmod does not stop root from writing: as root the CLI runs as the unprivileged user
  // "nobody" (uid 65534), when that user can read the built CLI; otherwise it is skipped.
  it.skipIf(READ_ONLY_SKIP !== null)(`--output under a folder without write permission${READ_ONLY_SKIP ? ` (skipped: ${READ_ONLY_SKIP})` : ""}`, () => {
    const dir = tempDir("tabtune-readonly-");
    chmodSync(dir, 0o755);
    const locked = join(dir, "locked");
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    try {
      const deeper = runUnprivileged(["--csv", CREDIT, "--output", join(locked, "out", "deeper"), "--yes"]);
      expectOneLine(deeper, new RegExp(`no permission to create the folder ${locked}/out.* \\(no write permission in ${locked}\\) — choose an --output folder you can write to`));
      const itself = runUnprivileged(["--csv", CREDIT, "--output", locked, "--yes"]);
      expectOneLine(itself, /cannot be (opened|written).* — choose an --output folder you can write to/);
    } finally {
      chmodSync(locked, 0o755);
    }
  });
});
