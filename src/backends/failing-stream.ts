import type { StreamPart } from './types.ts';

/** A stream whose first `next()` rejects with `error` (a model that cannot be called at all, e.g. its API key is missing). */
export async function* failingStream(error: Error): AsyncGenerator<StreamPart> {
  throw error;
}
