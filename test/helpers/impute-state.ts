/**
 * A state for running the impute node alone: split files written as JSON lines, a plan
 * and a profile with just what impute reads (kinds, features, target, labels).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { artifactRef } from "../../src/artifacts.js";
import type { State } from "../../src/state.js";
import type { ImputePolicy } from "../../src/stats/imputation/policies.js";
import { createRng, shuffleInPlace } from "../../src/stats/random.js";
import { tempDir } from "./cli.js";

export type Row = Record<string, string | number | null>;

/** A CSV without quoted fields as typed rows: numbers where every cell is one; "", ".", NA missing. */
export function readSimpleCsv(path: string): { names: string[]; rows: Row[] } {
  const [header, ...body] = readFileSync(path, "utf8").trim().split(/\r?\n/);
  const names = (header ?? "").split(",");
  const raw = body.map((l) => l.split(",").map((c) => c.trim()));
  const missing = (c: string | undefined) => c === undefined || c === "" || c === "." || c === "NA";
  const numeric = names.map((_, j) => raw.every((r) => missing(r[j]) || Number.isFinite(Number(r[j]))));
  const rows = raw.map((r) => Object.fromEntries(names.map((n, j) => [n, missing(r[j]) ? null : numeric[j] ? Number(r[j]) : r[j]!])));
  return { names, rows };
}

export async function imputeState(args: {
  names: string[];
  train: Row[];
  test: Row[];
  target: string;
  overrides?: Record<string, ImputePolicy>;
  dir?: string;
}): Promise<{ state: State; dir: string }> {
  const dir = args.dir ?? tempDir();
  mkdirSync(join(dir, "run", "data"), { recursive: true });
  const write = (file: string, rows: Row[]) => writeFileSync(join(dir, file), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  write("train.jsonl", args.train);
  write("test.jsonl", args.test);
  const all = [...args.train, ...args.test];
  const kinds = args.names.map((name) => ({ name, kind: all.every((r) => r[name] === null || typeof r[name] === "number") ? "numeric" : "categorical" }));
  const labels = [...new Set(all.map((r) => String(r[args.target])))].sort();
  const partial = {
    options: { seed: 42, output: join(dir, "out") },
    runDir: join(dir, "run"),
    imputeOverrides: args.overrides ?? {},
    profile: { columns: kinds },
    prepPlan: { target: args.target, task: labels.length === 2 ? "binary" : "multiclass", labels: Object.fromEntries(labels.map((l) => [l, l])), features: args.names.filter((n) => n !== args.target) },
    splitResult: { train: await artifactRef(join(dir, "train.jsonl"), args.train.length), test: await artifactRef(join(dir, "test.jsonl"), args.test.length) },
  };
  // The node reads only these fields; the rest of State is irrelevant here.
  return { state: partial as unknown as State, dir };
}

/** A seeded 80/20 split of rows whose target is present. */
export function splitRows(rows: Row[], target: string, seed = 1): { train: Row[]; test: Row[] } {
  const kept = rows.filter((r) => r[target] !== null);
  const order = shuffleInPlace(kept.map((_, i) => i), createRng(seed));
  const cut = Math.round(kept.length * 0.2);
  return { test: order.slice(0, cut).map((i) => kept[i]!), train: order.slice(cut).map((i) => kept[i]!) };
}

/** The rows of report.md's columns table: column → its cells. */
export function reportColumns(report: string): Map<string, string[]> {
  const start = report.indexOf("| column | missing train / test |");
  const lines = report.slice(start).split("\n").slice(2);
  const out = new Map<string, string[]>();
  for (const line of lines) {
    if (!line.startsWith("|")) break;
    const cells = line.split(" | ").map((c) => c.replace(/^\| ?| ?\|$/g, ""));
    out.set(cells[0]!, cells.slice(1));
  }
  return out;
}
