import type { RoutedModel } from './routing-table.ts';

/** Measured latency per model in ms (e.g. an EWMA the server keeps); the router only reads it. */
export type LatencySnapshot = ReadonlyMap<string, number>;

/** One model as a cost/quality strategy saw it, for the Plan and for `route explain`. */
export interface RankedCandidate {
  id: string;
  /** Expected quality for the domain: its `quality` figure, 1 for a declared domain without one. */
  quality: number | undefined;
  price: number | undefined;
  latencyMs: number | undefined;
  /** Meets the strategy's target (minQuality, or the price cap). */
  meets: boolean;
}

export type CostQualityTarget = { kind: 'cheapest'; minQuality: number } | { kind: 'best'; maxPricePerMTok: number | undefined };

/**
 * A model's expected quality for a domain. A domain listed in `domains` without a `quality` figure
 * counts as 1: a hand-declared specialist is trusted until the evaluation harness measures it.
 */
export function expectedQuality(model: RoutedModel, domain: string): number | undefined {
  const measured = model.quality[domain];
  if (measured !== undefined) return measured;
  return model.domains.has(domain) ? 1 : undefined;
}

// Unknown prices and latencies sort after known ones.
const ascending = (a: number | undefined, b: number | undefined): number => (a ?? Infinity) - (b ?? Infinity) || 0;
const descending = (a: number | undefined, b: number | undefined): number => (b ?? -1) - (a ?? -1);

/**
 * Ranks the models that can serve `domain` (those with an expected quality for it), best choice
 * first. Cheapest: models meeting minQuality by price, then latency; the rest by quality. Best:
 * models within the price cap by quality, then price, then latency; the rest by price. The
 * portfolio order breaks what is still tied.
 */
export function rankCandidates(
  ids: readonly string[],
  models: ReadonlyMap<string, RoutedModel>,
  domain: string,
  target: CostQualityTarget,
  usable: (id: string) => boolean,
  latency: LatencySnapshot | undefined,
): RankedCandidate[] {
  const ranked: Array<RankedCandidate & { order: number }> = [];
  for (const id of ids) {
    const model = models.get(id);
    if (!model || !usable(id)) continue;
    const quality = expectedQuality(model, domain);
    if (quality === undefined) continue;
    const meets = target.kind === 'cheapest'
      ? quality >= target.minQuality
      : target.maxPricePerMTok === undefined || (model.price !== undefined && model.price <= target.maxPricePerMTok);
    ranked.push({ id, quality, price: model.price, latencyMs: latency?.get(id), meets, order: model.order });
  }
  ranked.sort((a, b) => {
    if (a.meets !== b.meets) return a.meets ? -1 : 1;
    let byKey: number;
    if (target.kind === 'cheapest') {
      byKey = a.meets
        ? ascending(a.price, b.price) || ascending(a.latencyMs, b.latencyMs) || descending(a.quality, b.quality)
        : descending(a.quality, b.quality) || ascending(a.price, b.price) || ascending(a.latencyMs, b.latencyMs);
    } else {
      byKey = a.meets
        ? descending(a.quality, b.quality) || ascending(a.price, b.price) || ascending(a.latencyMs, b.latencyMs)
        : ascending(a.price, b.price) || descending(a.quality, b.quality) || ascending(a.latencyMs, b.latencyMs);
    }
    return byKey || a.order - b.order;
  });
  return ranked.map(({ order: _order, ...candidate }) => candidate);
}
