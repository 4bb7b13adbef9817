import { createHash, timingSafeEqual } from 'node:crypto';
import { UnbundleError } from '../../errors.ts';
import type { Gateway } from '../gateway.ts';
import type { RequestContext } from '../request-context.ts';
import { costRoutes } from './cost-routes.ts';

/**
 * The admin API: a small route table under /admin/, every route behind one guard — the key in
 * UNBUNDLE_ADMIN_KEY, sent as `Authorization: Bearer <key>`. Without that variable the admin API
 * is off (403), so a gateway never exposes cost data by accident.
 */
export interface AdminRoute {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  handler(ctx: RequestContext, query: URLSearchParams, gateway: Gateway): Promise<void>;
}

export const adminRoutes: readonly AdminRoute[] = [...costRoutes];

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Constant-time check of the bearer token against UNBUNDLE_ADMIN_KEY. */
export function checkAdminKey(authorization: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  const key = env.UNBUNDLE_ADMIN_KEY;
  if (key === undefined || key === '') {
    throw new UnbundleError('UNBUNDLE_E_FORBIDDEN', 'The admin API is off: start the gateway with UNBUNDLE_ADMIN_KEY set to a secret and send it as "Authorization: Bearer <key>".');
  }
  const given = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
  // Hashing first makes both sides the same length, so the comparison time says nothing about the key.
  if (given === '' || !timingSafeEqual(digest(given), digest(key))) {
    throw new UnbundleError('UNBUNDLE_E_UNAUTHORIZED', 'Missing or wrong admin key: send "Authorization: Bearer <the value of UNBUNDLE_ADMIN_KEY>".');
  }
}

/** Answers a request under /admin/. */
export async function routeAdmin(ctx: RequestContext, path: string, gateway: Gateway): Promise<void> {
  const matching = adminRoutes.filter((route) => route.path === path);
  if (matching.length === 0) {
    throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `No admin route ${path}. Admin endpoints: ${adminRoutes.map((route) => `${route.method} ${route.path}`).join(', ')}.`);
  }
  checkAdminKey(ctx.req.headers.authorization);
  const method = ctx.req.method === 'HEAD' ? 'GET' : ctx.req.method;
  const route = matching.find((candidate) => candidate.method === method);
  if (!route) {
    ctx.res.setHeader('allow', matching.map((candidate) => candidate.method).join(', '));
    throw new UnbundleError('UNBUNDLE_E_METHOD_NOT_ALLOWED', `${ctx.req.method} is not allowed on ${path}; use ${matching.map((candidate) => candidate.method).join(' or ')}.`);
  }
  const url = ctx.req.url ?? '';
  const queryAt = url.indexOf('?');
  await route.handler(ctx, new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1)), gateway);
}
