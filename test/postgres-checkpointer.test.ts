/**
 * Shared checkpoints (issue 17, DESIGN §9): runs checkpointed in a real PostgreSQL server
 * through the official PostgresSaver, driven as a user does (the built CLI, child processes).
 * The server is TABTUNE_TEST_POSTGRES_URL (CI: .ci/postgres.sh); without it these tests skip
 * and say so, except in CI (TABTUNE_REQUIRE_POSTGRES=1), where they fail. The SQLite default
 * is what every other end-to-end test runs on.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chooseCheckpointer, openCheckpointer } from "../src/checkpointer.js";
import { answerSource } from "../src/cli/answers.js";
import { latestRunId, resumeRun } from "../src/cli/runner.js";
import { formatError } from "../src/errors.js";
import { ROOT, runCli, runDirs, tempDir } from "./helpers/cli.js";
import { deleteRuns, postgresForTests } from "./helpers/postgres.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");
/** No checkpointer from the test's own environment leaks into a child that is meant to have none. */
const NO_ENV = { TABTUNE_CHECKPOINTER: "" };

/** Every file's text under `dir`, to prove a secret is in none of them. */
function allText(dir: string): string {
  return readdirSync(dir).map((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allText(path) : readFileSync(path, "latin1");
  }).join("\n");
}

describe("--checkpointer errors (no server needed)", () => {
  it("a refused connection is one line naming the host, never the password; exit 1 and no run folder", () => {
    const output = join(tempDir(), "out");
    const result = runCli(["--csv", PENGUINS, "--output", output, "--yes", "--checkpointer", "postgres://someone:s3cret-pw@127.0.0.1:1/runs"], { env: NO_ENV });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^error: no PostgreSQL server answers at 127\.0\.0\.1:1 \(connection refused\) — start the server/)]);
    expect(result.stdout + result.stderr).not.toContain("s3cret-pw");
    expect(existsSync(output) ? runDirs(output) : []).toEqual([]);
  });

  it("a value that is not a PostgreSQL URL is refused without repeating a password", () => {
    expect(() => chooseCheckpointer("mysql://db/runs")).toThrow(/must be a PostgreSQL URL such as postgres:\/\/user:password@host:5432\/database, or "sqlite", got "mysql:\/\/db\/runs"/);
    expect(() => chooseCheckpointer("postgres://u:pw@[oops/db")).toThrow(/is not a valid PostgreSQL URL \(the value is not repeated here/);
    expect(() => chooseCheckpointer("postgres://u:pw@db/runs?schema=a;drop")).toThrow(/schema "a;drop" is not a plain PostgreSQL name/);
    expect(chooseCheckpointer(undefined)).toEqual({ kind: "sqlite" });
    expect(chooseCheckpointer("sqlite")).toEqual({ kind: "sqlite" });
    expect(chooseCheckpointer("postgresql://u:p%40ss@db:6543/runs?schema=team&sslmode=require")).toEqual({ kind: "postgres", url: "postgresql://u:p%40ss@db:6543/runs?sslmode=require", schema: "team" });
  });
});

const found = postgresForTests();
if (!found.ok && !found.required) console.warn(`\n⚠ test/postgres-checkpointer.test.ts: SKIPPED — ${found.reason}\n`);

describe.runIf(!found.ok && found.required)("PostgreSQL for the shared-checkpoint test", () => {
  it("is given (TABTUNE_REQUIRE_POSTGRES=1)", () => {
    expect.fail(found.ok ? "" : found.reason);
  });
});

describe.runIf(found.ok)("runs checkpointed in PostgreSQL (--checkpointer / TABTUNE_CHECKPOINTER)", () => {
  const pg = found.ok ? found.pg : { url: "", password: "", shown: "" };
  const made: string[] = [];
  afterAll(async () => {
    if (made.length > 0) await deleteRuns(pg, made);
  });

  it("a wrong password is one line naming the host and user, not the password", async () => {
    const url = new URL(pg.url);
    url.username = url.username || "tabtune";
    url.password = "not-the-password";
    const error = await openCheckpointer(chooseCheckpointer(url.toString()), tempDir()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(formatError(error)).toMatch(new RegExp(`^error: PostgreSQL at ${url.host.replace(/\./g, "\\.")} refused the password of user "${url.username}" — `));
    expect(formatError(error)).not.toContain("not-the-password");
  });

  it("a database that does not exist is one line naming it and the host", async () => {
    const url = new URL(pg.url);
    url.pathname = "/tabtune_no_such_database";
    const error = await openCheckpointer(chooseCheckpointer(url.toString()), tempDir()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(formatError(error)).toMatch(new RegExp(`^error: database "tabtune_no_such_database" does not exist on ${url.host.replace(/\./g, "\\.")} — create it`));
  });

  it("a paused run resumes in a new process and finishes; output folders sharing the database see only their own runs", async () => {
    const root = tempDir();
    const outA = join(root, "team-a");
    const outB = join(root, "team-b");

    const pausedA = runCli(["--csv", PENGUINS, "--output", outA, "--checkpointer", pg.url], { env: NO_ENV });
    expect(pausedA.stderr).not.toMatch(/error:/);
    expect(pausedA.code).toBe(2);
    expect(pausedA.stdout).toMatch(/Paused at review_plan/);
    const [runA] = runDirs(outA);
    if (!runA) throw new Error("no run folder in " + outA);
    made.push(runA);
    // The printed resume command names the checkpointer typed, its password left for the user to fill in.
    const typed = pg.shown.replace("@", pg.password ? ":PASSWORD@" : "@");
    expect(pausedA.stdout).toContain(`--checkpointer '${typed}' --resume ${runA} --yes`);
    // The run folder records its checkpointer without the password; nothing went to SQLite.
    expect(JSON.parse(readFileSync(join(outA, runA, "run.json"), "utf8"))).toEqual({ runId: runA, checkpointer: { kind: "postgres", where: pg.shown } });
    expect(existsSync(join(outA, "checkpoints.sqlite"))).toBe(false);

    // A second output folder, same database, chosen through the environment variable; its run is the newest there.
    const pausedB = runCli(["--csv", PENGUINS, "--output", outB], { env: { TABTUNE_CHECKPOINTER: pg.url } });
    expect(pausedB.code).toBe(2);
    const [runB] = runDirs(outB);
    if (!runB) throw new Error("no run folder in " + outB);
    made.push(runB);
    expect(pausedB.stdout).toMatch(new RegExp(`--output \\S+ --resume ${runB} --yes`)); // TABTUNE_CHECKPOINTER is still set when it is pasted
    expect(runB > runA).toBe(true);
    expect(await latestRunId(outA, pg.url)).toBe(runA);
    expect(await latestRunId(outB, pg.url)).toBe(runB);
    const answers = answerSource({ answers: [], yes: true, interactive: false });
    await expect(resumeRun({ output: outA, runId: runB, answers, show: () => {}, checkpointer: pg.url })).rejects.toThrow(`run ${runB} belongs to the output folder ${outB}, not ${outA}`);

    // Resumed without --checkpointer: one line saying which to pass (with the password left out), exit 1.
    const wrong = runCli(["--csv", PENGUINS, "--output", outA, "--resume", runA, "--yes"], { env: NO_ENV });
    expect(wrong.code).toBe(1);
    const host = new URL(pg.url).host;
    expect(wrong.stderr.trim().split("\n")).toEqual([`error: run ${runA} is checkpointed in PostgreSQL at ${host}, not in ${join(outA, "checkpoints.sqlite")} — resume it with --checkpointer '${typed}' (or set TABTUNE_CHECKPOINTER)`]);
    expect(existsSync(join(outA, "checkpoints.sqlite"))).toBe(false);

    // A new process resumes run A from PostgreSQL and finishes it.
    const resumed = runCli(["--csv", PENGUINS, "--output", outA, "--resume", runA, "--yes", "--checkpointer", pg.url], { env: NO_ENV });
    expect(resumed.stderr).not.toMatch(/error:/);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`Outputs of run ${runA}`);
    expect(runDirs(outA)).toEqual([runA]);
    expect(existsSync(join(outA, runA, "evaluation", "results.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(outA, "latest.json"), "utf8"))).toMatchObject({ runId: runA });
    // Run B is still paused at its review, untouched by A's resume.
    expect(await latestRunId(outB, pg.url)).toBe(runB);
    expect(existsSync(join(outB, runB, "evaluation"))).toBe(false);

    if (pg.password !== "") for (const text of [pausedA.stdout, pausedA.stderr, wrong.stderr, resumed.stdout, resumed.stderr, allText(outA), allText(outB)]) expect(text).not.toContain(pg.password);
  });
});
