import type { ChatMessage, GenerateRequest } from '../backends/types.ts';
import { estimateTokens, type RequestFeatures } from '../router/request-features.ts';
import type { RequestContext } from './request-context.ts';

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content) if (part.type === 'text') text += (text === '' ? '' : '\n') + part.text;
  return text;
}

/**
 * What the router reads of a request, in one pass over the messages. Called only for routed
 * (`auto`, virtual model) requests, so explicit-model requests pay nothing for it.
 */
export function extractRequestFeatures(ctx: RequestContext, request: GenerateRequest, metadata?: Readonly<Record<string, unknown>>): RequestFeatures {
  let lastUserText = '';
  let chars = 0;
  let hasImages = false;
  if (request.kind === 'completion') {
    lastUserText = request.prompt;
    chars = request.prompt.length;
  } else {
    let lastUser: ChatMessage | undefined;
    for (const message of request.messages) {
      const { content } = message;
      if (typeof content === 'string') chars += content.length;
      else {
        for (const part of content) {
          if (part.type === 'text') chars += part.text.length;
          else hasImages = true;
        }
      }
      if (message.role === 'user') lastUser = message;
    }
    if (lastUser) lastUserText = textOf(lastUser.content);
  }
  const format = request.responseFormat?.type;
  return {
    lastUserText,
    promptTokens: estimateTokens(chars),
    hasTools: (request.tools?.length ?? 0) > 0,
    hasImages,
    json: format === 'json_object' || format === 'json_schema',
    metadata,
    user: request.user,
    headers: ctx.req.headers,
    tenantId: ctx.tenantId,
  };
}
