import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TabtuneError } from "../src/errors.js";
import { FEEDBACK_KINDS } from "../src/feedback/actions.js";
import { listPrompts, promptPlaceholders, renderPrompt } from "../src/prompts.js";
import { BalanceStrategy, Plan, TaskType } from "../src/schemas.js";

/** The placeholders each prompt is rendered with by its caller. */
const EXPECTED: Record<string, string[]> = {
  balance: ["columns", "sample_rows", "ctx", "previous_code", "previous_error"],
  codegen: ["plan", "columns", "sample_rows", "ctx", "previous_code", "previous_error"],
  explore: ["target_hint", "profile", "sample_rows"],
  feedback: ["step", "accepted_forms", "columns", "answer"],
  impute: ["column", "vocabulary", "examples", "rows", "count"],
  plan: ["target_choice", "profile", "sample_rows", "previous_plan", "feedback"],
  reask: ["error", "expected"],
  verify: ["plan", "checks", "records"],
};

function valuesFor(name: string): Record<string, string> {
  return Object.fromEntries(promptPlaceholders(name).map((key) => [key, `<<value of ${key}>>`]));
}

function thrown(fn: () => unknown): TabtuneError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TabtuneError) return error;
    throw error;
  }
  throw new Error("expected a TabtuneError");
}

describe("prompts", () => {
  it("lists every prompt file", () => {
    expect(listPrompts()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(EXPECTED))("%s has the placeholders its caller fills", (name) => {
    expect(promptPlaceholders(name).sort()).toEqual([...(EXPECTED[name] ?? [])].sort());
  });

  it.each(Object.keys(EXPECTED))("%s renders with every placeholder filled", (name) => {
    const text = renderPrompt(name, valuesFor(name));
    expect(text).not.toMatch(/\{\{\s*\w+\s*\}\}/);
    for (const key of promptPlaceholders(name)) expect(text).toContain(`<<value of ${key}>>`);
    expect(text).toMatch(/<output_format>[\s\S]+<\/output_format>/);
  });

  it("fills every occurrence, not only the first", () => {
    const template = readFileSync(new URL("../prompts/feedback.md", import.meta.url), "utf8");
    const occurrences = template.match(/\{\{step\}\}/g)?.length ?? 0;
    expect(occurrences).toBeGreaterThanOrEqual(2);
    const text = renderPrompt("feedback", { ...valuesFor("feedback"), step: "STEP_VALUE" });
    expect(text.match(/STEP_VALUE/g)?.length).toBe(occurrences);
  });

  it("inserts values as they are, braces and dollar signs included", () => {
    const code = "function clean(row, ctx) { return {{x}} ?? $1 + $&; }";
    const text = renderPrompt("codegen", { ...valuesFor("codegen"), previous_code: code });
    expect(text).toContain(code);
  });

  it("throws when a placeholder is left unfilled", () => {
    const { answer: _answer, ...values } = valuesFor("feedback");
    const error = thrown(() => renderPrompt("feedback", values));
    expect(error.code).toBe("prompt_unfilled");
    expect(error.message).toContain("answer");
  });

  it("throws when a value is not used", () => {
    const error = thrown(() => renderPrompt("verify", { ...valuesFor("verify"), recrods: "typo" }));
    expect(error.code).toBe("prompt_unused_value");
    expect(error.message).toContain("recrods");
  });

  it("throws for an unknown or unsafe prompt name", () => {
    expect(thrown(() => renderPrompt("nope", {})).code).toBe("prompt_missing");
    expect(thrown(() => renderPrompt("../package", {})).code).toBe("prompt_name");
  });
});

describe("prompt choices match the schemas", () => {
  const quoted = (options: readonly string[]) => options.map((o) => `"${o}"`);

  it("plan lists exactly the rowFormat and balancing choices", () => {
    const text = renderPrompt("plan", valuesFor("plan"));
    expect(text).toMatch(/`rowFormat`: exactly "sentences"[^]*or "list"/);
    expect(Plan.shape.rowFormat.options).toEqual(["sentences", "list"]);
    for (const option of quoted(Plan.shape.rowFormat.options)) expect(text).toContain(option);
    expect(text).toContain(`exactly ${quoted(BalanceStrategy.options).join(", ").replace(/, ([^,]*)$/, " or $1")}`);
    expect(text).toContain(`exactly one of ${quoted(TaskType.options).join(", ")}`);
  });

  it("explore lists exactly the task choices", () => {
    const text = renderPrompt("explore", valuesFor("explore"));
    expect(text).toContain(`exactly one of ${quoted(TaskType.options).join(", ")}`);
    expect(text).toContain(quoted(TaskType.options).join(" | "));
  });

  it("feedback shows every action kind and the balance strategies", () => {
    const text = renderPrompt("feedback", valuesFor("feedback"));
    for (const kind of FEEDBACK_KINDS) expect(text).toContain(`{"kind": "${kind}"`);
    expect(text).toContain('"oversample" | "undersample" | "none" | "auto"');
  });
});
