import { KeyAuthenticator } from '../../access/key-authenticator.ts';
import { constantTime } from '../../access/constant-time-equal.ts';
import { UnbundleError } from '../../errors.ts';
import type { Gateway } from '../gateway.ts';
import { readJsonBody } from '../read-json-body.ts';
import type { RequestContext } from '../request-context.ts';
import { sendJson } from '../respond.ts';
import type { AdminRoute } from './admin-route.ts';
import { adminRoutes } from './admin-routes.ts';

function matchRoute(route: AdminRoute, segments: string[]): Record<string, string> | undefined {
  const pattern = route.path.split('/');
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(segments[i]!);
      } catch {
        return undefined;
      }
    } else if (part !== segments[i]) return undefined;
  }
  return params;
}

function index(): string {
  return adminRoutes.map((route) => `${route.method} ${route.path}`).join(', ');
}

/** The admin key check: 404 while no admin key is configured, 401 without the right one. */
function checkAdminKey(ctx: RequestContext, gateway: Gateway): void {
  const { access } = gateway;
  if (access.adminKey === undefined) {
    throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `The admin API is disabled: set the environment variable ${access.adminKeyEnv} (auth.adminKeyEnv) on the server to turn it on.`);
  }
  const presented = KeyAuthenticator.presentedKey(ctx.req.headers);
  if (presented === undefined || presented === '') {
    throw new UnbundleError('UNBUNDLE_E_UNAUTHORIZED', 'The admin API needs the admin key: send "Authorization: Bearer <admin key>" or "x-api-key: <admin key>".');
  }
  if (!constantTime.equal(presented, access.adminKey)) {
    throw new UnbundleError('UNBUNDLE_E_UNAUTHORIZED', `The admin key is wrong (it must equal the value of ${access.adminKeyEnv} on the server).`);
  }
}

/** Everything under /admin/: the key check first, then the route table. */
export async function handleAdmin(ctx: RequestContext, path: string, gateway: Gateway): Promise<void> {
  checkAdminKey(ctx, gateway);
  const method = ctx.req.method ?? 'GET';
  const segments = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).split('/');
  if (segments.length === 2) {
    sendJson(ctx.res, 200, JSON.stringify({ object: 'list', data: adminRoutes.map(({ method: m, path: p, summary }) => ({ method: m, path: p, summary })) }));
    return;
  }
  const url = ctx.req.url ?? '';
  const queryAt = url.indexOf('?');
  const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
  const allowed: string[] = [];
  for (const route of adminRoutes) {
    const params = matchRoute(route, segments);
    if (params === undefined) continue;
    if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) {
      allowed.push(route.method);
      continue;
    }
    const result = await route.handle({ ctx, gateway, params, query, body: () => readJsonBody(ctx.req, gateway.options.portfolio.server.bodyLimit) });
    if (result.streamed !== true) sendJson(ctx.res, result.status ?? 200, JSON.stringify(result.body));
    return;
  }
  if (allowed.length > 0) {
    ctx.res.setHeader('allow', allowed.join(', '));
    throw new UnbundleError('UNBUNDLE_E_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${allowed.join(' or ')}.`);
  }
  throw new UnbundleError('UNBUNDLE_E_NOT_FOUND', `No admin route ${method} ${path}. Admin routes: ${index()}.`);
}
