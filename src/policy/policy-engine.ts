import type { EmbedRequest, GenerateRequest } from '../backends/types.ts';
import { compilePolicies, type CompiledPolicy } from './compile-policy.ts';
import { createScanner, type Scanner } from './create-scanner.ts';
import type { PolicyConfig } from './policy-schema.ts';
import { RequestPolicy, type ZoneOf } from './request-policy.ts';
import { scannerOptionsFromConfig } from './scanner-config.ts';

/** Built once at start from `policy:`; makes one RequestPolicy per request. */
export interface PolicyEngine {
  readonly scanner: Scanner;
  forGenerate(request: GenerateRequest, tenantId: string | undefined): RequestPolicy;
  forEmbed(request: EmbedRequest, tenantId: string | undefined): RequestPolicy;
  policyFor(tenantId: string | undefined): CompiledPolicy;
}

/**
 * `configFile` resolves a relative `detectors.personNames.file` (the portfolio loader already makes
 * it absolute, so any path does for a loaded portfolio).
 */
export function createPolicyEngine(config: PolicyConfig, zoneOf: ZoneOf, configFile = 'portfolio.yaml'): PolicyEngine {
  const scanner = createScanner(scannerOptionsFromConfig(config.detectors, configFile));
  const policyFor = compilePolicies(config);
  return {
    scanner,
    policyFor,
    forGenerate: (request, tenantId) => new RequestPolicy(policyFor(tenantId), scanner, zoneOf, { kind: 'generate', request }),
    forEmbed: (request, tenantId) => new RequestPolicy(policyFor(tenantId), scanner, zoneOf, { kind: 'embed', request }),
  };
}
