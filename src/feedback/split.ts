/**
 * Quote-aware splitting for typed review answers. A quote opens a quoted run only at
 * the start of a token (after a separator or a space), so the apostrophe in
 * "patient's" is text; an unclosed quote is text too.
 */

const QUOTES = new Set(['"', "'"]);
const TOKEN_START = /[\s,;:=([{]/;

/**
 * Splits `text` on `separator` where it is outside quotes. Pieces keep their exact text
 * (not trimmed), so joining them with `separator` gives `text` back.
 * @example splitOutsideQuotes('a, "b, c", d', ",") // ['a', ' "b, c"', ' d']
 */
export function splitOutsideQuotes(text: string, separator: string): string[] {
  const ignored = new Set<number>();
  for (;;) {
    const pieces: string[] = [];
    let start = 0;
    let quote: string | null = null;
    let openedAt = -1;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charAt(i);
      if (quote !== null) {
        if (ch === quote) quote = null;
      } else if (QUOTES.has(ch) && !ignored.has(i) && (i === 0 || TOKEN_START.test(text.charAt(i - 1)))) {
        quote = ch;
        openedAt = i;
      } else if (ch === separator) {
        pieces.push(text.slice(start, i));
        start = i + 1;
      }
    }
    if (quote === null) {
      pieces.push(text.slice(start));
      return pieces;
    }
    // An unclosed quote is an ordinary character: scan again without it.
    ignored.add(openedAt);
  }
}

/** Trims and removes one pair of matching surrounding quotes. */
export function unquote(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && QUOTES.has(t.charAt(0)) && t.charAt(t.length - 1) === t.charAt(0)) return t.slice(1, -1).trim();
  return t;
}

/**
 * Splits a comma-separated list of `key<sep>value` pairs, where a value may itself hold
 * commas: a comma piece that does not start a new pair belongs to the value before it.
 * @example splitPairs("lora_target: q_proj,v_proj, lora_rank: 8", (p) => /^\s*\w+\s*:/.test(p))
 * // ['lora_target: q_proj,v_proj', ' lora_rank: 8']
 */
export function splitPairs(text: string, startsPair: (piece: string) => boolean): string[] {
  const pairs: string[] = [];
  for (const piece of splitOutsideQuotes(text, ",")) {
    const last = pairs.length - 1;
    if (last < 0 || startsPair(piece)) pairs.push(piece);
    else pairs[last] = `${pairs[last] ?? ""},${piece}`;
  }
  return pairs;
}

/**
 * Splits `text` at the first of `separators` found outside quotes.
 * @example splitOnce('"a: b": c', [":"]) // ['"a: b"', ' c']
 */
export function splitOnce(text: string, separators: readonly string[]): [string, string] | null {
  let best: [string, string] | null = null;
  let bestAt = Infinity;
  for (const sep of separators) {
    const pieces = splitOutsideQuotes(text, sep.charAt(0));
    // Walk the separator's first character outside quotes and check the full separator there.
    let at = 0;
    for (let i = 0; i < pieces.length - 1; i++) {
      at += (pieces[i] ?? "").length;
      if (text.startsWith(sep, at) && at < bestAt) {
        best = [text.slice(0, at), text.slice(at + sep.length)];
        bestAt = at;
        break;
      }
      at += 1;
    }
  }
  return best;
}
