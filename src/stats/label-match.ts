/**
 * Matching a model's free-text generation to one of the labels it was trained to write (or,
 * for a regression, reading the number it states).
 */

/** Letters, digits, underscore and hyphen continue a word: "Non-responder" is one word. */
const WORD_CHAR = /[\p{L}\p{N}_-]/u;

/** A label that is a plain number ("1", "-2", "3.5") is matched by numeric value. */
const NUMERIC_LABEL = /^[-+]?\d+(?:\.\d+)?$/;
/** Numbers in a generation, not glued to letters ("v2", "x1") or to another number's digits. */
const NUMBER_IN_TEXT = /(?<![\p{L}\p{N}_.])[-+]?\d+(?:\.\d+)?(?![\p{L}\p{N}_]|\.\d)/gu;

/**
 * The generation without reasoning: every `<think>…</think>` block is removed; an unclosed
 * `<think>` removes the rest (the model ran out of tokens while thinking), and a `</think>`
 * with no opening tag (templates that open the block in the prompt) removes what precedes it.
 * @example stripThinking("<think>maybe yes</think> No") // " No"
 */
export function stripThinking(generation: string): string {
  let text = generation.replace(/<think>[\s\S]*?<\/think>/gi, "");
  const close = text.toLowerCase().lastIndexOf("</think>");
  if (close >= 0) text = text.slice(close + "</think>".length);
  const open = text.toLowerCase().indexOf("<think>");
  if (open >= 0) text = text.slice(0, open);
  return text;
}

/**
 * The first number a generation states after any reasoning (`stripThinking`), or NaN when it
 * states none: how a regression generation is read.
 * @example firstNumber("<think>maybe 3</think> About 4.5e1 units") // 45
 */
export function firstNumber(generation: string): number {
  const m = /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/.exec(stripThinking(generation));
  return m ? Number(m[0]) : Number.NaN;
}

/**
 * The label a generation names, or null when it names none (an unmatched generation).
 *
 * Reasoning blocks are stripped first (`stripThinking`). Labels are tried longest first
 * (ties in the order given). A text label matches when it occurs case-insensitively with
 * no word character (letter, digit, `_`, `-`) right before or after it; its words may be
 * joined by a hyphen, an underscore, a space or nothing ("non responder", "nonresponder"
 * name "Non-responder"). So "Non-responder" never matches the label "Responder". A numeric
 * label matches a number in the text of equal value ("1.0" names "1"; "10" never names
 * "1"). Returns the label exactly as given. Empty labels never match.
 * @example matchLabel("Answer: non-responder.", ["Responder", "Non-responder"]) // "Non-responder"
 * @example matchLabel("Non-responder", ["Responder"]) // null
 * @example matchLabel("<think>Responder?</think>Label: 1.0", ["0", "1"]) // "1"
 */
export function matchLabel(generation: string, labels: string[]): string | null {
  const text = stripThinking(generation).toLowerCase().replace(/\s+/g, " ");
  const ordered = labels
    .map((label, i) => ({ label, i }))
    .filter(({ label }) => label.trim() !== "")
    .sort((a, b) => b.label.length - a.label.length || a.i - b.i);
  let numbers: number[] | null = null;
  for (const { label } of ordered) {
    const trimmed = label.trim();
    if (NUMERIC_LABEL.test(trimmed)) {
      numbers ??= [...text.matchAll(NUMBER_IN_TEXT)].map((m) => Number(m[0]));
      if (numbers.includes(Number(trimmed))) return label;
      continue;
    }
    if (spellings(trimmed.toLowerCase()).some((needle) => occursAsWord(text, needle))) return label;
  }
  return null;
}

/** A label and its words joined by space, hyphen or nothing: "non-responder" → also "non responder", "nonresponder". */
function spellings(label: string): string[] {
  const words = label.split(/[-_\s]+/).filter((w) => w !== "");
  if (words.length < 2) return [label];
  return [...new Set([label, words.join(" "), words.join("-"), words.join("_"), words.join("")])];
}

/** True when needle occurs in text with a non-word character (or the text's edge) on both sides. */
function occursAsWord(text: string, needle: string): boolean {
  let from = 0;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at < 0) return false;
    const before = at === 0 ? "" : charBefore(text, at);
    const after = at + needle.length >= text.length ? "" : charAt(text, at + needle.length);
    const needleStartsWord = WORD_CHAR.test(charAt(needle, 0));
    const needleEndsWord = WORD_CHAR.test(charBefore(needle, needle.length));
    const leftOk = !needleStartsWord || before === "" || !WORD_CHAR.test(before);
    const rightOk = !needleEndsWord || after === "" || !WORD_CHAR.test(after);
    if (leftOk && rightOk) return true;
    from = at + 1;
  }
}

/** The code point starting at index i (whole surrogate pairs). */
function charAt(s: string, i: number): string {
  return String.fromCodePoint(s.codePointAt(i) ?? 0);
}

/** The code point ending right before index i. */
function charBefore(s: string, i: number): string {
  const low = s.charCodeAt(i - 1);
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) return s.slice(i - 2, i);
  return s.slice(i - 1, i);
}
