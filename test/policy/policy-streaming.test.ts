import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { Backend, BackendState } from '../../src/backends/backend.ts';
import type { GenerateRequest, GenerateResult, StreamPart } from '../../src/backends/types.ts';
import { createLogger } from '../../src/logger.ts';
import { MemoryAuditSink } from '../../src/policy/audit-sink.ts';
import { collectTexts } from '../../src/policy/request-texts.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { ModelRegistry } from '../../src/portfolio/model-registry.ts';
import { Gateway } from '../../src/server/gateway.ts';
import { scriptedConfig } from '../helpers/scripted-backend.ts';
import { startGatewayWith } from '../helpers/start-gateway.ts';

/** A backend that streams exactly the chunks it is given, and records what it was sent. */
class ChunkedBackend implements Backend {
  readonly specVersion = 'v1' as const;
  readonly kind = 'openai-compatible' as const;
  readonly modelId = 'cloud';
  readonly requests: GenerateRequest[] = [];
  chunks: string[] = ['ok'];
  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.requests.push(request);
    return { text: this.chunks.join(''), toolCalls: [], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } };
  }
  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    this.requests.push(request);
    for (const text of this.chunks) yield { type: 'text-delta', text };
    yield { type: 'finish', finishReason: 'stop' };
  }
  state(): BackendState {
    return { status: 'ready', active: 0, queued: 0 };
  }
  async close(): Promise<void> {}
}

const email = 'jane.doe@example.com';

describe('re-hydration through the server, a placeholder split at every chunk boundary', { timeout: 30_000 }, () => {
  const backend = new ChunkedBackend();
  const audit = new MemoryAuditSink();
  let gateway: Gateway;
  let client: OpenAI;

  before(async () => {
    const portfolio = portfolioFromObject({ server: { port: 0 }, policy: { rules: { confidential: { action: 'redact', zones: ['local'] } } } });
    gateway = new Gateway({ portfolio, models: ModelRegistry.fromBackends([{ config: scriptedConfig('cloud', 'external'), backend }]), logger: createLogger('silent'), auditSink: audit });
    const { url } = await gateway.listen(0, '127.0.0.1');
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => gateway.shutdown(1_000));

  it('streams the value back whole, wherever the model\'s chunks cut <EMAIL_1>', async () => {
    const answer = 'Sent to <EMAIL_1>.';
    for (let cut = 1; cut < answer.length; cut++) {
      backend.chunks = [answer.slice(0, cut), answer.slice(cut)];
      const stream = await client.chat.completions.create({ model: 'cloud', stream: true, messages: [{ role: 'user', content: `mail ${email}` }] });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      assert.equal(text, `Sent to ${email}.`, `cut at ${cut}`);
    }
    assert.ok(backend.requests.every((r) => !collectTexts(r).join(' ').includes(email)));
    assert.equal(audit.records.length, answer.length - 1);
    assert.ok(audit.records.every((r) => r.decision === 'redacted' && r.zones.join() === 'external'));
  });
});

describe('without a policy', () => {
  it('scans nothing, writes no audit and leaves the request as sent', async () => {
    const backend = new ChunkedBackend();
    const started = await startGatewayWith([{ config: scriptedConfig('cloud', 'external'), backend }]);
    try {
      assert.equal(started.gateway.policy, undefined);
      assert.equal(started.gateway.audit, undefined);
      const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      await client.chat.completions.create({ model: 'cloud', messages: [{ role: 'user', content: `mail ${email}` }] });
      assert.ok(collectTexts(backend.requests[0]!).includes(`mail ${email}`));
      const line = started.logs.find((l) => l.msg === 'request')!;
      assert.equal(line.dataClass, undefined);
      assert.equal(line.policy, undefined);
    } finally {
      await started.close();
    }
  });
});
