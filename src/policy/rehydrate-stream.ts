import type { GenerateResult, StreamPart } from '../backends/types.ts';
import { restoreJsonText, restoreText, type Placeholders } from './placeholders.ts';

/** A complete answer with its placeholders turned back into the values (text and tool arguments). */
export function rehydrateResult(result: GenerateResult, placeholders: Placeholders): GenerateResult {
  return {
    ...result,
    text: restoreText(result.text, placeholders),
    toolCalls: result.toolCalls.map((call) => ({ ...call, arguments: restoreJsonText(call.arguments, placeholders) })),
  };
}

/** How much of `pending` may go out now: all of it, unless its tail could be the start of a placeholder. */
function safeLength(pending: string, placeholders: Placeholders): number {
  const open = pending.lastIndexOf('<');
  if (open === -1 || pending.indexOf('>', open) !== -1) return pending.length;
  return placeholders.couldStart(pending.slice(open)) ? open : pending.length;
}

/**
 * Re-hydrates a streamed answer. A placeholder may arrive split across deltas ("<EMA", "IL_1>"), so
 * a delta's tail that could still become one is held back until the next delta decides it; held
 * text is flushed before any other part and at the end. Text and each tool call's arguments are
 * held apart, since they interleave independently.
 */
export async function* rehydrateStream(parts: AsyncIterable<StreamPart>, placeholders: Placeholders): AsyncGenerator<StreamPart> {
  let text = '';
  const args = new Map<number, string>();
  function* flushText(): Generator<StreamPart> {
    if (text === '') return;
    const out = restoreText(text, placeholders);
    text = '';
    yield { type: 'text-delta', text: out };
  }
  function* flushArgs(): Generator<StreamPart> {
    for (const [index, held] of args) if (held !== '') yield { type: 'tool-call-delta', index, argumentsDelta: restoreJsonText(held, placeholders) };
    args.clear();
  }
  for await (const part of parts) {
    if (part.type === 'text-delta') {
      text += part.text;
      const cut = safeLength(text, placeholders);
      if (cut === 0) continue;
      const out = restoreText(text.slice(0, cut), placeholders);
      text = text.slice(cut);
      yield { type: 'text-delta', text: out };
    } else if (part.type === 'tool-call-delta') {
      yield* flushText();
      const held = (args.get(part.index) ?? '') + part.argumentsDelta;
      const cut = safeLength(held, placeholders);
      args.set(part.index, held.slice(cut));
      yield { ...part, argumentsDelta: restoreJsonText(held.slice(0, cut), placeholders) };
    } else {
      yield* flushText();
      yield* flushArgs();
      yield part;
    }
  }
  yield* flushText();
  yield* flushArgs();
}
