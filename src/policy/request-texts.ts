import type { ChatMessage, EmbedRequest, GenerateRequest, GenerationOptions } from '../backends/types.ts';

/**
 * Every text a canonical request carries, in one fixed order: what the policy scans, and where
 * redaction writes placeholders back. Chat: each message's content (or its text parts), name and
 * tool-call arguments; completion: the prompt; then stop sequences, the end-user id, tool
 * descriptions and every string inside tool parameter schemas, a JSON-schema response format and
 * provider options (they are all forwarded upstream). Images and structural fields (roles, ids,
 * tool names) are not text the user wrote and are left alone.
 *
 * `collectTexts` and `rewriteTexts` walk in the same order, so `rewriteTexts(r, collectTexts(r))`
 * is `r` again; a test keeps them in step. Wire formats (OpenAI, Anthropic) translate into these
 * types, so every endpoint is covered by one walker.
 */

function collectLeaves(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) collectLeaves(item, out);
  else if (value !== null && typeof value === 'object') for (const key of Object.keys(value)) collectLeaves((value as Record<string, unknown>)[key], out);
}

interface Cursor {
  texts: readonly string[];
  at: number;
}

function next(cursor: Cursor): string {
  return cursor.texts[cursor.at++]!;
}

function rewriteLeaves(value: unknown, cursor: Cursor): unknown {
  if (typeof value === 'string') return next(cursor);
  if (Array.isArray(value)) return value.map((item) => rewriteLeaves(item, cursor));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = rewriteLeaves((value as Record<string, unknown>)[key], cursor);
    return out;
  }
  return value;
}

function collectOptions(options: GenerationOptions, out: string[]): void {
  if (options.stop) out.push(...options.stop);
  if (options.user !== undefined) out.push(options.user);
  if (options.tools) {
    for (const tool of options.tools) {
      if (tool.description !== undefined) out.push(tool.description);
      if (tool.parameters) collectLeaves(tool.parameters, out);
    }
  }
  if (options.responseFormat?.type === 'json_schema') collectLeaves(options.responseFormat.schema, out);
  if (options.providerOptions) collectLeaves(options.providerOptions, out);
}

function rewriteOptions<T extends GenerationOptions>(request: T, cursor: Cursor): T {
  const out = { ...request };
  if (request.stop) out.stop = request.stop.map(() => next(cursor));
  if (request.user !== undefined) out.user = next(cursor);
  if (request.tools) {
    out.tools = request.tools.map((tool) => {
      const copy = { ...tool };
      if (tool.description !== undefined) copy.description = next(cursor);
      if (tool.parameters) copy.parameters = rewriteLeaves(tool.parameters, cursor) as Record<string, unknown>;
      return copy;
    });
  }
  if (request.responseFormat?.type === 'json_schema') {
    out.responseFormat = { ...request.responseFormat, schema: rewriteLeaves(request.responseFormat.schema, cursor) as Record<string, unknown> };
  }
  if (request.providerOptions) out.providerOptions = rewriteLeaves(request.providerOptions, cursor) as Record<string, unknown>;
  return out;
}

export function collectTexts(request: GenerateRequest): string[] {
  const out: string[] = [];
  if (request.kind === 'completion') out.push(request.prompt);
  else {
    for (const message of request.messages) {
      if (typeof message.content === 'string') out.push(message.content);
      else for (const part of message.content) if (part.type === 'text') out.push(part.text);
      if (message.name !== undefined) out.push(message.name);
      if (message.toolCalls) for (const call of message.toolCalls) out.push(call.arguments);
    }
  }
  collectOptions(request, out);
  return out;
}

/** A copy of `request` with its texts replaced, in `collectTexts` order. */
export function rewriteTexts(request: GenerateRequest, texts: readonly string[]): GenerateRequest {
  const cursor: Cursor = { texts, at: 0 };
  if (request.kind === 'completion') {
    const prompt = next(cursor);
    return { ...rewriteOptions(request, cursor), prompt };
  }
  const messages = request.messages.map((message): ChatMessage => {
    const copy: ChatMessage = { ...message };
    copy.content = typeof message.content === 'string' ? next(cursor) : message.content.map((part) => (part.type === 'text' ? { type: 'text', text: next(cursor) } : part));
    if (message.name !== undefined) copy.name = next(cursor);
    if (message.toolCalls) copy.toolCalls = message.toolCalls.map((call) => ({ ...call, arguments: next(cursor) }));
    return copy;
  });
  return { ...rewriteOptions(request, cursor), messages };
}

export function collectEmbedTexts(request: EmbedRequest): string[] {
  return request.user === undefined ? request.input : [...request.input, request.user];
}

export function rewriteEmbedTexts(request: EmbedRequest, texts: readonly string[]): EmbedRequest {
  const out: EmbedRequest = { ...request, input: texts.slice(0, request.input.length) };
  if (request.user !== undefined) out.user = texts[request.input.length]!;
  return out;
}
