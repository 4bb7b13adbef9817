import { randomBytes } from 'node:crypto';
import { UnbundleError } from '../../errors.ts';
import type { ChatMessage, ChatRequest, FinishReason, GenerateRequest, ResponseFormat, ToolCall, ToolDefinition } from '../types.ts';

/**
 * Tool calling for local GGUF models by grammar-constrained generation. The model is told what
 * tools exist and must answer with one JSON object: `{"name": …, "arguments": {…}}` to call a
 * tool, or (when tool_choice allows a plain reply) `{"answer": "…"}`. A JSON-schema grammar holds
 * it to exactly those shapes, with each tool's own parameter schema, so even a model never trained
 * for tools produces a well-formed call of a tool that exists.
 */

export interface ToolPlan {
  /** The conversation with the tool instructions in front. */
  request: ChatRequest;
  /** The grammar's schema, as a response format the grammar cache already compiles. */
  format: Extract<ResponseFormat, { type: 'json_schema' }>;
}

/** Undefined when the request uses no tools (none given, or tool_choice "none"). */
export function planToolUse(request: GenerateRequest, modelId: string): ToolPlan | undefined {
  const tools = request.tools;
  if (tools === undefined || tools.length === 0 || request.toolChoice === 'none') return undefined;
  if (request.kind !== 'chat') {
    throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `Model "${modelId}": tools need a chat request (/v1/chat/completions), not a text completion.`, { param: 'tools' });
  }
  const choice = request.toolChoice ?? 'auto';
  let callable: ToolDefinition[] = tools;
  if (typeof choice === 'object') {
    callable = tools.filter((tool) => tool.name === choice.name);
    if (callable.length === 0) {
      throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `tool_choice names "${choice.name}", which is not in tools (${tools.map((t) => t.name).join(', ')}). Name one of the tools given.`, { param: 'tool_choice' });
    }
  }
  const mayAnswer = choice === 'auto';
  const shapes: Record<string, unknown>[] = callable.map((tool) => ({
    type: 'object',
    properties: { name: { const: tool.name }, arguments: argumentSchema(tool.parameters) },
    required: ['name', 'arguments'],
  }));
  if (mayAnswer) shapes.unshift({ type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] });
  const schema = shapes.length === 1 ? shapes[0]! : { oneOf: shapes };
  const instructions = toolInstructions(callable, mayAnswer);
  const messages: ChatMessage[] = [{ role: 'system', content: instructions }, ...request.messages];
  return { request: { ...request, messages }, format: { type: 'json_schema', name: 'tool_call', schema } };
}

/** A tool's parameters as the grammar will hold them; no schema means "any object". */
function argumentSchema(parameters: Record<string, unknown> | undefined): Record<string, unknown> {
  if (parameters === undefined || parameters.type !== 'object') return { type: 'object', properties: {} };
  const { $schema: _ignored, ...rest } = parameters;
  return 'properties' in rest ? rest : { ...rest, properties: {} };
}

function toolInstructions(tools: readonly ToolDefinition[], mayAnswer: boolean): string {
  const lines = tools.map((tool) => `- ${tool.name}${tool.description ? `: ${tool.description}` : ''}; arguments: ${JSON.stringify(tool.parameters ?? { type: 'object' })}`);
  const reply = mayAnswer ? ' To reply without a tool, answer {"answer": "your reply"}.' : '';
  return `You can call these tools:\n${lines.join('\n')}\nTo call a tool, answer with JSON {"name": "<tool>", "arguments": {...}}.${reply} Tool results come back as messages starting "Tool result".`;
}

/**
 * The model's JSON → text or one tool call. An answer cut short by max_tokens cannot be whole
 * JSON; a call whose name was already written is still reported (arguments as far as they got,
 * finish "length"), the way OpenAI reports a truncated call; a reply is the text it got to; and a
 * cut before either is recognisable is an empty answer: the grammar's JSON never reaches the client.
 */
export function readToolAnswer(output: string, finishReason: FinishReason): { text: string; toolCalls: ToolCall[]; finishReason: FinishReason } {
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch {
    const partial = /^\s*\{\s*"name"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"arguments"\s*:\s*([\s\S]*)$/.exec(output);
    if (partial !== null) return { text: '', toolCalls: [{ id: newCallId(), name: JSON.parse(`"${partial[1]}"`) as string, arguments: partial[2]! }], finishReason };
    const reply = /^\s*\{\s*"answer"\s*:\s*"/.exec(output);
    if (reply !== null) return { text: jsonStringPrefix(output.slice(reply[0].length)), toolCalls: [], finishReason };
    if (/^\s*\{/.test(output)) return { text: '', toolCalls: [], finishReason };
    return { text: output, toolCalls: [], finishReason };
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (typeof record.name === 'string') {
      return { text: '', toolCalls: [{ id: newCallId(), name: record.name, arguments: JSON.stringify(record.arguments ?? {}) }], finishReason: finishReason === 'length' ? 'length' : 'tool_calls' };
    }
    if (typeof record.answer === 'string') return { text: record.answer, toolCalls: [], finishReason };
  }
  return { text: output, toolCalls: [], finishReason };
}

/** The text of a JSON string literal cut short: up to its closing quote or its last whole character (a cut escape is dropped). */
function jsonStringPrefix(body: string): string {
  const whole = /^(?:[^"\\]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*/.exec(body)![0];
  const text = JSON.parse(`"${whole}"`) as string;
  // A cut between the two halves of an escaped surrogate pair leaves half a character: drop it.
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, -1) : text;
}

function newCallId(): string {
  return `call_${randomBytes(9).toString('base64url')}`;
}
