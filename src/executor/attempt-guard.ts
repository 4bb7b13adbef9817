import type { EmbedRequest, GenerateRequest, GenerateResult, StreamPart } from '../backends/types.ts';

/** What one attempt sends, and how its answer is turned back before it reaches the client. */
export interface PreparedGenerate {
  request: GenerateRequest;
  /** Re-hydrates a complete answer (e.g. placeholders back to the original values). */
  restoreResult?(result: GenerateResult): GenerateResult;
  /** Re-hydrates a streamed answer, part by part (placeholders may be split across parts). */
  restoreStream?(parts: AsyncIterable<StreamPart>): AsyncIterable<StreamPart>;
}

/**
 * The policy's hook into the executor. The executor calls it before *every* attempt — first try,
 * retry, fallback, hedge and cascade step — with the model about to receive the request, so no
 * path can send data to a zone the policy forbids. It throws an UnbundleError to forbid the attempt
 * (the executor then treats that model as not allowed and moves on, never retrying it); it never does I/O.
 */
export interface AttemptGuard {
  generate(modelId: string, request: GenerateRequest): PreparedGenerate;
  embed(modelId: string, request: EmbedRequest): EmbedRequest;
}
