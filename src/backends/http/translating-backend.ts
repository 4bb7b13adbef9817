import { UnbundleError } from '../../errors.ts';
import type { Backend, BackendKind, BackendState } from '../backend.ts';
import { parseJson } from '../openai-compatible/openai-response.ts';
import { SseParser } from '../sse.ts';
import type { GenerateRequest, GenerateResult, StreamPart } from '../types.ts';
import type { UpstreamClient } from './upstream-client.ts';

/** Reads one provider's stream events; `finish()` returns the closing parts or throws when cut short. */
export interface StreamReader {
  read(data: string, event: string | undefined): StreamPart[];
  finish(): StreamPart[];
}

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
export class TranslatingBackend implements Backend {
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

  async *stream(request: GenerateRequest, signal: AbortSignal): AsyncGenerator<StreamPart> {
    if (this.missingKey !== undefined) throw this.missingKey;
    const body = this.dialect.body(request, true);
    const { path, query } = this.dialect.target(request, true);
    this.client.active++;
    try {
      const response = await this.client.post(path, body, signal, query);
      const contentType = response.headers['content-type'];
      if (typeof contentType === 'string' && contentType.includes('application/json')) {
        // An upstream that answers a stream request in one piece (or with an error object) is replayed.
        const text = await this.client.readText(response.body, signal);
        yield* resultAsParts(this.dialect.result(parseJson(text, this.modelId, 'the response body')));
        return;
      }
      const reader = this.dialect.reader();
      const parser = new SseParser();
      try {
        // Leaving this loop early (an error, or the caller stopping) destroys the body and the socket.
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          const events = parser.push(chunk);
          for (let i = 0; i < events.length; i++) {
            const parts = reader.read(events[i]!.data, events[i]!.event);
            for (let j = 0; j < parts.length; j++) yield parts[j]!;
          }
        }
        for (const event of parser.end()) yield* reader.read(event.data, event.event);
      } catch (error) {
        throw error instanceof UnbundleError ? error : this.client.bodyError(error, signal);
      }
      yield* reader.finish();
    } catch (error) {
      throw this.note(error);
    } finally {
      this.client.active--;
    }
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

export function* resultAsParts(result: GenerateResult): Generator<StreamPart> {
  if (result.text !== '') yield { type: 'text-delta', text: result.text };
  for (let index = 0; index < result.toolCalls.length; index++) {
    const call = result.toolCalls[index]!;
    yield { type: 'tool-call-delta', index, id: call.id, name: call.name, argumentsDelta: call.arguments };
  }
  if (result.usage.inputTokens !== undefined || result.usage.outputTokens !== undefined) yield { type: 'usage', usage: result.usage };
  yield { type: 'finish', finishReason: result.finishReason };
}
