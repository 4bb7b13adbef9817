import { startFakeUpstream, wordsOf } from './fake-upstream-server.ts';
import type { FakeAnswer, FakeBehavior, FakeUpstream, WireFormat } from './fake-upstream-server.ts';

export type { FakeAnswer, FakeBehavior, FakeToolCall, FakeUpstream } from './fake-upstream-server.ts';

/**
 * A Gemini API upstream on 127.0.0.1, built from the Gemini API reference:
 * `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent?alt=sse` (each SSE
 * event a whole GenerateContentResponse, the last with finishReason and usageMetadata, no
 * [DONE]), errors as `{error:{code,message,status}}`. Behaviours as in fake-upstream-server.ts.
 * Its `url` is the baseURL to configure (ending in /v1beta).
 */

interface Call {
  model: string;
  stream: boolean;
  promptTokens: number;
}

const statusNames: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const route = /^\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

function chunk(call: Call, parts: unknown[], extra: Record<string, unknown> = {}): string {
  const candidate: Record<string, unknown> = { content: { role: 'model', parts }, index: 0 };
  if (extra.finishReason !== undefined) candidate.finishReason = extra.finishReason;
  const body: Record<string, unknown> = { candidates: [candidate] };
  if (extra.usageMetadata !== undefined) body.usageMetadata = extra.usageMetadata;
  body.modelVersion = call.model;
  body.responseId = 'fake-response';
  return `data: ${JSON.stringify(body)}\r\n\r\n`;
}

function usage(call: Call, answer: FakeAnswer) {
  const candidates = wordsOf(answer).length;
  return { promptTokenCount: call.promptTokens, candidatesTokenCount: candidates, totalTokenCount: call.promptTokens + candidates };
}

function callParts(answer: FakeAnswer): unknown[] {
  return (answer.toolCalls ?? []).map((c) => ({ functionCall: { name: c.name, args: c.input } }));
}

const geminiWire: WireFormat<Call> = {
  provider: 'gemini',
  route(method, path, query, body) {
    const match = route.exec(path);
    if (method !== 'POST' || match === null) return [404, `Method not found: ${method} ${path}`];
    const stream = match[2] === 'streamGenerateContent';
    if (stream && query.get('alt') !== 'sse') return [400, 'the fake only streams with ?alt=sse'];
    if (typeof body !== 'object' || body === null) return [400, 'Invalid JSON payload received.'];
    const json = body as Record<string, unknown>;
    if (!Array.isArray(json.contents) || json.contents.length === 0) return [400, '* GenerateContentRequest.contents: contents is not specified'];
    return { model: decodeURIComponent(match[1]!), stream, promptTokens: Math.max(1, Math.ceil(JSON.stringify(json.contents).length / 40)) };
  },
  isStream: (call) => call.stream,
  whole(call, answer) {
    const text = wordsOf(answer).join('');
    const parts: unknown[] = answer.text === '' && answer.toolCalls?.length ? [] : [{ text }];
    parts.push(...callParts(answer));
    return JSON.stringify({
      candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
      usageMetadata: usage(call, answer),
      modelVersion: call.model,
      responseId: 'fake-response',
    });
  },
  events(call, answer) {
    const withText = !(answer.text === '' && answer.toolCalls?.length);
    const body = withText ? wordsOf(answer).map((word) => chunk(call, [{ text: word }])) : [];
    const tail = [chunk(call, [...callParts(answer), ...(callParts(answer).length === 0 ? [{ text: '' }] : [])], { finishReason: 'STOP', usageMetadata: usage(call, answer) })];
    return { body, tail };
  },
  errorBody: (status, message) => JSON.stringify({ error: { code: status, message, status: statusNames[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT') } }),
  badFraming(call) {
    // JSON lines with no `data:` field name: to an SSE parser that is no event at all.
    const { body, tail } = this.events(call, {});
    return [...body, ...tail].map((e) => e.replace(/^data: /, '')).join('');
  },
};

export function startFakeGeminiUpstream(options: { behavior?: FakeBehavior; record?: boolean } = {}): Promise<FakeUpstream> {
  return startFakeUpstream(geminiWire, { ...options, basePath: '/v1beta' });
}
