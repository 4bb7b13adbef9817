import { hash, randomBytes } from 'node:crypto';

/**
 * unbundle API keys: `ub-` + a 12-hex-digit public id + 32 random bytes in base64url (43 chars).
 * The id is what listings, logs and the ledger show, and what the store is looked up by; the
 * secret part never leaves the client after `keys create` printed it once.
 *
 * Stored: SHA-256(pepper ‖ key). Keys carry 256 random bits, so no password-style slow KDF is needed:
 * nobody can guess a key from its hash by trying candidates (2^256 of them), and a fast hash keeps
 * the per-request check to about a microsecond. The per-install pepper (kept beside, not inside,
 * the database) means a copied database alone does not even let one check a candidate key.
 */

export const keyPrefix = 'ub-';
const idLength = 12;
const secretLength = 43;
export const keyLength = keyPrefix.length + idLength + secretLength;
const idPattern = /^[0-9a-f]{12}$/;
const secretPattern = /^[A-Za-z0-9_-]{43}$/;

export interface NewApiKey {
  id: string;
  key: string;
}

export function generateApiKey(): NewApiKey {
  const id = randomBytes(6).toString('hex');
  return { id, key: `${keyPrefix}${id}${randomBytes(32).toString('base64url')}` };
}

/** The public id inside a well-formed key, or undefined when the text is not an unbundle key. */
export function keyIdOf(key: string): string | undefined {
  if (key.length !== keyLength || !key.startsWith(keyPrefix)) return undefined;
  const id = key.slice(keyPrefix.length, keyPrefix.length + idLength);
  if (!idPattern.test(id) || !secretPattern.test(key.slice(keyPrefix.length + idLength))) return undefined;
  return id;
}

export function isKeyId(text: string): boolean {
  return idPattern.test(text);
}

export function hashApiKey(key: string, pepper: string): Buffer {
  return hash('sha256', pepper + key, 'buffer');
}
