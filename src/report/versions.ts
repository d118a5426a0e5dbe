/**
 * What a run was made with, for the report and the model card: tabtune, Node, LangGraph,
 * the base model, LlamaFactory (when its CLI is on PATH), the config's hash and the seed.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Config } from "../config.js";
import type { RunOptions } from "../options.js";

export interface Versions {
  tabtune: string;
  node: string;
  langgraph: string;
  baseModel: string;
  llamaFactory: string;
  /** sha256 of the loaded configuration (canonical JSON of config/default.yaml as validated). */
  configSha256: string;
  seed: number;
}

/** The package root: two folders above this file in src/report and in dist/report alike. */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function packageVersion(path: string): string {
  if (!existsSync(path)) return "unknown";
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  return typeof parsed === "object" && parsed !== null && "version" in parsed && typeof parsed.version === "string" ? parsed.version : "unknown";
}

/** `llamafactory-cli version`'s version number, or "not installed" when the CLI is not on PATH. */
export function llamaFactoryVersion(): string {
  const r = spawnSync("llamafactory-cli", ["version"], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) return "not installed";
  const m = /(\d+\.\d+(?:\.\d+)?(?:[.\w-]*)?)/.exec(`${r.stdout}\n${r.stderr}`);
  return m?.[1] ?? `installed (version not printed, exit ${r.status ?? r.signal ?? "?"})`;
}

/** sha256 of a value's JSON with keys sorted at every level. */
export function canonicalHash(value: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, canon(x)])) : v;
  return createHash("sha256").update(JSON.stringify(canon(value))).digest("hex");
}

export function collectVersions(options: RunOptions, config: Config): Versions {
  return {
    tabtune: packageVersion(`${ROOT}package.json`),
    node: process.version,
    langgraph: packageVersion(`${ROOT}node_modules/@langchain/langgraph/package.json`),
    baseModel: options.training.model,
    llamaFactory: llamaFactoryVersion(),
    configSha256: canonicalHash(config),
    seed: options.seed,
  };
}

/** The versions as table rows. */
export function versionRows(v: Versions): string[][] {
  return [
    ["tabtune", v.tabtune],
    ["Node.js", v.node],
    ["@langchain/langgraph", v.langgraph],
    ["base model", v.baseModel],
    ["LlamaFactory", v.llamaFactory],
    ["config sha256", v.configSha256],
    ["seed", String(v.seed)],
  ];
}
