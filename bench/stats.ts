/**
 * `npm run bench -- stats [SIZE]`: the statistics code evaluate and explore run on every row,
 * in this process, on seeded data of SIZE rows (default 200k; `1m` and `50k` also read):
 * regressionIntervals (n errors × 200 resamples), classificationIntervals, rocAuc, the
 * profile's numericSummary (sorted values) and the kernel's compensatedSum, each the
 * median of 5 timed calls after one warm-up (wall and this process's CPU milliseconds). On a
 * shared machine the figures move with its load (printed): compare two commits run
 * alternately on one machine.
 */
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { compensatedSum } from "../src/stats/kernel.js";
import { classificationIntervals, regressionIntervals, rocAuc } from "../src/stats/metrics.js";
import { createRng } from "../src/stats/random.js";
import { numericSummary } from "../src/table/profile.js";
import { commitLabel } from "./lib/measure.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Median wall and CPU (user + system) milliseconds of `runs` calls, after one call not counted. */
function time(call: () => unknown, runs = 5): { wall: number; cpu: number } {
  call();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const used = process.cpuUsage();
    call();
    const { user, system } = process.cpuUsage(used);
    wall.push(Number(process.hrtime.bigint() - start) / 1e6);
    cpu.push((user + system) / 1e3);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[runs >> 1] as number;
  return { wall: median(wall), cpu: median(cpu) };
}

function sizeOf(args: string[]): number {
  const word = args.find((a) => /^\d+(k|m)?$/i.test(a));
  if (!word) return 200_000;
  const n = Number.parseInt(word, 10);
  return /m$/i.test(word) ? n * 1_000_000 : /k$/i.test(word) ? n * 1_000 : n;
}

export async function bench(args: string[]): Promise<void> {
  const n = sizeOf(args);
  const rng = createRng(13);
  const truth = Array.from({ length: n }, () => rng() * 100);
  const predicted = truth.map((v) => v + (rng() - 0.5) * 10);
  const labels = ["a", "b", "c"];
  const yTrue = truth.map((v) => labels[Math.floor(v / 34)] as string);
  const yPred = yTrue.map((v, i) => (rng() < 0.8 ? v : (labels[i % 3] as string)));
  const positive = truth.map((v) => v > 50);
  const scores = predicted.map((v) => Math.round(v) / 100);
  const sorted = Float64Array.from(truth).sort();
  const opts = { resamples: 200, seed: 7 };
  process.stdout.write(
    `tabtune stats bench, ${new Date().toISOString()}, commit ${commitLabel(ROOT)}, node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}\n${"".padEnd(60)}   wall ms    CPU ms\n`,
  );
  const rows: [string, { wall: number; cpu: number }][] = [
    [`regressionIntervals (${n} rows × ${opts.resamples})`, time(() => regressionIntervals(truth, predicted, opts))],
    [`classificationIntervals (${n} rows × ${opts.resamples}, 3 labels)`, time(() => classificationIntervals(yTrue, yPred, labels, opts))],
    [`rocAuc (${n} scores, ties)`, time(() => rocAuc(positive, scores))],
    [`numericSummary (${n} sorted values)`, time(() => numericSummary(sorted))],
    [`compensatedSum (${n} values)`, time(() => compensatedSum(sorted))],
  ];
  for (const [what, ms] of rows) process.stdout.write(`${what.padEnd(60)} ${ms.wall.toFixed(1).padStart(9)} ${ms.cpu.toFixed(1).padStart(9)}\n`);
}
