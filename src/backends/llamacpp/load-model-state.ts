import type { ChatWrapper, LlamaChat, LlamaCompletion, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { UnbundleError, isUnbundleError } from '../../errors.ts';
import { readGgufHeader } from '../../portfolio/gguf-header.ts';
import type { LlamacppModelConfig } from '../../portfolio/schema.ts';
import { LlamaEmbedder } from './embedder.ts';
import type { LlamaRuntime } from './llama-runtime.ts';
import { GrammarCache } from './sampling-options.ts';

/** One context sequence with the evaluators that drive it; a request holds one slot at a time. */
export interface Slot {
  sequence: LlamaContextSequence;
  completion: LlamaCompletion;
  /** Present when the GGUF has a chat template. */
  chat: LlamaChat | undefined;
}

export interface LoadedModel {
  model: LlamaModel;
  context: LlamaContext;
  slots: Slot[];
  /** Resolved from the GGUF's own chat template; undefined means the plain transcript format. */
  chatWrapper: ChatWrapper | undefined;
  grammars: GrammarCache;
  embedder: LlamaEmbedder | undefined;
  dispose(error: unknown): Promise<void>;
}

/** Loads (or shares) the weights and builds this model id's own context, LoRA and slots. */
export async function loadModelState(config: LlamacppModelConfig, runtime: LlamaRuntime): Promise<LoadedModel> {
  if (config.lora !== undefined) await checkAdapter(config.lora, config);
  const model = await runtime.loadModel(config.path, { gpu: config.gpu !== false });
  const threads = config.threads ?? runtime.threads;
  let context: LlamaContext;
  try {
    context = await model.createContext({
      contextSize: config.contextSize,
      sequences: config.parallel,
      threads,
      ...(config.lora !== undefined ? { lora: { adapters: [{ filePath: config.lora, scale: config.loraScale }] } } : {}),
    });
  } catch (error) {
    await runtime.release(model);
    throw new UnbundleError(
      'UNBUNDLE_E_MODEL_LOAD',
      `Cannot create a llama.cpp context for model "${config.id}" (${config.path}${config.lora ? ` with LoRA ${config.lora}` : ''}): ${(error as Error).message}. Lower contextSize or parallel in the portfolio, or check that the LoRA was trained for this base model.`,
      { cause: error },
    );
  }
  const { lib } = runtime;
  const template = model.fileInfo.metadata?.tokenizer?.chat_template;
  const chatWrapper = typeof template === 'string' && template !== '' ? lib.resolveChatWrapper(model) : undefined;
  const slots: Slot[] = Array.from({ length: config.parallel }, () => {
    const sequence = context.getSequence();
    return {
      sequence,
      completion: new lib.LlamaCompletion({ contextSequence: sequence }),
      chat: chatWrapper ? new lib.LlamaChat({ contextSequence: sequence, chatWrapper }) : undefined,
    };
  });
  const embedder = config.embeddings
    ? new LlamaEmbedder(model, { modelId: config.id, contextSize: config.contextSize, threads, queueLimit: config.queueLimit })
    : undefined;
  return {
    model,
    context,
    slots,
    chatWrapper,
    grammars: new GrammarCache(runtime.llama),
    embedder,
    async dispose(error: unknown) {
      await embedder?.close(error);
      for (const slot of slots) {
        slot.chat?.dispose();
        slot.completion.dispose();
      }
      await context.dispose();
      await runtime.release(model);
    },
  };
}

/** A wrong file under `lora:` is a config mistake; say so before llama.cpp fails vaguely. */
async function checkAdapter(file: string, config: LlamacppModelConfig): Promise<void> {
  try {
    const [adapter, base] = await Promise.all([readGgufHeader(file), readGgufHeader(config.path)]);
    if (!adapter.isAdapter) {
      throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `Model "${config.id}": lora ${file} is a full model, not a LoRA adapter. Point "lora:" at an adapter GGUF (llama.cpp's convert_lora_to_gguf.py makes one).`);
    }
    if (adapter.architecture !== undefined && base.architecture !== undefined && adapter.architecture !== base.architecture) {
      throw new UnbundleError(
        'UNBUNDLE_E_MODEL_LOAD',
        `Model "${config.id}": the LoRA ${file} is for "${adapter.architecture}" models but ${config.path} is "${base.architecture}". Use the base model the adapter was trained on.`,
      );
    }
  } catch (error) {
    if (isUnbundleError(error)) throw error;
    throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `Model "${config.id}": cannot read LoRA ${file}: ${(error as Error).message}`, { cause: error });
  }
}
