import type { ApiKeyInfo } from './key-store.ts';

const iso = (at: number | null): string | null => (at === null ? null : new Date(at).toISOString());

/** A key as the admin API and `keys list --json` show it: ISO times, a status, never the key. */
export function keyInfoJson(info: ApiKeyInfo, now = Date.now()) {
  const status = info.revokedAt !== null ? 'revoked' : info.expiresAt !== null && info.expiresAt <= now ? 'expired' : 'active';
  return {
    id: info.id,
    tenant: info.tenant,
    name: info.name,
    status,
    createdAt: iso(info.createdAt),
    expiresAt: iso(info.expiresAt),
    lastUsedAt: iso(info.lastUsedAt),
    revokedAt: iso(info.revokedAt),
  };
}
