/**
 * A column's dictionary codes found from a cell's position in a chunk's text, so a repeated
 * category costs no string (ColumnBuilder.addRange). An index beside the builder's
 * Map, never instead of it: a cell it does not find goes the Map's way, and it answers
 * only for entries of the dictionary it is given, which hold distinct texts.
 */

/** Past this many entries the dictionary is not indexed (a column of mostly new values gains nothing). */
const MAX_ENTRIES = 1 << 16;

/** FNV-1a over the UTF-16 code units of text[start, end). */
function hashRange(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class RangeLookup {
  /** Code + 1 per slot; 0 = empty. */
  private slots = new Int32Array(0);
  private mask = 0;
  /** Entries of `entries` in the slots so far. */
  private indexed = 0;
  private entries: readonly string[] = [];

  /**
   * The code of the entry of `dictionary` equal to text[start, end), or -1 when there is
   * none (or the dictionary is past MAX_ENTRIES). A new dictionary array starts a new index.
   * @example new RangeLookup().find(["a", "bc"], "x,bc", 2, 4) // 1
   */
  find(dictionary: readonly string[], text: string, start: number, end: number): number {
    if (dictionary !== this.entries) {
      this.entries = dictionary;
      this.indexed = 0;
      this.slots.fill(0);
    }
    if (dictionary.length > MAX_ENTRIES) return -1;
    if (this.indexed < dictionary.length) this.index(dictionary);
    const length = end - start;
    let slot = hashRange(text, start, end) & this.mask;
    for (;;) {
      const stored = (this.slots[slot] ?? 0) - 1;
      if (stored < 0) return -1;
      const entry = dictionary[stored] ?? "";
      if (entry.length === length && sameText(entry, text, start)) return stored;
      slot = (slot + 1) & this.mask;
    }
  }

  private index(dictionary: readonly string[]): void {
    if (2 * dictionary.length > this.slots.length) {
      let size = 64;
      while (size < 4 * dictionary.length) size *= 2;
      this.slots = new Int32Array(size);
      this.mask = size - 1;
      this.indexed = 0;
    }
    for (let code = this.indexed; code < dictionary.length; code++) {
      const entry = dictionary[code] ?? "";
      let slot = hashRange(entry, 0, entry.length) & this.mask;
      while ((this.slots[slot] ?? 0) !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = code + 1;
    }
    this.indexed = dictionary.length;
  }
}

function sameText(entry: string, text: string, start: number): boolean {
  for (let i = 0; i < entry.length; i++) if (entry.charCodeAt(i) !== text.charCodeAt(start + i)) return false;
  return true;
}
