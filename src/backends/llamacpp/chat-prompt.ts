import type { ChatHistoryItem } from 'node-llama-cpp';
import { UnbundleError } from '../../errors.ts';
import type { ChatMessage } from '../types.ts';

/**
 * Turning a conversation into model input. Models whose GGUF carries a chat template get a
 * node-llama-cpp chat history (rendered by that template); models without one get a plain-text
 * transcript that ends where the assistant should continue:
 *
 *     System: You are terse.
 *     User: Hello
 *     Assistant: Hi.
 *     User: Tell me a story
 *     Assistant:
 *
 * Generation stops when the model starts the next "User:" / "System:" line itself.
 */

const labels = { system: 'System', user: 'User', assistant: 'Assistant', tool: 'Tool' } as const;

/** The model must not write the user's next turn: these end its answer in the plain format. */
export const plainChatStopTriggers: readonly string[] = ['\nUser:', '\nSystem:'];

export type TextSink = (text: string) => void;

export interface PlainChatPrompt {
  prompt: string;
  /** True when the last message was a partial assistant answer the model continues verbatim. */
  continuesAssistant: boolean;
}

export function messageText(message: ChatMessage, modelId: string): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((part) => {
      if (part.type === 'text') return part.text;
      throw new UnbundleError(
        'UNBUNDLE_E_UNSUPPORTED',
        `Model "${modelId}" runs on llama.cpp in-process and cannot read images. Send text only, or route image requests to a vision-capable model.`,
        { param: 'messages' },
      );
    })
    .join('\n');
}

function toolCallText(message: ChatMessage): string {
  return (message.toolCalls ?? []).map((call) => `[called ${call.name}(${call.arguments})]`).join(' ');
}

export function renderPlainChatPrompt(messages: readonly ChatMessage[], modelId: string): PlainChatPrompt {
  if (messages.length === 0) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', 'messages must hold at least one message.', { param: 'messages' });
  const lines = messages.map((message) => {
    const text = [messageText(message, modelId), toolCallText(message)].filter((part) => part !== '').join(' ');
    return `${labels[message.role]}: ${text}`;
  });
  const last = messages[messages.length - 1]!;
  if (last.role === 'assistant') return { prompt: lines.join('\n'), continuesAssistant: true };
  return { prompt: `${lines.join('\n')}\n${labels.assistant}:`, continuesAssistant: false };
}

/** The history LlamaChat renders through the model's own template; ends with the turn to fill. */
export function toChatHistory(messages: readonly ChatMessage[], modelId: string): ChatHistoryItem[] {
  if (messages.length === 0) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', 'messages must hold at least one message.', { param: 'messages' });
  const history: ChatHistoryItem[] = messages.map((message) => {
    const text = messageText(message, modelId);
    switch (message.role) {
      case 'system':
        return { type: 'system', text };
      case 'user':
        return { type: 'user', text };
      case 'assistant':
        return { type: 'model', response: [[text, toolCallText(message)].filter((part) => part !== '').join(' ')] };
      case 'tool':
        // Tool calls are made through a JSON-schema grammar (tool-calling.ts), not the template's own
        // function-calling syntax, so a tool result reaches the model as a user turn it can read.
        return { type: 'user', text: `Tool result${message.toolCallId ? ` (${message.toolCallId})` : ''}: ${text}` };
    }
  });
  if (history[history.length - 1]!.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

/** In the plain chat format the model answers after "Assistant:", so its first space is layout. */
export function trimmingStart(sink: TextSink | undefined): TextSink | undefined {
  if (!sink) return undefined;
  let started = false;
  return (text) => {
    if (started) return sink(text);
    const trimmed = text.trimStart();
    if (trimmed === '') return;
    started = true;
    sink(trimmed);
  };
}
