/**
 * Where runs are checkpointed (DESIGN §9). By default the SQLite file
 * `<output>/checkpoints.sqlite`, one per output folder; with `--checkpointer postgres://…`
 * (or TABTUNE_CHECKPOINTER) a PostgreSQL database a team shares, through the official
 * PostgresSaver, where the runs of many output folders live side by side.
 *
 * A run belongs to the output folder that holds its run folder: the run lookup starts from
 * those folders and asks the checkpointer about each through its API, never its tables. Each
 * run folder records its checkpointer in run.json, without the password, so that `--resume`
 * with the wrong one can say which to pass.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { z } from "zod";
import { writeFileAtomic } from "./artifacts.js";
import { postgresError, sqliteError, TabtuneError } from "./errors.js";
import { paths } from "./paths.js";

/** The checkpointer asked for: SQLite in the output folder, or a PostgreSQL URL (password included) and schema. */
export type CheckpointerChoice = { kind: "sqlite" } | { kind: "postgres"; url: string; schema: string };

/** What a run folder records about its checkpointer (run.json): never a password. */
export const CheckpointerRecord = z.object({
  kind: z.enum(["sqlite", "postgres"]),
  /** The SQLite file, or the PostgreSQL URL without its password. */
  where: z.string(),
});
export type CheckpointerRecord = z.infer<typeof CheckpointerRecord>;

const RunRecord = z.object({ runId: z.string(), checkpointer: CheckpointerRecord });

/** An open checkpointer: the saver the graph is compiled with, where it is, and how to let it go. */
export interface Checkpointer {
  saver: BaseCheckpointSaver;
  record: CheckpointerRecord;
  /** Ends the PostgreSQL connection pool (the process cannot exit while it is open); nothing for SQLite. */
  close(): Promise<void>;
}

const FLAG = "--checkpointer (or TABTUNE_CHECKPOINTER)";
const EXAMPLE = "postgres://user:password@host:5432/database";
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The checkpointer a `--checkpointer` value names: absent, empty or "sqlite" → the SQLite
 * file; `postgres://` or `postgresql://` → that database (`?schema=name` puts tabtune's
 * tables in that schema, default public). Anything else is a one-line error that never
 * repeats a password.
 * @example chooseCheckpointer("postgres://u:pw@db:5432/runs?schema=team") // { kind: "postgres", url: "postgres://u:pw@db:5432/runs", schema: "team" }
 */
export function chooseCheckpointer(value: string | null | undefined): CheckpointerChoice {
  const text = value?.trim() ?? "";
  if (text === "" || text.toLowerCase() === "sqlite") return { kind: "sqlite" };
  if (!/^postgres(ql)?:\/\//i.test(text))
    throw new TabtuneError("bad_checkpointer", `${FLAG} must be a PostgreSQL URL such as ${EXAMPLE}, or "sqlite", got "${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`, {
      suggestion: "pass a postgres:// URL, or leave it out to checkpoint in <output>/checkpoints.sqlite",
    });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TabtuneError("bad_checkpointer", `${FLAG} is not a valid PostgreSQL URL (the value is not repeated here: it may hold a password)`, {
      suggestion: `write it as ${EXAMPLE}; percent-encode special characters in the password (@ → %40, / → %2F)`,
    });
  }
  if (url.hostname === "")
    throw new TabtuneError("bad_checkpointer", `${FLAG} names no host`, { suggestion: `write it as ${EXAMPLE}` });
  const schema = url.searchParams.get("schema") ?? "public";
  if (!SCHEMA_NAME.test(schema))
    throw new TabtuneError("bad_checkpointer", `${FLAG}: schema "${schema}" is not a plain PostgreSQL name`, { suggestion: "use letters, digits and _ (starting with a letter or _), at most 63" });
  url.searchParams.delete("schema");
  return { kind: "postgres", url: url.toString(), schema };
}

/** The database a PostgreSQL choice names, without its password: "postgres://user@host:5432/db". */
function withoutPassword(choice: Extract<CheckpointerChoice, { kind: "postgres" }>): string {
  const url = new URL(choice.url);
  url.password = "";
  if (choice.schema !== "public") url.searchParams.set("schema", choice.schema);
  return url.toString();
}

/** What to record and show about a checkpointer choice. */
export function describeCheckpointer(choice: CheckpointerChoice, output: string): CheckpointerRecord {
  return choice.kind === "sqlite" ? { kind: "sqlite", where: paths.checkpoints(output) } : { kind: "postgres", where: withoutPassword(choice) };
}

/**
 * Opens the checkpointer for runs of `output`. PostgreSQL is connected and its tables set up
 * (PostgresSaver.setup(): creates them when missing, runs its migrations) here, so a refused
 * connection, an unknown host or a wrong password is one error naming the host, before any run
 * folder is made. With `create: false` (resume, re-entry) a missing SQLite file is not made:
 * the saver is then an empty one, which holds no run.
 */
export async function openCheckpointer(choice: CheckpointerChoice, output: string, options: { create: boolean } = { create: true }): Promise<Checkpointer> {
  const record = describeCheckpointer(choice, output);
  if (choice.kind === "sqlite") {
    if (!options.create && !existsSync(record.where)) return { saver: new MemorySaver(), record, close: async () => {} };
    mkdirSync(output, { recursive: true });
    try {
      return { saver: SqliteSaver.fromConnString(record.where), record, close: async () => {} };
    } catch (error) {
      throw sqliteError(error, record.where) ?? error;
    }
  }
  const saver = PostgresSaver.fromConnString(choice.url, { schema: choice.schema });
  try {
    await setUp(saver);
  } catch (error) {
    await saver.end().catch(() => {});
    throw postgresError(error, record.where) ?? error;
  }
  return { saver, record, close: () => saver.end() };
}

/** SQLSTATEs of a setup that raced another process's: a migration or table it just made. */
const SETUP_RACE = new Set(["23505", "42P07", "42710"]);

/**
 * PostgresSaver.setup(), again after a short wait while another process is setting up the
 * same fresh database (both read the same migration version; the later one's inserts fail).
 */
async function setUp(saver: PostgresSaver): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await saver.setup();
    } catch (error) {
      const code: unknown = error instanceof Error ? Reflect.get(error, "code") : undefined;
      if (attempt >= 8 || typeof code !== "string" || !SETUP_RACE.has(code)) throw error;
      await new Promise((done) => setTimeout(done, 50 * attempt + Math.random() * 100));
    }
  }
}

/** Runs `body` with the checkpointer open, and closes it however `body` ends. */
export async function withCheckpointer<T>(choice: CheckpointerChoice, output: string, options: { create: boolean }, body: (checkpointer: Checkpointer) => Promise<T>): Promise<T> {
  const checkpointer = await openCheckpointer(choice, output, options);
  try {
    return await body(checkpointer);
  } finally {
    await checkpointer.close();
  }
}

/**
 * The --checkpointer part of a printed resume command: "" for SQLite, else the URL with its
 * password written as PASSWORD (the user types theirs in).
 * @example checkpointerArgument("postgres://u:pw@db/runs") // " --checkpointer 'postgres://u:PASSWORD@db/runs'"
 */
export function checkpointerArgument(value: string | null | undefined): string {
  const choice = chooseCheckpointer(value);
  if (choice.kind === "sqlite") return "";
  const url = new URL(describeCheckpointer(choice, "").where);
  if (new URL(choice.url).password !== "") url.password = "PASSWORD";
  return ` --checkpointer '${url.toString()}'`;
}

/** `<runDir>/run.json`: the run's id and its checkpointer (written when the run folder is made). */
export function recordCheckpointer(runDir: string, runId: string, record: CheckpointerRecord): void {
  writeFileAtomic(paths.runRecord(runDir), JSON.stringify({ runId, checkpointer: record }, null, 2) + "\n");
}

/** The checkpointer run.json records, or null (no run.json: a run made before it, in SQLite; or unreadable). */
export function recordedCheckpointer(runDir: string): CheckpointerRecord | null {
  try {
    return RunRecord.parse(JSON.parse(readFileSync(paths.runRecord(runDir), "utf8"))).checkpointer;
  } catch {
    return null;
  }
}

/** The run folders under `output` (run_<timestamp> names: oldest first). */
function runFolders(output: string): string[] {
  if (!existsSync(output)) return [];
  return readdirSync(output)
    .filter((name) => name.startsWith("run_") && statSync(join(output, name)).isDirectory())
    .sort();
}

/**
 * When run `runId` of `output` records another checkpointer than `current`: the error that
 * says which to pass; else null.
 */
export function checkpointedElsewhere(output: string, runId: string, current: CheckpointerRecord): TabtuneError | null {
  const recorded = recordedCheckpointer(paths.runDir(output, runId));
  // Two SQLite files differ only when the output folder moved: not a checkpointer to pass.
  if (!recorded || (recorded.kind === current.kind && (recorded.kind === "sqlite" || recorded.where === current.where))) return null;
  if (recorded.kind === "sqlite")
    return new TabtuneError("other_checkpointer", `run ${runId} is checkpointed in ${recorded.where}, not in ${current.where}`, {
      suggestion: "resume it without --checkpointer (and with TABTUNE_CHECKPOINTER unset)",
    });
  const url = new URL(recorded.where);
  if (url.username !== "") url.password = "PASSWORD";
  return new TabtuneError("other_checkpointer", `run ${runId} is checkpointed in PostgreSQL at ${url.host}, not in ${current.where}`, {
    suggestion: `resume it with --checkpointer '${url.toString()}' (or set TABTUNE_CHECKPOINTER)`,
  });
}

/**
 * The run of `output` whose newest checkpoint is newest, or null. Only runs whose folder is
 * under `output` count, so output folders sharing one database never see each other's runs.
 * When a run started later than that one is checkpointed elsewhere (run.json), this says
 * which checkpointer to pass rather than quietly resuming an older run.
 */
export async function latestRun(checkpointer: Checkpointer, output: string): Promise<string | null> {
  let best: { runId: string; checkpointId: string } | null = null;
  const elsewhere: string[] = [];
  for (const runId of runFolders(output)) {
    const tuple = await checkpointer.saver.getTuple({ configurable: { thread_id: runId, checkpoint_ns: "" } });
    const checkpointId = tuple?.checkpoint.id;
    if (checkpointId === undefined) elsewhere.push(runId);
    else if (!best || checkpointId > best.checkpointId) best = { runId, checkpointId };
  }
  for (const runId of elsewhere.reverse()) {
    if (best && runId < best.runId) break;
    const error = checkpointedElsewhere(output, runId, checkpointer.record);
    if (error) throw error;
  }
  return best?.runId ?? null;
}

/** True when the checkpointer already holds a thread `runId` (a run id is never reused, even across output folders). */
export async function hasRun(checkpointer: Checkpointer, runId: string): Promise<boolean> {
  return (await checkpointer.saver.getTuple({ configurable: { thread_id: runId, checkpoint_ns: "" } })) !== undefined;
}
