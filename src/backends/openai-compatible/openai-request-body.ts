import type {
  ChatMessage,
  ContentPart,
  EmbedRequest,
  GenerateRequest,
  GenerationOptions,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
} from '../types.ts';

/**
 * Our internal request → the body OpenAI's API reference defines for /chat/completions,
 * /completions and /embeddings. Runs on every request: plain object building, no validation
 * (the server validated the client's request already).
 */

type Json = Record<string, unknown>;

/**
 * Fields the gateway owns. A client's providerOptions may not set them: the model name is the
 * router's decision and the stream flags decide how we parse the answer. Fields some upstream
 * proxies read as *their* upstream URL or key (LiteLLM's api_base, ...) are dropped too, so no
 * request can steer a hop after ours (SSRF).
 */
const reservedFields = new Set(['model', 'messages', 'prompt', 'stream', 'stream_options', 'input', 'n', 'api_base', 'base_url', 'baseURL', 'baseUrl', 'api_key', 'apiKey', 'api_version', 'custom_llm_provider']);

export function toGenerateBody(request: GenerateRequest, model: string, stream: boolean): Json {
  const body: Json = {};
  const extra = request.providerOptions;
  if (extra !== undefined) {
    for (const key in extra) if (!reservedFields.has(key)) body[key] = extra[key];
  }
  body.model = model;
  if (request.kind === 'chat') body.messages = request.messages.map(toOpenAIMessage);
  else body.prompt = request.prompt;
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  addOptions(body, request);
  return body;
}

function addOptions(body: Json, o: GenerationOptions): void {
  if (o.maxTokens !== undefined) body.max_tokens = o.maxTokens;
  if (o.temperature !== undefined) body.temperature = o.temperature;
  if (o.topP !== undefined) body.top_p = o.topP;
  // Not in OpenAI's reference, but vLLM, llama.cpp server, Ollama and TGI all read it.
  if (o.topK !== undefined) body.top_k = o.topK;
  if (o.seed !== undefined) body.seed = o.seed;
  if (o.stop !== undefined && o.stop.length > 0) body.stop = o.stop;
  if (o.presencePenalty !== undefined) body.presence_penalty = o.presencePenalty;
  if (o.frequencyPenalty !== undefined) body.frequency_penalty = o.frequencyPenalty;
  if (o.responseFormat !== undefined) body.response_format = toResponseFormat(o.responseFormat);
  if (o.tools !== undefined && o.tools.length > 0) body.tools = o.tools.map(toTool);
  if (o.toolChoice !== undefined) body.tool_choice = toToolChoice(o.toolChoice);
  if (o.user !== undefined) body.user = o.user;
}

export function toOpenAIMessage(message: ChatMessage): Json {
  const { role, content } = message;
  if (role === 'tool') {
    return { role, tool_call_id: message.toolCallId ?? '', content: typeof content === 'string' ? content : content.map(toContentPart) };
  }
  const out: Json = { role, content: typeof content === 'string' ? content : content.map(toContentPart) };
  if (message.name !== undefined) out.name = message.name;
  if (role === 'assistant' && message.toolCalls !== undefined && message.toolCalls.length > 0) {
    // OpenAI: content is optional when tool_calls is present; several servers reject "" there.
    if (content === '' || (Array.isArray(content) && content.length === 0)) out.content = null;
    out.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return out;
}

function toContentPart(part: ContentPart): Json {
  if (part.type === 'text') return { type: 'text', text: part.text };
  return { type: 'image_url', image_url: { url: part.url } };
}

function toTool(tool: ToolDefinition): Json {
  const fn: Json = { name: tool.name };
  if (tool.description !== undefined) fn.description = tool.description;
  if (tool.parameters !== undefined) fn.parameters = tool.parameters;
  return { type: 'function', function: fn };
}

function toToolChoice(choice: ToolChoice): unknown {
  if (typeof choice === 'string') return choice;
  return { type: 'function', function: { name: choice.name } };
}

function toResponseFormat(format: ResponseFormat): Json {
  if (format.type !== 'json_schema') return { type: format.type };
  const schema: Json = { name: format.name ?? 'response', schema: format.schema };
  if (format.strict !== undefined) schema.strict = format.strict;
  return { type: 'json_schema', json_schema: schema };
}

export function toEmbeddingsBody(request: EmbedRequest, model: string): Json {
  // Ask for floats explicitly: some servers default to base64 when the field is absent.
  const body: Json = { model, input: request.input, encoding_format: 'float' };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.user !== undefined) body.user = request.user;
  return body;
}
