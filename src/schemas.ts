/**
 * Zod schemas for everything that crosses a boundary: profiles and plans kept in
 * state, plans pasted at review, review payloads. State holds these, never rows.
 */
import { z } from "zod";

/** How a column is treated downstream. */
export const ColumnKind = z.enum(["numeric", "integer", "boolean", "categorical", "datetime", "text", "identifier"]);
export type ColumnKind = z.infer<typeof ColumnKind>;

export const NumericSummary = z.object({
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  median: z.number(),
  std: z.number(),
  q1: z.number(),
  q3: z.number(),
  /** Values outside [q1 - 1.5 IQR, q3 + 1.5 IQR]. */
  outliers: z.number().int(),
});
export type NumericSummary = z.infer<typeof NumericSummary>;

export const ColumnProfile = z.object({
  name: z.string(),
  /** 0-based position in the header. */
  index: z.number().int(),
  kind: ColumnKind,
  missing: z.number().int(),
  missingRate: z.number(),
  distinct: z.number().int(),
  /** Most frequent non-missing values with their counts. */
  topValues: z.array(z.object({ value: z.string(), count: z.number().int() })),
  numeric: NumericSummary.nullable(),
});
export type ColumnProfile = z.infer<typeof ColumnProfile>;

/** The validation checks of explore (src/table/quality.ts). */
export const QualityCheck = z.enum([
  "duplicate_rows",
  "constant_column",
  "near_duplicate_categories",
  "negative_values",
  "future_dates",
  "end_before_start",
  "target_leakage",
]);
export type QualityCheck = z.infer<typeof QualityCheck>;

/** One problem of the data, with how bad it is (config quality.*) and what to do about it. */
export const QualityFinding = z.object({
  check: QualityCheck,
  /** The columns concerned (empty for whole-table checks such as duplicate rows). */
  columns: z.array(z.string()),
  severity: z.enum(["low", "medium", "high"]),
  affectedRows: z.number().int().nonnegative(),
  message: z.string(),
  suggestion: z.string(),
});
export type QualityFinding = z.infer<typeof QualityFinding>;

export const TableProfile = z.object({
  file: z.string(),
  sha256: z.string(),
  rows: z.number().int(),
  columns: z.array(ColumnProfile),
  duplicateRows: z.number().int(),
  constantColumns: z.array(z.string()),
  /** Quality findings, most severe first, at most config.quality.maxFindings (empty in old checkpoints). */
  findings: z.array(QualityFinding).default([]),
  /** Up to config.profile.sampleRows raw rows, for prompts and review. */
  sample: z.array(z.record(z.string(), z.string().nullable())),
});
export type TableProfile = z.infer<typeof TableProfile>;

export const TaskType = z.enum(["binary", "multiclass", "regression"]);
export type TaskType = z.infer<typeof TaskType>;

/** Raw target value (as written in the CSV) → label text the model writes. */
export const LabelMapping = z.record(z.string(), z.string());
export type LabelMapping = z.infer<typeof LabelMapping>;

export const TargetChoice = z.object({
  column: z.string(),
  task: TaskType,
  /** Empty for regression. */
  labels: LabelMapping,
  reasons: z.array(z.string()),
});
export type TargetChoice = z.infer<typeof TargetChoice>;

export const BalanceStrategy = z.enum(["none", "oversample", "undersample"]);
export type BalanceStrategy = z.infer<typeof BalanceStrategy>;

export const DroppedColumn = z.object({ column: z.string(), reason: z.string() });

/** What the data preparation will do; shown at review_plan and honoured field by field. */
export const Plan = z.object({
  instruction: z.string().min(1, "instruction must not be empty"),
  target: z.string().min(1),
  task: TaskType,
  labels: LabelMapping,
  /** Feature columns kept, in the order they are written into the text. */
  features: z.array(z.string()).min(1, "keep at least one feature"),
  dropped: z.array(DroppedColumn),
  /** How a row becomes text: "sentences" → "The <col> is <value>."; "list" → "<col>: <value>". */
  rowFormat: z.enum(["sentences", "list"]),
  cleaning: z.array(z.string()),
  balancing: z.object({ strategy: BalanceStrategy, advice: z.string() }),
  imputation: z.array(z.string()),
});
export type Plan = z.infer<typeof Plan>;

/** Every review node interrupts with this payload (DESIGN §5). */
export const ReviewPayload = z.object({
  step: z.enum(["review_plan", "review_prep", "review_balance", "review_config"]),
  title: z.string(),
  summary: z.string(),
  options: z.array(z.string()),
  help: z.string(),
});
export type ReviewPayload = z.infer<typeof ReviewPayload>;

/** The resume value of every review: the text the person typed (or "approve"). */
export const ReviewAnswer = z.string().trim().min(1, "an empty answer is not a decision");
