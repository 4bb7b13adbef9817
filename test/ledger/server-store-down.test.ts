import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PostgresLedgerStore } from '../../src/ledger/postgres-store.ts';
import { ScriptedBackend } from '../helpers/scripted-backend.ts';
import { startLedgerGateway } from './ledger-gateway.ts';
import { dropSchema, tempDir, testDatabaseUrl, uniqueSchema } from './ledger-fixtures.ts';

/**
 * The Postgres ledger is down (its URL points at a closed port): the server keeps serving, the
 * rows spool to the journal, and the next start with Postgres back replays them — once each.
 */

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const temps: Array<{ remove: () => void }> = [];
after(() => temps.forEach((temp) => temp.remove()));

describe('ledger store down', () => {
  it('serves, spools to the journal, and replays into Postgres when it is back', async () => {
    const temp = tempDir();
    temps.push(temp);
    const schema = uniqueSchema('ledger_down');
    const config = { models: [{ id: 'm', backend: 'openai-compatible' as const, baseURL: 'http://127.0.0.1:9/v1', pricing: 'gpt-4o-mini' }], ledger: { postgresSchema: schema } };
    const down = `postgres://postgres@127.0.0.1:${await closedPort()}/test`;
    const first = await startLedgerGateway(config, { dataDir: temp.dir, backends: { m: new ScriptedBackend('m') }, env: { UNBUNDLE_DATABASE_URL: down }, closeTimeoutMs: 200 });
    const ids: string[] = [];
    try {
      assert.equal(first.ledger.location.kind, 'postgres');
      assert.ok(first.warnings.some((warning) => /unreachable.*serving anyway/.test(warning)), first.warnings.join('\n'));
      for (let i = 0; i < 12; i++) {
        const response = await fetch(`${first.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', stream: i % 2 === 0, messages: [{ role: 'user', content: 'hi' }] }) });
        assert.equal(response.status, 200, 'serving continues while the ledger store is down');
        await response.arrayBuffer();
        ids.push(response.headers.get('x-request-id')!);
      }
      // The writer learns the store is down on its first flush attempt, a few ms after the rows arrive.
      for (let waited = 0; first.ledger.writer.stats().storeHealthy && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      assert.equal(first.ledger.writer.stats().storeHealthy, false);
      const metrics = await (await fetch(`${first.url}/metrics`)).text();
      assert.match(metrics, /unbundle_ledger_store_up\{store="postgres"\} 0/);
      assert.match(metrics, /unbundle_ledger_rows\{state="recorded"\} 12/);
      assert.match(metrics, /unbundle_ledger_rows\{state="dropped"\} 0/);
    } finally {
      await first.close();
    }
    const journal = path.join(temp.dir, 'journal');
    assert.ok(readdirSync(journal).some((name) => name.endsWith('.jsonl')), 'the rows wait in the journal');

    // Postgres is back: the next start replays the journal before it serves.
    const second = await startLedgerGateway(config, { dataDir: temp.dir, backends: { m: new ScriptedBackend('m') }, env: { UNBUNDLE_DATABASE_URL: testDatabaseUrl } });
    const reader = new PostgresLedgerStore({ url: testDatabaseUrl, schema });
    try {
      assert.deepEqual(second.warnings, []);
      const rows = await reader.query({ limit: 100 });
      assert.deepEqual(rows.map((row) => row.id).sort(), [...ids].sort(), 'every spooled row replayed exactly once');
      assert.ok(rows.every((row) => row.status === 'ok' && row.costBasis === 'api-price'));
      assert.deepEqual(readdirSync(journal).filter((name) => name.endsWith('.jsonl')), [], 'replayed journal files are removed');
    } finally {
      await reader.close();
      await second.close();
      await dropSchema(schema);
    }
  });
});
