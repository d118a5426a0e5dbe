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

/** Name cues and their weight; a cue matching one word of a longer name counts half. */
const NAME_CUES: { score: number; names: string[] }[] = [
  { score: 100, names: ["target", "label", "class", "y", "outcome", "response", "ground_truth"] },
  {
    score: 60,
    names: [
      "status", "species", "diagnosis", "churn", "churned", "default", "survived", "result", "sale_price",
      "saleprice", "fraud", "is_fraud", "exited", "attrition", "disease", "heart_disease", "loan_status", "grade",
      "quality",
    ],
  },
  { score: 30, names: ["price", "cost", "salary", "revenue", "sales", "rating", "score", "value", "income"] },
];
const FIRST_COLUMN_BONUS = 15;
const LAST_COLUMN_BONUS = 20;
const CLASSIFICATION_BONUS = 10;
const MISSING_PENALTY = 40;
const NEVER_TARGET = new Set(["identifier", "datetime", "text"]);

/** The strongest name cue of a column: its score and the words that matched. */
function nameCue(name: string): { score: number; cue: string; whole: boolean } | null {
  const joined = nameTokens(name).join("_");
  // Words for partial matches split on separators only: "MS_SubClass" does not contain "class".
  const tokens = name.toLowerCase().split(/[^a-z0-9]+/);
  for (const tier of NAME_CUES) {
    const exact = tier.names.find((n) => n === joined);
    if (exact) return { score: tier.score, cue: exact, whole: true };
  }
  for (const tier of NAME_CUES) {
    const part = tier.names.find((n) => tokens.includes(n));
    if (part) return { score: tier.score / 2, cue: part, whole: false };
  }
  return null;
}

/** The task a column implies, or null when it has too many text classes to be a label. */
function taskOf(column: ColumnProfile, cfg: Config["profile"]): TaskType | null {
  if (column.distinct === 2) return "binary";
  if (column.kind === "numeric") return "regression";
  if (column.kind === "integer") return column.distinct > cfg.maxClassCardinality ? "regression" : "multiclass";
  return column.distinct <= cfg.maxClassCardinality ? "multiclass" : null;
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

interface Candidate {
  column: ColumnProfile;
  task: TaskType;
  score: number;
  reasons: string[];
}

function scoreColumn(column: ColumnProfile, position: number, count: number, cfg: Config["profile"]): Candidate | null {
  if (NEVER_TARGET.has(column.kind) || column.distinct <= 1) return null;
  const task = taskOf(column, cfg);
  if (task === null) return null;
  let score = 0;
  const reasons: string[] = [];
  const cue = nameCue(column.name);
  if (cue) {
    score += cue.score;
    reasons.push(cue.whole ? `"${column.name}" is named like a target` : `"${column.name}" has "${cue.cue}" in its name`);
  }
  if (position === count - 1) {
    score += LAST_COLUMN_BONUS;
    reasons.push("it is the last column");
  } else if (position === 0) {
    score += FIRST_COLUMN_BONUS;
    reasons.push("it is the first column");
  }
  if (task !== "regression") score += CLASSIFICATION_BONUS;
  score -= MISSING_PENALTY * column.missingRate;
  if (column.missing > 0) reasons.push(`${(100 * column.missingRate).toFixed(1)}% of its values are missing`);
  return { column, task, score, reasons };
}

/**
 * The target column, task and labels. `explicit` (from --target) is validated; otherwise
 * the best-scoring column wins (ties: the later column).
 * @throws TabtuneError when the explicit column is unusable or no column can be a target.
 */
export function detectTarget(profile: TableProfile, cfg: Config["profile"], explicit?: string): TargetChoice {
  if (profile.columns.length < 2)
    throw new TabtuneError("too_few_columns", `${profile.file} has ${profile.columns.length} column; a target and at least one feature are needed`, {
      suggestion: "give a CSV with a target column and feature columns",
    });
  if (explicit !== undefined) return explicitTarget(profile, cfg, explicit);

  const candidates = profile.columns
    .map((c, i) => scoreColumn(c, i, profile.columns.length, cfg))
    .filter((c): c is Candidate => c !== null)
    .sort((a, b) => b.score - a.score || b.column.index - a.column.index);
  const best = candidates[0];
  if (!best)
    throw new TabtuneError("target_not_found", `no column of ${profile.file} can be a target (all are identifiers, dates, free text or constant)`, {
      suggestion: "name the column to predict with --target",
    });
  const others = candidates.slice(1, 4).map((c) => `"${c.column.name}"`);
  const runnersUp = others.length > 0 ? [`next candidates: ${others.join(", ")} (use --target to pick another)`] : [];
  return choice(best.column, best.task, [...best.reasons, ...runnersUp]);
}
