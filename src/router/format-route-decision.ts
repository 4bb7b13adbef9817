import type { RouteDecision } from './plan-route.ts';
import type { RoutingTable } from './routing-table.ts';

const num = (value: number | undefined, digits: number): string => (value === undefined ? '?' : value.toFixed(digits));

function strategyText(decision: RouteDecision): string {
  const s = decision.virtualModel.strategy;
  switch (s.kind) {
    case 'cheapest':
      return `cheapest with quality >= ${s.minQuality}`;
    case 'best':
      return s.maxPricePerMTok === undefined ? 'best quality' : `best quality within ${s.maxPricePerMTok}/MTok`;
    case 'threshold':
      return `threshold router (weak ${s.weak}, strong ${s.strong}, threshold ${s.router.threshold.toFixed(3)})`;
    case 'cascade':
      return `cascade ${s.models.join(' > ')}`;
  }
}

/** The human-readable answer of `unbundle route explain --config`: the whole decision, no model called. */
export function formatRouteDecision(decision: RouteDecision, table: RoutingTable): string {
  const { plan, rule, prediction, candidates } = decision;
  const lines: string[] = [];
  lines.push(`requested: ${plan.requested} (${strategyText(decision)})`);
  if (rule) {
    const actions = [rule.pin && `pin ${rule.pin}`, rule.exclude && `exclude ${[...rule.exclude].join(', ')}`, rule.prefer && `prefer ${rule.prefer.join(', ')}`, rule.domain && `domain ${rule.domain}`].filter(Boolean);
    lines.push(`rule: ${rule.name} (${actions.join('; ')})`);
  } else lines.push(`rule: none matched (${table.rules.length} rule${table.rules.length === 1 ? '' : 's'})`);
  if (prediction) {
    const threshold = table.classifier?.threshold ?? 0;
    lines.push(`domain: ${prediction.domain === prediction.best ? prediction.best : `unsure (best guess ${prediction.best}, below the ${threshold.toFixed(2)} threshold)`}`);
    lines.push(`confidence: ${prediction.confidence.toFixed(4)}`);
    lines.push(`scores: ${Object.entries(prediction.scores).sort((a, b) => b[1] - a[1]).map(([d, p]) => `${d} ${p.toFixed(4)}`).join(', ')}`);
  } else lines.push(`domain: ${plan.domain ?? (table.classifier ? 'not classified' : 'none (no classifier configured)')}`);
  if (candidates) {
    lines.push('', `candidates for ${plan.domain}:`);
    const width = Math.max(5, ...candidates.map((c) => c.id.length));
    lines.push(`  ${'model'.padEnd(width)}  quality  price/MTok  latency ms  meets target`);
    for (const c of candidates) {
      lines.push(`  ${c.id.padEnd(width)}  ${num(c.quality, 2).padStart(7)}  ${num(c.price, 4).padStart(10)}  ${num(c.latencyMs, 1).padStart(10)}  ${c.meets ? 'yes' : 'no'}`);
    }
    if (candidates.length === 0) lines.push('  (none: no allowed model declares this domain or has a quality for it)');
  }
  lines.push('', `route: ${plan.primary}`);
  lines.push(`fallbacks: ${plan.fallbacks.length > 0 ? plan.fallbacks.join(', ') : '(none)'}`);
  if (plan.cascade) lines.push(`cascade checks: ${plan.cascade.map((c) => c.kind).join(', ')}`);
  if (plan.hedgeAfterMs !== undefined) lines.push(`hedge after: ${plan.hedgeAfterMs} ms`);
  lines.push(`reason: ${plan.reasons.join('; ')}`);
  const unknown = [...table.models.values()].filter((m) => m.price === undefined).map((m) => m.id);
  if (unknown.length > 0) lines.push('', `price unknown (ranked last by price): ${unknown.join(', ')} — set pricePerMTok or pricing`);
  return lines.join('\n') + '\n';
}
