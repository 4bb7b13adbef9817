import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { estimateTokens } from '../../src/access/estimate-tokens.ts';
import { formatResetDuration } from '../../src/access/rate-limiter.ts';
import { RedisTokenBucketStore } from '../../src/access/redis-token-bucket-store.ts';
import { MemoryTokenBucketStore } from '../../src/access/token-bucket-store.ts';
import { chat, startAccessGateway, type AccessGateway } from './access-gateway.ts';

const redisUrl = 'redis://127.0.0.1:6379';

describe('token buckets (memory store, injected clock)', () => {
  it('refills continuously, takes all-or-nothing, and says how long to wait', () => {
    let now = 0;
    const store = new MemoryTokenBucketStore(() => now);
    const take = (cost: number) => store.take([{ key: 'r', capacity: 60, cost: 1 }, { key: 't', capacity: 600, cost }]);
    assert.deepEqual(take(500), { ok: true, waitMs: 0, remaining: [59, 100] });
    // 200 tokens needed, 100 left: refused, nothing taken from either bucket.
    assert.deepEqual(take(200), { ok: false, waitMs: 10_000, remaining: [59, 100] });
    now = 10_000; // 600 per minute = 10 per second: +100 tokens, +10 requests (capped at 60)
    assert.deepEqual(take(200), { ok: true, waitMs: 0, remaining: [59, 0] });
    // force: settling more usage than reserved leaves a debt that delays the next request.
    assert.deepEqual(store.take([{ key: 't', capacity: 600, cost: 50 }], true), { ok: true, waitMs: 0, remaining: [-50] });
    assert.equal(store.take([{ key: 't', capacity: 600, cost: 1 }]).waitMs, 5_100);
    // A refund never fills a bucket past its capacity.
    now = 1_000_000;
    assert.deepEqual(store.take([{ key: 't', capacity: 600, cost: -1_000 }], true).remaining, [600]);
  });

  it('estimates prompt chars / 4 plus max_tokens (512 when unset)', () => {
    assert.equal(estimateTokens({ kind: 'chat', messages: [{ role: 'user', content: 'x'.repeat(40) }, { role: 'user', content: [{ type: 'text', text: 'y'.repeat(8) }] }], maxTokens: 100 }), 112);
    assert.equal(estimateTokens({ kind: 'completion', prompt: 'abcd' }), 513);
    assert.equal(estimateTokens({ input: ['abcdefgh', 'ab'] }), 3);
  });

  it('formats reset durations the way OpenAI does', () => {
    assert.equal(formatResetDuration(0), '0s');
    assert.equal(formatResetDuration(250), '250ms');
    assert.equal(formatResetDuration(1_500), '1.5s');
    assert.equal(formatResetDuration(360_000), '6m0s');
  });
});

describe('rate limits on the HTTP surface (memory store)', () => {
  let started: AccessGateway;
  before(async () => {
    started = await startAccessGateway({
      auth: { mode: 'keys', rateLimitStore: 'memory' },
      tenants: [
        { id: 'rpm', models: ['*'], rpm: 3 },
        { id: 'tpm', models: ['*'], tpm: 100 },
        { id: 'perkey', models: ['*'], keyRpm: 1 },
        { id: 'stream', models: ['*'], tpm: 100 },
        { id: 'free', models: ['*'] },
      ],
    });
  });
  after(() => started.close());

  it('requests per minute: the 4th of 3 gets 429 with Retry-After rounded up, and x-ratelimit-* headers', async () => {
    const { key } = started.createKey('rpm');
    const auth = { authorization: `Bearer ${key}` };
    const first = await chat(started.url, auth);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit-requests'), '3');
    assert.equal(first.headers.get('x-ratelimit-remaining-requests'), '2');
    assert.match(first.headers.get('x-ratelimit-reset-requests')!, /^(19\.\d|20)s$/);
    assert.equal((await chat(started.url, auth)).status, 200);
    assert.equal((await chat(started.url, auth)).status, 200);
    const refused = await chat(started.url, auth);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'UNBUNDLE_E_RATE_LIMITED');
    assert.match(refused.body.error.message, /tenant "rpm" \(3 requests per minute per tenant\)/);
    // One request refills every 20 s; the three were taken within a second or two.
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 18 && retryAfter <= 20, `Retry-After ${retryAfter}`);
    assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
    // Another tenant is not affected.
    const other = started.createKey('free');
    const free = await chat(started.url, { authorization: `Bearer ${other.key}` });
    assert.equal(free.status, 200);
    assert.equal(free.headers.get('x-ratelimit-limit-requests'), null, 'no headers for an unlimited tenant');
  });

  it('tokens per minute: reserves the estimate, settles with the real usage, 429s with the right wait', async () => {
    const { key } = started.createKey('tpm');
    const auth = { authorization: `Bearer ${key}` };
    // "Hi" → 1 token of prompt + 60 max_tokens = 61 reserved; the scripted model uses 7 + 5 = 12.
    const first = await chat(started.url, auth, { max_tokens: 60 });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit-tokens'), '100');
    assert.equal(first.headers.get('x-ratelimit-remaining-tokens'), '39');
    // Settled: 100 - 12 = 88 left (plus a trickle of refill), so another 61 fits.
    const second = await chat(started.url, auth, { max_tokens: 60 });
    assert.equal(second.status, 200);
    const remaining = Number(second.headers.get('x-ratelimit-remaining-tokens'));
    assert.ok(remaining >= 27 && remaining <= 29, `remaining ${remaining}`);
    // Now about 76 left; 91 are needed: short by ~15 tokens at 100/min → ~9 s.
    const refused = await chat(started.url, auth, { max_tokens: 90 });
    assert.equal(refused.status, 429);
    assert.match(refused.body.error.message, /100 tokens per minute per tenant, this request needs about 91/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 8 && retryAfter <= 10, `Retry-After ${retryAfter}`);
    assert.equal(started.backends.get('alpha')!.calls.filter((call) => (call.request as { maxTokens?: number }).maxTokens === 90).length, 0, 'the refused request never ran');
  });

  it('streams carry the headers too, and are settled once the stream ends', async () => {
    const { key } = started.createKey('stream');
    const response = await fetch(`${started.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'alpha', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 80, stream: true }),
    });
    assert.equal(response.status, 200);
    // 100 - (1 + 80) reserved.
    assert.equal(response.headers.get('x-ratelimit-remaining-tokens'), '19');
    assert.match(await response.text(), /data: \[DONE\]/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Settled to the real 12 tokens: 69 given back, so a 61-token request fits again at once.
    assert.equal((await chat(started.url, { authorization: `Bearer ${key}` }, { max_tokens: 60 })).status, 200);
  });

  it('per-key limits apply to each key of a tenant separately', async () => {
    const one = started.createKey('perkey');
    const two = started.createKey('perkey');
    assert.equal((await chat(started.url, { authorization: `Bearer ${one.key}` })).status, 200);
    assert.equal((await chat(started.url, { authorization: `Bearer ${one.key}` })).status, 429);
    assert.equal((await chat(started.url, { authorization: `Bearer ${two.key}` })).status, 200);
  });
});

describe('rate limits in Redis (real Redis at 127.0.0.1:6379; fails when it is down)', () => {
  it('answers 503 (retryable, no password shown) when Redis cannot be reached: fail closed, not unlimited', async () => {
    const started = await startAccessGateway({
      auth: { mode: 'keys', rateLimitStore: 'redis' },
      tenants: [{ id: 'acme', rpm: 10 }],
      env: { UNBUNDLE_REDIS_URL: 'redis://:hunter2secret@127.0.0.1:1' },
    });
    try {
      const { key } = started.createKey('acme');
      const t0 = Date.now();
      const { status, headers, body } = await chat(started.url, { authorization: `Bearer ${key}` });
      assert.equal(status, 503);
      assert.equal(body.error.code, 'UNBUNDLE_E_STORE_UNAVAILABLE');
      assert.match(body.error.message, /rate-limit store \(Redis at 127\.0\.0\.1:1\) is unavailable/);
      assert.ok(!JSON.stringify(body).includes('hunter2secret'));
      assert.equal(headers.get('retry-after'), '1');
      assert.ok(Date.now() - t0 < 5_000, 'fails fast rather than hanging');
    } finally {
      await started.close();
    }
  });

  it('the Lua take is atomic and all-or-nothing, with Redis time', async () => {
    const prefix = `unbundle-test:${randomUUID()}:`;
    const store = new RedisTokenBucketStore({ url: redisUrl, prefix });
    try {
      assert.deepEqual(await store.take([{ key: 'r', capacity: 5, cost: 1 }, { key: 't', capacity: 100, cost: 90 }]), { ok: true, waitMs: 0, remaining: [4, 10] });
      const refused = await store.take([{ key: 'r', capacity: 5, cost: 1 }, { key: 't', capacity: 100, cost: 20 }]);
      assert.equal(refused.ok, false);
      // 10 short at 100 per minute: 6 s, minus whatever trickled in meanwhile.
      assert.ok(refused.waitMs > 5_000 && refused.waitMs <= 6_000, `waitMs ${refused.waitMs}`);
      assert.equal(refused.remaining[0], 4, 'nothing taken when one bucket is short');
      // 50 concurrent takes of 1 from a bucket of 20: exactly 20 succeed.
      const results = await Promise.all(Array.from({ length: 50 }, () => store.take([{ key: 'c', capacity: 20, cost: 1 }])));
      assert.equal(results.filter((result) => result.ok).length, 20);
      const settled = await store.take([{ key: 't', capacity: 100, cost: -85 }], true);
      assert.ok(settled.remaining[0]! >= 95 && settled.remaining[0]! <= 100);
      const redis = new Redis(redisUrl);
      const ttl = await redis.pttl(`${prefix}t`);
      await redis.quit();
      assert.ok(ttl > 0 && ttl <= 62_000, `buckets expire when idle (pttl ${ttl})`);
    } finally {
      await store.close();
    }
  });

  it('two gateway replicas share one tenant limit through Redis', async () => {
    const tenant = `t${randomUUID().slice(0, 8)}`;
    const options = { auth: { mode: 'keys' as const, rateLimitStore: 'redis' as const }, tenants: [{ id: tenant, models: ['*'], rpm: 2 }], env: { UNBUNDLE_REDIS_URL: redisUrl } };
    const one = await startAccessGateway(options);
    const two = await startAccessGateway({ ...options, dataDir: one.dataDir });
    try {
      const { key } = one.createKey(tenant);
      const auth = { authorization: `Bearer ${key}` };
      assert.equal((await chat(one.url, auth)).status, 200);
      assert.equal((await chat(two.url, auth)).status, 200);
      const refused = await chat(one.url, auth);
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) >= 29);
      assert.equal((await chat(two.url, auth)).status, 429);
    } finally {
      await two.close();
      await one.close();
    }
  });
});
