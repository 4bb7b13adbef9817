import { UnbundleError } from '../errors.ts';
import { keyIdOf } from './api-key.ts';
import { constantTime } from './constant-time-equal.ts';
import type { KeyStore, StoredKey } from './key-store.ts';

/** Who is calling, once a key checked out. */
export interface Caller {
  tenantId: string;
  keyId: string;
}

interface CachedKey {
  stored: StoredKey;
  caller: Caller;
  /** Date.now() when the row was last read from the store. */
  checkedAt: number;
  /** Last use not yet written to the store. */
  usedAt: number;
}

/** How stale a cached key row may be: a revocation by another process shows within this. */
export const keyCacheTtlMs = 1_000;

/**
 * Checks presented API keys. The hot path is one Map hit plus one SHA-256 and a constant-time
 * compare; the store is read at most once a second per key (which is also when "last used" is
 * written), and at once after an in-process revocation (`forget`).
 */
export class KeyAuthenticator {
  private readonly cache = new Map<string, CachedKey>();

  constructor(private readonly store: KeyStore, private readonly now: () => number = Date.now) {}

  /** The key from `Authorization: Bearer …` or `x-api-key: …`; undefined when neither is sent. */
  static presentedKey(headers: { authorization?: string | undefined; 'x-api-key'?: string | string[] | undefined }): string | undefined {
    const authorization = headers.authorization;
    if (authorization !== undefined) {
      const space = authorization.indexOf(' ');
      if (space === -1 || authorization.slice(0, space).toLowerCase() !== 'bearer') {
        throw new UnbundleError('UNBUNDLE_E_UNAUTHORIZED', 'The Authorization header must be "Bearer <your unbundle API key>" (or send the key as x-api-key).');
      }
      return authorization.slice(space + 1).trim();
    }
    const apiKey = headers['x-api-key'];
    return typeof apiKey === 'string' ? apiKey.trim() : undefined;
  }

  authenticate(key: string | undefined): Caller {
    if (key === undefined || key === '') {
      throw new UnbundleError('UNBUNDLE_E_UNAUTHORIZED', 'No API key: send "Authorization: Bearer <key>" or "x-api-key: <key>". An admin creates keys with "unbundle keys create --tenant T".');
    }
    const id = keyIdOf(key);
    if (id === undefined) throw invalidKey();
    const now = this.now();
    let entry = this.cache.get(id);
    if (entry === undefined || now - entry.checkedAt > keyCacheTtlMs) entry = this.refresh(id, entry, now);
    if (entry === undefined || !constantTime.equalDigests(this.store.hash(key), entry.stored.hash)) throw invalidKey();
    // State is told only to a caller who holds the real key.
    const { stored } = entry;
    if (stored.revokedAt !== null) {
      throw new UnbundleError('UNBUNDLE_E_UNAUTHORIZED', `This API key (id ${id}) was revoked on ${new Date(stored.revokedAt).toISOString()}; ask an admin for a new one.`);
    }
    if (stored.expiresAt !== null && stored.expiresAt <= now) {
      throw new UnbundleError('UNBUNDLE_E_UNAUTHORIZED', `This API key (id ${id}) expired on ${new Date(stored.expiresAt).toISOString()}; ask an admin for a new one.`);
    }
    entry.usedAt = now;
    return entry.caller;
  }

  /** Drops a cached key so the next request re-reads it (in-process revocation: immediate). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  /** Writes pending "last used" times (on shutdown). */
  flush(): void {
    for (const entry of this.cache.values()) {
      if (entry.usedAt > (entry.stored.lastUsedAt ?? 0)) this.store.recordUse(entry.stored.id, entry.usedAt);
    }
  }

  private refresh(id: string, previous: CachedKey | undefined, now: number): CachedKey | undefined {
    if (previous !== undefined && previous.usedAt > (previous.stored.lastUsedAt ?? 0)) this.store.recordUse(id, previous.usedAt);
    const stored = this.store.lookup(id);
    if (stored === undefined) {
      this.cache.delete(id);
      return undefined;
    }
    const entry: CachedKey = { stored, caller: { tenantId: stored.tenant, keyId: id }, checkedAt: now, usedAt: 0 };
    this.cache.set(id, entry);
    return entry;
  }
}

function invalidKey(): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_UNAUTHORIZED', 'The API key is not valid. Check that it was copied whole (unbundle keys look like "ub-" followed by 55 characters).');
}
