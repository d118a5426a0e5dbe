/** A graph over a fresh output folder and an in-memory checkpointer, with options parsed as the CLI parses them. */
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { buildProgram, optionsFromFlags, type CliFlags } from "../../src/cli/options.js";
import { compileGraph } from "../../src/graph.js";
import { getConfig } from "../../src/runtime.js";
import { tempDir } from "./cli.js";

export function graphSetup(csv: string, extra: string[] = []) {
  const output = join(tempDir(), "out");
  const program = buildProgram(getConfig());
  program.parse(["node", "tabtune", "--csv", csv, "--output", output, ...extra]);
  const options = optionsFromFlags(program.opts<CliFlags>(), getConfig());
  const app = compileGraph(SqliteSaver.fromConnString(":memory:"));
  const config = { configurable: { thread_id: "t1" }, recursionLimit: 200 };
  return { app, config, options, output };
}
