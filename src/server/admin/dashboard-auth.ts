import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { UnbundleError } from '../../errors.ts';

/** Loopback addresses: the only binds where the dashboard may run without an admin key. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '::ffff:127.0.0.1';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The rule for /admin/*: with an admin key configured, `Authorization: Bearer <key>` must match it
 * (compared in constant time); without one, the admin surface is open only when the server is
 * bound to loopback — the same rule as `auth: none`.
 */
export function checkAdminAccess(req: IncomingMessage, adminKey: string | undefined, boundHost: string): void {
  if (adminKey === undefined) {
    if (isLoopbackHost(boundHost)) return;
    throw new UnbundleError('UNBUNDLE_E_FORBIDDEN', `The dashboard and admin API are open without a key only on a loopback bind; this server is bound to ${boundHost}. Set UNBUNDLE_ADMIN_KEY and restart, then log in with that key.`);
  }
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header) : null;
  if (!match) throw new UnbundleError('UNBUNDLE_E_UNAUTHORIZED', 'The admin API needs the admin key: send "Authorization: Bearer <UNBUNDLE_ADMIN_KEY>".');
  if (!timingSafeEqual(digest(match[1]!.trim()), digest(adminKey))) {
    throw new UnbundleError('UNBUNDLE_E_UNAUTHORIZED', 'The admin key is wrong: send the value of UNBUNDLE_ADMIN_KEY the server was started with.');
  }
}
