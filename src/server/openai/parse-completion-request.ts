import type { CompletionRequest } from '../../backends/types.ts';
import { UnbundleError } from '../../errors.ts';
import { extraFields, invalid, isRecord, optionalBoolean, optionalInt, readSamplingOptions, requiredModel } from './field-reader.ts';

export interface ParsedCompletionBody {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  request: CompletionRequest;
}

const knownCompletionFields = new Set([
  'model', 'prompt', 'stream', 'stream_options', 'max_tokens', 'temperature', 'top_p', 'top_k', 'n', 'stop', 'seed',
  'presence_penalty', 'frequency_penalty', 'user', 'echo', 'best_of', 'logprobs', 'suffix', 'logit_bias',
]);

/** The legacy `/v1/completions` body: one prompt string (a one-element array is accepted too). */
export function parseCompletionBody(body: unknown): ParsedCompletionBody {
  if (!isRecord(body)) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', 'The request body must be a JSON object.');
  const model = requiredModel(body);
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
  if (Array.isArray(prompt)) throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', 'Only one prompt per request is supported; send a string (token-id arrays and batches are not supported).', { param: 'prompt' });
  if (typeof prompt !== 'string') throw invalid('prompt', 'expected a string.');
  const n = optionalInt(body, 'n', 1, 128);
  if (n !== undefined && n !== 1) throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', 'Only n=1 is supported.', { param: 'n' });
  if (body.echo === true) throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', 'echo=true is not supported.', { param: 'echo' });
  // Tools belong to chat: on a legacy completion they would be dropped (local) or sent to a server that ignores them.
  for (const field of ['tools', 'tool_choice', 'functions', 'function_call'] as const) {
    if (body[field] !== undefined && body[field] !== null) throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `'${field}' is not supported on /v1/completions; send tools to /v1/chat/completions.`, { param: field });
  }
  const request: CompletionRequest = { kind: 'completion', prompt };
  const maxTokens = optionalInt(body, 'max_tokens', 1);
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  readSamplingOptions(body, request);
  const extra = extraFields(body, knownCompletionFields);
  if (extra) request.providerOptions = extra;
  const streamOptions = body.stream_options;
  return {
    model,
    stream: optionalBoolean(body, 'stream') ?? false,
    includeUsage: isRecord(streamOptions) && streamOptions.include_usage === true,
    request,
  };
}
