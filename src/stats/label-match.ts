/**
 * Matching a model's free-text generation to one of the labels it was trained to write.
 */

/** Letters, digits, underscore and hyphen continue a word: "Non-responder" is one word. */
const WORD_CHAR = /[\p{L}\p{N}_-]/u;

/**
 * The label a generation names, or null when it names none (an unmatched generation).
 *
 * Labels are tried longest first (ties in the order given); a label matches when it occurs
 * case-insensitively with no word character (letter, digit, `_`, `-`) right before or
 * after it. So "Non-responder" never matches the label "Responder", and "10" never matches
 * "1". Returns the label exactly as given. Empty labels never match.
 * @example matchLabel("Answer: non-responder.", ["Responder", "Non-responder"]) // "Non-responder"
 * @example matchLabel("Non-responder", ["Responder"]) // null
 */
export function matchLabel(generation: string, labels: string[]): string | null {
  const text = generation.toLowerCase();
  const ordered = labels
    .map((label, i) => ({ label, i }))
    .filter(({ label }) => label.trim() !== "")
    .sort((a, b) => b.label.length - a.label.length || a.i - b.i);
  for (const { label } of ordered) {
    if (occursAsWord(text, label.toLowerCase())) return label;
  }
  return null;
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
