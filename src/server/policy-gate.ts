import { toUnbundleError } from '../errors.ts';
import type { AuditSink } from '../policy/audit-sink.ts';
import type { RequestPolicy } from '../policy/request-policy.ts';
import type { RequestContext } from './request-context.ts';

/**
 * Runs a request under the data policy: its verdict on the data goes on the context (log line,
 * ledger), and whatever happens — answered, refused, failed — the decision is recorded and one
 * audit record appended.
 */
export async function withPolicy(ctx: RequestContext, policy: RequestPolicy, sink: AuditSink | undefined, run: () => Promise<void>): Promise<void> {
  ctx.dataClass = policy.dataClass;
  ctx.detectorCounts = policy.detectorCounts;
  let thrown: unknown;
  try {
    await run();
  } catch (error) {
    thrown = error;
    throw error;
  } finally {
    auditPolicy(ctx, policy, sink, thrown);
  }
}

/** Records the decision on the context and appends the audit record (never values, never blocks). */
function auditPolicy(ctx: RequestContext, policy: RequestPolicy, sink: AuditSink | undefined, thrown: unknown): void {
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
