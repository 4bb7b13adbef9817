import { UnbundleError } from '../errors.ts';
import type { Plan } from './plan.ts';

/** What the router needs to know about the portfolio: the ids it may choose from. */
export interface RouteCandidates {
  has(id: string): boolean;
  ids(): readonly string[];
  /** The model's configured `fallbacks` (the Plan for an explicit model carries them, in order). */
  fallbacksOf?(id: string): readonly string[];
}

/**
 * The Plan for an explicit model id: that model, then its configured fallbacks. Pure: no I/O, no
 * clocks. `auto` and virtual models are planned by `planRoute` (plan-route.ts) instead.
 */
export function chooseRoute(requested: string, candidates: RouteCandidates): Plan {
  if (candidates.has(requested)) {
    const fallbacks = candidates.fallbacksOf?.(requested);
    return { requested, primary: requested, fallbacks: fallbacks === undefined || fallbacks.length === 0 ? [] : [...fallbacks], reasons: ['explicit model'] };
  }
  const known = candidates.ids();
  throw new UnbundleError(
    'UNBUNDLE_E_MODEL_NOT_FOUND',
    `The model '${requested}' does not exist in this portfolio. Known models: ${known.length > 0 ? known.join(', ') : '(none configured)'}.`,
    { param: 'model' },
  );
}
