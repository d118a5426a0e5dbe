/** Integer hashing shared by the open-addressing tables (duplicate rows, value counts). */

/**
 * 32-bit mix (murmur3 finaliser): every input bit affects every output bit.
 * @example mix32(1) // 1364076727
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
