/**
 * The graph's command (a new run, --resume, --start-from), loaded by src/cli.ts once the
 * flags have parsed: drives the run, renders its reviews and prints how it ended.
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { checkpointerArgument, chooseCheckpointer, describeCheckpointer } from "../checkpointer.js";
import type { Config } from "../config.js";
import { isInteractive } from "../env.js";
import type { RunListener } from "../events.js";
import { paths } from "../paths.js";
import { readBaselineChoice } from "../report/baseline-section.js";
import { baselineLabel } from "../report/plots.js";
import { metricsTable } from "../report/report.js";
import type { ReviewPayloadWithError } from "../review/protocol.js";
import { setAgentApiKey } from "../runtime.js";
import { answerSource, readAnswersFile } from "./answers.js";
import { INTERRUPTED, jsonListener, progressBars, type JsonEmit } from "./json-events.js";
import { defaultOutput, mergeExplicitFlags, optionsFromFlags, type CliFlags } from "./options.js";
import { activeRun, requestStop, resumeRun, startFrom, startRun, type RunOutcome } from "./runner.js";

/** What src/cli.ts's error handler needs from the run: where --json events go, and the command that resumes it. */
export interface RunContext {
  json: JsonEmit | null;
  resumeHint: () => string | null;
}

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

/** How to print the command that continues a run of this invocation. */
interface Resume {
  flags: CliFlags;
  output: string;
  /** True when --checkpointer was typed (not taken from TABTUNE_CHECKPOINTER): the printed resume command repeats it. */
  checkpointerFromCli: boolean;
}

/** The command that continues run `runId`. */
function resumeCommand(r: Resume, runId: string): string {
  const checkpointer = r.checkpointerFromCli ? checkpointerArgument(r.flags.checkpointer) : ""; // from TABTUNE_CHECKPOINTER: still set when the command is pasted
  return `${invocation()} --csv ${quote(r.flags.csv)} --output ${quote(r.output)}${checkpointer} --resume ${runId}`;
}

/** With --json: the run's end as events (human text, if any, is on stderr). */
function reportJson(emit: JsonEmit, outcome: RunOutcome, r: Resume): number {
  if (outcome.status === "paused") {
    emit({ event: "paused", runId: outcome.runId, step: outcome.payload.step, resumeCommand: `${resumeCommand(r, outcome.runId)} --json --yes`, exitCode: 2 });
    return 2;
  }
  if (outcome.status === "stopped") {
    emit({ event: "stopped", runId: outcome.runId, resumeCommand: `${resumeCommand(r, outcome.runId)} --json`, exitCode: INTERRUPTED });
    return INTERRUPTED;
  }
  const s = outcome.state;
  if (s.evaluation) emit({ event: "metrics", baseline: s.evaluation.baseline, llm: s.evaluation.llm });
  emit({ event: "done", runId: s.runId, runDir: s.runDir ?? r.output, results: s.evaluation?.results.path ?? null, exitCode: 0 });
  return 0;
}

function report(json: JsonEmit | null, outcome: RunOutcome, r: Resume): number {
  if (json) return reportJson(json, outcome, r);
  if (outcome.status === "paused") {
    process.stdout.write(`\nPaused at ${outcome.payload.step}: no terminal to answer at and neither --yes nor enough --answers.\n`);
    process.stdout.write(`Resume with:\n  ${resumeCommand(r, outcome.runId)} --yes\n(or without --yes in a terminal, or with --answers FILE)\n`);
    return 2;
  }
  if (outcome.status === "stopped") {
    process.stderr.write(`\nStopped (Ctrl-C) after the last finished step of run ${outcome.runId}. Resume with:\n  ${resumeCommand(r, outcome.runId)}\n`);
    return INTERRUPTED;
  }
  const s = outcome.state;
  if (s.evaluation) {
    process.stdout.write(`\nResults on ${s.splitResult?.test.rows ?? "?"} test rows (${s.prepPlan?.task ?? "?"}, target "${s.prepPlan?.target ?? "?"}")\n`);
    process.stdout.write(metricsTable(s.evaluation.baseline, s.evaluation.llm, baselineLabel(readBaselineChoice(s.evaluation.results.path)?.model)) + "\n");
  }
  const runDir = s.runDir ?? r.output;
  process.stdout.write(`\nOutputs of run ${s.runId} in ${runDir}:\n`);
  const reportPath = paths.report(runDir);
  const lines: [string, string | undefined][] = [
    ["report", existsSync(reportPath) ? reportPath : undefined],
    ["prep script", s.script?.path],
    ["train / test", s.balanceResult ? `${s.balanceResult.trainJson.path}, ${s.balanceResult.testJson.path}` : undefined],
    ["configs", s.configFiles?.trainYaml],
    ["results", s.evaluation?.results.path],
    ["checkpoints", `${describeCheckpointer(chooseCheckpointer(r.flags.checkpointer), r.output).where} (thread ${s.runId})`],
  ];
  for (const [label, value] of lines) if (value) process.stdout.write(`  ${label.padEnd(13)} ${value}\n`);
  return 0;
}

/** Runs, resumes or forks the graph as the parsed flags say; resolves to the exit code. */
export async function runGraph(program: Command, flags: CliFlags, config: Config, context: RunContext): Promise<number> {
  const options = optionsFromFlags(flags, config);
  setAgentApiKey(flags.agentApiKey); // to the decider's clients only, never into options or state
  const output = flags.output ?? defaultOutput(flags.csv);
  const resume: Resume = { flags, output, checkpointerFromCli: program.getOptionValueSource("checkpointer") === "cli" };
  const json = context.json;
  const answers = answerSource({
    answers: flags.answers ? readAnswersFile(flags.answers) : [],
    yes: flags.yes,
    interactive: isInteractive() && !json, // --json is for scripts: a review without an answer pauses the run
    freeText: options.provider !== "heuristic",
    acceptFailedChecks: flags.acceptFailedChecks,
  });
  const runId = typeof flags.resume === "string" ? flags.resume : null;
  context.resumeHint = () => {
    const id = activeRun();
    return id ? resumeCommand(resume, id) : null;
  };
  // Ctrl-C: the first stops at the next step boundary, a second stops now; both print how to resume.
  let stopping = false;
  process.on("SIGINT", () => {
    if (stopping) {
      const id = activeRun();
      process.stderr.write(`\nStopped (Ctrl-C twice)${id ? `; resume with:\n  ${resumeCommand(resume, id)}` : ""}\n`);
      process.exit(INTERRUPTED);
    }
    stopping = true;
    requestStop();
    process.stderr.write("\nStopping after the current step (Ctrl-C again to stop now)…\n");
  });
  const listen: RunListener = json ? jsonListener(json, flags.csv) : progressBars();
  const show = json ? (payload: ReviewPayloadWithError) => json({ event: "review_needed", step: payload.step, payload }) : showReview;
  let outcome: RunOutcome;
  if (flags.startFrom) {
    const explicit = (key: keyof CliFlags) => program.getOptionValueSource(key) === "cli";
    outcome = await startFrom({ output, runId, from: flags.startFrom, options: (stored) => mergeExplicitFlags(stored, options, explicit), answers, show, listen, checkpointer: flags.checkpointer });
  } else if (flags.resume !== undefined) {
    outcome = await resumeRun({ output, runId, answers, show, listen, checkpointer: flags.checkpointer });
  } else {
    outcome = await startRun({ options, answers, show, listen, checkpointer: flags.checkpointer });
  }
  return report(json, outcome, resume);
}
