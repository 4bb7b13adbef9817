import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { UnbundleError } from '../../errors.ts';
import type { OpenAICompatibleModelConfig } from '../../portfolio/schema.ts';
import type { Backend, BackendState } from '../backend.ts';
import { dispatchText, type DispatchFailure, type TextResponse } from '../http/dispatch-text.ts';
import { cancelled, raceAbort } from '../http/upstream-client.ts';
import { SseParser } from '../sse.ts';
import type { EmbedRequest, EmbedResult, GenerateRequest, GenerateResult, StreamPart } from '../types.ts';
import { toEmbeddingsBody, toGenerateBody } from './openai-request-body.ts';
import { parseJson, toEmbedResult, toGenerateResult } from './openai-response.ts';
import { OpenAIStreamReader } from './openai-stream-reader.ts';
import { errorFromStatus, errorFromTransport, isConnectFailure } from './upstream-errors.ts';
import type { TransportPhase } from './upstream-errors.ts';

type Body = Dispatcher.ResponseData['body'];

/** Enough of an error page to quote it; the rest is dropped with the connection. */
const errorBodyLimit = 64 * 1024;

/**
 * Any server speaking OpenAI's HTTP API: vLLM, llama.cpp server, Ollama, TGI, LM Studio, OpenAI.
 *
 * This is the gateway's hot path, so it talks to the upstream through one keep-alive undici Pool
 * and Node streams rather than fetch and web streams (measured: several times the throughput on
 * a small box). Timeouts are undici's own: connect, headers (first byte) and body (idle gap).
 */
export class OpenAICompatibleBackend implements Backend {
  readonly specVersion = 'v1' as const;
  readonly kind = 'openai-compatible' as const;
  readonly modelId: string;

  private readonly pool: Pool;
  private readonly upstreamModel: string;
  private readonly basePath: string;
  private readonly query: string;
  private readonly headers: Record<string, string>;
  /** Set when apiKeyEnv names a variable that is not set: every request fails with it. */
  private readonly missingKey: UnbundleError | undefined;
  private readonly apiKey: string | undefined;
  private readonly timeouts: { connectTimeoutMs: number; firstByteTimeoutMs: number; idleTimeoutMs: number };
  private readonly connections: number;
  private active = 0;
  private connectFailed = false;
  private lastError: string | undefined;
  private closed = false;

  constructor(config: OpenAICompatibleModelConfig, env: NodeJS.ProcessEnv) {
    this.modelId = config.id;
    this.upstreamModel = config.model ?? config.id;
    const url = new URL(config.baseURL);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UnbundleError('UNBUNDLE_E_CONFIG', `Model "${config.id}": baseURL must start with http:// or https://, got "${url.protocol}".`);
    }
    this.basePath = url.pathname.replace(/\/+$/, '');
    // Kept for servers that need a query on every call, e.g. Azure's ?api-version=.
    this.query = url.search;
    // Filled from resilience.timeouts.connectMs when the config is loaded; the fallback is for hand-built configs.
    const connectTimeoutMs = config.connectTimeoutMs ?? 10_000;
    this.timeouts = { connectTimeoutMs, firstByteTimeoutMs: config.firstByteTimeoutMs, idleTimeoutMs: config.idleTimeoutMs };

    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'unbundle' };
    for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
    if (config.apiKeyEnv !== undefined) {
      const key = env[config.apiKeyEnv];
      if (key === undefined || key === '') {
        this.missingKey = new UnbundleError(
          'UNBUNDLE_E_UPSTREAM_AUTH',
          `Model "${config.id}": the environment variable ${config.apiKeyEnv} (apiKeyEnv) is not set, so there is no API key to send. Set it before starting unbundle, or remove apiKeyEnv if the upstream needs no key.`,
        );
      } else {
        this.apiKey = key;
        headers.authorization = `Bearer ${key}`;
      }
    }
    this.headers = headers;
    this.connections = config.connections;
    this.pool = new Pool(url.origin, {
      connections: config.connections,
      pipelining: 1,
      connect: { timeout: connectTimeoutMs },
      headersTimeout: config.firstByteTimeoutMs,
      bodyTimeout: config.idleTimeoutMs,
    });
  }

  async generate(request: GenerateRequest, signal: AbortSignal): Promise<GenerateResult> {
    const body = toGenerateBody(request, this.upstreamModel, false);
    this.active++;
    try {
      const text = await this.sendForText(request.kind === 'chat' ? '/chat/completions' : '/completions', body, signal);
      return toGenerateResult(parseJson(text, this.modelId, 'the response body'), request.kind, this.modelId);
    } finally {
      this.active--;
    }
  }

  async *stream(request: GenerateRequest, signal: AbortSignal): AsyncGenerator<StreamPart> {
    const body = toGenerateBody(request, this.upstreamModel, true);
    this.active++;
    try {
      const response = await this.send(request.kind === 'chat' ? '/chat/completions' : '/completions', body, signal);
      const contentType = response.headers['content-type'];
      if (typeof contentType === 'string' && contentType.includes('application/json')) {
        // A server that ignores `stream: true` answers in one piece: replay it as parts.
        const text = await this.readBody(response.body, signal);
        yield* resultAsParts(toGenerateResult(parseJson(text, this.modelId, 'the response body'), request.kind, this.modelId));
        return;
      }
      const parser = new SseParser();
      const reader = new OpenAIStreamReader(this.modelId, request.kind);
      try {
        // Leaving this loop early (error, or the caller stopping) destroys the body and so the socket.
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          const events = parser.push(chunk);
          for (let i = 0; i < events.length; i++) {
            const event = events[i];
            const parts = reader.read(event.data, event.event);
            for (let j = 0; j < parts.length; j++) yield parts[j];
          }
        }
        for (const event of parser.end()) yield* reader.read(event.data, event.event);
      } catch (error) {
        throw this.failure(error, 'body', signal);
      }
      yield* reader.finish();
    } finally {
      this.active--;
    }
  }

  async embed(request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult> {
    const body = toEmbeddingsBody(request, this.upstreamModel);
    this.active++;
    try {
      const text = await this.sendForText('/embeddings', body, signal);
      return toEmbedResult(parseJson(text, this.modelId, 'the embeddings response'), request.input.length, this.modelId);
    } finally {
      this.active--;
    }
  }

  state(): BackendState {
    const state: BackendState = { status: this.closed ? 'unloaded' : this.connectFailed ? 'error' : 'ready', active: this.active, queued: 0 };
    if (this.lastError !== undefined) state.lastError = this.lastError;
    return state;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The server drains requests before closing backends; anything still running here is cut.
    if (this.active > 0) await this.pool.destroy(new UnbundleError('UNBUNDLE_E_SHUTTING_DOWN', `Model "${this.modelId}" is shutting down.`));
    else await this.pool.close();
  }

  /** POSTs JSON and returns the whole body of a success (the non-streaming path: no Readable, see dispatch-text.ts). */
  private async sendForText(path: string, body: unknown, signal: AbortSignal): Promise<string> {
    if (this.missingKey !== undefined) throw this.missingKey;
    let response: TextResponse;
    try {
      response = await dispatchText(this.pool, { method: 'POST', path: this.basePath + path + this.query, headers: this.headers, body: JSON.stringify(body) }, signal, errorBodyLimit);
    } catch (thrown) {
      const { error, phase } = thrown as DispatchFailure;
      throw this.failure(error, phase, signal);
    }
    this.connectFailed = false;
    const status = response.statusCode;
    if (status >= 200 && status < 300) return response.text;
    const error = errorFromStatus(this.modelId, status, response.headers(), response.text, this.apiKey);
    this.lastError = error.message;
    throw error;
  }

  /** POSTs JSON and returns the response once it is known to be a success (streams). */
  private async send(path: string, body: unknown, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    if (this.missingKey !== undefined) throw this.missingKey;
    if (signal.aborted) throw cancelled(signal.reason);
    let response: Dispatcher.ResponseData;
    try {
      const pending = this.pool.request({
        method: 'POST',
        path: this.basePath + path + this.query,
        headers: this.headers,
        body: JSON.stringify(body),
        signal,
      });
      // undici notices an abort only once a queued request gets a connection; when every
      // connection is busy, stop waiting ourselves so cancellation is immediate anyway.
      response = await (this.active > this.connections ? raceAbort(pending, signal) : pending);
    } catch (error) {
      throw this.failure(error, 'headers', signal);
    }
    this.connectFailed = false;
    const status = response.statusCode;
    if (status >= 200 && status < 300) return response;
    const text = await this.readBody(response.body, signal, errorBodyLimit);
    const error = errorFromStatus(this.modelId, status, response.headers, text, this.apiKey);
    this.lastError = error.message;
    throw error;
  }

  private async readBody(body: Body, signal: AbortSignal, limit = Infinity): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        size += chunk.length;
        if (size > limit) break;
      }
    } catch (error) {
      throw this.failure(error, 'body', signal);
    }
    return chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
  }

  private failure(error: unknown, phase: TransportPhase, signal: AbortSignal): UnbundleError {
    if (signal.aborted && !(error instanceof UnbundleError)) return cancelled(error);
    const mapped = errorFromTransport(this.modelId, error, phase, this.timeouts);
    if (phase !== 'body' && isConnectFailure(error)) this.connectFailed = true;
    this.lastError = mapped.message;
    return mapped;
  }
}

function* resultAsParts(result: GenerateResult): Generator<StreamPart> {
  if (result.text !== '') yield { type: 'text-delta', text: result.text };
  for (let index = 0; index < result.toolCalls.length; index++) {
    const call = result.toolCalls[index];
    yield { type: 'tool-call-delta', index, id: call.id, name: call.name, argumentsDelta: call.arguments };
  }
  if (result.usage.inputTokens !== undefined || result.usage.outputTokens !== undefined) yield { type: 'usage', usage: result.usage };
  yield { type: 'finish', finishReason: result.finishReason };
}
