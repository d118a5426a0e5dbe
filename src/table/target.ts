/**
 * Which column to predict, the task, and the label mapping. With --target the choice is
 * checked (exists, varies, is not an identifier); without it, columns are scored by name
 * cues, position and cardinality, and identifiers, dates and free text are never chosen.
 */
import type { Config } from "../config.js";
import { TabtuneError } from "../errors.js";
import type { ColumnProfile, LabelMapping, TableProfile, TargetChoice, TaskType } from "../schemas.js";
import { nameTokens } from "./kinds.js";
import { compareNatural } from "./profile.js";
import { coordinatePartners, derivedFrom, sortedBy } from "./target-evidence.js";

export { derivedFrom } from "./target-evidence.js";

/**
 * Name cues and their weight; a generic cue (target, label, outcome…) matching one word of a
 * longer name counts half, the others only match the whole name. A cue
 * counts only where the column's type fits it: `any` cues for every column, `class` cues
 * for columns that read as class labels, `quantity` cues for measured quantities.
 */
const NAME_CUES: { score: number; fits: "any" | "class" | "quantity"; names: string[] }[] = [
  { score: 100, fits: "any", names: ["target", "label", "y", "outcome", "response", "ground_truth"] },
  { score: 100, fits: "class", names: ["class"] },
  {
    score: 60,
    fits: "class",
    names: [
      "status", "species", "diagnosis", "churn", "churned", "default", "survived", "result", "fraud", "is_fraud", "exited",
      "attrition", "disease", "heart_disease", "loan_status", "grade", "quality",
    ],
  },
  { score: 60, fits: "quantity", names: ["sale_price", "saleprice"] },
  { score: 30, fits: "quantity", names: ["price", "cost", "salary", "wage", "wages", "earnings", "revenue", "sales", "rating", "score", "rate"] },
];
/** Columns that say where, when or who a row is about: context of the observation, rarely its outcome. */
const CONTEXT_NAMES = new Set([
  "region", "state", "country", "nation", "city", "county", "province", "district", "location", "site", "zip", "zipcode",
  "address", "neighborhood", "origin", "destination", "continent", "latitude", "longitude", "lat", "lon", "long", "lng",
  "sex", "gender", "race", "ethnicity", "age", "nationality", "religion", "language",
]);
/** Calendar fields and the range their values must fall in to be read as such. */
const CALENDAR_FIELDS: Record<string, [number, number]> = {
  year: [1000, 2200], month: [1, 12], day: [1, 31], weekday: [0, 7], dow: [0, 7], week: [0, 53], hour: [0, 24], minute: [0, 59], quarter: [1, 4],
};
const CALENDAR_WORDS = new Set(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
/** Values that mark a row's split (train/test), never an outcome. */
const SPLIT_VALUES = new Set(["train", "training", "test", "testing", "valid", "validation", "val", "holdout"]);
/** Names of an exported row index (R's row names, pandas' unnamed index). */
const ROW_INDEX_NAMES = new Set(["rownames", "row", "rowname", "row_names", "index", "obs", "x", "unnamed_0"]);

const POSITION_BONUS = 20;
const SHAPE_BONUS = 5;
const SOLE_MEASUREMENT_BONUS = 15;
const SOLE_LABEL_BONUS = 15;
const BALANCED_DESIGN_PENALTY = 15;
const CONTEXT_PENALTY = 20;
const DERIVED_PENALTY = 10;
/** Rows without a target are dropped anyway, so missing target values cost little. */
const MISSING_PENALTY = 5;
/** Fewest values an integer column needs to be read as a count rather than class codes. */
const MIN_COUNT_LEVELS = 5;
const NEVER_TARGET = new Set(["identifier", "datetime", "text"]);

/** What a column is, as far as choosing a target goes. */
type Role =
  /** Row names, ids, dates, calendar fields, split markers: they index rows; never targets, no position. */
  | { key: string }
  | { key: null; task: TaskType | null; shape: "label" | "measurement" | "levels" };

/** The strongest name cue of a column whose type fits it: its score and the words that matched. */
function nameCue(name: string, fits: (kind: "any" | "class" | "quantity") => boolean): { score: number; cue: string; whole: boolean } | null {
  const joined = nameTokens(name).join("_");
  // Words for partial matches split on separators only: "MS_SubClass" does not contain "class".
  const tokens = name.toLowerCase().split(/[^a-z0-9]+/);
  const tiers = NAME_CUES.filter((t) => fits(t.fits));
  for (const tier of tiers) {
    const exact = tier.names.find((n) => n === joined);
    if (exact) return { score: tier.score, cue: exact, whole: true };
  }
  // Part of a longer name, only the words that mean "what is predicted" count: ETHNIC.CLASS
  // is a kind of class and MARITAL.STATUS a kind of status, both describe the row.
  for (const tier of tiers.filter((t) => t.fits === "any")) {
    const part = tier.names.find((n) => tokens.includes(n));
    if (part) return { score: tier.score / 2, cue: part, whole: false };
  }
  return null;
}

const nonMissing = (column: ColumnProfile, rows: number) => rows - column.missing;

/** An integer column whose values fit a short run of codes (0–4, 1–7), not a count or amount. */
function integerCodes(column: ColumnProfile, cfg: Config["profile"]): boolean {
  const range = column.numeric ? column.numeric.max - column.numeric.min + 1 : Infinity;
  return column.distinct <= cfg.maxClassCardinality && range <= cfg.maxClassCardinality;
}

/**
 * An integer column that counts events (visits, articles, trips): non-negative, at least
 * MIN_COUNT_LEVELS values, its commonest value the smallest and a tail to the right (mean
 * above median). Class codes and ratings peak in the middle or spread evenly; counts pile up
 * at zero. A count is a quantity to regress, however few its levels.
 */
function integerCount(column: ColumnProfile): boolean {
  const n = column.numeric;
  if (column.kind !== "integer" || !n || n.min < 0 || column.distinct < MIN_COUNT_LEVELS) return false;
  return Number(column.topValues[0]?.value) <= n.median && n.mean > n.median && n.max > n.q3 + 1.5 * (n.q3 - n.q1);
}

/** The task a column implies, or null when it has too many text classes to be a label. */
function taskOf(column: ColumnProfile, cfg: Config["profile"]): TaskType | null {
  if (column.distinct === 2) return "binary";
  if (column.kind === "numeric") return "regression";
  if (column.kind === "integer") return integerCodes(column, cfg) && !integerCount(column) ? "multiclass" : "regression";
  return column.distinct <= cfg.maxClassCardinality ? "multiclass" : null;
}

/** Why a column indexes the rows rather than describing them, or null. */
function keyReason(column: ColumnProfile, position: number, rows: number): string | null {
  if (column.kind === "identifier") return `"${column.name}" is an identifier`;
  if (column.kind === "datetime") return `"${column.name}" is a date`;
  const present = nonMissing(column, rows);
  const words = nameTokens(column.name);
  const joined = words.join("_");
  const values = column.topValues.map((t) => t.value.toLowerCase());
  const isText = column.kind === "categorical" || column.kind === "text" || column.kind === "boolean";
  // A first column of unique values, or named like an exported row index, labels the rows.
  if (position === 0 && present >= 5 && column.distinct === present && (isText || ROW_INDEX_NAMES.has(joined) || joined === ""))
    return `"${column.name}" holds a different value in every row (row names)`;
  if (position === 0 && column.kind === "text") return `"${column.name}" is free text naming the rows`;
  const field = words.length === 1 ? CALENDAR_FIELDS[joined] : undefined;
  if (field && column.numeric && column.numeric.min >= field[0] && column.numeric.max <= field[1]) return `"${column.name}" is a calendar field`;
  if (field && isText && values.length > 0 && values.every((v) => CALENDAR_WORDS.has(v.slice(0, 3)))) return `"${column.name}" is a calendar field`;
  if (isText && column.distinct <= 4 && values.length === column.distinct && values.every((v) => SPLIT_VALUES.has(v)))
    return `"${column.name}" marks a train/test split`;
  return null;
}

function roleOf(column: ColumnProfile, position: number, rows: number, cfg: Config["profile"]): Role {
  const key = keyReason(column, position, rows);
  if (key) return { key };
  const task = NEVER_TARGET.has(column.kind) || column.distinct <= 1 ? null : taskOf(column, cfg);
  const textLabels = column.kind === "categorical" || (column.kind === "boolean" && column.topValues.some((t) => Number.isNaN(Number(t.value))));
  // Many distinct values for the rows there are (small tables have few rows to differ in),
  // or integers spread wider than class codes: a measured quantity or count.
  const manyValues = column.distinct > Math.min(cfg.maxClassCardinality, nonMissing(column, rows) / 2);
  const measurement = (column.kind === "numeric" && manyValues) || (column.kind === "integer" && (manyValues || task === "regression"));
  return { key: null, task, shape: textLabels ? "label" : measurement ? "measurement" : "levels" };
}

/**
 * Three or more levels with exactly the same count: groups assigned by a design, not an
 * observed outcome. (Two equal classes may be an outcome sampled case-control, so they are not.)
 */
function balancedDesign(column: ColumnProfile, cfg: Config["profile"]): boolean {
  if (column.distinct < 3 || column.distinct > cfg.maxClassCardinality || column.topValues.length !== column.distinct) return false;
  const counts = column.topValues.map((t) => t.count);
  return counts.every((c) => c === counts[0]) && (counts[0] ?? 0) >= 2;
}

/** Raw value → label text (the same text), in natural order (numbers numerically). */
function labelsOf(column: ColumnProfile): LabelMapping {
  const values = column.topValues.map((t) => t.value).sort(compareNatural);
  return Object.fromEntries(values.map((v) => [v, v]));
}

function taskReason(column: ColumnProfile, task: TaskType): string {
  if (task === "regression") return `"${column.name}" is ${column.kind} with ${column.distinct} distinct values → regression`;
  const counts = [...column.topValues]
    .sort((a, b) => compareNatural(a.value, b.value))
    .map((t) => `${t.value} (${t.count})`);
  const shown = counts.length > 6 ? [...counts.slice(0, 6), "…"] : counts;
  const integerNote = column.kind === "integer" ? " (integer labels, read as classes)" : "";
  return `${column.distinct} classes${integerNote}: ${shown.join(", ")} → ${task}`;
}

function choice(column: ColumnProfile, task: TaskType, reasons: string[]): TargetChoice {
  return {
    column: column.name,
    task,
    labels: task === "regression" ? {} : labelsOf(column),
    reasons: [...reasons, taskReason(column, task)],
  };
}

function listColumns(profile: TableProfile, max = 12): string {
  const names = profile.columns.map((c) => c.name);
  return names.length > max ? `${names.slice(0, max).join(", ")}, … (${names.length - max} more)` : names.join(", ");
}

function explicitTarget(profile: TableProfile, cfg: Config["profile"], name: string): TargetChoice {
  const file = profile.file;
  const column = profile.columns.find((c) => c.name === name);
  if (!column) {
    const near = profile.columns.find((c) => c.name.toLowerCase() === name.trim().toLowerCase());
    if (near)
      throw new TabtuneError("target_not_found", `--target "${name}" is not a column of ${file}; did you mean "${near.name}"?`, {
        suggestion: `column names are case-sensitive: pass --target "${near.name}"`,
      });
    throw new TabtuneError("target_not_found", `--target "${name}" is not a column of ${file}; columns are: ${listColumns(profile)}`, {
      suggestion: "pass one of the column names exactly (quote names with spaces)",
    });
  }
  if (column.distinct <= 1) {
    const what = column.distinct === 0 ? "is empty in every row" : `has the same value ("${column.topValues[0]?.value ?? ""}") in every row`;
    throw new TabtuneError("target_constant", `--target "${name}" in ${file} ${what}`, {
      suggestion: "choose a column whose value varies between rows",
    });
  }
  if (column.kind === "identifier")
    throw new TabtuneError("target_identifier", `--target "${name}" in ${file} is an identifier (${column.distinct} distinct values in ${profile.rows} rows)`, {
      suggestion: "choose the column to predict, not a row id",
    });
  const task = taskOf(column, cfg);
  if (task === null)
    throw new TabtuneError(
      "target_too_many_classes",
      `--target "${name}" in ${file} has ${column.distinct} distinct ${column.kind} values, more than profile.maxClassCardinality (${cfg.maxClassCardinality}) classes`,
      { suggestion: "choose another column, or raise profile.maxClassCardinality in the config" },
    );
  return choice(column, task, [`"${name}" chosen with --target`]);
}

/** A column that could be the target, with its score and the reasons behind it. */
export interface TargetCandidate {
  column: string;
  task: TaskType;
  score: number;
  reasons: string[];
}

interface Scored extends TargetCandidate {
  profile: ColumnProfile;
}

/**
 * Scores every column that could be the target, best first (ties: the later column, as the
 * last column is the commonest place for a target; but where row names or ids come first,
 * as in a statistics package's export, the earlier column, as such tables list their
 * response first). The reasons read as a data scientist's:
 * a name that says target (where the type fits), the first or last place among the columns
 * that describe rows (row names, ids, dates and calendar fields index them and take no
 * place), class labels or a measured quantity, the one measurement among factors; against:
 * groups of exactly equal size (a design), where/when/who columns (context).
 * @example rankTargets(profile, cfg)[0] // { column: "mpg", task: "regression", score: 25, reasons: [...] }
 */
export function rankTargets(profile: TableProfile, cfg: Config["profile"]): TargetCandidate[] {
  const roles = profile.columns.map((c, i) => roleOf(c, i, profile.rows, cfg));
  const names = profile.columns.map((c) => c.name);
  // Constant columns describe nothing: they take no place either.
  const described = profile.columns.map((_, i) => i).filter((i) => roles[i]?.key === null && (profile.columns[i]?.distinct ?? 0) > 1);
  const first = described[0];
  // Columns derived from another (estperf from perf) trail the one they are built from: the
  // last place is the last column's before them.
  let last = profile.columns.length - 1;
  while (last > 0 && roles[last]?.key === null && derivedFrom(names[last] ?? "", names) !== null) last--;
  const shaped = (shape: "label" | "measurement") =>
    described.filter((i) => {
      const role = roles[i];
      return role?.key === null && role.shape === shape;
    });
  const measurements = shaped("measurement");
  const soleMeasurement = measurements.length === 1 && described.length >= 2 ? measurements[0] : undefined;
  // One column of text labels among three or more columns of numbers: what the numbers were
  // measured to tell apart (with fewer, a lone label is as likely a treatment or group).
  const labels = shaped("label");
  const numbersOnly = described.every((i) => labels.includes(i) || ["numeric", "integer"].includes(profile.columns[i]?.kind ?? ""));
  const soleLabel = labels.length === 1 && described.length >= 4 && numbersOnly ? labels[0] : undefined;
  const scored: Scored[] = [];
  profile.columns.forEach((column, i) => {
    const role = roles[i];
    if (!role || role.key !== null || role.task === null) return;
    const classLike = role.shape === "label" || role.task !== "regression";
    const reasons: string[] = [];
    let score = 0;
    const cue = nameCue(column.name, (fits) => fits === "any" || (fits === "class" ? classLike : role.shape === "measurement"));
    const partners = coordinatePartners(column.name, names);
    if (cue && partners.length > 0) {
      reasons.push(`"${column.name}" sits beside ${partners.map((p) => `"${p}"`).join(" and ")}: a coordinate, not a name for the target`);
    } else if (cue) {
      score += cue.score;
      reasons.push(cue.whole ? `"${column.name}" is named like a target` : `"${column.name}" has "${cue.cue}" in its name`);
    }
    const place = i === last ? (last === names.length - 1 ? "the last column" : "the last column but for columns derived from it") : i === first ? (i === 0 ? "the first column" : "the first column after the row labels") : null;
    if (place !== null && sortedBy(profile, column)) {
      reasons.push(`it is ${place}, but the rows are sorted by it (an ordering key, such as a design variable or a time): its place says nothing`);
    } else if (place !== null) {
      score += POSITION_BONUS;
      reasons.push(`it is ${place}`);
    }
    if (role.shape === "label") {
      score += SHAPE_BONUS;
      reasons.push(`its values are ${column.distinct} class labels`);
    } else if (role.shape === "measurement") {
      score += SHAPE_BONUS;
      reasons.push("it is a measured quantity");
    }
    if (i === soleMeasurement) {
      score += SOLE_MEASUREMENT_BONUS;
      reasons.push("it is the only measured quantity; the other columns are factors");
    }
    if (i === soleLabel) {
      score += SOLE_LABEL_BONUS;
      reasons.push("it is the only column of class labels; the other columns are numbers");
    }
    if (balancedDesign(column, cfg)) {
      score -= BALANCED_DESIGN_PENALTY;
      reasons.push(`its ${column.distinct} groups are exactly the same size, like a design's groups`);
    }
    if (nameTokens(column.name).some((t) => CONTEXT_NAMES.has(t))) {
      score -= CONTEXT_PENALTY;
      reasons.push(`"${column.name}" says where or who a row is about (context, rarely the outcome)`);
    }
    const source = derivedFrom(column.name, names);
    if (source !== null) {
      score -= DERIVED_PENALTY;
      reasons.push(`"${column.name}" is named after "${source}" with more added: a quantity derived from an input`);
    }
    if (column.missing > 0) {
      score -= MISSING_PENALTY * column.missingRate;
      reasons.push(`${(100 * column.missingRate).toFixed(1)}% of its values are missing (those rows are dropped)`);
    }
    scored.push({ column: column.name, task: role.task, score: Math.round(score * 10) / 10, reasons, profile: column });
  });
  // Row names written as a first column mark a statistics export (R's write.csv), where the
  // response is listed first: there the earlier column wins a tie, elsewhere the later one.
  // (A date or calendar field first is a time series' index, not row names: no such habit.)
  const lead = roles[0];
  const earlierWins = first !== undefined && first > 0 && profile.columns[0]?.kind !== "datetime" && !(lead?.key ?? "").endsWith("is a calendar field");
  scored.sort((a, b) => b.score - a.score || (earlierWins ? a.profile.index - b.profile.index : b.profile.index - a.profile.index));
  return scored.map(({ profile: _profile, ...candidate }) => candidate);
}

/** Whether the best two candidates are within `margin` points: a close call the user should check. */
export function closeCall(candidates: readonly TargetCandidate[], margin: number): { first: TargetCandidate; second: TargetCandidate } | null {
  const [first, second] = candidates;
  return first && second && first.score - second.score < margin ? { first, second } : null;
}

/** One line per candidate: `"mpg" (regression, score 25): reasons`. */
export function describeCandidates(candidates: readonly TargetCandidate[]): string[] {
  return candidates.map((c, i) => `${i + 1}. "${c.column}" (${c.task}, score ${c.score}): ${c.reasons.join("; ")}`);
}

/** The line saying the choice was a close call, or null. */
export function closeCallLine(candidates: readonly TargetCandidate[], margin: number): string | null {
  const close = closeCall(candidates, margin);
  if (!close) return null;
  const gap = Math.round((close.first.score - close.second.score) * 10) / 10;
  return `close call: "${close.first.column}" leads "${close.second.column}" by ${gap} points (under profile.targetCloseMargin ${margin}); check the target (--target, or target: <column> at review_plan)`;
}

/**
 * The target column, task and labels. `explicit` (from --target) is validated; otherwise
 * the best candidate of rankTargets wins.
 * @throws TabtuneError when the explicit column is unusable or no column can be a target.
 */
export function detectTarget(profile: TableProfile, cfg: Config["profile"], explicit?: string): TargetChoice {
  if (profile.columns.length < 2)
    throw new TabtuneError("too_few_columns", `${profile.file} has ${profile.columns.length} column; a target and at least one feature are needed`, {
      suggestion: "give a CSV with a target column and feature columns",
    });
  if (explicit !== undefined) return explicitTarget(profile, cfg, explicit);

  const candidates = rankTargets(profile, cfg);
  const best = candidates[0];
  const column = best ? profile.columns.find((c) => c.name === best.column) : undefined;
  if (!best || !column)
    throw new TabtuneError("target_not_found", `no column of ${profile.file} can be a target (all are identifiers, dates, free text or constant)`, {
      suggestion: "name the column to predict with --target",
    });
  const others = candidates.slice(1, 3).map((c) => `"${c.column}" (${c.task}, score ${c.score})`);
  const runnersUp = others.length > 0 ? [`next candidates: ${others.join(", ")} (use --target to pick another)`] : [];
  const close = closeCallLine(candidates, cfg.targetCloseMargin);
  return choice(column, best.task, [...best.reasons, ...runnersUp, ...(close ? [close] : [])]);
}
