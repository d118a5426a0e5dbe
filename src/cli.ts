#!/usr/bin/env -S node --no-node-snapshot
/**
 * tabtune's command line: parse the flags, then load what the command needs — a subcommand's
 * module (src/cli/commands.ts) or the graph's driver (src/cli/run.ts). Help, --version and a
 * bad flag answer from the flag table alone, without loading the graph, the model providers,
 * the report's plots or the sandbox.
 */
import { existsSync } from "node:fs";
import { CommanderError } from "commander";
import { getConfig } from "./config-cache.js";
import { formatError, fsError, sqliteError, TabtuneError } from "./errors.js";
import { SUBCOMMANDS, SUBCOMMANDS_HELP } from "./cli/commands.js";
import { claimStdoutForJson, INTERRUPTED, type JsonEmit } from "./cli/json-events.js";
import { buildProgram, type CliFlags } from "./cli/options.js";
import type { RunContext } from "./cli/run.js";

/** The error event of --json: the one-line message formatError prints, split into its parts. */
function errorEvent(error: unknown, resumeCommand: string | null, exitCode: number): Extract<Parameters<JsonEmit>[0], { event: "error" }> {
  const line = formatError(error).replace(/^error: /, "");
  const known = error instanceof TabtuneError ? error : (fsError(error) ?? sqliteError(error));
  if (known) return { event: "error", code: known.code, message: known.message, suggestion: known.suggestion ?? null, resumeCommand, exitCode };
  return { event: "error", code: "error", message: line, suggestion: null, resumeCommand, exitCode };
}

/** Set by --json (where the events go) and by the run (the command that resumes it, once a step of it has run). */
const context: RunContext = { json: null, resumeHint: () => null };

async function main(argv: string[]): Promise<number> {
  const subcommand = argv[2] !== undefined && Object.hasOwn(SUBCOMMANDS, argv[2]) ? SUBCOMMANDS[argv[2]] : undefined;
  if (subcommand) return (await subcommand())(argv.slice(3));
  const config = getConfig();
  const program = buildProgram(config).addHelpText("after", SUBCOMMANDS_HELP);
  // With --json a bad flag is an error event too: commander throws instead of exiting (it has
  // already printed the one-line message on stderr).
  if (argv.includes("--json")) {
    context.json = claimStdoutForJson();
    program.exitOverride();
  }
  try {
    program.parse(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode !== 0) context.json?.({ event: "error", code: "bad_flag", message: error.message.replace(/^error: /, ""), suggestion: "run tabtune --help for every flag", resumeCommand: null, exitCode: error.exitCode });
    return error.exitCode;
  }
  const flags = program.opts<CliFlags>();
  if (flags.json && !context.json) context.json = claimStdoutForJson();
  if (!existsSync(flags.csv))
    throw new TabtuneError("csv_missing", `${flags.csv} does not exist`, { suggestion: "check the --csv path" });
  const { runGraph } = await import("./cli/run.js");
  return runGraph(program, flags, config, context);
}

main(process.argv).then(
  (code) => {
    // A stopped run does not wait for the step LangGraph may have started after the last checkpoint.
    if (code === INTERRUPTED) process.exit(code);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(formatError(error) + "\n");
    if (process.env.TABTUNE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack ?? ""}\n`);
    const hint = context.resumeHint();
    if (hint) process.stderr.write(`the run is kept as it was before that step; after fixing the cause, resume with: ${hint}\n`);
    process.exitCode = error instanceof TabtuneError ? error.exitCode : 1;
    if (context.json) context.json(errorEvent(error, hint, process.exitCode));
  },
);
