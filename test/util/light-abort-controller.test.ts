import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { LightAbortController } from '../../src/util/light-abort-controller.ts';
import { repoRoot } from '../helpers/paths.ts';

test('abort() runs each listener once, in the order added, with an abort Event; later aborts change nothing', () => {
  const controller = new LightAbortController();
  const { signal } = controller;
  const calls: string[] = [];
  signal.onabort = (event) => calls.push(`onabort:${event.type}`);
  signal.addEventListener('abort', (event) => calls.push(`first:${event.type}`), { once: true });
  const second = { handleEvent: (event: Event) => calls.push(`second:${event.type}`) };
  signal.addEventListener('abort', second);
  signal.addEventListener('abort', second);
  assert.equal(signal.aborted, false);
  controller.abort('why');
  controller.abort('again');
  assert.deepEqual(calls, ['onabort:abort', 'first:abort', 'second:abort']);
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, 'why');
  assert.throws(() => signal.throwIfAborted(), (thrown) => thrown === 'why');
});

test('without a reason the signal carries an AbortError, like AbortController', () => {
  const controller = new LightAbortController();
  controller.abort();
  assert.ok(controller.signal.reason instanceof DOMException);
  assert.equal((controller.signal.reason as DOMException).name, 'AbortError');
  assert.doesNotThrow(() => new LightAbortController().signal.throwIfAborted());
});

test('a removed listener is not called, also when an earlier listener removes it during the abort', () => {
  const controller = new LightAbortController();
  const { signal } = controller;
  const calls: string[] = [];
  const gone = () => calls.push('gone');
  const later = () => calls.push('later');
  signal.addEventListener('abort', gone);
  signal.removeEventListener('abort', gone);
  signal.addEventListener('abort', () => {
    calls.push('first');
    signal.removeEventListener('abort', later);
  });
  signal.addEventListener('abort', later);
  signal.addEventListener('abort', () => calls.push('last'));
  controller.abort();
  assert.deepEqual(calls, ['first', 'last']);
});

test('the signal option of addEventListener removes the listener when that signal aborts, and stops watching it', () => {
  const controller = new LightAbortController();
  const remover = new AbortController();
  let called = 0;
  controller.signal.addEventListener('abort', () => called++, { signal: remover.signal });
  assert.equal(getEventListeners(remover.signal, 'abort').length, 1);
  remover.abort();
  controller.abort();
  assert.equal(called, 0);

  // Already aborted: the listener is not added at all (as with EventTarget).
  const late = new LightAbortController();
  late.signal.addEventListener('abort', () => called++, { signal: remover.signal });
  late.abort();
  assert.equal(called, 0);

  // Removed by hand, or run by the abort: the remover signal is no longer watched (no leak on a long-lived one).
  const longLived = new AbortController();
  const byHand = new LightAbortController();
  const listener = () => called++;
  byHand.signal.addEventListener('abort', listener, { signal: longLived.signal });
  byHand.signal.removeEventListener('abort', listener);
  const fired = new LightAbortController();
  fired.signal.addEventListener('abort', () => called++, { signal: longLived.signal });
  fired.abort();
  assert.equal(called, 1);
  assert.equal(getEventListeners(longLived.signal, 'abort').length, 0);
});

/** Source lines that are not comments. */
const codeLines = (text: string) => text.split('\n').filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line));

test('nothing on the request path combines signals with AbortSignal.any (it would never abort on a light signal)', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && codeLines(readFileSync(full, 'utf8')).some((line) => line.includes('AbortSignal.any('))) offenders.push(path.relative(repoRoot, full));
    }
  };
  for (const dir of ['server', 'executor', 'backends', 'access', 'ledger', 'policy', 'router', 'tune/capture']) walk(path.join(repoRoot, 'src', dir));
  assert.deepEqual(offenders, []);
});
