import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isUnbundleError } from '../../../src/errors.ts';
import type { StreamPart } from '../../../src/backends/types.ts';
import { LlamaRuntime } from '../../../src/backends/llamacpp/llama-runtime.ts';
import { LlamacppBackend } from '../../../src/backends/llamacpp/llamacpp-backend.ts';
import { modelConfig, never, sharedModel, storiesGreedy, storiesPrompt } from './test-models.ts';

let runtime: LlamaRuntime;

before(async () => {
  runtime = await LlamaRuntime.create({ threads: 2 });
});

after(async () => {
  await runtime.close();
});

const greedy = (maxTokens: number) => ({ kind: 'completion' as const, prompt: storiesPrompt, temperature: 0, maxTokens });
/** Long enough that it is still running when the test acts on it (stories260K never stops early here). */
const endless = greedy(2000);

async function firstDelta(iterator: AsyncIterator<StreamPart>): Promise<void> {
  const first = await iterator.next();
  assert.equal(first.value?.type, 'text-delta');
}

test('16 concurrent requests on parallel 4 are batched and all get the right text; one more is QUEUE_FULL at once', async () => {
  const backend = new LlamacppBackend(modelConfig({ path: sharedModel('stories260K.gguf'), parallel: 4, queueLimit: 12 }), runtime);
  try {
    // One signal per request, as the HTTP server gives them (one shared signal would collect 16 listeners).
    const running = Array.from({ length: 16 }, () => backend.generate(greedy(48), new AbortController().signal));
    assert.deepEqual(backend.state(), { status: 'loading', active: 4, queued: 12 });
    let settledEarly = false;
    void Promise.allSettled(running).then(() => (settledEarly = true));
    await assert.rejects(backend.generate(greedy(48), never), (error) => {
      assert.ok(isUnbundleError(error));
      assert.equal(error.code, 'UNBUNDLE_E_QUEUE_FULL');
      assert.equal(error.status, 429);
      assert.ok(error.retryAfterSeconds !== undefined && error.retryAfterSeconds >= 1);
      assert.match(error.message, /all 4 slots .* 12 requests are already waiting/);
      return true;
    });
    assert.equal(settledEarly, false, 'QUEUE_FULL must not wait for the running requests');
    const results = await Promise.all(running);
    const expected = (await backend.generate(greedy(48), never)).text;
    assert.ok(storiesGreedy.startsWith(expected.slice(0, 60)), expected);
    // llama.cpp does not promise bit-identical logits across batch compositions, and which requests
    // share a decode step depends on timing: on this tiny model one batched answer in 16 now and then
    // takes a different near-tie token (seen: "Lily She" for "Lily. She", and "girl Lily" for "girl
    // named Lily" within the first 30 characters). So every answer must start as the story does and
    // most must match the sequential answer exactly; cross-talk between sequences or a broken batch
    // would fail both.
    let identical = 0;
    for (const result of results) {
      assert.ok(result.text.startsWith(expected.slice(0, 16)), result.text);
      if (result.text === expected) identical++;
      assert.deepEqual(result.usage, { inputTokens: 5, outputTokens: 48 });
    }
    assert.ok(identical >= 12, `${identical} of 16 batched answers match the sequential one`);
    assert.deepEqual(backend.state(), { status: 'ready', active: 0, queued: 0 });
  } finally {
    await backend.close();
  }
});

test('queueLimit 0 refuses as soon as every slot is busy', async () => {
  const backend = new LlamacppBackend(modelConfig({ path: sharedModel('stories260K.gguf'), parallel: 1, queueLimit: 0 }), runtime);
  const stop = new AbortController();
  try {
    const busy = backend.stream(endless, stop.signal)[Symbol.asyncIterator]();
    await firstDelta(busy);
    await assert.rejects(backend.generate(greedy(4), never), { code: 'UNBUNDLE_E_QUEUE_FULL' });
    stop.abort();
    await assert.rejects(busy.next(), { code: 'UNBUNDLE_E_CANCELLED' });
  } finally {
    await backend.close();
  }
});

test('aborting a running request frees its slot at once and the queued request proceeds', async () => {
  const backend = new LlamacppBackend(modelConfig({ path: sharedModel('stories260K.gguf'), parallel: 1, queueLimit: 4 }), runtime);
  try {
    const client = new AbortController();
    const running = backend.stream(endless, client.signal)[Symbol.asyncIterator]();
    await firstDelta(running);
    const queued = backend.generate(greedy(20), never);
    assert.deepEqual(backend.state(), { status: 'ready', active: 1, queued: 1 });
    client.abort();
    await assert.rejects(running.next(), { code: 'UNBUNDLE_E_CANCELLED' });
    const result = await queued;
    assert.equal(result.usage.outputTokens, 20);
    assert.ok(storiesGreedy.startsWith(result.text), result.text);
    assert.deepEqual(backend.state(), { status: 'ready', active: 0, queued: 0 });
  } finally {
    await backend.close();
  }
});

test('aborting a queued request removes it from the queue without touching the running one', async () => {
  const backend = new LlamacppBackend(modelConfig({ path: sharedModel('stories260K.gguf'), parallel: 1, queueLimit: 4 }), runtime);
  const stopRunning = new AbortController();
  try {
    const running = backend.stream(endless, stopRunning.signal)[Symbol.asyncIterator]();
    await firstDelta(running);
    const client = new AbortController();
    const queued = backend.generate(greedy(20), client.signal);
    assert.equal(backend.state().queued, 1);
    client.abort();
    await assert.rejects(queued, { code: 'UNBUNDLE_E_CANCELLED' });
    assert.deepEqual(backend.state(), { status: 'ready', active: 1, queued: 0 });
    assert.equal((await running.next()).value?.type, 'text-delta', 'the running stream goes on');
    stopRunning.abort();
    await assert.rejects(running.next(), { code: 'UNBUNDLE_E_CANCELLED' });
  } finally {
    await backend.close();
  }
});

test('an already-aborted signal is refused without taking a slot', async () => {
  const backend = new LlamacppBackend(modelConfig({ path: sharedModel('stories260K.gguf') }), runtime);
  try {
    await assert.rejects(backend.generate(greedy(4), AbortSignal.abort()), { code: 'UNBUNDLE_E_CANCELLED' });
    assert.deepEqual(backend.state(), { status: 'unloaded', active: 0, queued: 0 });
  } finally {
    await backend.close();
  }
});

test('close() stops running work, fails queued work as SHUTTING_DOWN and refuses new requests', async () => {
  const backend = new LlamacppBackend(modelConfig({ path: sharedModel('stories260K.gguf'), parallel: 1, queueLimit: 4 }), runtime);
  const running = backend.stream(endless, never)[Symbol.asyncIterator]();
  await firstDelta(running);
  const queued = assert.rejects(backend.generate(greedy(4), never), { code: 'UNBUNDLE_E_SHUTTING_DOWN' });
  const next = assert.rejects(running.next(), { code: 'UNBUNDLE_E_SHUTTING_DOWN' });
  await backend.close();
  await queued;
  await next;
  await assert.rejects(backend.generate(greedy(4), never), { code: 'UNBUNDLE_E_SHUTTING_DOWN' });
  assert.equal(backend.state().status, 'unloaded');
});
