import { Pool } from 'undici';
import type { SuiteItem, SuiteMessage } from './suite-schema.ts';

/**
 * Sends suite items to a running gateway over HTTP, as any client would, so every answer goes
 * through the router, the executor, the policy and the ledger. Each request carries the
 * `x-unbundle-eval` header with the run id, so the ledger can tell evaluation traffic apart.
 */

export interface GatewayAnswer {
  text: string;
  latencyMs: number;
  inputTokens?: number;
  outputTokens?: number;
  /** `x-unbundle-model`: the model that answered (a fallback may differ from the one asked). */
  answeredBy?: string;
  /** The gateway's `x-request-id` for this call (its ledger row carries it). */
  requestId?: string;
  /** Set when the call failed; `text` is then empty. */
  error?: string;
}

export interface GatewayCallerOptions {
  runId: string;
  /** Sampling seed sent with every request (models that honour it are then reproducible). */
  seed: number;
  maxTokens?: number;
  connections?: number;
}

/**
 * `x-request-id` for one (model, item) answer: `<run id>:<model>:<item id>` in the characters the
 * gateway accepts, so a ledger row can be traced back to the item it answered.
 */
export function evalRequestId(runId: string, model: string, itemId: string): string {
  return `${runId}:${model}:${itemId}`.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 128);
}

/** The chat messages for an item: the suite's system prompt, then the item's prompt or messages. */
export function messagesFor(item: Pick<SuiteItem, 'input'>, system: string | undefined): SuiteMessage[] {
  const messages: SuiteMessage[] = system === undefined ? [] : [{ role: 'system', content: system }];
  if (typeof item.input === 'string') messages.push({ role: 'user', content: item.input });
  else messages.push(...item.input);
  return messages;
}

interface ChatCompletionBody {
  choices?: Array<{ message?: { content?: string | null } }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  error?: { message?: string; code?: string | null };
}

export class GatewayCaller {
  private readonly pool: Pool;

  constructor(
    readonly baseUrl: string,
    private readonly options: GatewayCallerOptions,
  ) {
    this.pool = new Pool(baseUrl, { connections: options.connections ?? 8, pipelining: 1 });
  }

  /** Chat messages → one answer at temperature 0. Never throws for a failed call: `error` says why. */
  async chat(model: string, messages: SuiteMessage[], signal?: AbortSignal, requestId?: string): Promise<GatewayAnswer> {
    const payload: Record<string, unknown> = { model, messages, temperature: 0, seed: this.options.seed };
    if (this.options.maxTokens !== undefined) payload.max_tokens = this.options.maxTokens;
    const start = performance.now();
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: {
          'content-type': 'application/json',
          'x-unbundle-eval': this.options.runId,
          ...(requestId !== undefined ? { 'x-request-id': requestId } : {}),
        },
        body: JSON.stringify(payload),
        ...(signal ? { signal } : {}),
      });
      const raw = await response.body.text();
      const latencyMs = performance.now() - start;
      const answeredBy = response.headers['x-unbundle-model'];
      const gatewayId = response.headers['x-request-id'];
      const ids = typeof gatewayId === 'string' ? { requestId: gatewayId } : {};
      let body: ChatCompletionBody;
      try {
        body = JSON.parse(raw) as ChatCompletionBody;
      } catch {
        return { text: '', latencyMs, ...ids, error: `HTTP ${response.statusCode}: the gateway's answer is not JSON` };
      }
      if (response.statusCode !== 200) {
        return { text: '', latencyMs, ...ids, error: `HTTP ${response.statusCode} ${body.error?.code ?? ''}: ${body.error?.message ?? 'no message'}`.replace('  ', ' ') };
      }
      const answer: GatewayAnswer = { text: body.choices?.[0]?.message?.content ?? '', latencyMs, ...ids };
      if (typeof answeredBy === 'string') answer.answeredBy = answeredBy;
      if (typeof body.usage?.prompt_tokens === 'number') answer.inputTokens = body.usage.prompt_tokens;
      if (typeof body.usage?.completion_tokens === 'number') answer.outputTokens = body.usage.completion_tokens;
      return answer;
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      return { text: '', latencyMs: performance.now() - start, error: `request failed: ${(error as Error).message}` };
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
