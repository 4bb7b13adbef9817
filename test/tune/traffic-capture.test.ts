import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createScanner } from '../../src/policy/create-scanner.ts';
import { captureSchema } from '../../src/tune/capture/capture-schema.ts';
import { TrafficCapture } from '../../src/tune/capture/traffic-capture.ts';
import { readDataSource } from '../../src/tune/data/read-data-source.ts';
import { tempDir } from './helpers/banking-sample.ts';

const chat = (text: string) => ({ kind: 'chat' as const, messages: [{ role: 'system' as const, content: 'Be kind.' }, { role: 'user' as const, content: text }] });

describe('traffic capture', () => {
  it('keeps only matching, scrubbed exchanges, as a dataset tune data reads back', async () => {
    const dir = tempDir();
    const capture = new TrafficCapture(captureSchema.parse({ enabled: true, models: ['support'], tenants: ['acme'] }), dir, createScanner());
    assert.equal(capture.wants('support', 'auto', 'acme'), true);
    assert.equal(capture.wants('auto-cheap-pick', 'support', 'acme'), true, 'the requested id matches too');
    assert.equal(capture.wants('code', 'auto', 'acme'), false);
    assert.equal(capture.wants('support', 'support', 'other'), false);
    assert.equal(capture.wants('support', 'support', undefined), false);

    capture.record({ model: 'support', requested: 'auto', tenantId: 'acme', request: chat('My card 4111 1111 1111 1111 is lost, mail jo@example.com'), answer: 'Blocked it; we wrote to jo@example.com.' });
    capture.record({ model: 'support', requested: 'auto', tenantId: 'acme', request: { kind: 'completion', prompt: 'Q: fee?' }, answer: ' None.' });
    capture.record({ model: 'support', requested: 'auto', tenantId: 'acme', request: chat('empty answer'), answer: '  ' });
    await capture.flush();
    assert.deepEqual(capture.stats, { captured: 2, dropped: 0, skipped: 1, writeErrors: 0 });
    const [day] = readdirSync(path.join(dir, 'support'));
    const file = path.join(dir, 'support', day!);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines[0], { messages: [
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'My card <CREDIT_CARD> is lost, mail <EMAIL>' },
      { role: 'assistant', content: 'Blocked it; we wrote to <EMAIL>.' },
    ] });
    assert.ok(!readFileSync(file, 'utf8').includes('4111'));
    const read = readDataSource(file);
    assert.equal(read.problems.length, 0);
    assert.equal(read.records.length, 2);
  });

  it('drops exchanges holding sensitive values in drop mode, samples, and is off by default', async () => {
    const dir = tempDir();
    const drop = new TrafficCapture(captureSchema.parse({ enabled: true, scrub: 'drop' }), dir, createScanner());
    drop.record({ model: 'm', requested: 'm', tenantId: undefined, request: chat('call +1 415 555 2671'), answer: 'ok' });
    drop.record({ model: 'm', requested: 'm', tenantId: undefined, request: chat('hello'), answer: 'hi' });
    await drop.flush();
    assert.deepEqual(drop.stats, { captured: 1, dropped: 1, skipped: 0, writeErrors: 0 });
    assert.equal(new TrafficCapture(captureSchema.parse({}), dir, createScanner()).wants('m', 'm', undefined), false);
    let n = 0;
    const sampled = new TrafficCapture(captureSchema.parse({ enabled: true, sampleRate: 0.25 }), dir, createScanner(), () => [0.1, 0.5, 0.9, 0.2][n++ % 4]!);
    assert.deepEqual([1, 2, 3, 4].map(() => sampled.wants('m', 'm', undefined)), [true, false, false, true]);
  });

  it('counts a failed write instead of throwing', async () => {
    const errors: Error[] = [];
    const blocker = path.join(tempDir(), 'a-file');
    writeFileSync(blocker, 'not a folder');
    const capture = new TrafficCapture(captureSchema.parse({ enabled: true }), path.join(blocker, 'capture'), createScanner(), Math.random, (e) => errors.push(e));
    capture.record({ model: 'm', requested: 'm', tenantId: undefined, request: chat('hello'), answer: 'hi' });
    await capture.flush();
    assert.equal(capture.stats.writeErrors, 1);
    assert.equal(errors.length, 1);
  });
});
