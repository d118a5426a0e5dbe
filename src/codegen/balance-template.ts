/**
 * The heuristic provider's balance_data.js: seeded random over- or under-sampling of the
 * training rows, written out as code so the balancing a user approves is as inspectable
 * (and re-runnable) as the prep script. The LLM coder writes the same contract
 * (prompts/balance.md); see src/sandbox/balance-sandbox.ts for how it runs.
 */
import type { BalanceContext } from "../sandbox/balance-sandbox.js";

/** The header every balance script is saved with: which strategy, which writer, which try. */
export function balanceHeader(strategy: BalanceContext["strategy"], writer: string, attempt: number): string {
  return `// scripts/balance_data.js — written by tabtune (${writer})
// strategy ${strategy}, attempt ${attempt}
// balance(records, ctx): the cleaned training rows → the row indices to write (a row listed
// k times is written k times). Runs inside an isolated V8 sandbox; the test rows never reach it.
`;
}

/**
 * Every class is brought to the size of the largest (oversample: extra copies drawn with
 * replacement) or the smallest (undersample: a seeded shuffle keeps the first rows).
 * Classes are visited in sorted order and the generator is mulberry32 seeded with
 * `ctx.seed`, so the same seed gives the same rows on every machine.
 */
export function balanceTemplate(strategy: BalanceContext["strategy"], attempt: number): string {
  return `${balanceHeader(strategy, "heuristic provider", attempt)}
/** mulberry32: a small seeded generator on [0, 1). */
function rng(seed) {
  let state = Math.trunc(seed) >>> 0;
  return function () {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function balance(records, ctx) {
  const random = rng(ctx.seed);
  const byClass = new Map();
  for (let i = 0; i < records.length; i++) {
    const label = String(records[i][ctx.target]);
    if (!byClass.has(label)) byClass.set(label, []);
    byClass.get(label).push(i);
  }
  const sizes = [...byClass.values()].map((rows) => rows.length);
  const goal = ctx.strategy === "oversample" ? Math.max(...sizes) : Math.min(...sizes);
  const copies = new Array(records.length).fill(1);
  for (const label of [...byClass.keys()].sort()) {
    const rows = byClass.get(label);
    if (ctx.strategy === "oversample") {
      for (let extra = rows.length; extra < goal; extra++) copies[rows[Math.floor(random() * rows.length)]] += 1;
    } else {
      for (let i = rows.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const swap = rows[i];
        rows[i] = rows[j];
        rows[j] = swap;
      }
      for (let k = goal; k < rows.length; k++) copies[rows[k]] = 0;
    }
  }
  const indices = [];
  for (let i = 0; i < records.length; i++) for (let c = 0; c < copies[i]; c++) indices.push(i);
  return indices;
}
`;
}
