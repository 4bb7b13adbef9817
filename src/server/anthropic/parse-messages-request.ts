import type { ChatMessage, ChatRequest, ContentPart, ResponseFormat, ToolCall, ToolChoice, ToolDefinition } from '../../backends/types.ts';
import { UnbundleError } from '../../errors.ts';
import { extraFields, invalid, isRecord, optionalBoolean, optionalInt, optionalNumber, requiredModel } from '../openai/field-reader.ts';

/**
 * Anthropic's Messages API request (POST /v1/messages) → our internal chat request. Same policy
 * as the OpenAI parser: every documented field we can honour is translated, a valid feature we
 * cannot honour is refused with UNBUNDLE_E_UNSUPPORTED naming it, options of Anthropic's own
 * service are dropped, and unknown top-level fields ride along as providerOptions. Per-block extras Anthropic defines for its own service
 * (cache_control, citations) are ignored, so SDK code that sets them keeps working.
 */

export interface ParsedMessagesBody {
  model: string;
  stream: boolean;
  request: ChatRequest;
}

const knownFields = new Set([
  'model', 'messages', 'system', 'max_tokens', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'tools', 'tool_choice',
  'metadata', 'stream', 'output_config',
  // Options of Anthropic's own service (caching, thinking, tiers, containers, MCP): nothing to map
  // them onto elsewhere, so they are dropped, as the OpenAI parser drops `store` or `service_tier`.
  'cache_control', 'container', 'context_management', 'diagnostics', 'inference_geo', 'mcp_servers', 'service_tier',
  'speed', 'thinking', 'user_profile_id', 'workspace_id',
]);

function unsupported(param: string, message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_UNSUPPORTED', message, { param });
}

function requiredText(block: Record<string, unknown>, where: string): string {
  if (typeof block.text !== 'string') throw invalid(`${where}.text`, 'expected a string.');
  return block.text;
}

/** An image block's source → our image part (base64 becomes a data: URI, as OpenAI clients send). */
function imagePart(block: Record<string, unknown>, where: string): ContentPart {
  const source = block.source;
  if (!isRecord(source)) throw invalid(`${where}.source`, "expected { type: 'base64', media_type, data } or { type: 'url', url }.");
  if (source.type === 'base64') {
    if (typeof source.media_type !== 'string' || typeof source.data !== 'string') {
      throw invalid(`${where}.source`, 'a base64 image needs media_type (e.g. image/png) and data strings.');
    }
    return { type: 'image', url: `data:${source.media_type};base64,${source.data}`, mediaType: source.media_type };
  }
  if (source.type === 'url') {
    if (typeof source.url !== 'string') throw invalid(`${where}.source.url`, 'expected a URL string.');
    return { type: 'image', url: source.url };
  }
  throw unsupported(`${where}.source.type`, `Image source type '${String(source.type)}' at ${where}.source is not supported; send 'base64' or 'url'.`);
}

/** A text or image block (a user turn, a tool result) as a part. */
function contentPart(block: unknown, at: string): ContentPart {
  if (!isRecord(block)) throw invalid(at, 'expected a content block object.');
  if (block.type === 'text') return { type: 'text', text: requiredText(block, at) };
  if (block.type === 'image') return imagePart(block, at);
  throw unsupported(`${at}.type`, `Content block type '${String(block.type)}' at ${at} is not supported here; send 'text' or 'image' blocks.`);
}

/** One text part stays a plain string (what every backend reads best). */
function simplify(parts: ContentPart[]): string | ContentPart[] {
  if (parts.length === 0) return '';
  if (parts.length === 1 && parts[0]!.type === 'text') return parts[0]!.text;
  return parts;
}

function toolResultContent(block: Record<string, unknown>, where: string): string | ContentPart[] {
  const content = block.content;
  let result: string | ContentPart[];
  if (content === undefined || content === null) result = '';
  else if (typeof content === 'string') result = content;
  else if (Array.isArray(content)) result = simplify(content.map((part, index) => contentPart(part, `${where}.content[${index}]`)));
  else throw invalid(`${where}.content`, 'expected a string or an array of text and image blocks.');
  // Chat-completions tool messages have no error flag: say it in the text the model reads.
  if (block.is_error === true) {
    if (typeof result === 'string') return `Error: ${result}`;
    return [{ type: 'text', text: 'Error:' }, ...result];
  }
  return result;
}

/** A user turn: tool_result blocks become role 'tool' messages (first, as Anthropic requires), the rest one user message. */
function userTurn(blocks: unknown[], where: string, out: ChatMessage[]): void {
  const parts: ContentPart[] = [];
  blocks.forEach((block, index) => {
    const at = `${where}[${index}]`;
    if (!isRecord(block)) throw invalid(at, 'expected a content block object.');
    if (block.type === 'tool_result') {
      if (typeof block.tool_use_id !== 'string') throw invalid(`${at}.tool_use_id`, 'a tool_result needs the id of the tool_use it answers.');
      out.push({ role: 'tool', toolCallId: block.tool_use_id, content: toolResultContent(block, at) });
      return;
    }
    parts.push(contentPart(block, at));
  });
  if (parts.length > 0) out.push({ role: 'user', content: simplify(parts) });
}

/** An assistant turn: text blocks are its content, tool_use blocks its tool calls; thinking blocks are dropped. */
function assistantTurn(blocks: unknown[], where: string): ChatMessage {
  const parts: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  blocks.forEach((block, index) => {
    const at = `${where}[${index}]`;
    if (!isRecord(block)) throw invalid(at, 'expected a content block object.');
    if (block.type === 'text') parts.push({ type: 'text', text: requiredText(block, at) });
    else if (block.type === 'tool_use') {
      if (typeof block.id !== 'string' || typeof block.name !== 'string') throw invalid(at, 'a tool_use block needs id and name strings.');
      const input = block.input ?? {};
      if (!isRecord(input)) throw invalid(`${at}.input`, 'expected an object.');
      toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(input) });
    } else if (block.type === 'thinking' || block.type === 'redacted_thinking') {
      // Another model's hidden reasoning means nothing to the next one; Anthropic's own API drops it from context too.
    } else {
      throw unsupported(`${at}.type`, `Content block type '${String(block.type)}' at ${at} is not supported in assistant turns; send 'text' or 'tool_use' blocks.`);
    }
  });
  const message: ChatMessage = { role: 'assistant', content: simplify(parts) };
  if (toolCalls.length > 0) message.toolCalls = toolCalls;
  return message;
}

function parseTurns(value: unknown, into: ChatMessage[]): void {
  if (!Array.isArray(value)) throw invalid('messages', 'expected an array of { role, content } turns.');
  if (value.length === 0) throw invalid('messages', 'must contain at least one message.');
  value.forEach((turn, index) => {
    const where = `messages[${index}]`;
    if (!isRecord(turn)) throw invalid(where, 'expected a message object with role and content.');
    const { role, content } = turn;
    if (role !== 'user' && role !== 'assistant') {
      throw invalid(`${where}.role`, `expected 'user' or 'assistant', got ${JSON.stringify(role)}; put system instructions in the top-level 'system' field.`);
    }
    const last = index === value.length - 1;
    // Anthropic's rule: every turn has content, except an optional final assistant turn (a prefill).
    const empty = content === '' || (Array.isArray(content) && content.length === 0);
    if (empty && !(last && role === 'assistant')) throw invalid(`${where}.content`, 'must not be empty (only a final assistant turn may be).');
    if (typeof content === 'string') {
      into.push({ role, content });
      return;
    }
    if (!Array.isArray(content)) throw invalid(`${where}.content`, 'expected a string or an array of content blocks.');
    if (role === 'user') userTurn(content, `${where}.content`, into);
    else into.push(assistantTurn(content, `${where}.content`));
  });
}

function parseSystem(value: unknown): string | ContentPart[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (!Array.isArray(value)) throw invalid('system', 'expected a string or an array of text blocks.');
  const parts = value.map((block, index): ContentPart => {
    const at = `system[${index}]`;
    if (!isRecord(block) || block.type !== 'text') throw invalid(at, "expected a { type: 'text', text } block.");
    return { type: 'text', text: requiredText(block, at) };
  });
  return parts.length === 0 ? undefined : simplify(parts);
}

function parseTools(value: unknown): ToolDefinition[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid('tools', 'expected an array of tools.');
  return value.map((tool, index) => {
    const at = `tools[${index}]`;
    if (!isRecord(tool)) throw invalid(at, 'expected { name, description?, input_schema }.');
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
      throw unsupported(`${at}.type`, `Server tool '${String(tool.type)}' at ${at} runs inside Anthropic's service and is not available here; define a client tool with name and input_schema.`);
    }
    if (typeof tool.name !== 'string' || tool.name === '') throw invalid(`${at}.name`, 'expected a non-empty string.');
    if (!isRecord(tool.input_schema)) throw invalid(`${at}.input_schema`, "expected a JSON Schema object, e.g. { type: 'object', properties: {} }.");
    const definition: ToolDefinition = { name: tool.name, parameters: tool.input_schema };
    if (typeof tool.description === 'string') definition.description = tool.description;
    return definition;
  });
}

function parseToolChoice(value: unknown): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (isRecord(value)) {
    if (value.type === 'auto') return 'auto';
    if (value.type === 'any') return 'required';
    if (value.type === 'none') return 'none';
    if (value.type === 'tool' && typeof value.name === 'string') return { name: value.name };
  }
  throw invalid('tool_choice', "expected { type: 'auto' }, { type: 'any' }, { type: 'none' } or { type: 'tool', name }.");
}

/** `output_config.format` (structured output) → our response format; `effort` has no equivalent and is dropped. */
function parseOutputConfig(value: unknown): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalid('output_config', 'expected an object.');
  const format = value.format;
  if (format === undefined || format === null) return undefined;
  if (!isRecord(format) || format.type !== 'json_schema' || !isRecord(format.schema)) {
    throw invalid('output_config.format', "expected { type: 'json_schema', schema: { ... } }.");
  }
  return { type: 'json_schema', schema: format.schema, strict: true };
}

function parseStopSequences(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > 16 || !value.every((s) => typeof s === 'string')) {
    throw invalid('stop_sequences', 'expected an array of at most 16 strings.');
  }
  const stops = (value as string[]).filter((s) => s !== '');
  return stops.length > 0 ? stops : undefined;
}

/** Turns an Anthropic Messages body into our internal chat request, naming any bad field. */
export function parseMessagesBody(body: unknown): ParsedMessagesBody {
  if (!isRecord(body)) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', 'The request body must be a JSON object.');
  const model = requiredModel(body);
  if (body.max_tokens === undefined || body.max_tokens === null) {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', "Missing required parameter: 'max_tokens'. The Messages API needs an upper bound on the answer's length, e.g. max_tokens: 1024.", { param: 'max_tokens' });
  }
  const maxTokens = optionalInt(body, 'max_tokens', 1)!;
  const messages: ChatMessage[] = [];
  const system = parseSystem(body.system);
  if (system !== undefined) messages.push({ role: 'system', content: system });
  parseTurns(body.messages, messages);
  const request: ChatRequest = { kind: 'chat', messages, maxTokens };
  // Anthropic's ranges: temperature 0..1 (not OpenAI's 0..2).
  const temperature = optionalNumber(body, 'temperature', 0, 1);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(body, 'top_p', 0, 1);
  if (topP !== undefined) request.topP = topP;
  const topK = optionalInt(body, 'top_k', 0);
  if (topK !== undefined) request.topK = topK;
  const stop = parseStopSequences(body.stop_sequences);
  if (stop) request.stop = stop;
  const tools = parseTools(body.tools);
  if (tools) request.tools = tools;
  const toolChoice = parseToolChoice(body.tool_choice);
  if (toolChoice) request.toolChoice = toolChoice;
  const responseFormat = parseOutputConfig(body.output_config);
  if (responseFormat) request.responseFormat = responseFormat;
  const metadata = body.metadata;
  if (metadata !== undefined && metadata !== null) {
    if (!isRecord(metadata)) throw invalid('metadata', 'expected an object such as { user_id }.');
    if (metadata.user_id !== undefined && metadata.user_id !== null) {
      if (typeof metadata.user_id !== 'string') throw invalid('metadata.user_id', 'expected a string.');
      request.user = metadata.user_id;
    }
  }
  const extra = extraFields(body, knownFields);
  if (extra) request.providerOptions = extra;
  return { model, stream: optionalBoolean(body, 'stream') ?? false, request };
}
