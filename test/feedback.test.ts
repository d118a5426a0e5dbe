import { describe, expect, it } from "vitest";
import { checkActions, describeAcceptedFeedback, parseFeedback, type ParseResult, type ReviewStep } from "../src/feedback/parse.js";
import { splitOutsideQuotes, splitPairs } from "../src/feedback/split.js";

function actions(text: string, step: ReviewStep): unknown[] {
  const result = parseFeedback(text, step);
  if (!result.ok) throw new Error(`expected ok, got: ${result.error}`);
  return result.actions;
}

function error(text: string, step: ReviewStep): string {
  const result: ParseResult = parseFeedback(text, step);
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.actions)}`);
  return result.error;
}

const STEPS: ReviewStep[] = ["review_plan", "review_prep", "review_balance", "review_config"];

describe("approve", () => {
  it.each(STEPS)("accepts every approve word at %s", (step) => {
    for (const word of ["approve", "Approve", "yes", "Y", "ok", "LGTM!", "continue", "  approve  "])
      expect(actions(word, step)).toEqual([{ kind: "approve" }]);
  });

  it("does not combine approve with changes", () => {
    expect(error("approve; drop features: Age", "review_plan")).toMatch(/approve cannot be combined/);
  });
});

describe("review_plan", () => {
  const step = "review_plan";

  it("drop features keeps the case and trims column names", () => {
    expect(actions("drop features: Beak Length (mm), Sex", step)).toEqual([
      { kind: "drop_features", columns: ["Beak Length (mm)", "Sex"] },
    ]);
    expect(actions("DROP FEATURES:   Age ,BMI  ", step)).toEqual([{ kind: "drop_features", columns: ["Age", "BMI"] }]);
  });

  it("quoted column names keep their commas", () => {
    expect(actions('drop features: "Income, yearly", Age', step)).toEqual([
      { kind: "drop_features", columns: ["Income, yearly", "Age"] },
    ]);
  });

  it("add and keep only features", () => {
    expect(actions("add features: glucose", step)).toEqual([{ kind: "add_features", columns: ["glucose"] }]);
    expect(actions("Keep Only Features: a, B, c", step)).toEqual([{ kind: "keep_only_features", columns: ["a", "B", "c"] }]);
  });

  it("rejects an empty column list", () => {
    expect(error("drop features:", step)).toMatch(/at least one column/);
    expect(error("keep only features: , ,", step)).toMatch(/at least one column/);
  });

  it("change instruction keeps the sentence as typed", () => {
    expect(actions("change instruction to: Predict whether the patient will respond to treatment", step)).toEqual([
      { kind: "instruction", text: "Predict whether the patient will respond to treatment" },
    ]);
    expect(actions("Change Instruction To: Is this patient's tumor malignant? Answer Yes or No.", step)).toEqual([
      { kind: "instruction", text: "Is this patient's tumor malignant? Answer Yes or No." },
    ]);
  });

  it("change target mapping", () => {
    expect(actions("change target mapping: 0: No, 1: Yes", step)).toEqual([
      { kind: "target_mapping", mapping: { "0": "No", "1": "Yes" } },
    ]);
    expect(actions("target mapping: M -> Malignant, B -> Benign", step)).toEqual([
      { kind: "target_mapping", mapping: { M: "Malignant", B: "Benign" } },
    ]);
  });

  it("a label may hold a comma when no new pair follows it", () => {
    expect(actions("change target mapping: 0: No, not at risk, 1: Yes", step)).toEqual([
      { kind: "target_mapping", mapping: { "0": "No, not at risk", "1": "Yes" } },
    ]);
  });

  it("rejects a malformed target mapping", () => {
    expect(error("change target mapping:", step)).toMatch(/mapping is empty/);
    expect(error("change target mapping: 0: No, 0: Yes", step)).toMatch(/mapped twice/);
  });

  it("balance at plan review", () => {
    expect(actions("balance", step)).toEqual([{ kind: "balance", strategy: "auto" }]);
    expect(actions("Oversample", step)).toEqual([{ kind: "balance", strategy: "oversample" }]);
  });

  it("several actions on lines or separated by ';'", () => {
    expect(actions("drop features: Age; change instruction to: Predict churn", step)).toEqual([
      { kind: "drop_features", columns: ["Age"] },
      { kind: "instruction", text: "Predict churn" },
    ]);
    expect(actions("drop features: Age\n\nadd features: BMI\nchange target mapping: 0: No, 1: Yes", step)).toEqual([
      { kind: "drop_features", columns: ["Age"] },
      { kind: "add_features", columns: ["BMI"] },
      { kind: "target_mapping", mapping: { "0": "No", "1": "Yes" } },
    ]);
  });

  it("a pasted JSON plan is a plan edit", () => {
    const plan = { instruction: "Predict the species.", features: ["bill_length_mm", "island"], rowFormat: "list" };
    expect(actions(JSON.stringify(plan, null, 2), step)).toEqual([{ kind: "plan_edit", plan }]);
    expect(actions(JSON.stringify(plan), step)).toEqual([{ kind: "plan_edit", plan }]);
  });

  it("a pasted YAML plan is a plan edit", () => {
    const yaml = [
      "instruction: Predict the species of the penguin.",
      "features:",
      "  - bill_length_mm",
      "  - Flipper Length (mm)",
      "balancing:",
      "  strategy: undersample",
      "  advice: classes are uneven",
    ].join("\n");
    expect(actions(yaml, step)).toEqual([
      {
        kind: "plan_edit",
        plan: {
          instruction: "Predict the species of the penguin.",
          features: ["bill_length_mm", "Flipper Length (mm)"],
          balancing: { strategy: "undersample", advice: "classes are uneven" },
        },
      },
    ]);
  });

  it("a pasted plan with a bad field says which field", () => {
    expect(error('{"rowFormat": "table", "features": ["a"]}', step)).toMatch(/rowFormat/);
    expect(error("instruction: x\nfeatures: [a]\ncolour: red", step)).toMatch(/colour/);
  });

  it.each([
    ["revise", "revise"],
    ["test_ratio: 0.3", "test ratio"],
    ["lora_rank: 32", "config overrides"],
  ])("rejects %s", (text, kind) => {
    const message = error(text, step);
    expect(message).toContain(`not accepted at review_plan: "${text}" (${kind})`);
    expect(message).toContain("Accepted at review_plan:");
    expect(message).toContain("drop features: a, b");
  });

  it("text matching no form says what was not understood and lists the forms", () => {
    const message = error("please make it better", step);
    expect(message).toContain('not understood: "please make it better"');
    for (const line of describeAcceptedFeedback(step)) expect(message).toContain(line);
  });
});

describe("review_prep", () => {
  const step = "review_prep";

  it("revise goes back to the plan", () => {
    expect(actions("revise", step)).toEqual([{ kind: "revise" }]);
    expect(actions("Revise the plan", step)).toEqual([{ kind: "revise" }]);
  });

  it("balance, oversample, undersample", () => {
    expect(actions("balance", step)).toEqual([{ kind: "balance", strategy: "auto" }]);
    expect(actions("oversample", step)).toEqual([{ kind: "balance", strategy: "oversample" }]);
    expect(actions("UNDERSAMPLE", step)).toEqual([{ kind: "balance", strategy: "undersample" }]);
    expect(actions("use undersample", step)).toEqual([{ kind: "balance", strategy: "undersample" }]);
  });

  it("test_ratio in both spellings", () => {
    expect(actions("test_ratio: 0.3", step)).toEqual([{ kind: "test_ratio", value: 0.3 }]);
    expect(actions("Test ratio: 0.25", step)).toEqual([{ kind: "test_ratio", value: 0.25 }]);
    expect(actions("test_ratio: 20%", step)).toEqual([{ kind: "test_ratio", value: 0.2 }]);
  });

  it("rejects a test_ratio outside (0, 1) or not a number", () => {
    expect(error("test_ratio: 1.5", step)).toMatch(/between 0 and 1/);
    expect(error("test_ratio: 0", step)).toMatch(/between 0 and 1/);
    expect(error("test_ratio: lots", step)).toMatch(/must be a number/);
  });

  it("features, instruction and mapping", () => {
    expect(actions("drop features: Age; test_ratio: 0.3", step)).toEqual([
      { kind: "drop_features", columns: ["Age"] },
      { kind: "test_ratio", value: 0.3 },
    ]);
    expect(actions("keep only features: a\nchange instruction to: X\nchange target mapping: yes: Yes", step)).toEqual([
      { kind: "keep_only_features", columns: ["a"] },
      { kind: "instruction", text: "X" },
      { kind: "target_mapping", mapping: { yes: "Yes" } },
    ]);
  });

  it("rejects config overrides and a pasted plan", () => {
    expect(error("num_train_epochs: 5", step)).toMatch(/not accepted at review_prep.*\(it is accepted at review_config\)/);
    expect(error("instruction: x\nfeatures: [a, b]", step)).toMatch(/only at review_plan: type revise/);
  });
});

describe("review_balance", () => {
  const step = "review_balance";

  it.each([
    ["use undersample instead", "undersample"],
    ["use oversample", "oversample"],
    ["balance_strategy: none", "none"],
    ["Balance Strategy: Oversample", "oversample"],
    ["use none", "none"],
    ["balance", "auto"],
  ] as const)("%s", (text, strategy) => {
    expect(actions(text, step)).toEqual([{ kind: "balance", strategy }]);
  });

  it("rejects an unknown strategy", () => {
    expect(error("balance_strategy: smote", step)).toMatch(/unknown balance strategy "smote"/);
  });

  it.each(["drop features: Age", "test_ratio: 0.3", "revise", "lora_rank: 8"])("rejects %s", (text) => {
    const message = error(text, step);
    expect(message).toContain("not accepted at review_balance");
    expect(message).toContain("use oversample | use undersample | balance_strategy: none");
  });
});

describe("review_config", () => {
  const step = "review_config";

  it("key: value pairs typed by YAML", () => {
    expect(actions("lora_rank: 32, num_train_epochs: 5", step)).toEqual([
      { kind: "config_overrides", values: { lora_rank: 32, num_train_epochs: 5 } },
    ]);
    expect(actions("learning_rate: 2e-5, bf16: true, template: qwen3", step)).toEqual([
      { kind: "config_overrides", values: { learning_rate: 2e-5, bf16: true, template: "qwen3" } },
    ]);
  });

  it("pairs on several lines make one action", () => {
    expect(actions("lora_rank: 32\nnum_train_epochs: 5\nlora_rank: 16", step)).toEqual([
      { kind: "config_overrides", values: { lora_rank: 16, num_train_epochs: 5 } },
    ]);
  });

  it("a quoted value keeps its comma", () => {
    expect(actions('lora_target: "q_proj,v_proj", lora_rank: 8', step)).toEqual([
      { kind: "config_overrides", values: { lora_target: "q_proj,v_proj", lora_rank: 8 } },
    ]);
    expect(actions("cutoff_len: '1024'", step)).toEqual([{ kind: "config_overrides", values: { cutoff_len: "1024" } }]);
  });

  it("an unquoted value keeps its comma when no key follows it", () => {
    expect(actions("lora_target: q_proj,v_proj", step)).toEqual([
      { kind: "config_overrides", values: { lora_target: "q_proj,v_proj" } },
    ]);
    expect(actions("lora_target: q_proj,v_proj, num_train_epochs: 3", step)).toEqual([
      { kind: "config_overrides", values: { lora_target: "q_proj,v_proj", num_train_epochs: 3 } },
    ]);
  });

  it("a JSON object of overrides", () => {
    expect(actions('{"lora_rank": 32, "learning_rate": 0.0001}', step)).toEqual([
      { kind: "config_overrides", values: { lora_rank: 32, learning_rate: 0.0001 } },
    ]);
  });

  it("rejects empty and non-scalar values", () => {
    expect(error("lora_rank:", step)).toMatch(/"lora_rank" has no value/);
    expect(error("lora_target: [q_proj, v_proj]", step)).toMatch(/single value/);
    expect(error("lora_rank: null", step)).toMatch(/single value/);
  });

  it("test_ratio is not a config key", () => {
    expect(error("test_ratio: 0.3", step)).toContain("not accepted at review_config");
    expect(error("lora_rank: 8, test_ratio: 0.3", step)).toMatch(/"test_ratio" is not a fine-tuning setting/);
  });

  it.each(["drop features: Age", "oversample", "change instruction to: X"])("rejects %s", (text) => {
    expect(error(text, step)).toContain("not accepted at review_config");
  });
});

describe("checkActions (answers interpreted by an LLM)", () => {
  it("validates shape and step", () => {
    expect(checkActions([{ kind: "test_ratio", value: 0.2 }], "review_prep")).toEqual({
      ok: true,
      actions: [{ kind: "test_ratio", value: 0.2 }],
    });
    const wrongStep = checkActions([{ kind: "test_ratio", value: 0.2 }], "review_plan");
    expect(wrongStep.ok).toBe(false);
    const badShape = checkActions([{ kind: "drop_features", columns: [] }], "review_plan");
    expect(!badShape.ok && badShape.error).toMatch(/at least one column/);
    expect(checkActions([{ kind: "explode" }], "review_plan").ok).toBe(false);
  });
});

describe("describeAcceptedFeedback", () => {
  it.each(STEPS)("lists a line per accepted form at %s", (step) => {
    const lines = describeAcceptedFeedback(step);
    expect(lines[0]).toMatch(/^approve/);
    expect(lines.length).toBeGreaterThanOrEqual(2);
  });
});

describe("splitting", () => {
  it("a quote opens only at the start of a token", () => {
    expect(splitOutsideQuotes("patient's age; b", ";")).toEqual(["patient's age", " b"]);
    expect(splitOutsideQuotes('a; "b; c"', ";")).toEqual(["a", ' "b; c"']);
    expect(splitOutsideQuotes('a, "unclosed, b', ",")).toEqual(["a", ' "unclosed', " b"]);
  });

  it("pairs keep commas inside values", () => {
    expect(splitPairs("k: a,b, j: c", (p) => /^\s*\w+:/.test(p))).toEqual(["k: a,b", " j: c"]);
  });
});

describe("impute overrides", () => {
  it("reads impute <column>: <policy> at review_prep, keeping the column's case", () => {
    expect(actions("impute Income: knn", "review_prep")).toEqual([{ kind: "impute", column: "Income", policy: "knn" }]);
    expect(actions("Impute Beak Length (mm): Iterative; impute Sex: unknown", "review_prep")).toEqual([
      { kind: "impute", column: "Beak Length (mm)", policy: "iterative" },
      { kind: "impute", column: "Sex", policy: "unknown" },
    ]);
    expect(actions('impute "a: b": mean', "review_prep")).toEqual([{ kind: "impute", column: "a: b", policy: "mean" }]);
  });

  it("rejects an unknown policy and says which exist", () => {
    expect(error("impute Income: magic", "review_prep")).toMatch(/unknown imputation policy "magic": use mean, median, mode, knn, iterative, llm, unknown/);
  });

  it("is accepted only at review_prep, and listed in its help", () => {
    expect(error("impute Income: knn", "review_config")).toMatch(/not accepted at review_config.*accepted at review_prep/s);
    expect(describeAcceptedFeedback("review_prep").join("\n")).toMatch(/impute <column>: mean \| median \| mode \| knn \| iterative \| llm \| unknown/);
  });
});
