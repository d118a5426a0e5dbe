/** Reading model answers, prompt sizes at any width, secrets scrubbing, backoff: pure parts of src/llm. */
import { describe, expect, it } from "vitest";
import { promptSizes, syntheticDecisions, syntheticProfile } from "../bench/llm.js";
import { loadConfig } from "../src/config.js";
import { backoffMs } from "../src/llm/ask.js";
import { codegenValues, estimateTokens, extractCode, extractJson, fitPrompt, profileText, promptLimits, sampleRowsText, scrubSecrets, stripThinking } from "../src/llm/index.js";
import { renderPrompt } from "../src/prompts.js";

const config = loadConfig();

describe("reading answers", () => {
  it.each([
    ['{"a": 1}', { a: 1 }],
    ['```json\n{"a": {"b": "}"}}\n```', { a: { b: "}" } }],
    ['<think>maybe {"a": 0}?\n</think>\n{"a": 2}', { a: 2 }],
    ['Here you go: {"a": "x \\" {"} and that is all {not json}', { a: 'x " {' }],
    ['reasoning without an opening tag</think>{"a": 3}', { a: 3 }],
    ['```\nnot json\n```\n```json\n{"a": 4}\n```', { a: 4 }],
  ])("extracts the JSON object of %j", (text, value) => {
    expect(extractJson(text)).toEqual({ ok: true, value });
  });

  it("says why when there is no JSON", () => {
    expect(extractJson("<think>{}</think>")).toEqual({ ok: false, error: "the answer is empty" });
    expect(extractJson('{"a": 1')).toMatchObject({ ok: false, error: expect.stringContaining("no JSON object") });
  });

  it("extracts code from the longest javascript fence, or the bare text", () => {
    expect(extractCode("```js\nshort()\n```\ntext\n```javascript\nfunction clean() {}\n```")).toBe("function clean() {}\n");
    expect(extractCode("<think>x</think>\nfunction clean() {}")).toBe("function clean() {}\n");
    expect(stripThinking("<thinking>a</thinking> b <reasoning>c</reasoning>")).toBe("b");
  });
});

describe("prompt size", () => {
  const max = config.llm.maxPromptTokens;

  it.each([20, 2000])("every prompt of a %i-column table stays under the budget without shortening", (width) => {
    const sizes = promptSizes(syntheticProfile(width));
    expect(sizes.map((s) => s.call)).toEqual(["explore", "plan (first)", "plan (revision)", "codegen (first)", "codegen (retry)", "verify", "balance (retry)", "impute", "feedback"]);
    for (const s of sizes) {
      expect(s.tokens, s.call).toBeLessThanOrEqual(max);
      expect(s.shortened, s.call).toEqual([]);
    }
  });

  it("summarizes a wide table: counts per kind, the target-like column in full, names truncated", () => {
    const profile = syntheticProfile(2000);
    const text = profileText(profile, { wideFrom: 60, maxChars: 12_000 });
    expect(text.length).toBeLessThanOrEqual(12_000);
    expect(text).toContain("Wide table summarized: 1 identifier, 1556 numeric, 287 categorical, 156 text.");
    expect(text).toMatch(/^outcome_status \| categorical \| missing 0% \| 2 distinct \| top: "Yes" \(3000\), "No" \(7000\)$/m);
    expect(text).toMatch(/numeric \(\d+\): .* … \(\+\d+ more\)/);
  });

  it("shows at most the configured sample rows", () => {
    const profile = syntheticProfile(10, 50);
    const text = sampleRowsText(profile.sample, { maxRows: 20, maxChars: 100_000 });
    expect(text.split("\n")).toHaveLength(1 + 20 + 1);
    expect(text).toMatch(/20 of 50 sample rows shown/);
  });

  it("fitPrompt shortens the longest value of an oversized prompt until it fits", () => {
    const profile = syntheticProfile(20);
    const { plan } = syntheticDecisions(profile);
    const values = { ...codegenValues({ plan, profile, ctx: {}, previousCode: null, previousError: null }, promptLimits(config)), previous_code: "x();\n".repeat(40_000) };
    expect(estimateTokens(renderPrompt("codegen", values))).toBeGreaterThan(max);
    const fitted = fitPrompt("codegen", values, max);
    expect(fitted.tokens).toBeLessThanOrEqual(max);
    expect(fitted.shortened).toEqual(["previous_code"]);
    expect(fitted.text).toMatch(/… \(\d+ more characters\)/);
  });

  it("the re-ask prompt renders", () => {
    const text = renderPrompt("reask", { error: "task: Invalid option", expected: '{"task": "binary"}' });
    expect(text).toContain("task: Invalid option");
    expect(text).toMatch(/<output_format>\s*\{"task": "binary"\}\s*<\/output_format>/);
  });
});

describe("secrets and retries", () => {
  it("scrubs keys, bearer tokens and key=value credentials", () => {
    const key = "sk-proj-AbCdEf0123456789GhIjKl";
    const text = `Incorrect API key provided: sk-proj-AbCd********************GhIjKl; Authorization: Bearer ${key}; api_key=${key}; x-amz Credential=AKIAIOSFODNN7EXAMPLE/2024`;
    const out = scrubSecrets(text, [key]);
    for (const piece of ["AbCd", "GhIjKl", "AKIAIOSFODNN7EXAMPLE"]) expect(out).not.toContain(piece);
    expect(out).toContain("Incorrect API key provided: [redacted]");
  });

  it("backs off exponentially within ±25 %, capped", () => {
    const llm = { retryBaseDelayMs: 1000, retryMaxDelayMs: 20_000 };
    for (const [retry, nominal] of [[0, 1000], [1, 2000], [2, 4000], [10, 20_000]] as const) {
      const ms = backoffMs(retry, llm);
      expect(ms).toBeGreaterThanOrEqual(nominal * 0.75);
      expect(ms).toBeLessThanOrEqual(nominal * 1.25);
    }
  });

  it("config/default.yaml holds the llm settings", () => {
    expect(config.llm).toMatchObject({ maxReasks: 2, maxPromptTokens: 8000, promptSampleRows: 20, wideTableColumns: 60, bedrockEndpoint: null });
  });
});
