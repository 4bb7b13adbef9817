import { z } from 'zod';

/**
 * Config for access control: the `auth` block and the `tenants` list (src/portfolio/schema.ts
 * puts them into the one portfolio schema). docs/access.md explains every key.
 */

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  message: 'must be the NAME of an environment variable (secrets never go in the config file itself)',
});

const tenantId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
  message: 'must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 64 characters)',
});

/** A model id, or a glob over ids: `*` matches any run of characters (`stories*`, `*`). */
const modelPattern = z.string().regex(/^[A-Za-z0-9*][A-Za-z0-9._:/*-]{0,127}$/, {
  message: 'must be a model id or a pattern with * (e.g. "local-*", or "*" for every model)',
});

const zone = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, {
  message: 'must be local, self-hosted, external, or a lower-case name such as eu-cloud',
});

const perMinute = z.number().int().positive();

export const tenantSchema = z.strictObject({
  id: tenantId,
  description: z.string().optional(),
  /** Models this tenant may use (ids or globs); also bounds `auto` routing and fallbacks. */
  models: z.array(modelPattern).min(1).default(['*']),
  /** Zones this tenant's requests may reach (read by the policy). */
  zones: z.array(zone).min(1).optional(),
  /** Requests per minute for the whole tenant. */
  rpm: perMinute.optional(),
  /** Tokens (prompt + completion) per minute for the whole tenant. */
  tpm: perMinute.optional(),
  /** Requests per minute for each of the tenant's keys. */
  keyRpm: perMinute.optional(),
  /** Tokens per minute for each of the tenant's keys. */
  keyTpm: perMinute.optional(),
});

export const authSchema = z
  .strictObject({
    /** `keys`: every /v1 request needs an unbundle API key. `none`: open (loopback only, unless allowInsecure). */
    mode: z.enum(['none', 'keys'], { message: 'must be keys (every request needs an API key) or none (no keys: loopback only)' }).default('none'),
    /** The environment variable holding the admin key; the admin API is off while it is unset. */
    adminKeyEnv: envName.default('UNBUNDLE_ADMIN_KEY'),
    /** Serve with `mode: none` on a non-loopback address (logs a warning at start). */
    allowInsecure: z.boolean().default(false),
    /** Where rate-limit buckets live; default: redis when $UNBUNDLE_REDIS_URL is set, else memory. */
    rateLimitStore: z.enum(['memory', 'redis']).optional(),
    /** The environment variable holding the Redis URL (default redis://127.0.0.1:6379 when unset). */
    redisUrlEnv: envName.default('UNBUNDLE_REDIS_URL'),
  })
  .prefault({});

export const tenantsSchema = z.array(tenantSchema).default([]);

export type AuthConfig = z.infer<typeof authSchema>;
export type TenantConfig = z.infer<typeof tenantSchema>;

/** Duplicate tenant ids, as superRefine issues for the portfolio schema. */
export function tenantIssues(tenants: readonly TenantConfig[]): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const seen = new Map<string, number>();
  tenants.forEach((tenant, index) => {
    const first = seen.get(tenant.id);
    if (first !== undefined) issues.push({ path: ['tenants', index, 'id'], message: `duplicate tenant id "${tenant.id}" (also tenants[${first}].id): give each tenant its own id` });
    else seen.set(tenant.id, index);
  });
  return issues;
}
