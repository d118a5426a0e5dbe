/**
 * The common chunk of a CSV, one without any double quote, split into fields by position
 * (readRecords' flat batches). Without quotes a record is one line and a field runs to the
 * next delimiter, so the records, blank lines and ragged rows are exactly those papaparse
 * finds (its own fast mode splits the same way), without a string per field.
 */

/** What splitQuoteFree found in one chunk. */
export interface QuoteFreeSplit {
  /** Field bounds, two per field (start, end), `width` fields per record; may be a new, larger array. */
  bounds: Int32Array;
  /** Records stored in `bounds` (blank lines skipped). */
  count: number;
  /** Lines read, blank ones included. */
  lines: number;
  /** Characters of `text` consumed: all of it when `last`, else up to and including its last line end. */
  consumed: number;
  /** The first line with a field count other than `width`: lines before it in `text`, and its field count. */
  ragged: { lineOffset: number; fields: number } | null;
}

/**
 * Splits the complete lines of `text` (all of it when `last`) on `newline`, and each line
 * on the one-character `delimiter`. As readRecords reads papaparse's records: a "\r" ending
 * the last field is dropped when the newline is "\n" (CRLF lines), and a line that is one
 * field of only whitespace is blank and skipped. Stops at the first ragged line.
 * @example splitQuoteFree("a,b\n1,2\nx", false, ",", "\n", 2, new Int32Array(0)) // { count: 2, lines: 2, consumed: 8, bounds: [0, 1, 2, 3, 4, 5, 6, 7], … }
 */
export function splitQuoteFree(text: string, last: boolean, delimiter: string, newline: "\n" | "\r", width: number, bounds: Int32Array): QuoteFreeSplit {
  const d = delimiter.charCodeAt(0);
  const nl = newline.charCodeAt(0);
  const stop = last ? text.length : text.lastIndexOf(newline) + 1;
  let out = bounds;
  let count = 0;
  let lines = 0;
  let at = 0;
  while (at < stop) {
    let lineEnd = text.indexOf(newline, at);
    if (lineEnd === -1 || lineEnd >= stop) lineEnd = stop;
    let contentEnd = lineEnd;
    if (nl === 10 && contentEnd > at && text.charCodeAt(contentEnd - 1) === 13) contentEnd--;
    if (out.length < 2 * width * (count + 1)) {
      const next = new Int32Array(Math.max(2 * width * (count + 1), 2 * out.length, 1024));
      next.set(out.subarray(0, 2 * width * count));
      out = next;
    }
    let k = 2 * width * count;
    let fields = 1;
    let fieldStart = at;
    for (let i = at; i < contentEnd; i++) {
      if (text.charCodeAt(i) !== d) continue;
      if (fields <= width) {
        out[k++] = fieldStart;
        out[k++] = i;
      }
      fields++;
      fieldStart = i + 1;
    }
    if (fields === 1 && text.slice(at, contentEnd).trim() === "") {
      // A blank line (papaparse's one empty field): skipped, but counted as a line.
    } else if (fields !== width) {
      return { bounds: out, count, lines, consumed: at, ragged: { lineOffset: lines, fields } };
    } else {
      out[k++] = fieldStart;
      out[k++] = contentEnd;
      count++;
    }
    lines++;
    at = lineEnd + 1;
  }
  return { bounds: out, count, lines, consumed: last ? text.length : stop, ragged: null };
}
