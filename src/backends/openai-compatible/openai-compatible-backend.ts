import type { UnbundleError } from '../../errors.ts';
import type { OpenAICompatibleModelConfig } from '../../portfolio/schema.ts';
import type { Backend, BackendState } from '../backend.ts';
import { failingStream } from '../failing-stream.ts';
import type { StreamDecoding } from '../http/part-stream.ts';
import { resultAsParts } from '../result-as-parts.ts';
import { upstreamClientFor, type UpstreamClient } from '../http/upstream-client.ts';
import type { EmbedRequest, EmbedResult, GenerateRequest, GenerateResult, StreamPart } from '../types.ts';
import { toEmbeddingsBody, toGenerateBody } from './openai-request-body.ts';
import { parseJson, toEmbedResult, toGenerateResult } from './openai-response.ts';
import { OpenAIStreamReader } from './openai-stream-reader.ts';
import { errorFromStatus } from './upstream-errors.ts';

/**
 * Any server speaking OpenAI's HTTP API: vLLM, llama.cpp server, Ollama, TGI, LM Studio, OpenAI.
 *
 * This is the gateway's hot path. The HTTP side is the shared UpstreamClient (one keep-alive
 * Http1Pool with its timeouts for connect, first byte and idle gaps; answers read through its
 * handler callbacks, whole or as parts — never fetch or web streams, measured several times
 * slower on a small box); this class is the OpenAI wire format on top of it.
 */
export class OpenAICompatibleBackend implements Backend {
  readonly specVersion = 'v1' as const;
  readonly kind = 'openai-compatible' as const;
  readonly modelId: string;

  private readonly client: UpstreamClient;
  private readonly upstreamModel: string;
  /** Set when apiKeyEnv names a variable that is not set: every request fails with it. */
  private readonly missingKey: UnbundleError | undefined;

  constructor(config: OpenAICompatibleModelConfig, env: NodeJS.ProcessEnv) {
    this.modelId = config.id;
    this.upstreamModel = config.model ?? config.id;
    // The key is scrubbed from any upstream message we quote.
    const { client, missing } = upstreamClientFor(config, env, { name: 'authorization', value: (key) => `Bearer ${key}`, optional: true }, {}, (key) => (status, headers, text) => errorFromStatus(config.id, status, headers, text, key));
    this.client = client;
    this.missingKey = missing;
  }

  async generate(request: GenerateRequest, signal: AbortSignal): Promise<GenerateResult> {
    if (this.missingKey !== undefined) throw this.missingKey;
    const body = toGenerateBody(request, this.upstreamModel, false);
    this.client.active++;
    try {
      const text = await this.client.postForText(request.kind === 'chat' ? '/chat/completions' : '/completions', body, signal);
      return toGenerateResult(parseJson(text, this.modelId, 'the response body'), request.kind, this.modelId);
    } finally {
      this.client.active--;
    }
  }

  stream(request: GenerateRequest, signal: AbortSignal): AsyncIterable<StreamPart> {
    if (this.missingKey !== undefined) return failingStream(this.missingKey);
    const body = toGenerateBody(request, this.upstreamModel, true);
    return this.client.stream(request.kind === 'chat' ? '/chat/completions' : '/completions', body, signal, new OpenAIStreamDecoding(this.modelId, request.kind));
  }

  async embed(request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult> {
    if (this.missingKey !== undefined) throw this.missingKey;
    const body = toEmbeddingsBody(request, this.upstreamModel);
    this.client.active++;
    try {
      const text = await this.client.postForText('/embeddings', body, signal);
      return toEmbedResult(parseJson(text, this.modelId, 'the embeddings response'), request.input.length, this.modelId);
    } finally {
      this.client.active--;
    }
  }

  state(): BackendState {
    return this.client.state();
  }

  /** The server drains requests before closing backends; anything still running here is cut. */
  close(): Promise<void> {
    return this.client.close();
  }
}

/** OpenAI's SSE chunks through OpenAIStreamReader; a server that ignores `stream: true` is replayed whole. */
class OpenAIStreamDecoding implements StreamDecoding {
  constructor(
    private readonly modelId: string,
    private readonly kind: GenerateRequest['kind'],
  ) {}

  reader(): OpenAIStreamReader {
    return new OpenAIStreamReader(this.modelId, this.kind);
  }

  whole(text: string): StreamPart[] {
    return resultAsParts(toGenerateResult(parseJson(text, this.modelId, 'the response body'), this.kind, this.modelId));
  }
}


