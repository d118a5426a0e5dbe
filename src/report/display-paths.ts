/**
 * No machine paths in what a reviewer reads: paths under the output folder become relative
 * to it, the input tables become their file names, and anything under the working
 * directory becomes relative to it. Applied to every string of the report and model card.
 */
import { basename, resolve, sep } from "node:path";
import type { RunOptions } from "../options.js";
import type { Block, Section } from "./document.js";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A function replacing machine paths in text, for this run's folders. */
export function pathScrubber(options: RunOptions): (text: string) => string {
  const output = resolve(options.output);
  const inputs = [options.csv, options.testCsv].filter((p): p is string => !!p).map((p) => [resolve(p), basename(p)] as const);
  const rules: [RegExp, string][] = [
    ...inputs.map(([abs, name]): [RegExp, string] => [new RegExp(escape(abs), "g"), name]),
    [new RegExp(`${escape(output + sep)}`, "g"), ""],
    [new RegExp(`${escape(output)}(?![\\w.-])`, "g"), "."],
    [new RegExp(`${escape(process.cwd() + sep)}`, "g"), ""],
  ];
  // A relative --output ("output/credit") also prefixes the paths state holds.
  if (options.output !== output) rules.push([new RegExp(`(?<![\\w./-])${escape(options.output.replace(/[\\/]+$/, ""))}/`, "g"), ""]);
  return (text) => rules.reduce((t, [re, to]) => t.replace(re, to), text);
}

function scrubBlock(b: Block, f: (s: string) => string): Block {
  if ("p" in b) return { p: f(b.p) };
  if ("note" in b) return { note: f(b.note) };
  if ("list" in b) return { list: b.list.map(f) };
  if ("pre" in b) return { pre: f(b.pre) };
  if ("table" in b) return { table: { head: b.table.head.map(f), rows: b.table.rows.map((r) => r.map(f)) } };
  return b; // plots (drawn from numbers) and links (made relative to the report when rendered)
}

export function scrubSections(sections: Section[], f: (s: string) => string): Section[] {
  return sections.map((s) => ({ title: f(s.title), blocks: s.blocks.map((b) => scrubBlock(b, f)) }));
}
