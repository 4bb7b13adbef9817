import type { EmbedRequest, GenerateRequest } from '../backends/types.ts';
import type { Logger } from '../logger.ts';
import type { Portfolio } from '../portfolio/schema.ts';
import type { Plan } from '../router/plan.ts';
import type { RequestContext } from '../server/request-context.ts';
import { estimateTokens } from './estimate-tokens.ts';
import { KeyAuthenticator } from './key-authenticator.ts';
import { dataDirFor, KeyStore } from './key-store.ts';
import { RateLimiter } from './rate-limiter.ts';
import { RedisTokenBucketStore } from './redis-token-bucket-store.ts';
import { TenantDirectory, type Tenant } from './tenant-directory.ts';
import { MemoryTokenBucketStore } from './token-bucket-store.ts';

/** Shorter admin keys start with a warning: they guard every tenant's keys. */
const minAdminKeyLength = 24;

export interface AccessControlOptions {
  portfolio: Portfolio;
  modelIds: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
}

/**
 * Everything access control holds for a running gateway: tenants, the key store (opened when
 * first needed), the authenticator (auth.mode keys), the rate limiter (when a tenant has limits)
 * and the admin key. With `auth: none` the gateway never calls into it on the request path.
 */
export class AccessControl {
  readonly tenants: TenantDirectory;
  readonly mode: 'none' | 'keys';
  readonly authenticator: KeyAuthenticator | undefined;
  readonly limiter: RateLimiter | undefined;
  /** The admin key's value; undefined turns the admin API off. Never logged or shown. */
  readonly adminKey: string | undefined;
  readonly adminKeyEnv: string;
  readonly dataDir: string;
  private store: KeyStore | undefined;

  constructor(options: AccessControlOptions) {
    const { auth, tenants } = options.portfolio;
    this.mode = auth.mode;
    this.tenants = new TenantDirectory(tenants, options.modelIds);
    this.dataDir = dataDirFor(options.env, options.cwd);
    this.adminKeyEnv = auth.adminKeyEnv;
    const adminKey = options.env[auth.adminKeyEnv];
    this.adminKey = adminKey !== undefined && adminKey !== '' ? adminKey : undefined;
    if (this.adminKey !== undefined && this.adminKey.length < minAdminKeyLength) {
      options.logger.warn({ env: auth.adminKeyEnv }, `the admin key in ${auth.adminKeyEnv} is shorter than ${minAdminKeyLength} characters: use a long random one (e.g. openssl rand -base64 32)`);
    }
    // Open the store at start in keys mode, so a bad data folder fails `serve` rather than requests.
    this.authenticator = auth.mode === 'keys' ? new KeyAuthenticator(this.keyStore) : undefined;
    const redisUrl = options.env[auth.redisUrlEnv];
    const storeKind = auth.rateLimitStore ?? (redisUrl ? 'redis' : 'memory');
    if (auth.mode === 'keys' && this.tenants.list().some((tenant) => tenant.limited)) {
      this.limiter = new RateLimiter(storeKind === 'redis' ? new RedisTokenBucketStore({ url: redisUrl || 'redis://127.0.0.1:6379' }) : new MemoryTokenBucketStore());
    }
  }

  get keyStore(): KeyStore {
    this.store ??= new KeyStore(this.dataDir);
    return this.store;
  }

  /** The caller's tenant from its API key (401 otherwise); sets ctx.tenantId and ctx.keyId. */
  authenticate(ctx: RequestContext): Tenant {
    const caller = this.authenticator!.authenticate(KeyAuthenticator.presentedKey(ctx.req.headers));
    ctx.tenantId = caller.tenantId;
    ctx.keyId = caller.keyId;
    return this.tenants.require(caller.tenantId);
  }

  /**
   * After routing: keeps the plan inside the tenant's models (403 when an explicit model is
   * outside them; fallbacks the tenant may not use are dropped, so no retry or fallback path
   * crosses), then the rate limits — a promise only when the tenant has any.
   */
  admit(ctx: RequestContext, tenant: Tenant, plan: Plan, request: GenerateRequest | EmbedRequest): Promise<void> | undefined {
    this.tenants.restrictPlan(tenant, plan);
    if (!tenant.limited || this.limiter === undefined) return undefined;
    const caller = { tenantId: ctx.tenantId!, keyId: ctx.keyId! };
    return this.limiter.admit(ctx.res, tenant, caller, estimateTokens(request)).then((reservation) => {
      ctx.rateReservation = reservation;
    });
  }

  /** Settles a request's token reservation with its real usage (after the response). */
  settle(ctx: RequestContext, logger: Logger): void {
    const reservation = ctx.rateReservation;
    if (reservation === undefined || this.limiter === undefined) return;
    ctx.rateReservation = undefined;
    this.limiter.settle(reservation, ctx.usage, ctx.answeredBy !== undefined).catch((error: unknown) => {
      logger.warn({ id: ctx.id, err: (error as Error).message }, 'could not settle a rate-limit reservation');
    });
  }

  allowedModelsFor(tenantId: string): ReadonlySet<string> {
    return this.tenants.allowedModelsFor(tenantId);
  }

  async close(): Promise<void> {
    this.authenticator?.flush();
    await this.limiter?.close();
    this.store?.close();
  }
}
