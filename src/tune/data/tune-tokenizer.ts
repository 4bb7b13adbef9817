import { existsSync } from 'node:fs';
import type { ChatMessage } from '../../backends/types.ts';
import { toChatHistory } from '../../backends/llamacpp/chat-prompt.ts';
import { UnbundleError } from '../../errors.ts';
import { sharedLlama } from '../eval/shared-llama.ts';

/**
 * The base model's own tokenizer, through node-llama-cpp (vocabulary only, no weights), so
 * training sees exactly the tokens the served model will see.
 */
export interface TuneTokenizer {
  /** As the llama.cpp backend tokenises a prompt: no BOS, special-token text kept as text. */
  tokenize(text: string): number[];
  /** Prepended to every sequence when the model expects it. */
  bos: number | undefined;
  eos: number | undefined;
  /**
   * Present when the model has a chat template: the rendered conversation before `answer`
   * (template BOS included) and the answer's tokens with the template's end-of-turn.
   */
  chatTurn?: (history: readonly ChatMessage[], answer: string) => { prompt: number[]; completion: number[] };
  close(): Promise<void>;
}

export async function openTuneTokenizer(modelPath: string): Promise<TuneTokenizer> {
  if (!existsSync(modelPath)) throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `Base model not found: ${modelPath}. Pass the path of a llama GGUF file with --base.`);
  const lib = await import('node-llama-cpp');
  const llama = await sharedLlama();
  let model: Awaited<ReturnType<typeof llama.loadModel>>;
  try {
    model = await llama.loadModel({ modelPath, vocabOnly: true });
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `Cannot load the tokenizer of ${modelPath}: ${(error as Error).message}`, { cause: error });
  }
  const template = model.fileInfo.metadata.tokenizer?.chat_template;
  // The backend renders chats through the template only when the file has one; so do we.
  const wrapper = typeof template === 'string' && template !== '' ? lib.resolveChatWrapper(model) : undefined;
  const bos = model.tokens.bos !== null && model.tokens.shouldPrependBosToken ? model.tokens.bos : undefined;
  const eos = model.tokens.eos ?? undefined;
  const tokenizer: TuneTokenizer = {
    tokenize: (text) => [...model.tokenize(text, false)],
    bos,
    eos,
    close: () => model.dispose(),
  };
  if (wrapper) {
    const endOfTurn = (() => {
      const state = wrapper.generateContextState({ chatHistory: [{ type: 'user', text: '' }, { type: 'model', response: [] }] });
      // The first stop trigger that is not plain EOS is the template's own end-of-turn marker.
      for (const trigger of state.stopGenerationTriggers) {
        const tokens = trigger.tokenize(model.tokenizer);
        if (tokens.length > 0 && !(tokens.length === 1 && tokens[0] === model.tokens.eos)) return [...tokens];
      }
      return eos !== undefined ? [eos] : [];
    })();
    tokenizer.chatTurn = (history, answer) => {
      const before = toChatHistory([...history], 'tune');
      const after = toChatHistory([...history, { role: 'assistant', content: answer }], 'tune');
      const prompt = [...wrapper.generateContextState({ chatHistory: before }).contextText.tokenize(model.tokenizer)];
      const full = [...wrapper.generateContextState({ chatHistory: after }).contextText.tokenize(model.tokenizer)];
      const shared = commonPrefix(prompt, full);
      return { prompt: full.slice(0, shared), completion: [...full.slice(shared), ...endOfTurn] };
    };
  }
  return tokenizer;
}

export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}
