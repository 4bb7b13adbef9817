import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../../../src/backends/backend.ts';
import { createBackend } from '../../../src/backends/create-backend.ts';
import type { GenerateRequest, StreamPart } from '../../../src/backends/types.ts';
import { UnbundleError } from '../../../src/errors.ts';
import { portfolioFromObject } from '../../../src/portfolio/load-portfolio.ts';
import { startFakeAnthropicUpstream } from '../../fakes/fake-anthropic-upstream.ts';
import { startFakeGeminiUpstream } from '../../fakes/fake-gemini-upstream.ts';
import type { FakeUpstream } from '../../fakes/fake-upstream-server.ts';
import { readFixture } from '../../fakes/fake-upstream-server.ts';

/**
 * Every file in test/fixtures/providers/<provider>/ through the real adapter over loopback HTTP:
 * the body the adapter sends must equal `wireRequest`, and the replayed `response` must come
 * back as `expected` (a result), `expectedParts` (a stream) or `expectedError`.
 */

const fixtureRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/providers');
const never = new AbortController().signal;

interface Fixture {
  request: GenerateRequest;
  wireRequest?: Record<string, unknown>;
  response: { sse?: unknown[] };
  expected?: unknown;
  expectedParts?: StreamPart[];
  expectedError?: { code: string; retryable: boolean; status?: number; message?: string; retryAfterSeconds?: number; afterParts?: number };
}

const providers = {
  anthropic: { start: startFakeAnthropicUpstream, model: 'claude-sonnet-4-0', env: 'ANTHROPIC_API_KEY' },
  gemini: { start: startFakeGeminiUpstream, model: 'gemini-2.5-flash', env: 'GEMINI_API_KEY' },
} as const;

for (const provider of ['anthropic', 'gemini'] as const) {
  const setup = providers[provider];
  describe(`${provider} fixtures`, { timeout: 30_000 }, () => {
    let fake: FakeUpstream;
    let backend: Backend;
    before(async () => {
      fake = await setup.start();
      const config = portfolioFromObject({ models: [{ id: `${provider}-model`, backend: provider, baseURL: fake.url, model: setup.model }] }).models[0]!;
      backend = await createBackend(config, { env: { [setup.env]: 'test-key-123' }, llamaRuntime: () => Promise.reject(new Error('not used')) });
    });
    after(async () => {
      await backend.close();
      await fake.close();
    });

    const names = readdirSync(path.join(fixtureRoot, provider)).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    assert.ok(names.length >= 8, `expected the ${provider} fixtures`);
    for (const name of names) {
      test(name, async () => {
        const fixture = readFixture(provider, name) as unknown as Fixture;
        fake.setBehavior({ kind: 'fixture', name });
        const streamed = fixture.response.sse !== undefined;
        const parts: StreamPart[] = [];
        let error: unknown;
        let result: unknown;
        try {
          if (streamed) for await (const part of backend.stream(fixture.request, never)) parts.push(part);
          else result = await backend.generate(fixture.request, never);
        } catch (thrown) {
          error = thrown;
        }
        const sent = fake.requests.at(-1)!;
        if (fixture.wireRequest !== undefined) assert.deepEqual(sent.body, fixture.wireRequest);
        if (provider === 'anthropic') {
          assert.equal(sent.path, '/v1/messages');
          assert.equal(sent.headers['x-api-key'], 'test-key-123');
          assert.equal(sent.headers['anthropic-version'], '2023-06-01');
        } else {
          assert.equal(sent.path, streamed ? '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse' : '/v1beta/models/gemini-2.5-flash:generateContent');
          assert.equal(sent.headers['x-goog-api-key'], 'test-key-123');
        }
        if (fixture.expectedError !== undefined) {
          const want = fixture.expectedError;
          assert.ok(error instanceof UnbundleError, `expected an UnbundleError, got ${String(error)}`);
          assert.equal(error.code, want.code);
          assert.equal(error.retryable, want.retryable);
          if (want.status !== undefined) assert.equal(error.status, want.status);
          if (want.message !== undefined) assert.match(error.message, new RegExp(want.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
          if (want.retryAfterSeconds !== undefined) assert.equal(error.retryAfterSeconds, want.retryAfterSeconds);
          if (want.afterParts !== undefined) assert.equal(parts.length, want.afterParts);
          assert.doesNotMatch(error.message, /test-key-123/);
          return;
        }
        if (error !== undefined) throw error;
        if (fixture.expectedParts !== undefined) assert.deepEqual(parts, fixture.expectedParts);
        if (fixture.expected !== undefined) assert.deepEqual(result, fixture.expected);
      });
    }
  });
}
