/**
 * Compact text of a table for prompts: one line per column, sample rows as CSV, and a
 * summary of wide tables (counts per kind, the columns most worth reading in full,
 * the other names truncated) so a prompt stays within its token budget at any width.
 */
import type { ColumnKind, ColumnProfile, Plan, TableProfile } from "../schemas.js";

/** Tokens of a text when the provider does not say: ceil(characters / 4). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** `text` cut to at most `max` characters, saying how much was left out. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = ` … (${text.length - max} more characters)`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

/** `names` joined with ", " until `maxChars`, then "(+N more)". */
export function nameList(names: readonly string[], maxChars: number): string {
  const out: string[] = [];
  let used = 0;
  for (const [i, name] of names.entries()) {
    const piece = clip(name, 60);
    if (used + piece.length + 2 > maxChars && i > 0) {
      out.push(`… (+${names.length - i} more)`);
      break;
    }
    out.push(piece);
    used += piece.length + 2;
  }
  return out.join(", ");
}

const round = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));

/** One line per column: kind, missing share, distinct count, range or top values. */
export function columnLine(c: ColumnProfile): string {
  const parts = [clip(c.name, 80), c.kind, `missing ${round(c.missingRate * 100)}%`, `${c.distinct} distinct`];
  if (c.numeric) {
    const n = c.numeric;
    parts.push(`range ${round(n.min)}..${round(n.max)}, mean ${round(n.mean)}, median ${round(n.median)}, sd ${round(n.std)}`);
    if (n.outliers > 0) parts.push(`${n.outliers} outliers`);
  }
  if (!c.numeric || c.distinct <= 20) {
    const top = c.topValues.slice(0, 5).map((t) => `${JSON.stringify(clip(t.value, 30))} (${t.count})`);
    if (top.length > 0) parts.push(`top: ${top.join(", ")}`);
  }
  return parts.join(" | ");
}

/** How likely a column is worth showing in full on a wide table: the target-like first. */
function interest(c: ColumnProfile, last: number): number {
  let score = 0;
  if (/(^|[^a-z])(target|label|class|outcome|response|diagnosis|status|churn|default|result|y)([^a-z]|$)/i.test(c.name)) score += 50;
  if ((c.kind === "categorical" || c.kind === "boolean" || c.kind === "integer") && c.distinct >= 2 && c.distinct <= 20) score += 20;
  if (c.index === 0 || c.index === last) score += 15;
  if (c.kind === "identifier" || c.kind === "text" || c.distinct <= 1) score -= 30;
  return score - c.missingRate * 10;
}

/** Columns by how worth reading in full they are: `focus` first, then the target-like ones. */
export function rankColumns(profile: TableProfile, focus: readonly string[] = []): ColumnProfile[] {
  const wanted = new Set(focus);
  const last = profile.columns.length - 1;
  return [...profile.columns].sort(
    (a, b) => Number(wanted.has(b.name)) - Number(wanted.has(a.name)) || interest(b, last) - interest(a, last) || a.index - b.index,
  );
}

export interface ProfileTextOptions {
  /** Columns always shown in full, first (the target, the plan's features). */
  focus?: readonly string[];
  /** From this many columns on, the table is summarized (config llm.wideTableColumns). */
  wideFrom: number;
  /** Character budget of the whole text. */
  maxChars: number;
}

/**
 * The profile as compact text. Narrow tables: every column in full. Wide tables: counts
 * per kind, the focus and most target-like columns in full, every other name by kind.
 */
export function profileText(profile: TableProfile, opts: ProfileTextOptions): string {
  const cols = profile.columns;
  const head = [
    `${profile.rows} rows, ${cols.length} columns, ${profile.duplicateRows} duplicate rows.`,
    profile.constantColumns.length > 0 ? `Constant columns: ${nameList(profile.constantColumns, 600)}.` : "",
  ].filter(Boolean);
  if (cols.length < opts.wideFrom) {
    const text = [...head, "Columns (name | kind | missing | distinct | summary):", ...cols.map(columnLine)].join("\n");
    return clip(text, opts.maxChars);
  }
  const kinds = new Map<ColumnKind, ColumnProfile[]>();
  for (const c of cols) kinds.set(c.kind, [...(kinds.get(c.kind) ?? []), c]);
  const counts = [...kinds].map(([kind, list]) => `${list.length} ${kind}`).join(", ");
  const withMissing = cols.filter((c) => c.missing > 0);
  const maxMissing = withMissing.reduce((m, c) => Math.max(m, c.missingRate), 0);
  const focus = new Set(opts.focus ?? []);
  const ranked = rankColumns(profile, opts.focus);
  // Full lines take about half the budget; the name lists share the rest.
  const detailBudget = Math.floor(opts.maxChars * 0.5);
  const shown: ColumnProfile[] = [];
  let used = 0;
  for (const c of ranked) {
    const line = columnLine(c);
    if (used + line.length + 1 > detailBudget && !(focus.has(c.name) && shown.length < 60)) break;
    shown.push(c);
    used += line.length + 1;
  }
  const shownNames = new Set(shown.map((c) => c.name));
  const rest = [...kinds].map(([kind, list]) => [kind, list.filter((c) => !shownNames.has(c.name)).map((c) => c.name)] as const).filter(([, names]) => names.length > 0);
  const listBudget = Math.max(200, Math.floor((opts.maxChars - used - 600) / Math.max(1, rest.length)));
  const text = [
    ...head,
    `Wide table summarized: ${counts}. ${withMissing.length} columns have missing values (at most ${round(maxMissing * 100)}%).`,
    `Columns shown in full (${shown.length} of ${cols.length}; name | kind | missing | distinct | summary):`,
    ...shown.sort((a, b) => a.index - b.index).map(columnLine),
    "Other columns by kind (names only):",
    ...rest.map(([kind, names]) => `${kind} (${names.length}): ${nameList(names, listBudget)}`),
  ].join("\n");
  return clip(text, opts.maxChars);
}

/** A CSV cell: quoted when it holds a comma, quote or newline; missing is empty. */
function cell(value: string | null | undefined, max: number): string {
  if (value === null || value === undefined) return "";
  const v = clip(value, max);
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Sample rows as CSV with a header, at most `maxRows` rows and `maxChars` characters;
 * on wide tables only `columns` (default: the first 40) are written.
 */
export function sampleRowsText(
  rows: readonly Record<string, string | null>[],
  opts: { columns?: readonly string[]; maxRows: number; maxChars: number },
): string {
  if (rows.length === 0) return "(no sample rows)";
  const all = Object.keys(rows[0] ?? {});
  const columns = (opts.columns ?? all).slice(0, 40);
  const lines = [columns.map((c) => cell(c, 60)).join(",")];
  let used = (lines[0] ?? "").length;
  let written = 0;
  for (const row of rows.slice(0, opts.maxRows)) {
    const line = columns.map((c) => cell(row[c], 40)).join(",");
    if (used + line.length + 1 > opts.maxChars - 80 && written > 0) break;
    lines.push(clip(line, opts.maxChars - 80));
    used += line.length + 1;
    written++;
  }
  const notes: string[] = [];
  if (written < rows.length) notes.push(`${written} of ${rows.length} sample rows shown`);
  if (columns.length < all.length) notes.push(`${columns.length} of ${all.length} columns shown`);
  return notes.length > 0 ? `${lines.join("\n")}\n(${notes.join("; ")})` : lines.join("\n");
}

/**
 * A plan as JSON for a prompt. When many columns were dropped, the first `maxDropped`
 * are listed and `droppedMore` counts the rest by reason.
 */
export function planText(plan: Plan, maxDropped = 40): string {
  if (plan.dropped.length <= maxDropped) return JSON.stringify(plan, null, 1);
  const more = plan.dropped.slice(maxDropped);
  const reasons = new Map<string, number>();
  for (const d of more) reasons.set(clip(d.reason, 80), (reasons.get(clip(d.reason, 80)) ?? 0) + 1);
  const byReason = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([r, n]) => `${n}× ${r}`);
  const { dropped, ...rest } = plan;
  return JSON.stringify(
    { ...rest, dropped: dropped.slice(0, maxDropped), droppedMore: `${more.length} more columns dropped: ${byReason.join("; ")}` },
    null,
    1,
  );
}
