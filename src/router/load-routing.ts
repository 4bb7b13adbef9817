import { UnbundleError } from '../errors.ts';
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
  if (classifier?.kind === 'embedding' && !portfolio.models.some((m) => m.id === classifier.embedModel)) {
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `router.classifier: ${router!.classifier} is an embedding router over "${classifier.embedModel}", which is not a model of this portfolio — add that model, or train a hashed n-gram router with "unbundle route train".`);
  }
  const thresholdRouters = new Map<string, ThresholdRouter>();
  for (const [name, vm] of Object.entries(router?.virtualModels ?? {})) {
    if (vm.strategy === 'threshold') thresholdRouters.set(name, loadThresholdRouter(vm.file));
  }
  return compileRouting(portfolio, { classifier, thresholdRouters });
}
