/**
 * Running `llamafactory-cli`: the exact commands for a run, finding the executable on
 * PATH, and running a command while streaming its output to the terminal and a log file.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, statSync, accessSync, constants as fsConstants } from "node:fs";
import { constants as osConstants } from "node:os";
import { delimiter, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import type { ConfigFiles } from "./configs.js";

/** The LlamaFactory entry point; prediction is `train` with a `do_predict` config. */
export const LLAMAFACTORY_CLI = "llamafactory-cli";

/** Lines of output kept for an error message. */
const TAIL_LINES = 40;

/** argv arrays for training and the two prediction passes (no shell, no quoting needed). */
export function llamafactoryCommands(files: ConfigFiles): { train: string[]; predictTrain: string[]; predictTest: string[] } {
  return {
    train: [LLAMAFACTORY_CLI, "train", files.trainYaml],
    predictTrain: [LLAMAFACTORY_CLI, "train", files.predictTrainYaml],
    predictTest: [LLAMAFACTORY_CLI, "train", files.predictTestYaml],
  };
}

/** A command as one line a person can paste into a POSIX shell. */
export function formatCommand(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/**
 * Absolute path of the executable `name` on PATH, or null.
 * On Windows each PATHEXT extension is tried as well.
 */
export function findExecutable(name: string, pathEnv: string | undefined = process.env.PATH): string | null {
  if (!pathEnv) return null;
  const extensions = process.platform === "win32" ? ["", ...(process.env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";")] : [""];
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      const candidate = join(dir, name + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return null;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `argv` without a shell. Every line of stdout and stderr goes to `onLine` and is
 * appended to `logFile`; the last 40 lines come back with the exit code. A command that
 * cannot start returns exit code 127 and the reason; one killed by a signal, 128 + its number.
 */
export async function runStreaming(
  argv: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; logFile: string },
): Promise<{ exitCode: number; tail: string[] }> {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error("runStreaming needs a command");
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: "a" });
  const tail: string[] = [];
  const emit = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    log.write(`${line}\n`);
    opts.onLine?.(line);
  };

  const exitCode = await new Promise<number>((resolveExit) => {
    let settled = false;
    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      resolveExit(code);
    };
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const flushStdout = splitLines(child.stdout, emit);
    const flushStderr = splitLines(child.stderr, emit);
    child.on("error", (error) => {
      emit(`${command}: ${error.message}`);
      finish(127);
    });
    child.on("close", (code, signal) => {
      flushStdout();
      flushStderr();
      if (code !== null) finish(code);
      else finish(128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
    });
  });

  await new Promise<void>((resolveLog) => log.end(resolveLog));
  return { exitCode, tail };
}

/**
 * Calls `onLine` for each complete line of `stream` (\n, \r\n, or a lone \r as progress
 * bars print); returns a function that emits the unterminated remainder.
 */
function splitLines(stream: Readable, onLine: (line: string) => void): () => void {
  let buffer = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffer += chunk;
    // A \r at the end of a chunk may be the first half of \r\n: keep it for the next one.
    const parts = buffer.split(/\r\n|\n|\r(?!$)/);
    buffer = parts.pop() ?? "";
    for (const part of parts) onLine(part);
  });
  return () => {
    const rest = buffer.replace(/\r$/, "");
    if (rest.length > 0) onLine(rest);
    buffer = "";
  };
}
