import type { RequestPolicy } from './request-policy.ts';

/** The models (by id) this request may reach, in clear or redacted: the router picks only among these. */
export function allowedModels(policy: RequestPolicy, models: Iterable<{ id: string; zone: string }>): Set<string> {
  const allowed = new Set<string>();
  for (const model of models) if (policy.allowsZone(model.zone)) allowed.add(model.id);
  return allowed;
}
