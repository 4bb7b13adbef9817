import { renderPlainChatPrompt } from '../../backends/llamacpp/chat-prompt.ts';
import { UnbundleError } from '../../errors.ts';
import type { TrainingExample } from '../train/train-settings.ts';
import type { DatasetRecord } from './dataset-records.ts';
import { commonPrefix, type TuneTokenizer } from './tune-tokenizer.ts';

/**
 * Turns dataset records into training sequences. Text trains on every token; prompt/completion
 * and chat train on the completion / assistant tokens only (and the end of the turn), with the
 * prompt formatted exactly as the llama.cpp backend will format it when serving.
 */

export interface Sequence {
  tokens: number[];
  /** scored[i]: whether tokens[i] is a prediction target. */
  scored: boolean[];
}

function sequenceOf(tokenizer: TuneTokenizer, prompt: number[], completion: number[], withBos: boolean): Sequence {
  const head = withBos && tokenizer.bos !== undefined ? [tokenizer.bos] : [];
  const tail = tokenizer.eos !== undefined ? [tokenizer.eos] : [];
  const tokens = [...head, ...prompt, ...completion, ...tail];
  const firstScored = head.length + prompt.length;
  return { tokens, scored: tokens.map((_, i) => i >= firstScored && i > 0) };
}

/** prompt + completion tokenised as one text (as generation produces it), split where they differ. */
function splitTokens(tokenizer: TuneTokenizer, prompt: string, completion: string): [number[], number[]] {
  const full = tokenizer.tokenize(prompt + completion);
  const shared = prompt === '' ? 0 : commonPrefix(tokenizer.tokenize(prompt), full);
  return [full.slice(0, shared), full.slice(shared)];
}

/** The token sequences a record trains as (one per assistant turn for chats), before windowing. */
export function sequencesOf(record: DatasetRecord, tokenizer: TuneTokenizer): Sequence[] {
  switch (record.kind) {
    case 'text':
      return [sequenceOf(tokenizer, [], tokenizer.tokenize(record.text), true)];
    case 'completion':
      return [sequenceOf(tokenizer, ...splitTokens(tokenizer, record.prompt, record.completion), true)];
    case 'chat': {
      // One sequence per assistant turn: its own history as prompt, so each answer is learned
      // with exactly the context the server will give it.
      const sequences: Sequence[] = [];
      record.messages.forEach((message, i) => {
        if (message.role !== 'assistant') return;
        const history = record.messages.slice(0, i);
        const answer = typeof message.content === 'string' ? message.content : '';
        if (tokenizer.chatTurn) {
          const { prompt, completion } = tokenizer.chatTurn(history, answer);
          const tokens = [...prompt, ...completion];
          sequences.push({ tokens, scored: tokens.map((_, j) => j >= prompt.length && j > 0) });
        } else {
          const prompt = history.length > 0 ? renderPlainChatPrompt(history, 'tune').prompt : 'Assistant:';
          sequences.push(sequenceOf(tokenizer, ...splitTokens(tokenizer, prompt, ` ${answer}`), true));
        }
      });
      return sequences;
    }
  }
}

/**
 * Windows of at most `maxLength` positions. Consecutive windows share one token, so every
 * target of a long text is predicted exactly once.
 */
function windows(sequence: Sequence, maxLength: number): TrainingExample[] {
  const examples: TrainingExample[] = [];
  for (let start = 0; start + 1 < sequence.tokens.length; start += maxLength) {
    const end = Math.min(sequence.tokens.length - 1, start + maxLength);
    const tokens = Int32Array.from(sequence.tokens.slice(start, end));
    const targets = Int32Array.from({ length: end - start }, (_, i) => (sequence.scored[start + i + 1] ? sequence.tokens[start + i + 1]! : -1));
    if (targets.some((t) => t >= 0)) examples.push({ tokens, targets });
  }
  return examples;
}

export function buildExamples(records: readonly DatasetRecord[], tokenizer: TuneTokenizer, maxLength: number, vocab: number): TrainingExample[] {
  const examples: TrainingExample[] = [];
  for (const record of records) {
    for (const sequence of sequencesOf(record, tokenizer)) {
      const bad = sequence.tokens.find((t) => t < 0 || t >= vocab);
      if (bad !== undefined) {
        throw new UnbundleError('UNBUNDLE_E_DATA', `line ${record.line}: the tokenizer produced token ${bad}, outside the model's vocabulary of ${vocab}; the tokenizer and weights do not belong together.`);
      }
      examples.push(...windows(sequence, maxLength));
    }
  }
  return examples;
}
