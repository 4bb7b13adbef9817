import type { GeminiModelConfig } from '../../portfolio/schema.ts';
import type { Backend } from '../backend.ts';
import { TranslatingBackend } from '../http/translating-backend.ts';
import type { Dialect } from '../http/translating-backend.ts';
import { UpstreamClient, apiKeyFrom } from '../http/upstream-client.ts';
import { toGeminiBody } from './gemini-request-body.ts';
import { geminiStatusError, toGeminiResult } from './gemini-response.ts';
import { GeminiStreamReader } from './gemini-stream-reader.ts';

/**
 * Google's Gemini API: `POST {baseURL}/models/{model}:generateContent`, and
 * `:streamGenerateContent?alt=sse` for streams. The key goes in the `x-goog-api-key` header (never
 * in the URL, where it would end up in proxy logs).
 */
export function createGeminiBackend(config: GeminiModelConfig, env: NodeJS.ProcessEnv): Backend {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'unbundle' };
  for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
  const key = apiKeyFrom(env, config.apiKeyEnv, config.id);
  if ('key' in key) headers['x-goog-api-key'] = key.key;
  const client = new UpstreamClient({
    modelId: config.id,
    baseURL: config.baseURL,
    headers,
    connections: config.connections,
    connectTimeoutMs: config.connectTimeoutMs ?? 10_000,
    firstByteTimeoutMs: config.firstByteTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    mapStatus: geminiStatusError(config.id, 'key' in key ? key.key : undefined),
  });
  const model = encodeURIComponent((config.model ?? config.id).replace(/^models\//, ''));
  const dialect: Dialect = {
    target: (_request, stream) => (stream ? { path: `/models/${model}:streamGenerateContent`, query: 'alt=sse' } : { path: `/models/${model}:generateContent` }),
    body: (request) => toGeminiBody(request),
    result: (body) => toGeminiResult(body, config.id),
    reader: () => new GeminiStreamReader(config.id),
  };
  return new TranslatingBackend(config.id, 'gemini', client, dialect, 'missing' in key ? key.missing : undefined);
}
