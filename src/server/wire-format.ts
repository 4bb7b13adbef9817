import type { GenerateResult, StreamPart } from '../backends/types.ts';
import type { UnbundleError } from '../errors.ts';

/**
 * How one generated answer is written for the client: OpenAI's chat and legacy completions, or
 * Anthropic's messages. Stateless singletons, so choosing a format costs no allocation; the
 * stream encoder is the only per-request object, and only for streams.
 */
export interface WireFormat {
  /** The answer's id: `chatcmpl-…`, `cmpl-…` or `msg_…`, from the request id. */
  responseId(requestId: string): string;
  /** A complete (non-streamed) answer as a JSON body. */
  encodeResult(id: string, model: string, created: number, result: GenerateResult): string;
  streamEncoder(id: string, model: string, created: number, includeUsage: boolean): StreamEncoder;
}

/** Turns typed stream parts into SSE frames; each method returns text to write ('' for nothing). */
export interface StreamEncoder {
  start(): string;
  encode(part: StreamPart): string;
  /** After the stream's last part. */
  done(): string;
  /** After a failure once the 200 is out: an explicit error event, never a silently truncated stream. */
  error(error: UnbundleError): string;
}
