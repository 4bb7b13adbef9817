import type { AnthropicModelConfig } from '../../portfolio/schema.ts';
import type { Backend } from '../backend.ts';
import { TranslatingBackend } from '../http/translating-backend.ts';
import type { Dialect } from '../http/translating-backend.ts';
import { upstreamClientFor } from '../http/upstream-client.ts';
import { toAnthropicBody } from './anthropic-request-body.ts';
import { anthropicStatusError, toAnthropicResult } from './anthropic-response.ts';
import { AnthropicStreamReader } from './anthropic-stream-reader.ts';

/**
 * Anthropic's Messages API (`POST {baseURL}/v1/messages`), both ways, streaming included. The key
 * goes in `x-api-key`, the API version in `anthropic-version`.
 */
export function createAnthropicBackend(config: AnthropicModelConfig, env: NodeJS.ProcessEnv): Backend {
  const { client, missing } = upstreamClientFor(config, env, { name: 'x-api-key' }, { 'anthropic-version': config.anthropicVersion }, (key) => anthropicStatusError(config.id, key));
  const model = config.model ?? config.id;
  const dialect: Dialect = {
    target: () => ({ path: '/v1/messages' }),
    body: (request, stream) => toAnthropicBody(request, { model, defaultMaxTokens: config.defaultMaxTokens, stream }),
    result: (body) => toAnthropicResult(body, config.id),
    reader: () => new AnthropicStreamReader(config.id),
  };
  return new TranslatingBackend(config.id, 'anthropic', client, dialect, missing);
}
