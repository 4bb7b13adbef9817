import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnbundleError } from '../../../src/errors.ts';
import { SlotPool } from '../../../src/backends/llamacpp/slot-pool.ts';

const never = new AbortController().signal;
const pool = (slots: number[], queueLimit: number) =>
  new SlotPool(slots, { queueLimit, describe: () => ({ modelId: 'm', retryAfterSeconds: 7 }) });

test('hands out free slots, then queues first come first served', async () => {
  const slots = pool([1, 2], 5);
  const a = await slots.acquire(never);
  const b = await slots.acquire(never);
  assert.deepEqual(new Set([a, b]), new Set([1, 2]));
  const order: string[] = [];
  const c = slots.acquire(never).then((slot) => (order.push('c'), slot));
  const d = slots.acquire(never).then((slot) => (order.push('d'), slot));
  assert.equal(slots.active, 2);
  assert.equal(slots.queued, 2);
  slots.release(a);
  slots.release(b);
  assert.equal(await c, a);
  assert.equal(await d, b);
  assert.deepEqual(order, ['c', 'd']);
  assert.equal(slots.queued, 0);
  slots.release(a);
  assert.equal(slots.active, 1);
});

test('a full queue refuses at once with QUEUE_FULL and a Retry-After', async () => {
  const slots = pool([1], 1);
  await slots.acquire(never);
  const waiting = slots.acquire(never);
  await assert.rejects(slots.acquire(never), (error) => {
    assert.ok(error instanceof UnbundleError);
    assert.equal(error.code, 'UNBUNDLE_E_QUEUE_FULL');
    assert.equal(error.retryAfterSeconds, 7);
    return true;
  });
  slots.release(1);
  assert.equal(await waiting, 1);
});

test('an abort while queued leaves the queue; the slot goes to the next waiter', async () => {
  const slots = pool([1], 3);
  await slots.acquire(never);
  const client = new AbortController();
  const gone = slots.acquire(client.signal);
  const next = slots.acquire(never);
  client.abort();
  await assert.rejects(gone, { code: 'UNBUNDLE_E_CANCELLED' });
  assert.equal(slots.queued, 1);
  slots.release(1);
  assert.equal(await next, 1);
  await assert.rejects(slots.acquire(AbortSignal.abort()), { code: 'UNBUNDLE_E_CANCELLED' });
});

test('close fails the waiters and refuses new work', async () => {
  const slots = pool([1], 3);
  await slots.acquire(never);
  const waiting = slots.acquire(never);
  const error = new UnbundleError('UNBUNDLE_E_SHUTTING_DOWN', 'bye');
  slots.close(error);
  await assert.rejects(waiting, error);
  await assert.rejects(slots.acquire(never), error);
});
