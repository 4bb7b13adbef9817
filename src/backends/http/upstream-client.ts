import { UnbundleError } from '../../errors.ts';
import { errorFromTransport, isConnectFailure } from '../openai-compatible/upstream-errors.ts';
import type { TransportPhase } from '../openai-compatible/upstream-errors.ts';
import type { BackendState } from '../backend.ts';
import { DispatchFailure, dispatchText, parseRawHeaders, type TextResponse } from './dispatch-text.ts';
import { cancelled } from './cancelled-error.ts';
import { Http1Pool } from './http1-pool.ts';
import { PartStream, type PartStreamOwner, type StreamDecoding } from './part-stream.ts';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** Turns a non-2xx answer into the error the executor acts on (each provider has its own body). */
export type StatusMapper = (status: number, headers: ResponseHeaders, bodyText: string) => UnbundleError;

export interface UpstreamClientOptions {
  modelId: string;
  baseURL: string;
  headers: Record<string, string>;
  connections: number;
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
  /** Largest answer read (default 128 MiB): past it the request fails, not retried. */
  maxResponseBytes?: number;
  mapStatus: StatusMapper;
  /** The error every request fails with because the API key's variable is not set: state() reports it. */
  missingKey?: UnbundleError | undefined;
}

/** Enough of an error page to quote it; the rest is dropped with the connection. */
const errorBodyLimit = 64 * 1024;

/**
 * The HTTP side of every HTTP backend (OpenAI-compatible, Anthropic, Gemini): one keep-alive
 * Http1Pool per model, JSON POSTs whose answers are read as text or, streamed, as parts (part-stream.ts),
 * and transport failures mapped to the same error codes for every provider, so the executor treats
 * them alike.
 */
export class UpstreamClient implements PartStreamOwner {
  active = 0;
  private readonly pool: Http1Pool;
  private readonly basePath: string;
  private readonly query: string;
  private readonly timeouts: { connectTimeoutMs: number; firstByteTimeoutMs: number; idleTimeoutMs: number };
  private connectFailed = false;
  private lastError: string | undefined;
  private closed = false;

  constructor(private readonly options: UpstreamClientOptions) {
    const url = new URL(options.baseURL);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UnbundleError('UNBUNDLE_E_CONFIG', `Model "${options.modelId}": baseURL must start with http:// or https://, got "${url.protocol}".`);
    }
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.query = url.search;
    this.timeouts = { connectTimeoutMs: options.connectTimeoutMs, firstByteTimeoutMs: options.firstByteTimeoutMs, idleTimeoutMs: options.idleTimeoutMs };
    this.pool = new Http1Pool(url, {
      connections: options.connections,
      connectTimeoutMs: options.connectTimeoutMs,
      firstByteTimeoutMs: options.firstByteTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      ...(options.maxResponseBytes === undefined ? {} : { maxResponseBytes: options.maxResponseBytes }),
    });
  }

  /** POSTs JSON to basePath + path (+ the baseURL's query, then `extraQuery`) for an answer wanted whole: its body as text on 2xx, read without a stream (dispatch-text.ts); otherwise the mapped error. */
  async postForText(path: string, body: unknown, signal: AbortSignal, extraQuery = ''): Promise<string> {
    let response: TextResponse;
    try {
      response = await dispatchText(this.pool, { method: 'POST', path: this.pathFor(path, extraQuery), headers: this.options.headers, body: JSON.stringify(body) }, signal, errorBodyLimit);
    } catch (thrown) {
      if (!(thrown instanceof DispatchFailure)) throw this.transportError(thrown, 'headers', signal);
      throw this.transportError(thrown.error, thrown.phase, signal);
    }
    this.reachable();
    const status = response.statusCode;
    if (status >= 200 && status < 300) return response.text;
    const error = this.options.mapStatus(status, response.headers(), response.text);
    this.lastError = error.message;
    throw error;
  }

  /**
   * POSTs a streaming request; its answer comes as parts (SSE events through `decoding.reader()`, or
   * a whole JSON answer replayed). The request starts at the first `next()`; non-2xx answers and
   * transport failures reject it with the mapped error (part-stream.ts).
   */
  stream(path: string, body: unknown, signal: AbortSignal, decoding: StreamDecoding, extraQuery = ''): PartStream {
    const options = { method: 'POST' as const, path: this.pathFor(path, extraQuery), headers: this.options.headers, body: JSON.stringify(body) };
    return new PartStream(this, this.pool, options, signal, decoding, errorBodyLimit);
  }

  /** The upstream answered (any status): a connect failure before is over. */
  reachable(): void {
    this.connectFailed = false;
  }

  /** A non-2xx answer as the provider's error (remembered for state()). */
  statusError(status: number, rawHeaders: readonly string[], text: string): UnbundleError {
    const error = this.options.mapStatus(status, parseRawHeaders(rawHeaders), text);
    this.lastError = error.message;
    return error;
  }

  private pathFor(path: string, extraQuery: string): string {
    const query = extraQuery === '' ? this.query : this.query === '' ? `?${extraQuery}` : `${this.query}&${extraQuery}`;
    return this.basePath + path + query;
  }


  state(): BackendState {
    // Without its API key every request fails: /health and `unbundle models` say so before the first one does.
    const missing = this.closed ? undefined : this.options.missingKey;
    const state: BackendState = { status: this.closed ? 'unloaded' : missing !== undefined || this.connectFailed ? 'error' : 'ready', active: this.active, queued: 0 };
    const lastError = missing?.message ?? this.lastError;
    if (lastError !== undefined) state.lastError = lastError;
    return state;
  }

  /** Remembers a failure found while translating (a malformed body) for state(). */
  noteError(error: UnbundleError): UnbundleError {
    this.lastError = error.message;
    return error;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.active > 0) await this.pool.destroy(new UnbundleError('UNBUNDLE_E_SHUTTING_DOWN', `Model "${this.options.modelId}" is shutting down.`));
    else await this.pool.close();
  }


  /** A transport failure (or, once `signal` aborted, the cancellation) as the error the executor acts on. */
  transportError(error: unknown, phase: TransportPhase, signal: AbortSignal): UnbundleError {
    if (signal.aborted && !(error instanceof UnbundleError)) return cancelled(error);
    const mapped = errorFromTransport(this.options.modelId, error, phase, this.timeouts);
    if (phase !== 'body' && isConnectFailure(error)) this.connectFailed = true;
    this.lastError = mapped.message;
    return mapped;
  }
}

/**
 * An env var named by apiKeyEnv: its value, or the error every request of this model fails with.
 * `optional`: the model may do without a key (openai-compatible), so the message says so.
 */
export function apiKeyFrom(env: NodeJS.ProcessEnv, name: string, modelId: string, optional = false): { key: string } | { missing: UnbundleError } {
  const key = env[name];
  if (key !== undefined && key !== '') return { key };
  return {
    missing: new UnbundleError(
      'UNBUNDLE_E_UPSTREAM_AUTH',
      `Model "${modelId}": the environment variable ${name} (apiKeyEnv) is not set, so there is no API key to send. Set it before starting unbundle${optional ? ', or remove apiKeyEnv if the upstream needs no key' : ''}.`,
    ),
  };
}


/** What an HTTP backend's config carries for its HTTP side (the shared fields of schema.ts). */
export interface HttpUpstreamConfig {
  id: string;
  baseURL: string;
  /** Unset: no key is sent (only where the schema allows it: openai-compatible). */
  apiKeyEnv?: string | undefined;
  headers: Record<string, string>;
  connections: number;
  connectTimeoutMs?: number | undefined;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
  maxResponseBytes?: number | undefined;
}

/** Where the key goes: the header, and its value for a key (default: the key itself, e.g. x-api-key). */
export interface KeyHeader {
  name: string;
  value?: (key: string) => string;
  /** The upstream may need no key at all (the missing-key message then says apiKeyEnv can go). */
  optional?: boolean;
}

/**
 * The client of an HTTP backend: the config's headers (lower-cased) over `fixedHeaders`, the key
 * from the environment in its header, and the status mapper told the key so it can scrub it.
 * `missing` is the error every request fails with when the key's variable is not set.
 */
export function upstreamClientFor(
  config: HttpUpstreamConfig,
  env: NodeJS.ProcessEnv,
  keyHeader: KeyHeader,
  fixedHeaders: Record<string, string>,
  mapStatus: (key: string | undefined) => StatusMapper,
): { client: UpstreamClient; missing: UnbundleError | undefined } {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'unbundle', ...fixedHeaders };
  for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
  let key: string | undefined;
  let missing: UnbundleError | undefined;
  if (config.apiKeyEnv !== undefined) {
    const found = apiKeyFrom(env, config.apiKeyEnv, config.id, keyHeader.optional);
    if ('key' in found) {
      key = found.key;
      headers[keyHeader.name] = keyHeader.value ? keyHeader.value(key) : key;
    } else missing = found.missing;
  }
  const client = new UpstreamClient({
    modelId: config.id,
    baseURL: config.baseURL,
    headers,
    connections: config.connections,
    // Filled from resilience.timeouts.connectMs when the config is loaded; the fallback is for hand-built configs.
    connectTimeoutMs: config.connectTimeoutMs ?? 10_000,
    firstByteTimeoutMs: config.firstByteTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    ...(config.maxResponseBytes === undefined ? {} : { maxResponseBytes: config.maxResponseBytes }),
    mapStatus: mapStatus(key),
    missingKey: missing,
  });
  return { client, missing };
}
