import type { GenerationOptions } from '../../backends/types.ts';
import { UnbundleError } from '../../errors.ts';

/**
 * Hand-written field checks for request bodies. They run on every request, so they are plain
 * typeof tests rather than a schema library; each failure names the field (OpenAI's `param`).
 */

export function invalid(param: string, message: string): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `Invalid value for '${param}': ${message}`, { param });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalNumber(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(key, `expected a number, got ${typeof value}.`);
  if (value < min || value > max) throw invalid(key, `must be between ${min} and ${max}, got ${value}.`);
  return value;
}

export function optionalInt(body: Record<string, unknown>, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = optionalNumber(body, key, min, max);
  if (value !== undefined && !Number.isInteger(value)) throw invalid(key, `expected an integer, got ${value}.`);
  return value;
}

export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(key, `expected a string, got ${typeof value}.`);
  return value;
}

export function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(key, `expected true or false, got ${typeof value}.`);
  return value;
}

/** `stop`: a string or up to 4 strings (OpenAI's limit; we allow 16). */
export function optionalStop(body: Record<string, unknown>): string[] | undefined {
  const value = body.stop;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : [value];
  if (Array.isArray(value) && value.length <= 16 && value.every((s) => typeof s === 'string')) {
    const stops = value.filter((s: string) => s !== '');
    return stops.length > 0 ? stops : undefined;
  }
  throw invalid('stop', 'expected a string or an array of at most 16 strings.');
}

export function requiredModel(body: Record<string, unknown>): string {
  const model = body.model;
  if (model === undefined) {
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', "Missing required parameter: 'model'. Name a model from GET /v1/models.", { param: 'model' });
  }
  if (typeof model !== 'string' || model === '') throw invalid('model', 'expected a non-empty string.');
  return model;
}

/** Fields the client sent that we do not model: forwarded to OpenAI-compatible upstreams as-is. */
export function extraFields(body: Record<string, unknown>, known: ReadonlySet<string>): Record<string, unknown> | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const key in body) {
    if (!known.has(key)) (extra ??= {})[key] = body[key];
  }
  return extra;
}

/** The sampling fields chat and legacy completions share, copied onto `into` when present. */
export function readSamplingOptions(body: Record<string, unknown>, into: GenerationOptions): void {
  const temperature = optionalNumber(body, 'temperature', 0, 2);
  if (temperature !== undefined) into.temperature = temperature;
  const topP = optionalNumber(body, 'top_p', 0, 1);
  if (topP !== undefined) into.topP = topP;
  const topK = optionalInt(body, 'top_k', 0);
  if (topK !== undefined) into.topK = topK;
  const seed = optionalInt(body, 'seed', Number.MIN_SAFE_INTEGER);
  if (seed !== undefined) into.seed = seed;
  const presence = optionalNumber(body, 'presence_penalty', -2, 2);
  if (presence !== undefined) into.presencePenalty = presence;
  const frequency = optionalNumber(body, 'frequency_penalty', -2, 2);
  if (frequency !== undefined) into.frequencyPenalty = frequency;
  const stop = optionalStop(body);
  if (stop) into.stop = stop;
  const user = optionalString(body, 'user');
  if (user !== undefined) into.user = user;
}
