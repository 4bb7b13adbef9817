import { UnbundleError } from '../../errors.ts';
import type { Backend, BackendKind, BackendState } from '../backend.ts';
import { parseJson } from '../openai-compatible/openai-response.ts';
import { failingStream } from '../failing-stream.ts';
import { resultAsParts } from '../result-as-parts.ts';
import type { StreamDecoding, StreamReader } from './part-stream.ts';
import type { GenerateRequest, GenerateResult, StreamPart } from '../types.ts';
import type { UpstreamClient } from './upstream-client.ts';

/** What makes a provider: where to send, how to translate there and back. No I/O. */
export interface Dialect {
  /** Path below the baseURL, and a query to add (Gemini's `alt=sse`). */
  target(request: GenerateRequest, stream: boolean): { path: string; query?: string };
  body(request: GenerateRequest, stream: boolean): unknown;
  result(body: unknown): GenerateResult;
  reader(): StreamReader;
}

/**
 * A backend for a provider with its own wire format (Anthropic, Gemini): the HTTP client does the
 * I/O and error mapping, the dialect translates. A missing API key fails every request with the
 * same clear error, before anything is sent.
 */
export class TranslatingBackend implements Backend, StreamDecoding {
  readonly specVersion = 'v1' as const;

  constructor(
    readonly modelId: string,
    readonly kind: BackendKind,
    private readonly client: UpstreamClient,
    private readonly dialect: Dialect,
    private readonly missingKey: UnbundleError | undefined,
  ) {}

  async generate(request: GenerateRequest, signal: AbortSignal): Promise<GenerateResult> {
    if (this.missingKey !== undefined) throw this.missingKey;
    const body = this.dialect.body(request, false);
    const { path, query } = this.dialect.target(request, false);
    this.client.active++;
    try {
      const text = await this.client.postForText(path, body, signal, query);
      return this.dialect.result(parseJson(text, this.modelId, 'the response body'));
    } catch (error) {
      throw this.note(error);
    } finally {
      this.client.active--;
    }
  }

  stream(request: GenerateRequest, signal: AbortSignal): AsyncIterable<StreamPart> {
    if (this.missingKey !== undefined) return failingStream(this.missingKey);
    const body = this.dialect.body(request, true);
    const { path, query } = this.dialect.target(request, true);
    return this.client.stream(path, body, signal, this, query);
  }

  /** StreamDecoding: the dialect's SSE reader. */
  reader(): StreamReader {
    return this.dialect.reader();
  }

  /** StreamDecoding: an upstream that answers a stream request in one piece (or with an error object) is replayed. */
  whole(text: string): StreamPart[] {
    return resultAsParts(this.dialect.result(parseJson(text, this.modelId, 'the response body')));
  }

  state(): BackendState {
    return this.client.state();
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private note(error: unknown): unknown {
    if (error instanceof UnbundleError && error.code !== 'UNBUNDLE_E_CANCELLED') this.client.noteError(error);
    return error;
  }
}

