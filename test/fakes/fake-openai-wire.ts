/**
 * The OpenAI wire format the fake upstream answers with, built from OpenAI's API reference:
 * chat.completion and text_completion bodies, their SSE chunk streams (role chunk, one chunk per
 * word, tool-call deltas, finish chunk, usage chunk, [DONE]) and embeddings lists.
 */

export interface FakeToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface FakeAnswer {
  /** Default "Hello from the fake upstream." — streamed one word per chunk. */
  text?: string;
  toolCalls?: FakeToolCall[];
  /** The raw OpenAI `usage` object to send, or false to send none. */
  usage?: Record<string, unknown> | false;
  finishReason?: string;
}

export const created = 1_700_000_000;
const defaultText = 'Hello from the fake upstream.';

export function tokensOf(answer: FakeAnswer): string[] {
  return (answer.text ?? defaultText).split(/(?<= )/).filter((t) => t !== '');
}

function usageOf(answer: FakeAnswer, promptTokens: number, completionTokens: number): Record<string, unknown> | undefined {
  if (answer.usage === false) return undefined;
  return answer.usage ?? { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

export interface Call {
  kind: 'chat' | 'completion';
  model: string;
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number;
}

function wireToolCalls(calls: FakeToolCall[]) {
  return calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
}

export function wholeAnswer(call: Call, answer: FakeAnswer): string {
  const tokens = tokensOf(answer);
  const text = tokens.join('');
  const calls = answer.toolCalls ?? [];
  const finish = answer.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop');
  const usage = usageOf(answer, call.promptTokens, tokens.length);
  const choice =
    call.kind === 'chat'
      ? { index: 0, message: { role: 'assistant', content: calls.length > 0 && text === '' ? null : text, refusal: null, ...(calls.length > 0 ? { tool_calls: wireToolCalls(calls) } : {}) }, logprobs: null, finish_reason: finish }
      : { text, index: 0, logprobs: null, finish_reason: finish };
  const object = call.kind === 'chat' ? 'chat.completion' : 'text_completion';
  const id = call.kind === 'chat' ? 'chatcmpl-fake' : 'cmpl-fake';
  return JSON.stringify({ id, object, created, model: call.model, choices: [choice], ...(usage === undefined ? {} : { usage }) });
}

/** The SSE events of an answer, one string each, ending with the finish chunk, usage and [DONE]. */
export function streamEvents(call: Call, answer: FakeAnswer): { tokens: string[]; tail: string[] } {
  const chat = call.kind === 'chat';
  const head = chat ? `{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(call.model)},` : `{"id":"cmpl-fake","object":"text_completion","created":${created},"model":${JSON.stringify(call.model)},`;
  const usageNull = call.includeUsage ? ',"usage":null' : '';
  const event = (choice: unknown) => `data: ${head}"choices":[${JSON.stringify(choice)}]${usageNull}}\n\n`;
  const words = tokensOf(answer);
  const tokens = words.map((t) => event(chat ? { index: 0, delta: { content: t }, logprobs: null, finish_reason: null } : { text: t, index: 0, logprobs: null, finish_reason: null }));
  if (chat) tokens.unshift(event({ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }));
  const tail: string[] = [];
  const calls = answer.toolCalls ?? [];
  calls.forEach((c, index) => {
    tail.push(event({ index: 0, delta: { tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }, logprobs: null, finish_reason: null }));
    const half = Math.ceil(c.arguments.length / 2);
    for (const piece of [c.arguments.slice(0, half), c.arguments.slice(half)]) {
      if (piece !== '') tail.push(event({ index: 0, delta: { tool_calls: [{ index, function: { arguments: piece } }] }, logprobs: null, finish_reason: null }));
    }
  });
  const finish = answer.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop');
  tail.push(event(chat ? { index: 0, delta: {}, logprobs: null, finish_reason: finish } : { text: '', index: 0, logprobs: null, finish_reason: finish }));
  const usage = usageOf(answer, call.promptTokens, words.length);
  if (call.includeUsage && usage !== undefined) tail.push(`data: ${head}"choices":[],"usage":${JSON.stringify(usage)}}\n\n`);
  tail.push('data: [DONE]\n\n');
  return { tokens, tail };
}

export function embeddings(body: Record<string, unknown>): string {
  const input = body.input;
  const inputs: unknown[] = Array.isArray(input) ? input : [input];
  const dims = typeof body.dimensions === 'number' ? body.dimensions : 8;
  const base64 = body.encoding_format === 'base64';
  let promptTokens = 0;
  const data = inputs.map((item, index) => {
    const text = String(item);
    promptTokens += text.split(/\s+/).filter(Boolean).length;
    // Deterministic: the same text always gets the same vector.
    const vector = Array.from({ length: dims }, (_, d) => ((text.length * 31 + d * 7 + (text.charCodeAt(d % Math.max(1, text.length)) || 0)) % 100) / 100);
    const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  return JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
}

