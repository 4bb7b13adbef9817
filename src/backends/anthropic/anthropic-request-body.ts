import { UnbundleError } from '../../errors.ts';
import { parseDataUrl } from '../http/data-url.ts';
import { argumentsObject } from '../http/tool-arguments.ts';
import type { ChatMessage, ContentPart, GenerateRequest, ToolChoice, ToolDefinition } from '../types.ts';

/**
 * Our internal request → the body of Anthropic's `POST /v1/messages` (Messages API reference):
 * system messages gathered into `system`, tool results sent as `tool_result` blocks in a user
 * turn, assistant tool calls as `tool_use` blocks, images as `source.base64` / `source.url`.
 * Adjacent turns of the same role are merged, since Anthropic alternates user and assistant.
 */

type Json = Record<string, unknown>;
type Block = Json;

export interface AnthropicBodyOptions {
  model: string;
  /** Anthropic requires max_tokens; used when the request sets none. */
  defaultMaxTokens: number;
  stream: boolean;
}

export function toAnthropicBody(request: GenerateRequest, options: AnthropicBodyOptions): Json {
  const body: Json = { model: options.model, max_tokens: request.maxTokens ?? options.defaultMaxTokens };
  const messages = request.kind === 'chat' ? request.messages : [{ role: 'user' as const, content: request.prompt }];
  const system: string[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: Block[] }> = [];
  for (const message of messages) {
    if (message.role === 'system') {
      system.push(textOf(message));
      continue;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = toBlocks(message);
    // An empty assistant turn (no text, no calls) says nothing, and Anthropic rejects empty content.
    if (blocks.length === 0 && role === 'assistant') continue;
    const last = turns[turns.length - 1];
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  }
  if (system.length > 0) body.system = system.join('\n\n');
  body.messages = turns.map((turn) => ({ role: turn.role, content: simplify(turn.content) }));
  if (options.stream) body.stream = true;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) body.top_k = request.topK;
  if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;
  if (request.user !== undefined) body.metadata = { user_id: request.user };
  if (request.responseFormat !== undefined && request.responseFormat.type !== 'text') {
    throw new UnbundleError(
      'UNBUNDLE_E_UNSUPPORTED',
      'response_format json_object / json_schema is not available on Anthropic models. Describe the JSON in the prompt, use a tool with that schema, or route the request to a model that supports it.',
      { param: 'response_format' },
    );
  }
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map(toTool);
    if (request.toolChoice !== undefined) body.tool_choice = toToolChoice(request.toolChoice);
  }
  return body;
}

function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

function toBlocks(message: ChatMessage): Block[] {
  if (message.role === 'tool') {
    const result: Block = { type: 'tool_result', tool_use_id: message.toolCallId ?? '' };
    result.content = typeof message.content === 'string' ? message.content : message.content.map(toContentBlock);
    return [result];
  }
  const blocks: Block[] = typeof message.content === 'string'
    ? message.content === '' ? [] : [{ type: 'text', text: message.content }]
    : message.content.map(toContentBlock);
  if (message.role === 'assistant') {
    for (const call of message.toolCalls ?? []) blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: argumentsObject(call.arguments) });
  }
  return blocks;
}

function toContentBlock(part: ContentPart): Block {
  if (part.type === 'text') return { type: 'text', text: part.text };
  const data = parseDataUrl(part.url);
  if (data !== undefined) return { type: 'image', source: { type: 'base64', media_type: part.mediaType ?? data.mediaType, data: data.base64 } };
  return { type: 'image', source: { type: 'url', url: part.url } };
}

/** A turn that is one text block goes as a plain string, the form most Anthropic examples use. */
function simplify(blocks: Block[]): string | Block[] {
  if (blocks.length === 1 && blocks[0]!.type === 'text') return blocks[0]!.text as string;
  return blocks;
}

function toTool(tool: ToolDefinition): Json {
  const out: Json = { name: tool.name, input_schema: tool.parameters ?? { type: 'object', properties: {} } };
  if (tool.description !== undefined) out.description = tool.description;
  return out;
}

function toToolChoice(choice: ToolChoice): Json {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  return { type: 'tool', name: choice.name };
}
