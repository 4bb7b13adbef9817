import type { Portfolio } from '../portfolio/schema.ts';
import { loadRouter } from './classifier/router-file.ts';
import { compileRouting, routingConfigured, type RoutingTable } from './routing-table.ts';
import type { ThresholdRouter } from './threshold/threshold-router.ts';
import { loadThresholdRouter } from './threshold/threshold-router-file.ts';

/**
 * Reads the files the routing config names (classifier, threshold routers) once, at start, and
 * compiles the table. The only I/O of routing; the router itself never reads a file. Paths were
 * resolved against the config file's folder when the portfolio was loaded.
 */
export function loadRouting(portfolio: Portfolio): RoutingTable | undefined {
  if (!routingConfigured(portfolio)) return undefined;
  const router = portfolio.router;
  const classifier = router?.classifier === undefined ? undefined : loadRouter(router.classifier);
  const thresholdRouters = new Map<string, ThresholdRouter>();
  for (const [name, vm] of Object.entries(router?.virtualModels ?? {})) {
    if (vm.strategy === 'threshold') thresholdRouters.set(name, loadThresholdRouter(vm.file));
  }
  return compileRouting(portfolio, { classifier, thresholdRouters });
}
