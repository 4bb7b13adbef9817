import { performance } from 'node:perf_hooks';
import type { ChatHistoryItem, LlamaGrammar, Token } from 'node-llama-cpp';
import { UnbundleError, toUnbundleError } from '../../errors.ts';
import type { LlamacppModelConfig } from '../../portfolio/schema.ts';
import type { Backend, BackendState, BackendStatus } from '../backend.ts';
import type { EmbedRequest, EmbedResult, FinishReason, GenerateRequest, GenerateResult, StreamPart } from '../types.ts';
import { AsyncQueue } from './async-queue.ts';
import { plainChatStopTriggers, renderPlainChatPrompt, toChatHistory, trimmingStart, type TextSink } from './chat-prompt.ts';
import type { LlamaRuntime } from './llama-runtime.ts';
import { loadModelState, type LoadedModel } from './load-model-state.ts';
import { requestedMaxTokens, samplingFor } from './sampling-options.ts';
import { RequestSignals, abortable } from './request-signals.ts';
import { SlotPool, cancelled } from './slot-pool.ts';
import { planToolUse, readToolAnswer } from './tool-calling.ts';
import { SlotSet } from '../../util/slot-set.ts';

/** What one request feeds llama.cpp, decided before it takes a slot's time. */
type PreparedInput =
  | { mode: 'tokens'; tokens: Token[]; promptTokens: number; extraStops: readonly string[]; trimStart: boolean }
  | { mode: 'chat-template'; history: ChatHistoryItem[]; promptTokens: number; extraStops: readonly string[]; trimStart: false };

/**
 * A GGUF model served in-process by llama.cpp. One context holds `parallel` sequences, so
 * concurrent requests are decoded in the same batches; a bounded FIFO queue holds the overflow.
 * Weights load on the first request (or `warm()`), shared with other ids that use the same file.
 */
export class LlamacppBackend implements Backend {
  readonly specVersion = 'v1';
  readonly kind = 'llamacpp';
  readonly modelId: string;
  /** Present only when the portfolio enables embeddings for this model. */
  readonly embed?: (request: EmbedRequest, signal: AbortSignal) => Promise<EmbedResult>;

  private status: BackendStatus = 'unloaded';
  private lastError: string | undefined;
  private loading: Promise<LoadedModel> | undefined;
  private loaded: LoadedModel | undefined;
  private closed = false;
  private readonly requests = new RequestSignals();
  /** Not a Set: an entry per request in a long-lived Set gets requests promoted (slot-set.ts). */
  private readonly inflight = new SlotSet<Promise<unknown>>();
  private readonly pool: SlotPool<number>;
  /** Smoothed request duration, for an honest Retry-After when the queue is full. */
  private averageMs = 1000;

  constructor(readonly config: LlamacppModelConfig, private readonly runtime: LlamaRuntime) {
    this.modelId = config.id;
    this.pool = new SlotPool(
      Array.from({ length: config.parallel }, (_, index) => index),
      { queueLimit: config.queueLimit, describe: () => ({ modelId: this.modelId, retryAfterSeconds: this.retryAfterSeconds() }) },
    );
    if (config.embeddings) this.embed = (request, signal) => this.track(this.embedWith(request, signal));
  }

  state(): BackendState {
    const state: BackendState = { status: this.status, active: this.pool.active, queued: this.pool.queued };
    if (this.lastError !== undefined) state.lastError = this.lastError;
    return state;
  }

  async warm(): Promise<void> {
    await this.ensureLoaded();
  }

  generate(request: GenerateRequest, signal: AbortSignal): Promise<GenerateResult> {
    return this.track(this.execute(request, signal, undefined));
  }

  async *stream(request: GenerateRequest, signal: AbortSignal): AsyncIterable<StreamPart> {
    const chunks = new AsyncQueue<string>();
    // Aborted when the consumer stops reading early, so the slot is not held for nobody.
    const stop = new RequestSignals();
    const linked = stop.open(signal);
    const run = this.track(this.execute(request, linked.signal, (text) => chunks.push(text)));
    run.then(() => chunks.end(), (error: unknown) => chunks.fail(error));
    let finished = false;
    try {
      for await (const text of chunks) yield { type: 'text-delta', text };
      const result = await run;
      for (let index = 0; index < result.toolCalls.length; index++) {
        const call = result.toolCalls[index]!;
        yield { type: 'tool-call-delta', index, id: call.id, name: call.name, argumentsDelta: call.arguments };
      }
      yield { type: 'usage', usage: result.usage };
      finished = true;
      yield { type: 'finish', finishReason: result.finishReason };
    } finally {
      if (!finished) {
        stop.abortAll(cancelled(signal));
        await run.catch(() => undefined);
      }
      linked.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new UnbundleError('UNBUNDLE_E_SHUTTING_DOWN', `Model "${this.modelId}" is shutting down; retry on another instance.`);
    this.pool.close(error);
    this.requests.abortAll(error);
    await Promise.allSettled([...this.inflight]);
    const loaded = this.loaded ?? (await this.loading?.catch(() => undefined));
    this.loaded = undefined;
    if (loaded) await loaded.dispose(error);
    this.status = 'unloaded';
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    const slot = this.inflight.add(promise);
    const forget = () => this.inflight.delete(slot, promise);
    promise.then(forget, forget);
    return promise;
  }

  private ensureLoaded(): Promise<LoadedModel> {
    if (this.closed) return Promise.reject(new UnbundleError('UNBUNDLE_E_SHUTTING_DOWN', `Model "${this.modelId}" is shut down.`));
    if (this.loaded) return Promise.resolve(this.loaded);
    if (!this.loading) {
      this.status = 'loading';
      this.loading = loadModelState(this.config, this.runtime).then(
        (loaded) => {
          this.loaded = loaded;
          this.status = 'ready';
          this.lastError = undefined;
          return loaded;
        },
        (error: unknown) => {
          // Forget the failure so the next request retries (the file may have been fixed).
          this.loading = undefined;
          this.status = 'error';
          this.lastError = (error as Error).message;
          throw error;
        },
      );
    }
    return this.loading;
  }

  private async execute(request: GenerateRequest, callerSignal: AbortSignal, sink: TextSink | undefined): Promise<GenerateResult> {
    if (this.closed) throw new UnbundleError('UNBUNDLE_E_SHUTTING_DOWN', `Model "${this.modelId}" is shut down.`);
    // Tools: the model answers with grammar-constrained JSON, read back into a call or a reply.
    const tooling = planToolUse(request, this.modelId);
    const maxTokens = requestedMaxTokens(request, this.config.defaultMaxTokens);
    if (callerSignal.aborted) throw cancelled(callerSignal);
    const linked = this.requests.open(callerSignal);
    const { signal } = linked;
    // The first request starts the load at once, so requests queued behind it do not wait longer.
    if (this.status === 'unloaded') this.ensureLoaded().catch(() => undefined);
    let slotIndex: number;
    try {
      slotIndex = await this.pool.acquire(signal);
    } catch (error) {
      linked.release();
      throw error;
    }
    const started = performance.now();
    try {
      const loaded = await abortable(this.ensureLoaded(), signal);
      const effective = tooling === undefined ? request : tooling.request;
      const input = this.prepare(effective, loaded);
      const grammar = await loaded.grammars.grammarFor(tooling === undefined ? request.responseFormat : tooling.format);
      signal.throwIfAborted();
      if (tooling === undefined) return await this.run(loaded, slotIndex, input, request, { maxTokens, grammar, signal, sink });
      // The raw JSON is not the answer: a streamed reply is sent once it has been read.
      const result = await this.run(loaded, slotIndex, input, effective, { maxTokens, grammar, signal, sink: undefined });
      const answer = readToolAnswer(result.text, result.finishReason);
      if (sink !== undefined && answer.text !== '') sink(answer.text);
      return { ...result, ...answer };
    } catch (error) {
      throw this.abortError(error, signal, callerSignal);
    } finally {
      linked.release();
      this.pool.release(slotIndex);
      this.averageMs = this.averageMs * 0.8 + (performance.now() - started) * 0.2;
    }
  }

  private prepare(request: GenerateRequest, loaded: LoadedModel): PreparedInput {
    const { model } = loaded;
    let input: PreparedInput;
    if (request.kind === 'chat' && loaded.chatWrapper) {
      const history = toChatHistory(request.messages, this.modelId);
      const rendered = loaded.chatWrapper.generateContextState({ chatHistory: history }).contextText;
      input = { mode: 'chat-template', history, promptTokens: rendered.tokenize(model.tokenizer).length, extraStops: [], trimStart: false };
    } else {
      const plain = request.kind === 'chat' ? renderPlainChatPrompt(request.messages, this.modelId) : undefined;
      const text = request.kind === 'chat' ? plain!.prompt : request.prompt;
      // Tokenised like llama.cpp's own server does (SentencePiece keeps its space prefix), and
      // with special tokens off, so text that spells "<|im_start|>" stays text.
      const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null;
      const tokens = model.tokenize(text, false);
      input = {
        mode: 'tokens',
        tokens,
        promptTokens: tokens.length + (bos ? 1 : 0),
        extraStops: plain ? plainChatStopTriggers : [],
        trimStart: plain !== undefined && !plain.continuesAssistant,
      };
    }
    const contextSize = loaded.context.contextSize;
    if (input.promptTokens >= contextSize) {
      throw new UnbundleError(
        'UNBUNDLE_E_CONTEXT_LENGTH',
        `The prompt is ${input.promptTokens} tokens but model "${this.modelId}" has a context of ${contextSize} tokens, which must also hold the answer. Shorten the prompt, or raise contextSize (now ${this.config.contextSize}) in the portfolio.`,
        { param: request.kind === 'chat' ? 'messages' : 'prompt' },
      );
    }
    return input;
  }

  private async run(
    loaded: LoadedModel,
    slotIndex: number,
    input: PreparedInput,
    request: GenerateRequest,
    options: { maxTokens: number; grammar: LlamaGrammar | undefined; signal: AbortSignal; sink: TextSink | undefined },
  ): Promise<GenerateResult> {
    const slot = loaded.slots[slotIndex]!;
    const onTextChunk = input.trimStart ? trimmingStart(options.sink) : options.sink;
    // The answer gets what room the context has left: llama.cpp must not silently drop the prompt.
    const maxTokens = Math.min(options.maxTokens, loaded.context.contextSize - input.promptTokens);
    const common = {
      ...samplingFor(request, input.extraStops),
      maxTokens,
      signal: options.signal,
      ...(onTextChunk ? { onTextChunk } : {}),
      ...(options.grammar ? { grammar: options.grammar } : {}),
    };
    const meterBefore = slot.sequence.tokenMeter.getState();
    let text: string;
    let stopReason: string;
    if (input.mode === 'chat-template') {
      const result = await slot.chat!.generateResponse(input.history, common);
      text = result.response;
      stopReason = result.metadata.stopReason;
    } else {
      const result = await slot.completion.generateCompletionWithMeta(input.tokens, { ...common, disableContextShift: true, contextShiftSize: 1 });
      text = input.trimStart ? result.response.trimStart() : result.response;
      stopReason = result.metadata.stopReason;
    }
    if (stopReason === 'abort') throw cancelled(options.signal);
    const used = slot.sequence.tokenMeter.diff(meterBefore);
    return {
      text,
      toolCalls: [],
      finishReason: finishReasonFor(stopReason),
      usage: { inputTokens: input.promptTokens, outputTokens: used.usedOutputTokens },
    };
  }

  private async embedWith(request: EmbedRequest, callerSignal: AbortSignal): Promise<EmbedResult> {
    const linked = this.requests.open(callerSignal);
    const { signal } = linked;
    try {
      const loaded = await abortable(this.ensureLoaded(), signal);
      return await loaded.embedder!.embed(request, signal);
    } catch (error) {
      throw this.abortError(error, signal, callerSignal);
    } finally {
      linked.release();
    }
  }

  /** Errors after an abort say why: the client left (CANCELLED) or the model is closing. */
  private abortError(error: unknown, signal: AbortSignal, callerSignal: AbortSignal): unknown {
    if (!signal.aborted) return toUnbundleError(error);
    return this.requests.closed && !callerSignal.aborted ? signal.reason : cancelled(signal);
  }

  private retryAfterSeconds(): number {
    const rounds = Math.ceil((this.pool.queued + 1) / this.pool.size);
    return Math.min(60, Math.max(1, Math.ceil((this.averageMs * rounds) / 1000)));
  }
}

function finishReasonFor(stopReason: string): FinishReason {
  if (stopReason === 'maxTokens') return 'length';
  if (stopReason === 'functionCalls') return 'tool_calls';
  return 'stop';
}
