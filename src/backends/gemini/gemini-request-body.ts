import { parseDataUrl } from '../http/data-url.ts';
import { argumentsObject } from '../http/tool-arguments.ts';
import { signatureOf } from './gemini-response.ts';
import type { ChatMessage, ContentPart, GenerateRequest, ToolChoice } from '../types.ts';

/**
 * Our internal request → the body of Gemini's `models/{model}:generateContent` (and
 * `:streamGenerateContent`), per the Gemini API reference: roles `user` / `model`, system
 * messages in `systemInstruction`, tool calls as `functionCall` parts and tool results as
 * `functionResponse` parts (named by looking up the call they answer), sampling knobs in
 * `generationConfig`. Adjacent turns of one role are merged into one `Content`.
 */

type Json = Record<string, unknown>;

export function toGeminiBody(request: GenerateRequest): Json {
  const messages = request.kind === 'chat' ? request.messages : [{ role: 'user' as const, content: request.prompt }];
  const system: string[] = [];
  const contents: Array<{ role: 'user' | 'model'; parts: Json[] }> = [];
  messages.forEach((message, position) => {
    if (message.role === 'system') {
      system.push(typeof message.content === 'string' ? message.content : message.content.map((p) => (p.type === 'text' ? p.text : '')).join(''));
      return;
    }
    const role = message.role === 'assistant' ? 'model' : 'user';
    const parts = message.role === 'tool' ? [functionResponse(message, messages, position)] : toParts(message);
    const last = contents[contents.length - 1];
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  });
  const body: Json = { contents };
  if (system.length > 0) body.systemInstruction = { parts: [{ text: system.join('\n\n') }] };
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = [{
      functionDeclarations: request.tools.map((tool) => {
        const declaration: Json = { name: tool.name };
        if (tool.description !== undefined) declaration.description = tool.description;
        if (tool.parameters !== undefined) declaration.parameters = geminiSchema(tool.parameters);
        return declaration;
      }),
    }];
    if (request.toolChoice !== undefined) body.toolConfig = { functionCallingConfig: toCallingConfig(request.toolChoice) };
  }
  const config: Json = {};
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.topK !== undefined) config.topK = request.topK;
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.stop !== undefined && request.stop.length > 0) config.stopSequences = request.stop;
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty;
  const format = request.responseFormat;
  if (format !== undefined && format.type !== 'text') {
    config.responseMimeType = 'application/json';
    if (format.type === 'json_schema') config.responseSchema = geminiSchema(format.schema);
  }
  if (Object.keys(config).length > 0) body.generationConfig = config;
  return body;
}

function toParts(message: ChatMessage): Json[] {
  const parts: Json[] = typeof message.content === 'string'
    ? message.content === '' ? [] : [{ text: message.content }]
    : message.content.map(toPart);
  if (message.role === 'assistant') {
    for (const call of message.toolCalls ?? []) {
      const part: Json = { functionCall: { name: call.name, args: argumentsObject(call.arguments) } };
      const signature = signatureOf(call.id);
      if (signature !== undefined) part.thoughtSignature = signature;
      parts.push(part);
    }
  }
  // Gemini rejects a Content with no parts; an empty turn still says "nothing was said".
  return parts.length > 0 ? parts : [{ text: '' }];
}

const imageTypes: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', heif: 'image/heif' };

function toPart(part: ContentPart): Json {
  if (part.type === 'text') return { text: part.text };
  const data = parseDataUrl(part.url);
  if (data !== undefined) return { inlineData: { mimeType: part.mediaType ?? data.mediaType, data: data.base64 } };
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(part.url)?.[1]?.toLowerCase();
  return { fileData: { mimeType: part.mediaType ?? imageTypes[extension ?? ''] ?? 'image/jpeg', fileUri: part.url } };
}

/** A tool result answers the call with the same id earlier in the conversation; Gemini wants its name. */
function functionResponse(message: ChatMessage, messages: readonly ChatMessage[], position: number): Json {
  let name = message.name ?? '';
  for (let i = position - 1; i >= 0 && name === ''; i--) {
    const call = messages[i]!.toolCalls?.find((c) => c.id === message.toolCallId);
    if (call !== undefined) name = call.name;
  }
  const text = typeof message.content === 'string' ? message.content : message.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  const parsed = argumentsObject(text);
  // A result that is not a JSON object is wrapped: functionResponse.response must be an object.
  const response = '_raw' in parsed && Object.keys(parsed).length === 1 ? { result: text } : parsed;
  return { functionResponse: { name, response } };
}

function toCallingConfig(choice: ToolChoice): Json {
  if (choice === 'auto') return { mode: 'AUTO' };
  if (choice === 'none') return { mode: 'NONE' };
  if (choice === 'required') return { mode: 'ANY' };
  return { mode: 'ANY', allowedFunctionNames: [choice.name] };
}

/** The keys of Gemini's `Schema` object (an OpenAPI 3.0 subset); anything else is rejected upstream. */
const schemaKeys = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required', 'minProperties',
  'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering', 'default', 'items', 'minimum', 'maximum',
]);

/** JSON Schema → Gemini Schema: unknown keywords ($schema, additionalProperties, …) are dropped. */
export function geminiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(geminiSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema as Json)) {
    if (!schemaKeys.has(key)) continue;
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      out.properties = Object.fromEntries(Object.entries(value as Json).map(([name, sub]) => [name, geminiSchema(sub)]));
    } else if (key === 'items' || key === 'anyOf') out[key] = geminiSchema(value);
    else out[key] = value;
  }
  return out;
}
