import { isKeyId } from '../../access/api-key.ts';
import { keyInfoJson } from '../../access/key-info-json.ts';
import { expiryFrom } from '../../access/parse-duration.ts';
import { UnbundleError } from '../../errors.ts';
import { isRecord } from '../openai/field-reader.ts';
import type { AdminRequest, AdminRoute } from './admin-route.ts';

function keyIdParam(request: AdminRequest): string {
  const { id } = request.params;
  if (id === undefined || !isKeyId(id)) {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `"${String(id).slice(0, 40)}" is not a key id: ids are 12 hex digits, as GET /admin/keys lists them.`, { param: 'id' });
  }
  return id;
}

function noSuchKey(id: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_NOT_FOUND', `No API key has id ${id}; GET /admin/keys lists them.`);
}

async function createKey(request: AdminRequest) {
  const body = await request.body();
  if (!isRecord(body)) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', 'Send a JSON object: {"tenant": "acme", "name": "ci", "expires": "30d"}.');
  const { tenant, name, expires } = body;
  for (const key of Object.keys(body)) {
    if (key !== 'tenant' && key !== 'name' && key !== 'expires') throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `Unknown field "${key}": a key takes tenant, name and expires.`, { param: key });
  }
  const access = request.gateway.access;
  if (typeof tenant !== 'string' || access.tenants.get(tenant) === undefined) {
    const known = access.tenants.ids();
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `"tenant" must name a configured tenant (${known.length > 0 ? known.join(', ') : 'none configured: add tenants to the config'}).`, { param: 'tenant' });
  }
  if (name !== undefined && (typeof name !== 'string' || name.length > 128)) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', '"name" must be a string of at most 128 characters.', { param: 'name' });
  let expiresAt: number | undefined;
  if (expires !== undefined) {
    const now = Date.now();
    const parsed = typeof expires === 'string' ? expiryFrom(expires, now) : 'it must be a string';
    if (typeof parsed === 'string') throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `Invalid "expires": ${parsed}.`, { param: 'expires' });
    expiresAt = parsed;
  }
  const { key, info } = access.keyStore.create({ tenant, name, expiresAt });
  return { status: 201, body: { ...keyInfoJson(info), key, note: 'The key is shown only this once: store it now.' } };
}

/** Keys: list, create (the key is in the answer once), show, revoke (effective at once). */
export const keyAdminRoutes: AdminRoute[] = [
  {
    method: 'GET',
    path: '/admin/keys',
    summary: 'list API keys (?tenant=T): ids, tenant, name, times, status — never the keys',
    handle(request) {
      const tenant = request.query.get('tenant') ?? undefined;
      const now = Date.now();
      return { body: { object: 'list', data: request.gateway.access.keyStore.list({ tenant }).map((info) => keyInfoJson(info, now)) } };
    },
  },
  { method: 'POST', path: '/admin/keys', summary: 'create a key: {"tenant", "name"?, "expires"?: "30d"}; the answer holds the key, once', handle: createKey },
  {
    method: 'GET',
    path: '/admin/keys/:id',
    summary: 'one key',
    handle(request) {
      const id = keyIdParam(request);
      const info = request.gateway.access.keyStore.get(id);
      if (info === undefined) throw noSuchKey(id);
      return { body: keyInfoJson(info) };
    },
  },
  {
    method: 'DELETE',
    path: '/admin/keys/:id',
    summary: 'revoke a key (effective on the next request)',
    handle(request) {
      const id = keyIdParam(request);
      const { access } = request.gateway;
      const info = access.keyStore.revoke(id);
      if (info === undefined) throw noSuchKey(id);
      access.authenticator?.forget(id);
      return { body: keyInfoJson(info) };
    },
  },
];
