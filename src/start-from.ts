/**
 * The names `--start-from` accepts, in the order help lists them. src/graph.ts maps each to
 * the node it re-enters and the node it resumes as (START_ENTRIES), and the type checker holds
 * that map to exactly these names; they live here so the CLI can parse and print its flags
 * without loading the graph and every node behind it.
 */
export const START_FROM = ["review_prep", "split", "config", "predict", "evaluate"] as const;
export type StartFrom = (typeof START_FROM)[number];
