/**
 * What a subcommand loads before it runs: the static (value) imports reachable from its module,
 * read from the source. `tabtune export --help` must not load the report stack, the model
 * providers or the graph (the report's file names live in paths.ts for this).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../src");

/** Relative value imports and re-exports in source text (`import type` and `export type` left out). */
function importsOf(text: string): string[] {
  return [...text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^;"']*?\sfrom\s+)?["'](\.[^"']+)["']/gm)].map((m) => m[1] as string);
}

/** The source files a source file imports for their values. */
function staticImports(file: string): string[] {
  return importsOf(readFileSync(file, "utf8"))
    .map((spec) => resolve(dirname(file), spec.replace(/\.js$/, ".ts")))
    .filter((target) => existsSync(target));
}

/** Every source file statically reachable from `entry`, relative to src/. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [resolve(SRC, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    const name = relative(SRC, file);
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...staticImports(file));
  }
  return seen;
}

describe("lazy subcommands", () => {
  it("the import reader follows multi-line imports and re-exports, and skips type-only ones", () => {
    const text = [
      'import { a } from "./one.js";',
      "import {\n  b,\n  type C,\n} from \"../two.js\";",
      'import type { D } from "./three.js";',
      'export { e } from "./four.js";',
      'export type { F } from "./five.js";',
      'import "./six.js";',
      'import { g } from "zod";',
    ].join("\n");
    expect(importsOf(text)).toEqual(["./one.js", "../two.js", "./four.js", "./six.js"]);
  });

  it("tabtune export loads neither the report, the model providers nor the graph", () => {
    const loaded = [...reachable("cli/export.ts")];
    expect(loaded).toContain("paths.ts");
    expect(loaded.filter((f) => f.startsWith("report/") || f.startsWith("llm/") || f.startsWith("nodes/") || f === "graph.ts" || f === join("cli", "run.ts"))).toEqual([]);
  });
});
