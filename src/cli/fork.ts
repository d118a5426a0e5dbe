/**
 * `--start-from`: a re-entered run is a new run with its own folder. Its inputs are the
 * parent run's artifacts as the parent recorded them: each recorded file is hash-checked,
 * then hard-linked (copied across file systems) into the new folder, and every path in the
 * state is moved from the parent's folder to the new one. Small text files that name the
 * parent's folder (configs, policies) are copied with the new folder written in, so the
 * new run never reads a file outside its own folder except the source CSVs.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { currentSha256, sha256File, writeFileAtomic } from "../artifacts.js";
import { sidecarPath } from "../codegen/sidecar.js";
import { TabtuneError } from "../errors.js";
import type { ArtifactRef, State } from "../state.js";

/** Text files up to this size are checked for the parent's folder name and rewritten. */
const REWRITE_MAX_BYTES = 4 * 1024 * 1024;
const TEXT_FILE = /\.(json|ya?ml|txt|md)$/;

function isRef(value: unknown): value is ArtifactRef {
  return typeof value === "object" && value !== null && typeof (value as ArtifactRef).path === "string" && typeof (value as ArtifactRef).sha256 === "string";
}

/** Every value in `value`, depth first. */
function* walk(value: unknown): Generator<unknown> {
  yield value;
  if (Array.isArray(value)) for (const v of value) yield* walk(v);
  else if (typeof value === "object" && value !== null) for (const v of Object.values(value)) yield* walk(v);
}

/** Maps paths inside `from` (as stored, relative or absolute) to the same place inside `to`. */
function mover(from: string, to: string): (s: string) => string {
  const forms: [string, string][] = [
    [resolve(from), resolve(to)],
    [from, to],
  ];
  return (s) => {
    for (const [a, b] of forms) if (s === a || s.startsWith(a + sep)) return b + s.slice(a.length);
    return s;
  };
}

function moveStrings<T>(value: T, move: (s: string) => string): T {
  if (typeof value === "string") return move(value) as T;
  if (Array.isArray(value)) return value.map((v) => moveStrings(v, move)) as T;
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, moveStrings(v, move)])) as T;
  return value;
}

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => files(join(path, name)));
}

function link(source: string, target: string): void {
  mkdirSync(dirname(target), { recursive: true });
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target); // another file system, or links not allowed
  }
}

/**
 * Brings what `state` (the parent's state just before the re-entered step) refers to into
 * `childDir`, and returns that state with every path moved there.
 * `extraDirs` are folders of the parent run the re-entered step also needs (the adapter for predict).
 */
export async function forkRunFolder(state: State, parentDir: string, childDir: string, extraDirs: string[]): Promise<State> {
  const inside = (p: string) => {
    const rel = relative(resolve(parentDir), resolve(p));
    return rel !== "" && !rel.startsWith("..") && !rel.startsWith(sep);
  };
  const recorded = new Map<string, string>();
  const wanted = new Set<string>();
  for (const value of walk(state)) {
    if (isRef(value) && inside(value.path)) recorded.set(resolve(value.path), value.sha256);
    if (typeof value === "string" && inside(value)) wanted.add(resolve(value));
  }
  if (state.script) wanted.add(resolve(sidecarPath(state.script.path)));
  for (const dir of extraDirs) wanted.add(resolve(parentDir, dir));
  for (const [path, sha256] of recorded) {
    const actual = await currentSha256(path);
    if (actual !== sha256)
      throw new TabtuneError("parent_artifact_changed", `${path} ${actual === null ? "is missing" : "changed"} since its run recorded it`, {
        suggestion: "restore it, or re-enter at an earlier step (--start-from review_prep or split) so it is written again",
      });
  }
  const move = mover(parentDir, childDir);
  const rewritten = new Map<string, { sha256: string; bytes: number }>();
  const parentText = [resolve(parentDir), parentDir];
  for (const source of [...wanted].flatMap(files)) {
    const target = resolve(childDir, relative(resolve(parentDir), source));
    const small = TEXT_FILE.test(source) && statSync(source).size <= REWRITE_MAX_BYTES;
    const text = small ? readFileSync(source, "utf8") : null;
    if (text !== null && parentText.some((p) => text.includes(p))) {
      const moved = text.split(resolve(parentDir)).join(resolve(childDir)).split(parentDir).join(childDir);
      writeFileAtomic(target, moved);
      rewritten.set(target, { sha256: await sha256File(target), bytes: statSync(target).size });
    } else {
      link(source, target);
    }
  }
  const moved = moveStrings(state, move);
  // A recorded file that was rewritten with the new folder's paths gets its new hash.
  for (const value of walk(moved)) {
    if (!isRef(value)) continue;
    const now = rewritten.get(resolve(value.path));
    if (now) Object.assign(value, now);
  }
  return moved;
}
