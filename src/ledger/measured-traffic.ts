import type { TrafficShape } from './cost-breakeven.ts';
import type { LedgerStore } from './ledger-store.ts';

export interface MeasuredTraffic {
  traffic: TrafficShape;
  /** Successful requests the figures are averaged over. */
  requests: number;
}

/**
 * The traffic shape of a self-hosted model as the ledger measured it: compute seconds and token mix
 * per successful request since `since`. Undefined when there is none to measure (no successful
 * request with known tokens and a measured compute time). Shared by `cost breakeven` and the admin API.
 */
export async function measuredTraffic(store: LedgerStore, modelId: string, since: number): Promise<MeasuredTraffic | undefined> {
  const [group] = await store.aggregate('model', { model: modelId, since, status: 'ok' });
  const known = group ? group.requests - group.unknownUsageRequests : 0;
  if (!group || group.computeSeconds <= 0 || known === 0) return undefined;
  return {
    requests: group.requests,
    traffic: {
      computeSecondsPerRequest: group.computeSeconds / group.requests,
      inputTokensPerRequest: group.inputTokens / known,
      cachedInputTokensPerRequest: group.cachedInputTokens / known,
      outputTokensPerRequest: group.outputTokens / known,
    },
  };
}
