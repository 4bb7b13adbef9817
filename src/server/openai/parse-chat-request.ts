import type { ChatMessage, ChatRequest, ContentPart, ResponseFormat, ToolCall, ToolChoice, ToolDefinition } from '../../backends/types.ts';
import {
  extraFields,
  invalid,
  isRecord,
  optionalBoolean,
  optionalInt,
  readSamplingOptions,
  requiredModel,
} from './field-reader.ts';
import { UnbundleError } from '../../errors.ts';

export interface ParsedChatBody {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  request: ChatRequest;
  /** Request metadata for routing rules and the ledger (OpenAI's `metadata`). */
  metadata?: Record<string, unknown>;
}

const knownChatFields = new Set([
  'model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p',
  'top_k', 'n', 'stop', 'seed', 'presence_penalty', 'frequency_penalty', 'response_format', 'tools', 'tool_choice',
  'user', 'metadata', 'parallel_tool_calls', 'logprobs', 'top_logprobs', 'store', 'service_tier', 'functions',
  'function_call',
]);

const roles = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

function parseContent(value: unknown, param: string, role: string): string | ContentPart[] {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) {
    if (role === 'assistant') return '';
    throw invalid(param, 'content is required for this role.');
  }
  if (!Array.isArray(value)) throw invalid(param, 'expected a string or an array of content parts.');
  return value.map((part, index): ContentPart => {
    const where = `${param}[${index}]`;
    if (!isRecord(part)) throw invalid(where, 'expected a content part object.');
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw invalid(`${where}.text`, 'expected a string.');
      return { type: 'text', text: part.text };
    }
    if (part.type === 'image_url') {
      const url = isRecord(part.image_url) ? part.image_url.url : undefined;
      if (typeof url !== 'string') throw invalid(`${where}.image_url.url`, 'expected a URL or data: URI string.');
      return { type: 'image', url };
    }
    throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `Content part type '${String(part.type)}' at ${where} is not supported; send 'text' or 'image_url' parts.`, { param: `${where}.type` });
  });
}

function parseToolCalls(value: unknown, param: string): ToolCall[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid(param, 'expected an array of tool calls.');
  return value.map((call, index) => {
    const where = `${param}[${index}]`;
    if (!isRecord(call) || !isRecord(call.function)) throw invalid(where, "expected { id, type: 'function', function: { name, arguments } }.");
    if (typeof call.function.name !== 'string') throw invalid(`${where}.function.name`, 'expected a string.');
    const args = call.function.arguments;
    return { id: typeof call.id === 'string' ? call.id : `call_${index}`, name: call.function.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) };
  });
}

export function parseMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value)) throw invalid('messages', 'expected an array of messages.');
  if (value.length === 0) throw invalid('messages', 'must contain at least one message.');
  return value.map((message, index): ChatMessage => {
    const param = `messages[${index}]`;
    if (!isRecord(message)) throw invalid(param, 'expected a message object with role and content.');
    const role = message.role;
    if (typeof role !== 'string' || !roles.has(role)) {
      throw invalid(`${param}.role`, `expected one of system, developer, user, assistant, tool; got ${JSON.stringify(role)}.`);
    }
    const content = parseContent(message.content, `${param}.content`, role);
    const parsed: ChatMessage = { role: role === 'developer' ? 'system' : role === 'function' ? 'tool' : (role as ChatMessage['role']), content };
    if (typeof message.name === 'string') parsed.name = message.name;
    if (role === 'assistant') {
      const toolCalls = parseToolCalls(message.tool_calls, `${param}.tool_calls`);
      if (toolCalls) parsed.toolCalls = toolCalls;
    }
    if (role === 'tool') {
      if (typeof message.tool_call_id !== 'string' && role === 'tool') throw invalid(`${param}.tool_call_id`, 'a tool message needs the id of the call it answers.');
      parsed.toolCallId = message.tool_call_id as string;
    }
    return parsed;
  });
}

function parseResponseFormat(value: unknown): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalid('response_format', "expected { type: 'text' | 'json_object' | 'json_schema' }.");
  if (value.type === 'text') return { type: 'text' };
  if (value.type === 'json_object') return { type: 'json_object' };
  if (value.type === 'json_schema') {
    const spec = value.json_schema;
    if (!isRecord(spec) || !isRecord(spec.schema)) throw invalid('response_format.json_schema.schema', 'expected a JSON Schema object.');
    const format: ResponseFormat = { type: 'json_schema', schema: spec.schema };
    if (typeof spec.name === 'string') format.name = spec.name;
    if (typeof spec.strict === 'boolean') format.strict = spec.strict;
    return format;
  }
  throw invalid('response_format.type', `expected 'text', 'json_object' or 'json_schema', got ${JSON.stringify(value.type)}.`);
}

function parseTools(value: unknown): ToolDefinition[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid('tools', 'expected an array of tools.');
  return value.map((tool, index) => {
    const fn = isRecord(tool) ? tool.function : undefined;
    if (!isRecord(tool) || tool.type !== 'function' || !isRecord(fn) || typeof fn.name !== 'string') {
      throw invalid(`tools[${index}]`, "expected { type: 'function', function: { name, description?, parameters? } }.");
    }
    const definition: ToolDefinition = { name: fn.name };
    if (typeof fn.description === 'string') definition.description = fn.description;
    if (isRecord(fn.parameters)) definition.parameters = fn.parameters;
    return definition;
  });
}

function parseToolChoice(value: unknown): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  if (isRecord(value) && isRecord(value.function) && typeof value.function.name === 'string') return { name: value.function.name };
  throw invalid('tool_choice', "expected 'auto', 'none', 'required' or { type: 'function', function: { name } }.");
}

/** Turns an OpenAI chat-completions body into our internal request, naming any bad field. */
export function parseChatBody(body: unknown): ParsedChatBody {
  if (!isRecord(body)) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', 'The request body must be a JSON object.');
  const model = requiredModel(body);
  const n = optionalInt(body, 'n', 1, 128);
  if (n !== undefined && n !== 1) throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', "Only n=1 is supported; send several requests for several answers.", { param: 'n' });
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !isRecord(streamOptions)) throw invalid('stream_options', 'expected an object.');
  const request: ChatRequest = { kind: 'chat', messages: parseMessages(body.messages) };
  const maxTokens = optionalInt(body, 'max_completion_tokens', 1) ?? optionalInt(body, 'max_tokens', 1);
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  readSamplingOptions(body, request);
  const responseFormat = parseResponseFormat(body.response_format);
  if (responseFormat) request.responseFormat = responseFormat;
  const tools = parseTools(body.tools);
  if (tools) request.tools = tools;
  const toolChoice = parseToolChoice(body.tool_choice);
  if (toolChoice) request.toolChoice = toolChoice;
  const extra = extraFields(body, knownChatFields);
  if (extra) request.providerOptions = extra;
  const parsed: ParsedChatBody = {
    model,
    stream: optionalBoolean(body, 'stream') ?? false,
    includeUsage: isRecord(streamOptions) && streamOptions.include_usage === true,
    request,
  };
  if (isRecord(body.metadata)) parsed.metadata = body.metadata;
  return parsed;
}
