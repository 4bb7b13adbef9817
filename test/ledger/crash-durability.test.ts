import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { LedgerStore } from '../../src/ledger/ledger-store.ts';
import { LedgerWriter } from '../../src/ledger/ledger-writer.ts';
import { PostgresLedgerStore } from '../../src/ledger/postgres-store.ts';
import { SqliteLedgerStore } from '../../src/ledger/sqlite-store.ts';
import { dropSchema, tempDir, testDatabaseUrl, uniqueSchema } from './ledger-fixtures.ts';

/**
 * kill -9 durability at the writer level: a child process records rows at full speed and
 * acknowledges each after record() returned; it is SIGKILLed mid-stream. After a restart (a new
 * writer on the same folder) every acknowledged row is in the store exactly once.
 */

const child = path.join(import.meta.dirname, 'fixtures', 'ledger-crash-child.ts');

async function runAndKill(args: string[], acksWanted: number): Promise<Set<string>> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked = new Set<string>();
  let stderr = '';
  let buffer = '';
  proc.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
  proc.stdout.on('data', (chunk) => {
    buffer += String(chunk);
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) if (line.startsWith('ack ')) acked.add(line.slice(4));
    if (acked.size >= acksWanted && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL');
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  const signal = await exited;
  clearTimeout(timer);
  assert.equal(signal, 'SIGKILL', `the child should have been killed, it exited on its own: ${stderr}`);
  assert.ok(acked.size >= acksWanted, `only ${acked.size} rows acknowledged before the kill: ${stderr}`);
  return acked;
}

async function assertExactlyOnce(store: LedgerStore, journalDir: string, acked: Set<string>): Promise<void> {
  const writer = new LedgerWriter({ store, journalDir, onError: (error) => assert.fail(error) });
  assert.equal(await writer.flush(20_000), true, 'the restart replays the journal');
  await writer.close();
  const [group] = await store.aggregate('tenant', { tenant: 'crash' });
  assert.ok(group, 'rows were stored');
  assert.ok(group.requests <= 10_000, `too many rows (${group.requests}) to read back in one query: lower acksWanted`);
  const ids = new Set((await store.query({ tenant: 'crash', limit: 10_000 })).map((row) => row.id));
  assert.equal(group.requests, ids.size, 'every row appears exactly once');
  const missing = [...acked].filter((id) => !ids.has(id));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged rows are missing`);
}

const temps: Array<{ remove: () => void }> = [];
after(() => temps.forEach((temp) => temp.remove()));

describe('crash durability (SIGKILL)', () => {
  it('SQLite: every acknowledged row survives, none is duplicated', async () => {
    const temp = tempDir();
    temps.push(temp);
    const acked = await runAndKill(['sqlite', temp.dir], 4000);
    const store = new SqliteLedgerStore({ path: path.join(temp.dir, 'ledger.sqlite') });
    await store.migrate();
    try {
      await assertExactlyOnce(store, path.join(temp.dir, 'journal'), acked);
    } finally {
      await store.close();
    }
  });

  it('Postgres: every acknowledged row survives, none is duplicated', async () => {
    const temp = tempDir();
    temps.push(temp);
    const schema = uniqueSchema('ledger_crash');
    const store = new PostgresLedgerStore({ url: testDatabaseUrl, schema });
    try {
      await store.migrate();
      const acked = await runAndKill(['postgres', temp.dir, testDatabaseUrl, schema], 4000);
      await assertExactlyOnce(store, path.join(temp.dir, 'journal'), acked);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
