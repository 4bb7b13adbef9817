import { randomFillSync } from 'node:crypto';

/** Random bytes drawn in blocks: one `randomFillSync` per 409 ids rather than one per id. */
const pool = Buffer.alloc(4096);
let used = pool.length;

const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Ids made later
 * sort later, so the ledger's primary-key index (ledger_rows.id, audit_records.id) grows near its
 * end instead of at a random page per row: side by side, the SQLite insert thread used ~8 µs per
 * request instead of ~20 with random (version 4) ids.
 * Ids made within one millisecond are in random order among themselves, and the time is the wall
 * clock's: an id made after the clock stepped back sorts earlier (which costs index locality only).
 */
export function uuidV7(now = Date.now()): string {
  if (used + 10 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const r = used;
  used += 10;
  // 48-bit time as two parts that fit a 32-bit integer each: the high 16 bits and the low 32.
  const high = Math.floor(now / 0x1_0000_0000);
  const low = now >>> 0;
  return (
    hex[(high >>> 8) & 0xff]! + hex[high & 0xff]! + hex[low >>> 24]! + hex[(low >>> 16) & 0xff]! + '-' +
    hex[(low >>> 8) & 0xff]! + hex[low & 0xff]! + '-' +
    // version 7, then 12 random bits
    hex[0x70 | (pool[r]! & 0x0f)]! + hex[pool[r + 1]!]! + '-' +
    // variant 10, then 14 random bits
    hex[0x80 | (pool[r + 2]! & 0x3f)]! + hex[pool[r + 3]!]! + '-' +
    hex[pool[r + 4]!]! + hex[pool[r + 5]!]! + hex[pool[r + 6]!]! + hex[pool[r + 7]!]! + hex[pool[r + 8]!]! + hex[pool[r + 9]!]!
  );
}
