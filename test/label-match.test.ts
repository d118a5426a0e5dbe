/** Matching free-text generations to labels (DESIGN §3 evaluate). */
import { describe, expect, it } from "vitest";
import { matchLabel, stripThinking } from "../src/stats/label-match.js";

const RN = ["Responder", "Non-responder"];

describe("matchLabel", () => {
  it("tells Responder from Non-responder however the model spells it", () => {
    expect(matchLabel("Non-responder", RN)).toBe("Non-responder");
    expect(matchLabel("non-responder", RN)).toBe("Non-responder");
    expect(matchLabel("Non responder.", RN)).toBe("Non-responder");
    expect(matchLabel("NONRESPONDER", RN)).toBe("Non-responder");
    expect(matchLabel("non_responder", RN)).toBe("Non-responder");
    expect(matchLabel("Responder", RN)).toBe("Responder");
    expect(matchLabel("The patient is a responder!", RN)).toBe("Responder");
    expect(matchLabel("Non-responder", ["Responder"])).toBeNull();
    expect(matchLabel("Nonresponder", ["Responder"])).toBeNull();
  });

  it("ignores case, punctuation and surrounding text", () => {
    expect(matchLabel("Answer: Yes.", ["No", "Yes"])).toBe("Yes");
    expect(matchLabel("**YES**", ["No", "Yes"])).toBe("Yes");
    expect(matchLabel('"no"', ["No", "Yes"])).toBe("No");
    expect(matchLabel("Answer: Yes.", RN)).toBeNull(); // names no label: counted wrong by evaluate
    expect(matchLabel("", RN)).toBeNull();
    expect(matchLabel("   ", RN)).toBeNull();
    expect(matchLabel("Nope", ["No", "Yes"])).toBeNull();
  });

  it("matches numeric labels by value, never inside a longer number", () => {
    expect(matchLabel("1", ["0", "1"])).toBe("1");
    expect(matchLabel("Label: 1.0", ["0", "1"])).toBe("1");
    expect(matchLabel("class 0.", ["0", "1"])).toBe("0");
    expect(matchLabel("10", ["0", "1"])).toBeNull();
    expect(matchLabel("2.5", ["2", "5"])).toBeNull();
    expect(matchLabel("v1", ["0", "1"])).toBeNull();
    expect(matchLabel("quality -1", ["-1", "1"])).toBe("-1");
    expect(matchLabel("Answer: 10", ["1", "10"])).toBe("10");
  });

  it("strips <think> blocks before matching", () => {
    expect(matchLabel("<think>Could it be Non-responder? No.</think>\nResponder", RN)).toBe("Responder");
    expect(matchLabel("<THINK>\nyes\n</THINK>No", ["No", "Yes"])).toBe("No");
    expect(matchLabel("<think>it is clearly a Responder", RN)).toBeNull(); // ran out of tokens while thinking
    expect(matchLabel("weighing Responder…</think> Non-responder", RN)).toBe("Non-responder"); // opened in the prompt
    expect(matchLabel("<think>1</think>0", ["0", "1"])).toBe("0");
    expect(stripThinking("a<think>b</think>c<think>d</think>e")).toBe("ace");
  });
});
