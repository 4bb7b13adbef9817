import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { AuditRow } from '../../src/ledger/audit-row.ts';
import { auditRecordOf } from '../../src/ledger/audit-row.ts';
import type { LedgerStore } from '../../src/ledger/ledger-store.ts';
import { MemoryLedgerStore } from '../../src/ledger/memory-store.ts';
import { PostgresLedgerStore } from '../../src/ledger/postgres-store.ts';
import { SqliteLedgerStore } from '../../src/ledger/sqlite-store.ts';
import { makeAuditRow } from './audit-fixtures.ts';
import { dropSchema, tempDir, testDatabaseUrl, uniqueSchema } from './ledger-fixtures.ts';

/**
 * The audit log's storage contract, one suite per store. Postgres runs for real and fails when it
 * is unreachable (never skipped). The SQL stores must refuse UPDATE and DELETE on the table.
 */

interface Harness {
  open: () => LedgerStore;
  /** Runs raw SQL against the store's database, for the append-only checks; absent for memory. */
  raw?: (sql: string) => Promise<void>;
  cleanup: () => Promise<void>;
}

const at = (hour: number) => new Date(Date.UTC(2025, 7, 15, hour)).toISOString();

function sample(): AuditRow[] {
  return [
    makeAuditRow({ id: 'x3', time: at(14), requestId: 'r3', tenant: 'beta', dataClass: 'restricted', detectors: { US_SSN: 1, SECRET: 2 }, zones: [], models: [], decision: 'blocked', code: 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE' }),
    makeAuditRow({ id: 'x1', time: at(10), requestId: 'r1', tenant: null, dataClass: 'public', detectors: {}, zones: ['local'], models: ['small'], decision: 'allowed' }),
    makeAuditRow({ id: 'x2', time: at(12), requestId: 'r2', tenant: 'acme', dataClass: 'confidential', detectors: { EMAIL: 2 }, zones: ['external'], models: ['cloud'], decision: 'redacted' }),
    makeAuditRow({ id: 'x4', time: at(16), requestId: 'r1', tenant: 'acme', dataClass: 'restricted', detectors: { IBAN: 1 }, zones: ['self-hosted', 'eu-cloud'], models: ['inhouse', 'eu'], decision: 'routed' }),
  ];
}

function auditContract(name: string, harness: () => Harness, sql = true) {
  describe(`${name}: audit records`, { timeout: 20_000 }, () => {
    let h: Harness;
    let store: LedgerStore;
    const rows = sample();
    const ids = (records: Array<{ requestId: string; time: string }>) => records.map((r) => `${r.requestId}@${r.time.slice(11, 13)}`);

    before(async () => {
      h = harness();
      store = h.open();
      await store.migrate();
    });
    after(async () => {
      await store?.close();
      await h?.cleanup();
    });

    it('appends a batch, ignores ids already stored, and reads every field back, oldest first', async () => {
      assert.equal(await store.insertAudit([]), 0);
      assert.equal(await store.insertAudit(rows), 4);
      assert.equal(await store.insertAudit([rows[0]!, rows[1]!]), 0, 'a replayed batch is stored once');
      const all = await store.queryAudit({});
      assert.deepEqual(all, [rows[1], rows[2], rows[0], rows[3]].map((row) => auditRecordOf(row!)));
      assert.equal(all[0]!.tenant, null);
      assert.equal('code' in all[1]!, false, 'an absent code stays absent');
    });

    it('filters by time, class, tenant and decision', async () => {
      assert.deepEqual(ids(await store.queryAudit({ since: Date.parse(at(12)), until: Date.parse(at(16)) })), ['r2@12', 'r3@14']);
      assert.deepEqual(ids(await store.queryAudit({ dataClass: 'restricted' })), ['r3@14', 'r1@16']);
      assert.deepEqual(ids(await store.queryAudit({ tenant: 'acme' })), ['r2@12', 'r1@16']);
      assert.deepEqual(ids(await store.queryAudit({ decision: 'blocked', dataClass: 'restricted', tenant: 'beta' })), ['r3@14']);
      assert.deepEqual(await store.queryAudit({ since: Date.parse(at(17)) }), []);
    });

    if (sql) {
      it('is append-only: the database refuses UPDATE and DELETE', async () => {
        await assert.rejects(h.raw!("UPDATE audit_records SET decision = 'allowed'"), /append-only/);
        await assert.rejects(h.raw!('DELETE FROM audit_records'), /append-only/);
        assert.equal((await store.queryAudit({})).length, 4, 'nothing was changed');
      });
    }
  });
}

auditContract('memory', () => ({ open: () => new MemoryLedgerStore(), cleanup: async () => {} }), false);

for (const insertThread of [false, true]) {
  auditContract(insertThread ? 'SQLite with its insert thread' : 'SQLite', () => {
    const temp = tempDir();
    const file = path.join(temp.dir, 'ledger.sqlite');
    return {
      open: () => new SqliteLedgerStore({ path: file, insertThread }),
      raw: async (sql) => {
        const db = new Database(file);
        try {
          db.exec(sql);
        } finally {
          db.close();
        }
      },
      cleanup: async () => temp.remove(),
    };
  });
}

auditContract('Postgres', () => {
  const schema = uniqueSchema('audit_test');
  return {
    open: () => new PostgresLedgerStore({ url: testDatabaseUrl, schema }),
    raw: async (sql) => {
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      try {
        await client.query(`SET search_path TO "${schema}"`);
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
    cleanup: () => dropSchema(schema),
  };
});

describe('audit_records indexes', () => {
  it('exist for time, class and tenant (SQLite)', async () => {
    const temp = tempDir();
    const store = new SqliteLedgerStore({ path: path.join(temp.dir, 'ledger.sqlite') });
    try {
      await store.migrate();
      const db = new Database(path.join(temp.dir, 'ledger.sqlite'), { readonly: true });
      const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_records'").all() as Array<{ name: string }>).map((r) => r.name).sort();
      db.close();
      assert.deepEqual(names.filter((n) => !n.startsWith('sqlite_')), ['audit_records_class_time', 'audit_records_tenant_time', 'audit_records_time']);
    } finally {
      await store.close();
      temp.remove();
    }
  });
});
