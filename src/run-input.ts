/**
 * What a graph run is started with when it is driven from LangGraph Studio or the SDK
 * (`npm run serve`): only the CSV is needed, `{ "csv": "data.csv" }`. The first step
 * (withRunInput, around explore) validates the input and fills every other option exactly
 * as the CLI does (src/options.ts fillRunOptions). The CLI itself checkpoints complete
 * options before the first step, which then keeps them as they are.
 */
import { existsSync } from "node:fs";
import { Annotation, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { z } from "zod";
import { getConfig } from "./runtime.js";
import { readLlmEnv } from "./env.js";
import { TabtuneError, zodIssuesLine } from "./errors.js";
import { defaultApprover, fillRunOptions, RunOptions, RunOptionsInput } from "./options.js";
import type { State } from "./state.js";

/** Any run option, nested as in RunOptions ({ training: { epochs: 5 } }); all optional. */
const OtherOptions = RunOptionsInput.partial();

/** The served graph's input schema (what Studio's form and the schema endpoint show). */
export const GraphInput = z.object({
  csv: z.string().min(1).optional().describe("Training CSV: a path on the server's machine (relative to the server's folder). Required, here or as options.csv."),
  target: z.string().min(1).optional().describe("Target column; detected when omitted."),
  output: z.string().min(1).optional().describe("Output folder (default output/<csv stem>); the run writes <output>/<thread id>/."),
  testCsv: z.string().min(1).optional().describe("Held-out test CSV instead of a random split."),
  options: OtherOptions.optional().describe("Any other run option, as the CLI's flags set them (e.g. { \"training\": { \"epochs\": 5 }, \"provider\": \"heuristic\" }); defaults as the CLI's."),
  runId: z.string().min(1).optional().describe("Run id; default the thread id (the run folder's name)."),
});
export type GraphInput = z.infer<typeof GraphInput>;

const ArtifactRef = z.object({ path: z.string(), sha256: z.string(), bytes: z.number(), rows: z.number().nullable() });

/** The served graph's output schema: where the run's files are and its results. */
export const GraphOutput = z.object({
  runId: z.string().describe("The run's id (its folder's name)."),
  runDir: z.string().nullable().describe("The run's folder: report.md, data/, configs/, evaluation/results.json."),
  options: RunOptions.nullable().describe("The options the run used, defaults filled."),
  evaluation: z.looseObject({ results: ArtifactRef, baseline: z.record(z.string(), z.unknown()), llm: z.record(z.string(), z.unknown()).nullable() }).nullable().describe("Metrics of the baseline (and the LLM when it predicted); results.json's path."),
});

function inputOnly<T>() {
  return Annotation<T | undefined>({ reducer: (_old, next) => next, default: () => undefined });
}

/** Channels for the input fields the run's state does not have (target and options it has). */
export const InputChannels = Annotation.Root({
  /** GraphInput.csv, read once by the first step. */
  csv: inputOnly<string>(),
  /** GraphInput.output. */
  output: inputOnly<string>(),
  /** GraphInput.testCsv. */
  testCsv: inputOnly<string>(),
});
type InputFields = typeof InputChannels.State;

function badInput(message: string, suggestion = 'start the run with input such as { "csv": "data.csv", "output": "out" }'): TabtuneError {
  return new TabtuneError("bad_input", message, { suggestion });
}

/** One field given twice (top level and options) with two values is an error, not a guess. */
function pick(name: string, top: string | undefined, inOptions: string | null | undefined): string | undefined {
  if (top !== undefined && inOptions !== undefined && inOptions !== null && top !== inOptions)
    throw badInput(`${name} is "${top}" but options.${name} is "${inOptions}"`, `give ${name} once`);
  return top ?? inOptions ?? undefined;
}

/**
 * The run's complete options from the graph's input: state.options as checkpointed by the
 * CLI (kept as they are), or the served input's fields filled as the CLI fills flags.
 * @throws TabtuneError("bad_input") naming the field, or ("csv_missing") for a CSV that is not there.
 */
export function runOptionsFromInput(state: Pick<State, "options"> & InputFields & { target?: unknown }): RunOptions {
  const targetText = typeof state.target === "string" ? state.target : undefined;
  const given = state.csv !== undefined || state.output !== undefined || state.testCsv !== undefined || targetText !== undefined;
  const complete = RunOptions.safeParse(state.options);
  if (!given && complete.success) return complete.data;
  const others = OtherOptions.safeParse(state.options ?? {});
  if (!others.success) throw badInput(`input options: ${zodIssuesLine(others.error, { name: (p) => `options.${p.map(String).join(".")}`, input: state.options })}`);
  const csv = pick("csv", state.csv, others.data.csv);
  if (!csv) throw badInput("the input has no csv: name the training CSV");
  if (!existsSync(csv))
    throw new TabtuneError("csv_missing", `${csv} does not exist (read from ${process.cwd()})`, { suggestion: "give csv as a path on the server's machine, absolute or relative to the folder the server runs in" });
  const input = { ...others.data, csv, output: pick("output", state.output, others.data.output), testCsv: pick("testCsv", state.testCsv, others.data.testCsv), target: pick("target", targetText, others.data.target) };
  const filled = fillRunOptions(input, { config: getConfig(), env: readLlmEnv(), defaultApprover });
  const parsed = RunOptions.safeParse(filled);
  if (!parsed.success) throw badInput(`input options: ${zodIssuesLine(parsed.error, { name: (p) => p.map(String).join("."), input: filled })}`);
  return parsed.data;
}

/**
 * The graph's first step around a node (explore): the node sees complete options and no
 * input leftovers, and the options it ran with go into state.
 */
export function withRunInput<S extends State & InputFields, U extends object>(node: (state: S, config: LangGraphRunnableConfig) => Promise<U>) {
  return async (state: S, config: LangGraphRunnableConfig): Promise<U & { options: RunOptions }> => {
    const options = runOptionsFromInput(state);
    const target: unknown = state.target;
    const update = await node({ ...state, options, target: typeof target === "string" ? null : state.target }, config);
    return { ...update, options };
  };
}
