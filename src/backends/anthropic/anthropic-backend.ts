import type { AnthropicModelConfig } from '../../portfolio/schema.ts';
import type { Backend } from '../backend.ts';
import { TranslatingBackend } from '../http/translating-backend.ts';
import type { Dialect } from '../http/translating-backend.ts';
import { UpstreamClient, apiKeyFrom } from '../http/upstream-client.ts';
import { toAnthropicBody } from './anthropic-request-body.ts';
import { anthropicStatusError, toAnthropicResult } from './anthropic-response.ts';
import { AnthropicStreamReader } from './anthropic-stream-reader.ts';

/**
 * Anthropic's Messages API (`POST {baseURL}/v1/messages`), both ways, streaming included. The key
 * goes in `x-api-key`, the API version in `anthropic-version`.
 */
export function createAnthropicBackend(config: AnthropicModelConfig, env: NodeJS.ProcessEnv): Backend {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'unbundle', 'anthropic-version': config.anthropicVersion };
  for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
  const key = apiKeyFrom(env, config.apiKeyEnv, config.id);
  if ('key' in key) headers['x-api-key'] = key.key;
  const client = new UpstreamClient({
    modelId: config.id,
    baseURL: config.baseURL,
    headers,
    connections: config.connections,
    connectTimeoutMs: config.connectTimeoutMs ?? 10_000,
    firstByteTimeoutMs: config.firstByteTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    mapStatus: anthropicStatusError(config.id, 'key' in key ? key.key : undefined),
  });
  const model = config.model ?? config.id;
  const dialect: Dialect = {
    target: () => ({ path: '/v1/messages' }),
    body: (request, stream) => toAnthropicBody(request, { model, defaultMaxTokens: config.defaultMaxTokens, stream }),
    result: (body) => toAnthropicResult(body, config.id),
    reader: () => new AnthropicStreamReader(config.id),
  };
  return new TranslatingBackend(config.id, 'anthropic', client, dialect, 'missing' in key ? key.missing : undefined);
}
