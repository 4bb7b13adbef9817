import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestLogLine } from '../../src/server/request-log-line.ts';

test('the request line is one JSON line in pino\'s shape, undefined fields left out', () => {
  const line = requestLogLine({ id: 'r1', status: 200, latencyMs: 0.42, stream: false, tenant: undefined, attemptLog: ['a ok 3ms'], scores: { code: 0.9 } });
  assert.ok(line.endsWith('}\n'));
  assert.equal(line.split('\n').length, 2);
  const parsed = JSON.parse(line) as Record<string, unknown>;
  assert.equal(parsed.level, 'info');
  assert.match(String(parsed.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(Object.keys(parsed), ['level', 'time', 'id', 'status', 'latencyMs', 'stream', 'attemptLog', 'scores', 'msg']);
  assert.deepEqual({ ...parsed, time: undefined }, { level: 'info', time: undefined, id: 'r1', status: 200, latencyMs: 0.42, stream: false, attemptLog: ['a ok 3ms'], scores: { code: 0.9 }, msg: 'request' });
});

test('strings that need escaping stay valid JSON; non-finite numbers become null', () => {
  const awkward = 'quote " backslash \\ newline \n tab \t nul \u0000 emoji 😀 lone \ud800 end';
  const parsed = JSON.parse(requestLogLine({ error: awkward, latencyMs: Number.NaN, ttftMs: Infinity })) as Record<string, unknown>;
  assert.equal(parsed.error, awkward);
  assert.equal(parsed.latencyMs, null);
  assert.equal(parsed.ttftMs, null);
});
