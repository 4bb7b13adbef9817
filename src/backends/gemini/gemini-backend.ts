import type { GeminiModelConfig } from '../../portfolio/schema.ts';
import type { Backend } from '../backend.ts';
import { TranslatingBackend } from '../http/translating-backend.ts';
import type { Dialect } from '../http/translating-backend.ts';
import { upstreamClientFor } from '../http/upstream-client.ts';
import { toGeminiBody } from './gemini-request-body.ts';
import { geminiStatusError, toGeminiResult } from './gemini-response.ts';
import { GeminiStreamReader } from './gemini-stream-reader.ts';

/**
 * Google's Gemini API: `POST {baseURL}/models/{model}:generateContent`, and
 * `:streamGenerateContent?alt=sse` for streams. The key goes in the `x-goog-api-key` header (never
 * in the URL, where it would end up in proxy logs).
 */
export function createGeminiBackend(config: GeminiModelConfig, env: NodeJS.ProcessEnv): Backend {
  const { client, missing } = upstreamClientFor(config, env, { name: 'x-goog-api-key' }, {}, (key) => geminiStatusError(config.id, key));
  const model = encodeURIComponent((config.model ?? config.id).replace(/^models\//, ''));
  const dialect: Dialect = {
    target: (_request, stream) => (stream ? { path: `/models/${model}:streamGenerateContent`, query: 'alt=sse' } : { path: `/models/${model}:generateContent` }),
    body: (request) => toGeminiBody(request),
    result: (body) => toGeminiResult(body, config.id),
    reader: () => new GeminiStreamReader(config.id),
  };
  return new TranslatingBackend(config.id, 'gemini', client, dialect, missing);
}
