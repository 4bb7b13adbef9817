import type { EmbedResult, FinishReason, GenerateResult, StreamPart, Usage } from '../../backends/types.ts';
import type { UnbundleError } from '../../errors.ts';
import type { StreamEncoder, WireFormat } from '../wire-format.ts';

/** OpenAI's usage object, or undefined when the backend could not say (unknown is not zero). */
export function openaiUsage(usage: Usage): { prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details?: { cached_tokens: number }; completion_tokens_details?: { reasoning_tokens: number } } | undefined {
  if (usage.inputTokens === undefined || usage.outputTokens === undefined) return undefined;
  const out: ReturnType<typeof openaiUsage> & object = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
  if (usage.cachedInputTokens !== undefined) out.prompt_tokens_details = { cached_tokens: usage.cachedInputTokens };
  if (usage.reasoningTokens !== undefined) out.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  return out;
}

function openaiFinishReason(reason: FinishReason): string {
  if (reason === 'error' || reason === 'cancelled') return 'stop';
  return reason;
}

export function encodeChatCompletion(id: string, model: string, created: number, result: GenerateResult): string {
  const message: Record<string, unknown> = { role: 'assistant', content: result.toolCalls.length > 0 && result.text === '' ? null : result.text };
  if (result.toolCalls.length > 0) {
    message.tool_calls = result.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
  }
  const body: Record<string, unknown> = {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: openaiFinishReason(result.finishReason) }],
  };
  const usage = openaiUsage(result.usage);
  if (usage) body.usage = usage;
  return JSON.stringify(body);
}

export function encodeTextCompletion(id: string, model: string, created: number, result: GenerateResult): string {
  const body: Record<string, unknown> = {
    id,
    object: 'text_completion',
    created,
    model,
    choices: [{ index: 0, text: result.text, logprobs: null, finish_reason: openaiFinishReason(result.finishReason) }],
  };
  const usage = openaiUsage(result.usage);
  if (usage) body.usage = usage;
  return JSON.stringify(body);
}

export function encodeEmbeddings(model: string, result: EmbedResult, format: 'float' | 'base64'): string {
  const data = result.embeddings.map((vector, index) => ({
    object: 'embedding',
    index,
    embedding: format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
  }));
  const body: Record<string, unknown> = { object: 'list', data, model };
  const inputTokens = result.usage.inputTokens;
  if (inputTokens !== undefined) body.usage = { prompt_tokens: inputTokens, total_tokens: inputTokens };
  return JSON.stringify(body);
}

/**
 * Turns typed stream parts into OpenAI SSE frames for chat (`chat.completion.chunk`) or legacy
 * completions (`text_completion`). The caller writes each returned string as it comes.
 */
export class OpenAIStreamEncoder implements StreamEncoder {
  private usage: Usage | undefined;
  private readonly head: string;

  constructor(
    private readonly kind: 'chat' | 'completion',
    id: string,
    model: string,
    created: number,
    private readonly includeUsage: boolean,
  ) {
    const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    this.head = `{"id":${JSON.stringify(id)},"object":"${object}","created":${created},"model":${JSON.stringify(model)},"choices":`;
  }

  /** The first frame for chat: OpenAI announces the role before any content. */
  start(): string {
    return this.kind === 'chat' ? this.frame('[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]') : '';
  }

  encode(part: StreamPart): string {
    switch (part.type) {
      case 'text-delta':
        if (part.text === '') return '';
        return this.kind === 'chat'
          ? this.frame(`[{"index":0,"delta":{"content":${JSON.stringify(part.text)}},"logprobs":null,"finish_reason":null}]`)
          : this.frame(`[{"index":0,"text":${JSON.stringify(part.text)},"logprobs":null,"finish_reason":null}]`);
      case 'tool-call-delta': {
        const call: Record<string, unknown> = { index: part.index };
        if (part.id !== undefined) call.id = part.id;
        if (part.id !== undefined) call.type = 'function';
        const fn: Record<string, string> = { arguments: part.argumentsDelta };
        if (part.name !== undefined) fn.name = part.name;
        call.function = fn;
        return this.frame(`[{"index":0,"delta":{"tool_calls":[${JSON.stringify(call)}]},"logprobs":null,"finish_reason":null}]`);
      }
      case 'usage':
        this.usage = part.usage;
        return '';
      case 'finish': {
        const reason = JSON.stringify(openaiFinishReason(part.finishReason));
        const finish = this.kind === 'chat'
          ? this.frame(`[{"index":0,"delta":{},"logprobs":null,"finish_reason":${reason}}]`)
          : this.frame(`[{"index":0,"text":"","logprobs":null,"finish_reason":${reason}}]`);
        return finish + this.usageFrame();
      }
    }
  }

  /** After a failure mid-stream: an explicit error event, never a silently truncated 200. */
  error(error: UnbundleError): string {
    return `data: ${JSON.stringify(error.toBody())}\n\n`;
  }

  done(): string {
    return 'data: [DONE]\n\n';
  }

  private usageFrame(): string {
    if (!this.includeUsage) return '';
    const usage = this.usage ? openaiUsage(this.usage) : undefined;
    return this.frame(`[],"usage":${usage ? JSON.stringify(usage) : 'null'}`);
  }

  private frame(choices: string): string {
    return `data: ${this.head}${choices}}\n\n`;
  }
}

/** `/v1/chat/completions` on the wire. */
export const openaiChatWire: WireFormat = {
  responseId: (requestId) => `chatcmpl-${requestId}`,
  encodeResult: encodeChatCompletion,
  streamEncoder: (id, model, created, includeUsage) => new OpenAIStreamEncoder('chat', id, model, created, includeUsage),
};

/** Legacy `/v1/completions` on the wire. */
export const openaiCompletionWire: WireFormat = {
  responseId: (requestId) => `cmpl-${requestId}`,
  encodeResult: encodeTextCompletion,
  streamEncoder: (id, model, created, includeUsage) => new OpenAIStreamEncoder('completion', id, model, created, includeUsage),
};
