import { UnbundleError } from '../errors.ts';
import type { Plan } from '../router/plan.ts';
import type { TenantConfig } from './access-schema.ts';

/** A tenant as the hot path uses it: config plus its allowed models, resolved once at start. */
export interface Tenant {
  config: TenantConfig;
  /** Portfolio model ids this tenant may use. */
  allowed: ReadonlySet<string>;
  /** Tests ids the portfolio does not list (e.g. the router's virtual `auto` models). */
  allows(modelId: string): boolean;
  /** True when the tenant has any rate limit. */
  limited: boolean;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** Tenants by id; allowed-model sets are computed once against the portfolio's ids. */
export class TenantDirectory {
  private readonly tenants = new Map<string, Tenant>();

  constructor(configs: readonly TenantConfig[], modelIds: readonly string[]) {
    for (const config of configs) {
      const patterns = config.models.map(globToRegExp);
      const matches = (id: string) => patterns.some((pattern) => pattern.test(id));
      const allowed = new Set(modelIds.filter(matches));
      this.tenants.set(config.id, {
        config,
        allowed,
        allows: (id) => allowed.has(id) || matches(id),
        limited: config.rpm !== undefined || config.tpm !== undefined || config.keyRpm !== undefined || config.keyTpm !== undefined,
      });
    }
  }

  get(id: string): Tenant | undefined {
    return this.tenants.get(id);
  }

  list(): Tenant[] {
    return [...this.tenants.values()];
  }

  ids(): string[] {
    return [...this.tenants.keys()];
  }

  /**
   * The portfolio models a tenant may use: the router and the policy intersect their own
   * candidates with it, so `auto` and every fallback stay inside the tenant's models.
   */
  allowedModelsFor(tenantId: string): ReadonlySet<string> {
    return this.require(tenantId).allowed;
  }

  /** The tenant of an authenticated key; 403 when the config no longer lists it. */
  require(tenantId: string): Tenant {
    const tenant = this.tenants.get(tenantId);
    if (tenant === undefined) {
      throw new UnbundleError('UNBUNDLE_E_FORBIDDEN', `This key belongs to tenant "${tenantId}", which the gateway's config does not list under tenants; an admin must add it (or issue a key for a configured tenant).`);
    }
    return tenant;
  }

  /** 403 for an explicit model outside the tenant's list; names the model and what is allowed. */
  checkModel(tenant: Tenant, modelId: string): void {
    if (tenant.allows(modelId)) return;
    throw this.forbidden(tenant, modelId);
  }

  /**
   * Keeps a router's plan inside the tenant's models, in place: an explicit model outside them is
   * a 403; for `auto` and virtual models a disallowed primary gives way to the first allowed
   * fallback; disallowed fallbacks are dropped. Defence in depth: the router already chooses among
   * allowedModelsFor(tenant) once the lead wires it in.
   */
  restrictPlan(tenant: Tenant, plan: Plan): void {
    const { allowed } = tenant;
    if (!allowed.has(plan.primary)) {
      if (plan.primary === plan.requested) throw this.forbidden(tenant, plan.requested);
      const next = plan.fallbacks.findIndex((id) => allowed.has(id));
      if (next === -1) {
        throw new UnbundleError('UNBUNDLE_E_FORBIDDEN', `Tenant "${tenant.config.id}" may not use any model the router chose for '${plan.requested}' (${[plan.primary, ...plan.fallbacks].join(', ')}). Allowed models: ${tenant.config.models.join(', ')}.`, { param: 'model' });
      }
      plan.reasons.push(`tenant ${tenant.config.id} may not use ${plan.primary}`);
      plan.primary = plan.fallbacks[next]!;
      plan.fallbacks = plan.fallbacks.slice(next + 1);
    }
    if (plan.fallbacks.length > 0 && !plan.fallbacks.every((id) => allowed.has(id))) plan.fallbacks = plan.fallbacks.filter((id) => allowed.has(id));
  }

  private forbidden(tenant: Tenant, modelId: string): UnbundleError {
    return new UnbundleError('UNBUNDLE_E_FORBIDDEN', `Tenant "${tenant.config.id}" may not use model '${modelId}'. Allowed models: ${tenant.config.models.join(', ')}.`, { param: 'model' });
  }
}
