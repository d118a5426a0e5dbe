/** Errors a user can act on: a code, a one-line message, and what to do about it. */
import { printableLines } from "./printable.js";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

export class TabtuneError extends Error {
  readonly code: string;
  readonly suggestion: string | undefined;
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number;

  constructor(
    code: string,
    message: string,
    options: { suggestion?: string; cause?: unknown; exitCode?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "TabtuneError";
    this.code = code;
    this.suggestion = options.suggestion;
    this.exitCode = options.exitCode ?? 1;
  }
}

type Issue = z.core.$ZodIssue;
type IssuePath = readonly PropertyKey[];

const bound = (value: number | bigint, inclusive: boolean | undefined, word: "least" | "most") =>
  inclusive === false ? `${word === "least" ? "greater" : "less"} than ${value}` : `at ${word} ${value}`;

/** What a value must be, from one zod issue ("must be a whole number"). */
export function acceptedText(issue: Issue): string {
  switch (issue.code) {
    case "invalid_type":
      if (issue.expected === "int") return "must be a whole number";
      if (issue.expected === "nonoptional" || issue.expected === "undefined") return "is required";
      return `must be ${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}`;
    case "too_small":
      if (issue.origin === "string") return issue.minimum === 1 ? "must not be empty" : `must be at least ${issue.minimum} characters`;
      if (issue.origin === "array" || issue.origin === "set") return `needs at least ${issue.minimum} entries`;
      return `must be ${bound(issue.minimum, issue.inclusive, "least")}`;
    case "too_big":
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters`;
      if (issue.origin === "array" || issue.origin === "set") return `takes at most ${issue.maximum} entries`;
      return `must be ${bound(issue.maximum, issue.inclusive, "most")}`;
    case "invalid_value":
      return `must be ${issue.values.length === 1 ? String(issue.values[0]) : `one of ${issue.values.map(String).join(", ")}`}`;
    case "invalid_format":
      return issue.format === "url" ? "must be a URL such as http://host:8000/v1" : `must be a valid ${issue.format}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}`;
    case "unrecognized_keys":
      return `has unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
    default:
      return issue.message;
  }
}

function valueAt(input: unknown, path: IssuePath): unknown {
  let at = input;
  for (const key of path) {
    if (typeof at !== "object" || at === null) return undefined;
    at = Reflect.get(at, key);
  }
  return at;
}

const shown = (value: unknown) => (typeof value === "string" ? `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"` : String(value));

/**
 * Zod issues as one line: "<name> <what is accepted>, got <value>", joined by "; ",
 * repeated lines said once. `name` turns an issue path into what the user typed
 * (a flag, a config key); `input` is the parsed value, to quote what was given.
 * @example zodIssuesLine(z.object({ seed: z.number().int() }).safeParse({ seed: 1.5 }).error!, { input: { seed: 1.5 } }) // "seed must be a whole number, got 1.5"
 */
export function zodIssuesLine(error: z.ZodError, options: { name?: (path: IssuePath) => string; input?: unknown } = {}): string {
  const name = options.name ?? ((path: IssuePath) => path.map(String).join(".") || "the value");
  const parts = error.issues.map((issue) => {
    const value = options.input === undefined ? undefined : valueAt(options.input, issue.path);
    return `${name(issue.path)} ${acceptedText(issue)}${value === undefined ? "" : `, got ${shown(value)}`}`;
  });
  return [...new Set(parts)].slice(0, 6).join("; ");
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof Reflect.get(error, "code") === "string" && typeof Reflect.get(error, "syscall") === "string";
}

/** The nearest folder above `path` that exists (itself when it is one). */
function nearestExisting(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** " (no write permission in <folder>)" when creating `path` is stopped by an existing folder above it, else "". */
function blockedBy(syscall: string | undefined, path: string): string {
  if (syscall !== "mkdir") return "";
  const parent = nearestExisting(path);
  return parent !== path && !writable(parent) ? ` (no write permission in ${parent})` : "";
}

const FS_CODES = new Set(["ENOSPC", "EDQUOT", "EACCES", "EPERM", "EEXIST", "EROFS", "ENOTDIR", "EISDIR", "ENOENT"]);

/**
 * A file-system failure as one line naming the path and what to do, or null when
 * `error` is not one tabtune knows how to explain. `path`, when given, names the file
 * being written in place of the error's own path (a temporary file, or none at all for
 * a stream's write errors).
 */
export function fsError(error: unknown, path?: string): TabtuneError | null {
  if (!isErrnoException(error) || !FS_CODES.has(error.code ?? "")) return null;
  const where = path ?? error.path ?? "a file";
  const what = error.syscall === "mkdir" ? "create the folder" : error.syscall === "open" || error.syscall === "write" ? "write" : error.syscall ?? "write";
  const make = (code: string, message: string, suggestion: string) => new TabtuneError(code, message, { suggestion, cause: error });
  switch (error.code) {
    case "ENOSPC":
    case "EDQUOT":
      return make("disk_full", `no space left on the disk (or quota) holding ${where}`, "free some space or choose an --output folder on another disk, then run again (--resume continues an interrupted run)");
    case "EROFS":
      return make("disk_read_only", `${where} is on a read-only file system`, "choose an --output folder on a writable disk");
    case "EACCES":
    case "EPERM":
      return make("disk_permission", `no permission to ${what} ${where}${blockedBy(error.syscall, where)}`, "choose an --output folder you can write to, or fix its permissions");
    case "EEXIST":
      return make("path_exists", `${where} already exists and is not a folder`, "remove or rename that file, or choose another --output folder");
    case "ENOTDIR": {
      const blocking = nearestExisting(where);
      const part = blocking !== where && !isFolder(blocking) ? `${blocking} is a file, so ${where} cannot be created` : `part of ${where} is a file, not a folder`;
      return make("path_not_folder", part, "choose an --output path whose every part is a folder (or does not exist yet)");
    }
    case "EISDIR":
      return make("path_is_folder", `${where} is a folder, not a file`, "pass the path of a file");
    default: {
      // Creating a folder under one the user may not write to reports ENOENT on some
      // systems; say what really stops it.
      const blocked = blockedBy(error.syscall, where);
      if (blocked !== "") return make("disk_permission", `no permission to create the folder ${where}${blocked}`, "choose an --output folder you can write to, or fix its permissions");
      return make("path_missing", `${where} does not exist`, "check the path");
    }
  }
}

const SQLITE_CODES: Record<string, [string, string]> = {
  SQLITE_FULL: ["the disk holding the checkpoint database (checkpoints.sqlite) is full", "free some space, then run again with --resume"],
  SQLITE_READONLY: ["the checkpoint database (checkpoints.sqlite) cannot be written (read-only)", "choose an --output folder you can write to"],
  SQLITE_CANTOPEN: ["the checkpoint database (checkpoints.sqlite) cannot be opened", "choose an --output folder you can write to"],
};

/**
 * better-sqlite3's errors carry an SQLITE_* code and no path: one line for the ones a
 * disk causes, naming `path` (the database file) when the caller knows it; else null.
 */
export function sqliteError(error: unknown, path?: string): TabtuneError | null {
  if (!(error instanceof Error)) return null;
  const code: unknown = Reflect.get(error, "code");
  const known = typeof code === "string" ? SQLITE_CODES[code] : undefined;
  const message = known && path ? known[0].replace("(checkpoints.sqlite)", path) : known?.[0];
  return known ? new TabtuneError("checkpoint_disk", `${message} (${error.message})`, { suggestion: known[1], cause: error }) : null;
}

/** A code from node-postgres: a SQLSTATE from the server, or a socket errno (an AggregateError's first error when it tried several addresses). */
function postgresCode(error: Error): string | null {
  const code: unknown = Reflect.get(error, "code");
  if (typeof code === "string") return code;
  const first: unknown = error instanceof AggregateError ? error.errors[0] : undefined;
  return first instanceof Error ? postgresCode(first) : null;
}

/**
 * node-postgres's failures to reach or use the checkpoint database as one line naming the
 * host, or null when `error` is not one. `where` is the database's URL without its password
 * (checkpointer.ts), never the URL as given.
 */
export function postgresError(error: unknown, where: string): TabtuneError | null {
  if (!(error instanceof Error)) return null;
  const code = postgresCode(error);
  const url = new URL(where);
  const host = url.host;
  const user = decodeURIComponent(url.username) || "(default user)";
  const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || user;
  const make = (message: string, suggestion: string) => new TabtuneError("checkpoint_database", message, { suggestion, cause: error });
  const fix = "fix --checkpointer (or TABTUNE_CHECKPOINTER), or leave it out to checkpoint in <output>/checkpoints.sqlite";
  switch (code) {
    case "ECONNREFUSED":
      return make(`no PostgreSQL server answers at ${host} (connection refused)`, `start the server, or ${fix}`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return make(`the checkpoint database's host ${url.hostname} is not known (DNS)`, fix);
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ECONNRESET":
      return make(`PostgreSQL at ${host} cannot be reached (${code})`, `check the network and the server, or ${fix}`);
    case "28P01":
      return make(`PostgreSQL at ${host} refused the password of user "${user}"`, "check the user and password in --checkpointer (percent-encode @, / and : in the password)");
    case "28000":
      return make(`PostgreSQL at ${host} refused user "${user}" (${error.message})`, "ask the database's administrator for access, or fix the user in --checkpointer");
    case "3D000":
      return make(`database "${database}" does not exist on ${host}`, `create it (createdb -h ${url.hostname} ${database}), or ${fix}`);
    case "42501":
      return make(`user "${user}" may not create or use tabtune's checkpoint tables in ${where} (${error.message})`, "grant it CREATE and USAGE on the database's schema, or use a database it owns");
    default:
      // node-postgres's client-side SASL check: the server asked for a password the URL does not have.
      if (/SASL.*password/i.test(error.message))
        return make(`PostgreSQL at ${host} asks user "${user}" for a password and --checkpointer has none`, `write it as postgres://${user}:PASSWORD@${host}/${database}`);
      // A SQLSTATE (five digits or capitals; no class starts with E, so errno codes such as EPERM are not one).
      if (code !== null && /^(?!E)[0-9A-Z]{5}$/.test(code)) return make(`the checkpoint database ${where} failed: ${error.message} (SQLSTATE ${code})`, "check the database, then run again (--resume continues the run)");
      return null;
  }
}

/** One line for the terminal: message, then what to do. */
export function formatError(error: unknown): string {
  // Messages can carry text from files, models and generated code: nothing in them may act on a terminal.
  return printableLines(formatUnsafe(error));
}

function formatUnsafe(error: unknown): string {
  if (error instanceof TabtuneError) {
    return error.suggestion ? `error: ${error.message} — ${error.suggestion}` : `error: ${error.message}`;
  }
  const known = fsError(error) ?? sqliteError(error);
  if (known) return formatUnsafe(known);
  if (error instanceof z.ZodError) return `error: ${zodIssuesLine(error)}`;
  const knownCause = error instanceof Error && error.cause !== undefined ? (fsError(error.cause) ?? sqliteError(error.cause)) : null;
  if (knownCause) return formatUnsafe(knownCause);
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}
