import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PostgresLedgerStore } from '../../src/ledger/postgres-store.ts';
import { SqliteLedgerStore } from '../../src/ledger/sqlite-store.ts';
import type { AuditRecord } from '../../src/policy/audit-sink.ts';
import { JsonlAuditSink } from '../../src/policy/jsonl-audit-sink.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeAuditRow } from '../ledger/audit-fixtures.ts';
import { dropSchema, tempDir, testDatabaseUrl, uniqueSchema } from '../ledger/ledger-fixtures.ts';

/** `unbundle audit` reads the ledger store the server writes: Postgres by UNBUNDLE_DATABASE_URL, SQLite plus an older audit.jsonl. */

const temps: Array<{ remove: () => void }> = [];
after(() => temps.forEach((temp) => temp.remove()));
const recent = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const requestIds = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as AuditRecord).requestId);

describe('unbundle audit over the ledger store', { timeout: 20_000 }, () => {
  it('reads the Postgres ledger named by UNBUNDLE_DATABASE_URL (schema from the config)', async () => {
    const temp = tempDir();
    temps.push(temp);
    const schema = uniqueSchema('audit_cli');
    const store = new PostgresLedgerStore({ url: testDatabaseUrl, schema });
    try {
      await store.migrate();
      await store.insertAudit([
        makeAuditRow({ time: recent(30), requestId: 'pg-restricted', dataClass: 'restricted', decision: 'blocked', zones: [], models: [], detectors: { SECRET: 1 } }),
        makeAuditRow({ time: recent(20), requestId: 'pg-confidential' }),
        makeAuditRow({ time: recent(60 * 48), requestId: 'pg-old', dataClass: 'restricted' }),
      ]);
      const config = path.join(temp.dir, 'portfolio.yaml');
      writeFileSync(config, `ledger:\n  postgresSchema: ${schema}\n`);
      const env = { ...process.env, UNBUNDLE_DATABASE_URL: testDatabaseUrl, UNBUNDLE_DATA_DIR: temp.dir };
      const result = await runCli(['audit', '--config', config, '--class', 'restricted', '--json'], { env, cwd: temp.dir });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(requestIds(result.stdout), ['pg-restricted']);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it('merges the SQLite ledger with an audit.jsonl written before the ledger held the log, in time order', async () => {
    const temp = tempDir();
    temps.push(temp);
    const store = new SqliteLedgerStore({ path: path.join(temp.dir, 'ledger.sqlite') });
    await store.migrate();
    await store.insertAudit([makeAuditRow({ time: recent(10), requestId: 'from-store' })]);
    await store.close();
    const legacy = new JsonlAuditSink(path.join(temp.dir, 'audit.jsonl'));
    const { id: _id, ...old } = makeAuditRow({ time: recent(90), requestId: 'from-jsonl' });
    legacy.append(old);
    await legacy.close();
    const env = { UNBUNDLE_DATA_DIR: temp.dir };
    const result = await runCli(['audit', '--since', '24h', '--json'], { env, cwd: temp.dir });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(requestIds(result.stdout), ['from-jsonl', 'from-store']);
  });

  it('with ledger.enabled: false reads audit.jsonl only, and says where it looked when there is none', async () => {
    const temp = tempDir();
    temps.push(temp);
    writeFileSync(path.join(temp.dir, 'portfolio.yaml'), 'ledger:\n  enabled: false\n');
    const missing = await runCli(['audit', '--config', 'portfolio.yaml'], { env: { UNBUNDLE_DATA_DIR: temp.dir }, cwd: temp.dir });
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /no audit log at .*audit\.jsonl/);
    const none = await runCli(['audit'], { env: { UNBUNDLE_DATA_DIR: path.join(temp.dir, 'empty') }, cwd: temp.dir });
    assert.equal(none.code, 4);
    assert.match(none.stderr, /no audit log at .*ledger\.sqlite \(or .*audit\.jsonl\)/);
  });
});
