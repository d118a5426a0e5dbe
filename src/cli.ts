#!/usr/bin/env -S node --no-node-snapshot
/** tabtune's command line: parse flags, run or resume the graph, render reviews, print results. */
import { existsSync } from "node:fs";
import { CommanderError } from "commander";
import { getConfig, setAgentApiKey } from "./runtime.js";
import { formatError, fsError, sqliteError, TabtuneError } from "./errors.js";
import { isInteractive } from "./env.js";
import { answerSource, readAnswersFile } from "./cli/answers.js";
import { buildProgram, defaultOutput, mergeExplicitFlags, optionsFromFlags, type CliFlags } from "./cli/options.js";
import { claimStdoutForJson, jsonListener, progressBars, type JsonEmit } from "./cli/json-events.js";
import type { RunListener } from "./events.js";
import { activeRun, requestStop, resumeRun, startFrom, startRun, type RunOutcome } from "./cli/runner.js";
import { APPLY_HELP, applyMain } from "./cli/apply.js";
import { LINEAGE_HELP, lineageMain } from "./cli/lineage.js";
import { PREDICT_HELP, predictMain } from "./cli/predict.js";
import { EXPORT_HELP, exportMain } from "./cli/export.js";
import type { ReviewPayloadWithError } from "./review/protocol.js";
import { metricsTable } from "./report/report.js";
import { readBaselineChoice } from "./report/baseline-section.js";
import { baselineLabel } from "./report/plots.js";
import { paths } from "./paths.js";
import { checkpointerArgument, chooseCheckpointer, describeCheckpointer } from "./checkpointer.js";

function showReview(payload: ReviewPayloadWithError): void {
  const out = process.stdout;
  out.write(`\n── ${payload.title} (${payload.step}) ${"─".repeat(Math.max(0, 60 - payload.title.length))}\n`);
  out.write(`${payload.summary}\n`);
  out.write(`options: ${payload.options.join(" | ")}\n`);
  if (payload.error) out.write(`! previous answer not accepted: ${payload.error}\n`);
}

/** How the user started us, so the printed resume command can be pasted as is. */
function invocation(): string {
  return process.env.npm_lifecycle_event === "start" ? "npm start --" : "tabtune";
}

const quote = (s: string) => (/^[\w./:@=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The command that continues run `runId`. */
function resumeCommand(flags: CliFlags, output: string, runId: string): string {
  const checkpointer = checkpointerFromCli ? checkpointerArgument(flags.checkpointer) : ""; // from TABTUNE_CHECKPOINTER: still set when the command is pasted
  return `${invocation()} --csv ${quote(flags.csv)} --output ${quote(output)}${checkpointer} --resume ${runId}`;
}

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells expect. */
const INTERRUPTED = 130;

/** With --json: the run's end as events (human text, if any, is on stderr). */
function reportJson(emit: JsonEmit, outcome: RunOutcome, flags: CliFlags, output: string): number {
  if (outcome.status === "paused") {
    emit({ event: "paused", runId: outcome.runId, step: outcome.payload.step, resumeCommand: `${resumeCommand(flags, output, outcome.runId)} --json --yes`, exitCode: 2 });
    return 2;
  }
  if (outcome.status === "stopped") {
    emit({ event: "stopped", runId: outcome.runId, resumeCommand: `${resumeCommand(flags, output, outcome.runId)} --json`, exitCode: INTERRUPTED });
    return INTERRUPTED;
  }
  const s = outcome.state;
  if (s.evaluation) emit({ event: "metrics", baseline: s.evaluation.baseline, llm: s.evaluation.llm });
  emit({ event: "done", runId: s.runId, runDir: s.runDir ?? output, results: s.evaluation?.results.path ?? null, exitCode: 0 });
  return 0;
}

function report(outcome: RunOutcome, flags: CliFlags, output: string): number {
  if (json) return reportJson(json, outcome, flags, output);
  if (outcome.status === "paused") {
    process.stdout.write(`\nPaused at ${outcome.payload.step}: no terminal to answer at and neither --yes nor enough --answers.\n`);
    process.stdout.write(`Resume with:\n  ${resumeCommand(flags, output, outcome.runId)} --yes\n(or without --yes in a terminal, or with --answers FILE)\n`);
    return 2;
  }
  if (outcome.status === "stopped") {
    process.stderr.write(`\nStopped (Ctrl-C) after the last finished step of run ${outcome.runId}. Resume with:\n  ${resumeCommand(flags, output, outcome.runId)}\n`);
    return INTERRUPTED;
  }
  const s = outcome.state;
  if (s.evaluation) {
    process.stdout.write(`\nResults on ${s.splitResult?.test.rows ?? "?"} test rows (${s.prepPlan?.task ?? "?"}, target "${s.prepPlan?.target ?? "?"}")\n`);
    process.stdout.write(metricsTable(s.evaluation.baseline, s.evaluation.llm, baselineLabel(readBaselineChoice(s.evaluation.results.path)?.model)) + "\n");
  }
  const runDir = s.runDir ?? output;
  process.stdout.write(`\nOutputs of run ${s.runId} in ${runDir}:\n`);
  const reportPath = paths.report(runDir);
  const lines: [string, string | undefined][] = [
    ["report", existsSync(reportPath) ? reportPath : undefined],
    ["prep script", s.script?.path],
    ["train / test", s.balanceResult ? `${s.balanceResult.trainJson.path}, ${s.balanceResult.testJson.path}` : undefined],
    ["configs", s.configFiles?.trainYaml],
    ["results", s.evaluation?.results.path],
    ["checkpoints", `${describeCheckpointer(chooseCheckpointer(flags.checkpointer), output).where} (thread ${s.runId})`],
  ];
  for (const [label, value] of lines) if (value) process.stdout.write(`  ${label.padEnd(13)} ${value}\n`);
  return 0;
}

/** The error event of --json: the one-line message formatError prints, split into its parts. */
function errorEvent(error: unknown, resumeCommand: string | null, exitCode: number): Extract<Parameters<JsonEmit>[0], { event: "error" }> {
  const line = formatError(error).replace(/^error: /, "");
  const known = error instanceof TabtuneError ? error : (fsError(error) ?? sqliteError(error));
  if (known) return { event: "error", code: known.code, message: known.message, suggestion: known.suggestion ?? null, resumeCommand, exitCode };
  return { event: "error", code: "error", message: line, suggestion: null, resumeCommand, exitCode };
}

let stopping = false;
/** Set by --json: where the events go. */
let json: JsonEmit | null = null;
/** The command that resumes the run this process drives, once a step of it has run. */
let resumeHint: () => string | null = () => null;
/** True when --checkpointer was typed (not taken from TABTUNE_CHECKPOINTER): the printed resume command repeats it. */
let checkpointerFromCli = false;

async function main(argv: string[]): Promise<number> {
  if (argv[2] === "apply") return applyMain(argv.slice(3));
  if (argv[2] === "lineage") return lineageMain(argv.slice(3));
  if (argv[2] === "predict") return predictMain(argv.slice(3));
  if (argv[2] === "export") return exportMain(argv.slice(3));
  const config = getConfig();
  const program = buildProgram(config).addHelpText("after", APPLY_HELP + LINEAGE_HELP + PREDICT_HELP + EXPORT_HELP);
  // With --json a bad flag is an error event too: commander throws instead of exiting (it has
  // already printed the one-line message on stderr).
  const wantsJson = argv.includes("--json");
  if (wantsJson) {
    json = claimStdoutForJson();
    program.exitOverride();
  }
  try {
    program.parse(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode !== 0) json?.({ event: "error", code: "bad_flag", message: error.message.replace(/^error: /, ""), suggestion: "run tabtune --help for every flag", resumeCommand: null, exitCode: error.exitCode });
    return error.exitCode;
  }
  const flags = program.opts<CliFlags>();
  checkpointerFromCli = program.getOptionValueSource("checkpointer") === "cli";
  if (flags.json && !json) json = claimStdoutForJson();
  if (!existsSync(flags.csv))
    throw new TabtuneError("csv_missing", `${flags.csv} does not exist`, { suggestion: "check the --csv path" });
  const options = optionsFromFlags(flags, config);
  setAgentApiKey(flags.agentApiKey); // to the decider's clients only, never into options or state
  const output = flags.output ?? defaultOutput(flags.csv);
  const answers = answerSource({
    answers: flags.answers ? readAnswersFile(flags.answers) : [],
    yes: flags.yes,
    interactive: isInteractive() && !json, // --json is for scripts: a review without an answer pauses the run
    freeText: options.provider !== "heuristic",
    acceptFailedChecks: flags.acceptFailedChecks,
  });
  const runId = typeof flags.resume === "string" ? flags.resume : null;
  resumeHint = () => {
    const id = activeRun();
    return id ? resumeCommand(flags, output, id) : null;
  };
  // Ctrl-C: the first stops at the next step boundary, a second stops now; both print how to resume.
  process.on("SIGINT", () => {
    if (stopping) {
      const id = activeRun();
      process.stderr.write(`\nStopped (Ctrl-C twice)${id ? `; resume with:\n  ${resumeCommand(flags, output, id)}` : ""}\n`);
      process.exit(INTERRUPTED);
    }
    stopping = true;
    requestStop();
    process.stderr.write("\nStopping after the current step (Ctrl-C again to stop now)…\n");
  });
  const emit = json;
  const listen: RunListener = emit ? jsonListener(emit, flags.csv) : progressBars();
  const show = emit ? (payload: ReviewPayloadWithError) => emit({ event: "review_needed", step: payload.step, payload }) : showReview;
  let outcome: RunOutcome;
  if (flags.startFrom) {
    const explicit = (key: keyof CliFlags) => program.getOptionValueSource(key) === "cli";
    outcome = await startFrom({ output, runId, from: flags.startFrom, options: (stored) => mergeExplicitFlags(stored, options, explicit), answers, show, listen, checkpointer: flags.checkpointer });
  } else if (flags.resume !== undefined) {
    outcome = await resumeRun({ output, runId, answers, show, listen, checkpointer: flags.checkpointer });
  } else {
    outcome = await startRun({ options, answers, show, listen, checkpointer: flags.checkpointer });
  }
  return report(outcome, flags, output);
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
    const hint = resumeHint();
    if (hint) process.stderr.write(`the run is kept as it was before that step; after fixing the cause, resume with: ${hint}\n`);
    process.exitCode = error instanceof TabtuneError ? error.exitCode : 1;
    if (json) json(errorEvent(error, hint, process.exitCode));
  },
);
