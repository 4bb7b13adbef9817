import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidV7 } from '../../src/util/uuid-v7.ts';

const shape = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('uuidV7: RFC 9562 version 7 layout, with the milliseconds in the first 48 bits', () => {
  const now = 1_796_000_123_456;
  const id = uuidV7(now);
  assert.match(id, shape);
  assert.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), now);
  // The largest 48-bit time still fits.
  assert.equal(uuidV7(2 ** 48 - 1).slice(0, 13), 'ffffffff-ffff');
  assert.equal(uuidV7(0).slice(0, 13), '00000000-0000');
});

test('uuidV7: ids sort by time and do not repeat (across refills of the random pool)', () => {
  const ids: string[] = [];
  for (let i = 0; i < 2_000; i++) ids.push(uuidV7(1_796_000_000_000 + Math.floor(i / 7)));
  for (const id of ids) assert.match(id, shape);
  assert.equal(new Set(ids).size, ids.length);
  // The random parts alone do not repeat either: no random bytes are reused after a pool refill.
  assert.equal(new Set(ids.map((id) => id.slice(14))).size, ids.length);
  const byTime = (id: string) => id.slice(0, 13);
  for (let i = 1; i < ids.length; i++) assert.ok(byTime(ids[i - 1]!) <= byTime(ids[i]!), `${ids[i - 1]} then ${ids[i]}`);
  // The random part differs within one millisecond.
  assert.notEqual(ids[0]!.slice(14), ids[1]!.slice(14));
});
