import { UnbundleError } from '../errors.ts';
import type { Gateway } from './gateway.ts';

/**
 * The prompt's embedding for an embedding router, from the portfolio model it was trained on.
 * Runs only for routed requests with such a router; the router itself stays pure.
 */
export async function embedForRouting(gateway: Gateway, modelId: string, text: string, signal: AbortSignal): Promise<Float32Array> {
  const backend = gateway.options.models.get(modelId)?.backend;
  if (!backend?.embed) {
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `The router's embedding model "${modelId}" cannot embed; enable embeddings on it or retrain the router with "unbundle route train".`);
  }
  const result = await backend.embed({ input: [text] }, signal);
  const vector = result.embeddings[0];
  if (!vector) throw new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `The embedding model "${modelId}" returned no embedding for the prompt.`);
  return Float32Array.from(vector);
}
