/**
 * Writes and runs `balance_data.js`: the coder model writes it (prompts/balance.md) when
 * one is configured, else the heuristic template; each try runs in the balance sandbox,
 * and a failed try's code and error go to the next. After the model's last failed try
 * the template balances, and the log says so: balancing never stops a run that the
 * template can balance.
 */
import type { Config } from "../config.js";
import { TabtuneError } from "../errors.js";
import { balanceValues, codeWriter, promptLimits, type CallRecord, type Decider } from "../llm/index.js";
import { runBalanceScript, type BalanceContext } from "../sandbox/balance-sandbox.js";
import type { CleanRow } from "../rows.js";
import type { Plan, TableProfile } from "../schemas.js";
import { balanceHeader, balanceTemplate } from "./balance-template.js";

export interface BalanceScript {
  /** The source that produced `indices`, with its header comment. */
  code: string;
  /** Row indices to write (a row listed k times is written k times). */
  indices: number[];
  /** "heuristic", or "<provider>:<model>" of the coder that wrote the code used. */
  writer: string;
  /** Tries made, the template fallback included. */
  attempts: number;
  /** "attempt N: error" of every failed try, in order. */
  failures: string[];
  /** One record per call of the decider, for the pipeline log. */
  calls: CallRecord[];
}

export interface BalanceCoderInput {
  rows: readonly CleanRow[];
  ctx: BalanceContext;
  plan: Plan;
  profile: TableProfile;
  decider: Decider;
  config: Pick<Config, "balance" | "codegen" | "llm">;
}

export async function writeAndRunBalance(input: BalanceCoderInput): Promise<BalanceScript> {
  const { ctx, config } = input;
  const limits = { memoryLimitMb: config.balance.sandboxMemoryMb, batchTimeoutMs: config.balance.sandboxTimeoutMs, maxGrowth: config.balance.maxGrowth };
  const failures: string[] = [];
  const calls: CallRecord[] = [];
  let previous: { code: string; error: string } | null = null;
  for (let attempt = 1; attempt <= config.codegen.maxTries; attempt++) {
    const { value, source } = await input.decider.writeBalanceCode({
      values: balanceValues(
        { plan: input.plan, profile: input.profile, ctx, previousCode: previous?.code ?? null, previousError: previous?.error ?? null },
        promptLimits(config),
      ),
      fallback: () => balanceTemplate(ctx.strategy, attempt),
    });
    calls.push(source);
    const writer = codeWriter(source);
    const fromModel = writer !== "heuristic";
    const code = fromModel ? `${balanceHeader(ctx.strategy, writer, attempt)}\n${value}` : value;
    const outcome = await runBalanceScript(code, input.rows, ctx, limits);
    if (outcome.ok) return { code, indices: outcome.indices, writer, attempts: attempt, failures, calls };
    failures.push(`attempt ${attempt} (${writer}): ${outcome.error}`);
    if (!fromModel) throw balanceFailed(outcome.error);
    previous = { code: value, error: outcome.error };
  }
  const attempt = config.codegen.maxTries + 1;
  const code = balanceTemplate(ctx.strategy, attempt);
  const outcome = await runBalanceScript(code, input.rows, ctx, limits);
  if (!outcome.ok) throw balanceFailed(outcome.error);
  return { code, indices: outcome.indices, writer: "heuristic", attempts: attempt, failures, calls };
}

function balanceFailed(error: string): TabtuneError {
  return new TabtuneError("balance_failed", `balancing the training rows failed: ${error}`, {
    suggestion: "answer balance_strategy: none at review_prep, or raise balance.sandboxMemoryMb / sandboxTimeoutMs in the config (TABTUNE_CONFIG)",
  });
}
