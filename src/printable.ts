/**
 * Text someone else chose (what generated code throws or returns, what an LLM server
 * answers, a value read from a file) made safe for a terminal or a log line: the sandbox,
 * the provider errors and every CLI error line pass through here.
 */

/**
 * Characters that act on a terminal or break a line instead of printing: C0 controls
 * (ESC, BEL, BS, CR, LF, …), DEL, C1 controls (U+0080–U+009F, where U+009B is CSI and
 * U+009D is OSC on some terminals), the line and paragraph separators, zero-width marks,
 * and the bidirectional overrides and isolates that can make a line read in another order.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` as one inert line: every character in UNSAFE is shown as an escape
 * (`\n`, `\x1b`, `\u202e`), so an escape sequence (CSI, OSC) prints as text and cannot
 * move the cursor, erase a line, set a window title or fake another line of output.
 * Idempotent: its output contains no UNSAFE character, so applying it twice is harmless.
 *
 * @example printable("ok\n\x1b[2Kdone") // "ok\\n\\x1b[2Kdone"
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** `text` with its line breaks kept and every other unsafe character escaped, line by line (see printable). */
export function printableLines(text: string): string {
  return text.split("\n").map(printable).join("\n");
}
