/**
 * The tabtune graph (DESIGN §3). This file only wires: routing functions, then the
 * builder with one line per edge. Every loop is bounded by a counter in state.
 */
import { Annotation, END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";
import { balance } from "./nodes/balance.js";
import { codegen } from "./nodes/codegen.js";
import { evaluate } from "./nodes/evaluate.js";
import { execute } from "./nodes/execute.js";
import { explore } from "./nodes/explore.js";
import { finetune, finetuneConfig, predict } from "./nodes/finetune.js";
import { impute } from "./nodes/impute.js";
import { plan } from "./nodes/plan.js";
import { reviewBalance, reviewChangesPlan, reviewConfig, reviewOutcome, reviewPlan, reviewPrep } from "./nodes/review.js";
import { selectFeatures } from "./nodes/select-features.js";
import { split } from "./nodes/split.js";
import { verify, verifySplit } from "./nodes/verify.js";
import { blockingFailures } from "./prep/checks.js";
import { thenCollect } from "./memory.js";
import { getConfig } from "./runtime.js";
import { GraphInput, GraphOutput, InputChannels, withRunInput } from "./run-input.js";
import { StateAnnotation, type State } from "./state.js";
import type { StartFrom } from "./start-from.js";

/** The run's state plus the served input's own fields (csv, output, testCsv), read by the first step. */
const GraphState = Annotation.Root({ ...StateAnnotation.spec, ...InputChannels.spec });

/** Steps a run may take at most (every loop is bounded; the longest re-plan path stays far below). */
export const RECURSION_LIMIT = 200;

/** Node ids, one style: the names in the log, the stage lines and the review prompts. */
export type NodeId =
  | "explore" | "select_features" | "plan" | "review_plan" | "codegen" | "execute" | "verify" | "review_prep"
  | "split" | "impute" | "balance" | "verify_split" | "review_balance" | "finetune_config" | "review_config" | "finetune" | "predict" | "evaluate";

/** Wide tables get feature selection before planning. */
function afterExplore(s: State): "select_features" | "plan" {
  const features = (s.profile?.columns.length ?? 1) - 1;
  return features >= getConfig().featureSelection.minColumns ? "select_features" : "plan";
}

/** Approve → write code; edits → re-plan; a rejected answer → ask again. */
function afterReviewPlan(s: State): "codegen" | "plan" | "review_plan" {
  const outcome = reviewOutcome(s, "review_plan");
  return outcome === "again" ? "review_plan" : outcome === "approve" ? "codegen" : "plan";
}

/** Success → verify; failure → codegen with the error, at most maxTries per round, then review. */
function afterExecute(s: State): "verify" | "codegen" | "review_prep" {
  if (s.execution?.ok) return "verify";
  return s.codeTries < getConfig().codegen.maxTries ? "codegen" : "review_prep";
}

/**
 * Approve/balance/test ratio → split; plan edits → plan; approve after a failure → a new
 * round of codegen (review_prep refuses one past codegen.maxRounds, and a script's second).
 */
function afterReviewPrep(s: State): "split" | "plan" | "codegen" | "review_prep" {
  if (reviewOutcome(s, "review_prep") === "again") return "review_prep";
  if (reviewChangesPlan(s)) return "plan";
  return s.execution?.ok ? "split" : "codegen";
}

/** Resampled training rows, or shipped records failing a blocking check, are shown for review; else go straight on. */
function afterVerifySplit(s: State): "review_balance" | "finetune_config" {
  const resampled = s.balanceResult !== null && s.balanceResult.strategy !== "none";
  return resampled || blockingFailures(s.splitChecks ?? []).length > 0 ? "review_balance" : "finetune_config";
}

/** Approve → configs; another strategy → balance again. */
function afterReviewBalance(s: State): "finetune_config" | "balance" | "review_balance" {
  const outcome = reviewOutcome(s, "review_balance");
  return outcome === "again" ? "review_balance" : outcome === "approve" ? "finetune_config" : "balance";
}

/** Approve → fine-tune; overrides → rewrite the configs. */
function afterReviewConfig(s: State): "finetune" | "finetune_config" | "review_config" {
  const outcome = reviewOutcome(s, "review_config");
  return outcome === "again" ? "review_config" : outcome === "approve" ? "finetune" : "finetune_config";
}

/**
 * Where `--start-from NAME` re-enters a run: the node it re-enters, and the node the new run's
 * first checkpoint is written as (`after`), chosen from the parent's state so that this
 * graph's own routing sends the run to `node`. test/graph.test.ts checks each pair against
 * the edges below.
 */
export const START_ENTRIES = {
  /** After a successful script verify leads to review_prep; after failed tries execute does. */
  review_prep: { node: "review_prep", after: (s: State): NodeId => (s.execution?.ok ? "verify" : "execute") },
  split: { node: "split", after: (): NodeId => "review_prep" },
  /** A run that was shown review_balance re-enters through its answer; one that was not, through verify_split. */
  config: { node: "finetune_config", after: (s: State): NodeId => (afterVerifySplit(s) === "review_balance" ? "review_balance" : "verify_split") },
  predict: { node: "predict", after: (): NodeId => "finetune" },
  evaluate: { node: "evaluate", after: (): NodeId => "predict" },
} as const satisfies Record<StartFrom, { node: NodeId; after: (s: State) => NodeId }>;
export { START_FROM, type StartFrom } from "./start-from.js";

export function buildGraph() {
  // Explicit input and output schemas: Studio's form is { csv, … }, and the schema endpoint
  // answers from them at once instead of extracting the whole state's type.
  return new StateGraph(GraphState, { input: GraphInput, output: GraphOutput })
    .addNode("explore", thenCollect(withRunInput(explore))) // the first step validates the input and fills the options
    .addNode("select_features", thenCollect(selectFeatures))
    .addNode("plan", plan)
    .addNode("review_plan", reviewPlan)
    .addNode("codegen", codegen)
    .addNode("execute", thenCollect(execute))
    .addNode("verify", thenCollect(verify))
    .addNode("review_prep", reviewPrep)
    .addNode("split", thenCollect(split))
    .addNode("impute", thenCollect(impute))
    .addNode("balance", thenCollect(balance))
    .addNode("verify_split", thenCollect(verifySplit))
    .addNode("review_balance", reviewBalance)
    .addNode("finetune_config", thenCollect(finetuneConfig))
    .addNode("review_config", reviewConfig)
    .addNode("finetune", finetune)
    .addNode("predict", predict)
    .addNode("evaluate", evaluate)
    .addEdge(START, "explore") // every run starts by reading the CSV
    .addConditionalEdges("explore", afterExplore, ["select_features", "plan"]) // ≥ 50 features → selection
    .addEdge("select_features", "plan") // the plan uses the selected columns
    .addEdge("plan", "review_plan") // every plan is reviewed
    .addConditionalEdges("review_plan", afterReviewPlan, ["codegen", "plan", "review_plan"])
    .addEdge("codegen", "execute") // generated code runs in the sandbox
    .addConditionalEdges("execute", afterExecute, ["verify", "codegen", "review_prep"])
    .addEdge("verify", "review_prep") // checks are shown at review
    .addConditionalEdges("review_prep", afterReviewPrep, ["split", "plan", "codegen", "review_prep"])
    .addEdge("split", "impute") // imputation is fitted on training rows only
    .addEdge("impute", "balance") // balancing touches training rows only
    .addEdge("balance", "verify_split") // the shipped train.json/test.json are checked too
    .addConditionalEdges("verify_split", afterVerifySplit, ["review_balance", "finetune_config"])
    .addConditionalEdges("review_balance", afterReviewBalance, ["finetune_config", "balance", "review_balance"])
    .addEdge("finetune_config", "review_config") // configs are reviewed before any GPU time
    .addConditionalEdges("review_config", afterReviewConfig, ["finetune", "finetune_config", "review_config"])
    .addEdge("finetune", "predict") // predictions on train and test
    .addEdge("predict", "evaluate") // baseline and LLM side by side
    .addEdge("evaluate", END);
}

export function compileGraph(checkpointer: BaseCheckpointSaver) {
  return buildGraph().compile({ checkpointer });
}

/**
 * For the LangGraph server (langgraph.json, `npm run serve`): the server brings its own
 * checkpointer; `{ "csv": "data.csv" }` is a complete input; runs write <output>/<thread id>/.
 */
export const graph = buildGraph().compile().withConfig({ recursionLimit: RECURSION_LIMIT });
