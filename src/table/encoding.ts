/**
 * What a CSV's bytes are, before and while they are tokenised: compressed or zipped
 * files, UTF-16, bytes that are not UTF-8, and NUL bytes are each a TabtuneError naming
 * the file and the line, with the command that fixes it. Latin-1 is never guessed: a
 * wrong guess would silently change category names.
 */
import { TabtuneError } from "../errors.js";

const csvError = (code: string, message: string, suggestion: string) => new TabtuneError(code, message, { suggestion });

const ENCODING_HELP =
  "save the file as UTF-8 (Excel: Save As → CSV UTF-8; or iconv -f latin1 -t utf-8 in.csv > out.csv)";

/** Bytes of the first chunk looked at for NULs between characters (UTF-16 without a byte-order mark). */
const UTF16_SAMPLE_BYTES = 4096;

/**
 * UTF-16 without a byte-order mark: in the first UTF16_SAMPLE_BYTES, at least 4 pairs
 * and one pair in ten have a NUL on the same side (ASCII delimiters, digits and line ends do), and the
 * other side almost none. "LE" or "BE", or null when the text does not look like UTF-16.
 */
function utf16WithoutBom(chunk: Buffer): "LE" | "BE" | null {
  const pairs = Math.floor(Math.min(chunk.length, UTF16_SAMPLE_BYTES) / 2);
  if (pairs < 2) return null;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < pairs; i++) {
    if (chunk[2 * i] === 0) even++;
    if (chunk[2 * i + 1] === 0) odd++;
  }
  const [many, few, order] = odd >= even ? [odd, even, "LE" as const] : [even, odd, "BE" as const];
  return many >= 4 && many * 10 >= pairs && few * 10 <= many ? order : null;
}

/**
 * Throws when the first chunk of `path` shows a file tabtune cannot read as UTF-8 text:
 * gzip (1f 8b), ZIP (50 4b 03 04, also .xlsx), or UTF-16 (a byte-order mark FF FE / FE FF,
 * or NUL bytes between the characters).
 */
export function assertTextFile(path: string, chunk: Buffer): void {
  const [a, b, c, d] = [chunk[0], chunk[1], chunk[2], chunk[3]];
  if (a === 0x1f && b === 0x8b)
    throw csvError("csv_compressed", `${path} is gzip-compressed (line 1 starts with the gzip bytes 1f 8b)`, `gunzip it first: gzip -dc ${path} > plain.csv`);
  if (a === 0x50 && b === 0x4b && c === 0x03 && d === 0x04)
    throw csvError("csv_compressed", `${path} is a ZIP archive, not a CSV (line 1 starts with the ZIP bytes "PK"; an Excel .xlsx workbook is one)`, "unzip it, or in Excel use Save As → CSV UTF-8");
  if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff))
    throw csvError("csv_encoding", `${path} is UTF-16 (line 1 starts with the UTF-16 byte-order mark ${a === 0xff ? "FF FE" : "FE FF"}); tabtune reads UTF-8`, `convert it: iconv -f UTF-16 -t UTF-8 ${path} > utf8.csv`);
  const order = utf16WithoutBom(chunk);
  if (order)
    throw csvError("csv_encoding", `${path} is UTF-16 (NUL bytes between the characters of line 1); tabtune reads UTF-8`, `convert it: iconv -f UTF-16${order} -t UTF-8 ${path} > utf8.csv`);
}

const REPLACEMENT_BYTES = Buffer.from([0xef, 0xbf, 0xbd]);

/** Occurrences of U+FFFD's UTF-8 bytes (EF BF BD) in a chunk: replacement characters the file really holds. */
export function literalReplacementChars(chunk: Buffer): number {
  let count = 0;
  let at = chunk.indexOf(REPLACEMENT_BYTES);
  while (at !== -1) {
    count++;
    at = chunk.indexOf(REPLACEMENT_BYTES, at + 3);
  }
  return count;
}

export function countChar(text: string, ch: string): number {
  let count = 0;
  for (let at = text.indexOf(ch); at !== -1; at = text.indexOf(ch, at + 1)) count++;
  return count;
}

const near = (field: string, at: number) =>
  field.slice(Math.max(0, at - 12), at + 12).replace(/\s+/g, " ").replace(/[\u0000-\u001f\u007f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);

/**
 * Throws on the first field of `record` (starting on file line `startLine`) that holds a
 * byte sequence that is not UTF-8 (decoded as U+FFFD; checked when `invalidUtf8`) or a
 * NUL byte (checked when `nul`). Only called once such bytes were seen in a chunk, so
 * clean files pay nothing.
 */
export function checkCharacters(path: string, startLine: number, record: string[], nl: string, checks: { invalidUtf8: boolean; nul: boolean }): void {
  let line = startLine;
  for (let c = 0; c < record.length; c++) {
    const field = record[c] ?? "";
    const bad = checks.invalidUtf8 ? field.indexOf("\uFFFD") : -1;
    const nul = checks.nul ? field.indexOf("\u0000") : -1;
    if (bad !== -1 && (nul === -1 || bad < nul)) {
      line += countChar(field.slice(0, bad), nl);
      throw csvError("csv_encoding", `${path} line ${line}, field ${c + 1}: bytes that are not UTF-8 (near "${near(field, bad)}")`, ENCODING_HELP);
    }
    if (nul !== -1) {
      line += countChar(field.slice(0, nul), nl);
      throw csvError(
        "csv_nul_byte",
        `${path} line ${line}, field ${c + 1}: a NUL byte (\\0) inside the value (near "${near(field, nul)}")`,
        `remove NUL bytes, which would end up in the training text: tr -d '\\000' < ${path} > clean.csv`,
      );
    }
    line += countChar(field, nl);
  }
}
