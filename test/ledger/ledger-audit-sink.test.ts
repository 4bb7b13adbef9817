import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { LedgerAuditSink } from '../../src/ledger/ledger-audit-sink.ts';
import { MemoryLedgerStore } from '../../src/ledger/memory-store.ts';
import { SqliteLedgerStore } from '../../src/ledger/sqlite-store.ts';
import type { AuditRecord } from '../../src/policy/audit-sink.ts';
import { tempDir } from './ledger-fixtures.ts';

/**
 * The audit log travels like ledger rows: append() queues and journals without waiting for the
 * store, records wait out a store outage, and a record appended before a kill -9 is in the store
 * after the restart, exactly once.
 */

const temps: Array<{ remove: () => void }> = [];
after(() => temps.forEach((temp) => temp.remove()));

function record(requestId: string, fields: Partial<AuditRecord> = {}): AuditRecord {
  return { time: new Date().toISOString(), requestId, tenant: 'acme', endpoint: '/v1/chat/completions', dataClass: 'confidential', detectors: { EMAIL: 1 }, zones: ['external'], models: ['cloud'], decision: 'redacted', ...fields };
}

describe('LedgerAuditSink', { timeout: 40_000 }, () => {
  it('appends without waiting for the store and answers query from it', async () => {
    const store = new MemoryLedgerStore();
    const sink = new LedgerAuditSink({ store, flushIntervalMs: 10_000 });
    sink.append(record('a'));
    sink.append(record('b', { dataClass: 'restricted', decision: 'blocked', zones: [], models: [], code: 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE' }));
    assert.deepEqual(await store.queryAudit({}), [], 'nothing committed on the request path');
    const restricted = await sink.query({ dataClass: 'restricted' });
    assert.deepEqual(restricted.map((r) => [r.requestId, r.decision, r.code]), [['b', 'blocked', 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE']]);
    assert.equal((await store.queryAudit({})).length, 2, 'query committed what was pending');
    await sink.close();
  });

  it('keeps records through a store outage (journal) and commits them when it is back', async () => {
    const temp = tempDir();
    temps.push(temp);
    const store = new MemoryLedgerStore();
    const errors: string[] = [];
    const sink = new LedgerAuditSink({ store, journalDir: temp.dir, flushIntervalMs: 5, onError: (_e, context) => errors.push(context) });
    store.failing = new Error('store down');
    for (let i = 0; i < 20; i++) sink.append(record(`down-${i}`));
    assert.equal(await sink.flush(300), false, 'cannot commit while the store is down');
    assert.ok(errors.some((context) => /retrying/.test(context)), 'the outage is reported');
    assert.ok(readdirSync(temp.dir).some((name) => name.endsWith('.jsonl')), 'the records are in the journal');
    store.failing = undefined;
    assert.equal(await sink.flush(10_000), true);
    // Records of the same millisecond come back in id order, not append order: compare as sets.
    assert.deepEqual((await sink.query({})).map((r) => r.requestId).sort(), Array.from({ length: 20 }, (_, i) => `down-${i}`).sort());
    await sink.close();
    assert.deepEqual(readdirSync(temp.dir).filter((name) => name.endsWith('.jsonl')), [], 'committed journal segments are removed');
  });

  it('close() does not wait out a down store: records stay in the journal for the next start', async () => {
    const temp = tempDir();
    temps.push(temp);
    const store = new MemoryLedgerStore();
    const sink = new LedgerAuditSink({ store, journalDir: temp.dir, flushIntervalMs: 5, onError: () => undefined });
    store.failing = new Error('store down');
    sink.append(record('kept'));
    await sink.flush(100);
    const start = Date.now();
    await sink.close();
    assert.ok(Date.now() - start < 1_000, 'close returned promptly');
    store.failing = undefined;
    const next = new LedgerAuditSink({ store, journalDir: temp.dir });
    assert.equal(await next.flush(5_000), true);
    assert.deepEqual((await next.query({})).map((r) => r.requestId), ['kept']);
    await next.close();
  });

  it('kill -9: every record appended before the kill is in the SQLite store after a restart, once', async () => {
    const temp = tempDir();
    temps.push(temp);
    const file = path.join(temp.dir, 'ledger.sqlite');
    const journalDir = path.join(temp.dir, 'audit-journal');
    const child = path.join(import.meta.dirname, 'fixtures', 'audit-crash-child.ts');
    const proc = spawn(process.execPath, ['--import', 'tsx', child, file, journalDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Set<string>();
    let buffer = '';
    let stderr = '';
    proc.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
    proc.stdout.on('data', (chunk) => {
      buffer += String(chunk);
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) if (line.startsWith('ack ')) acked.add(line.slice(4));
      if (acked.size >= 700 && !proc.killed) proc.kill('SIGKILL');
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    assert.equal(await exited, 'SIGKILL', `the child exited on its own: ${stderr}`);
    clearTimeout(timer);
    assert.ok(acked.size >= 700, `only ${acked.size} records acknowledged: ${stderr}`);

    const store = new SqliteLedgerStore({ path: file });
    await store.migrate();
    const sink = new LedgerAuditSink({ store, journalDir, onError: (error) => assert.fail(error) });
    try {
      assert.equal(await sink.flush(20_000), true, 'the restart replays the journal');
      const stored = (await sink.query({ tenant: 'crash' })).map((r) => r.requestId);
      assert.equal(new Set(stored).size, stored.length, 'no record is stored twice');
      const missing = [...acked].filter((id) => !stored.includes(id));
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged records are missing`);
    } finally {
      await sink.close();
      await store.close();
    }
  });
});
