import type { Llama, LlamaGrammar } from 'node-llama-cpp';
import { UnbundleError } from '../../errors.ts';
import type { GenerationOptions, ResponseFormat } from '../types.ts';
import { grammarSchema } from './grammar-schema.ts';

/** When a request gives no temperature: llama.cpp's server default, gentler than OpenAI's 1.0. */
export const defaultTemperature = 0.8;

/** The node-llama-cpp generation options unbundle sets (shared by LlamaCompletion and LlamaChat). */
export interface SamplingOptions {
  temperature: number;
  topP?: number;
  topK?: number;
  seed?: number;
  repeatPenalty?: { presencePenalty?: number; frequencyPenalty?: number };
  customStopTriggers?: string[];
}

/** Maps OpenAI-style knobs onto llama.cpp's sampler. Temperature 0 means greedy. */
export function samplingFor(request: GenerationOptions, extraStops: readonly string[]): SamplingOptions {
  const temperature = request.temperature ?? defaultTemperature;
  if (!Number.isFinite(temperature) || temperature < 0) {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `temperature must be 0 or more, got ${temperature}.`, { param: 'temperature' });
  }
  const options: SamplingOptions = { temperature };
  if (temperature > 0) {
    if (request.topP !== undefined) options.topP = request.topP;
    if (request.topK !== undefined) options.topK = request.topK;
    if (request.seed !== undefined) options.seed = request.seed;
  }
  if (request.presencePenalty || request.frequencyPenalty) {
    options.repeatPenalty = { presencePenalty: request.presencePenalty ?? 0, frequencyPenalty: request.frequencyPenalty ?? 0 };
  }
  const stops = [...(request.stop ?? []), ...extraStops].filter((stop) => stop !== '');
  if (stops.length > 0) options.customStopTriggers = stops;
  return options;
}

/** The requested token budget, checked; the caller clamps it to the room left in the context. */
export function requestedMaxTokens(request: GenerationOptions, fallback: number): number {
  const maxTokens = request.maxTokens ?? fallback;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `max_tokens must be a whole number of at least 1, got ${maxTokens}.`, { param: 'max_tokens' });
  }
  return maxTokens;
}

const grammarCacheSize = 64;

/**
 * Compiles response formats to llama.cpp grammars once per schema. Compiling is cheap but not
 * free, and clients usually send the same few schemas over and over.
 */
export class GrammarCache {
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  constructor(private readonly llama: Llama) {}

  async grammarFor(format: ResponseFormat | undefined): Promise<LlamaGrammar | undefined> {
    if (format === undefined || format.type === 'text') return undefined;
    const key = format.type === 'json_object' ? 'json' : `schema:${JSON.stringify(format.schema)}`;
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = this.compile(format);
      this.grammars.set(key, grammar);
      grammar.catch(() => this.grammars.delete(key));
      if (this.grammars.size > grammarCacheSize) this.grammars.delete(this.grammars.keys().next().value!);
    }
    return grammar;
  }

  private async compile(format: Exclude<ResponseFormat, { type: 'text' }>): Promise<LlamaGrammar> {
    try {
      if (format.type === 'json_object') return await this.llama.getGrammarFor('json');
      // node-llama-cpp accepts the JSON Schema subset it can express as a grammar and ignores
      // keywords it does not know (pattern, format: email), so the output is JSON of the right shape.
      return await this.llama.createGrammarForJsonSchema(grammarSchema(format.schema) as Parameters<Llama['createGrammarForJsonSchema']>[0]);
    } catch (error) {
      throw new UnbundleError(
        'UNBUNDLE_E_BAD_REQUEST',
        `response_format: cannot turn this JSON schema into a llama.cpp grammar: ${(error as Error).message}. Simplify the schema (objects, arrays, enums, const, oneOf and anyOf, type lists, $defs/$ref are supported).`,
        { param: 'response_format', cause: error },
      );
    }
  }
}
