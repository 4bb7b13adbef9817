import { toUnbundleError } from '../errors.ts';
import type { AuditSink } from '../policy/audit-sink.ts';
import type { RequestPolicy } from '../policy/request-policy.ts';
import type { RequestContext } from './request-context.ts';

/** Puts the policy's verdict on the request's data on the context (log line, ledger, audit). */
export function notePolicy(ctx: RequestContext, policy: RequestPolicy): RequestPolicy {
  ctx.dataClass = policy.dataClass;
  ctx.detectorCounts = policy.detectorCounts;
  return policy;
}

/** Records the decision on the context and appends the audit record (never values, never blocks). */
export function auditPolicy(ctx: RequestContext, policy: RequestPolicy, sink: AuditSink | undefined, thrown: unknown): void {
  ctx.policyDecision = policy.decision;
  if (sink === undefined) return;
  const code = thrown === undefined ? ctx.error?.code : toUnbundleError(thrown).code;
  sink.append({
    time: new Date().toISOString(),
    requestId: ctx.id,
    tenant: ctx.tenantId ?? null,
    endpoint: ctx.endpoint,
    dataClass: policy.dataClass,
    detectors: policy.detectorCounts,
    zones: policy.zonesSeen,
    models: policy.modelsSeen,
    decision: policy.decision,
    ...(code === undefined ? {} : { code }),
  });
}
