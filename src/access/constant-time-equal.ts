import { hash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets in time that depends on neither their contents nor their lengths:
 * crypto.timingSafeEqual needs equal lengths (and throws otherwise), so both sides are first
 * hashed to 32 bytes. Used for the admin key and API key hashes.
 *
 * Exported as an object so a test can prove the hot path calls it (mock.method).
 */
export const constantTime = {
  equal(a: string | Buffer, b: string | Buffer): boolean {
    const left = hash('sha256', a, 'buffer');
    const right = hash('sha256', b, 'buffer');
    return timingSafeEqual(left, right);
  },
  /** Equal-length digests (e.g. two SHA-256 hashes) compared without the extra hashing. */
  equalDigests(a: Buffer, b: Buffer): boolean {
    if (a.length !== b.length) return constantTime.equal(a, b);
    return timingSafeEqual(a, b);
  },
};
