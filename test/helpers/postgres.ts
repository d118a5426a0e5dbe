/**
 * The PostgreSQL server the shared-checkpoint tests run against: TABTUNE_TEST_POSTGRES_URL
 * (`.ci/postgres.sh` installs and starts Debian's server and sets it; as root, `source
 * .ci/postgres.sh` does the same on a machine). Each test run gets a fresh schema
 * (`?schema=`, which tabtune's --checkpointer accepts), so reruns never see earlier runs.
 * TABTUNE_REQUIRE_POSTGRES=1 (set in CI) turns a missing URL into a failing test, not a skip.
 */
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";

export interface TestPostgres {
  /** The URL to pass as --checkpointer: the server's, with this run's own schema. */
  url: string;
  /** The password in the URL ("" when none), which no file or message may contain. */
  password: string;
  /** The same URL without its password, as run.json and messages show it. */
  shown: string;
}

export type PostgresForTests = { ok: true; pg: TestPostgres } | { ok: false; required: boolean; reason: string };

export function postgresForTests(): PostgresForTests {
  const base = process.env.TABTUNE_TEST_POSTGRES_URL?.trim() ?? "";
  const required = process.env.TABTUNE_REQUIRE_POSTGRES === "1";
  if (base === "")
    return { ok: false, required, reason: "TABTUNE_TEST_POSTGRES_URL is not set: the PostgreSQL checkpointer is NOT tested (as root, `source .ci/postgres.sh` installs, starts and sets it)" };
  const url = new URL(base);
  url.searchParams.set("schema", `tabtune_test_${process.pid}_${Date.now().toString(36)}`);
  const password = decodeURIComponent(url.password);
  const shown = new URL(url);
  shown.password = "";
  return { ok: true, pg: { url: url.toString(), password, shown: shown.toString() } };
}

/** Deletes the test's runs from the database with the saver's own API (the empty schema stays). */
export async function deleteRuns(pg: TestPostgres, runIds: string[]): Promise<void> {
  const url = new URL(pg.url);
  const schema = url.searchParams.get("schema") ?? "public";
  url.searchParams.delete("schema");
  const saver = PostgresSaver.fromConnString(url.toString(), { schema });
  try {
    for (const runId of runIds) await saver.deleteThread(runId);
  } finally {
    await saver.end();
  }
}
