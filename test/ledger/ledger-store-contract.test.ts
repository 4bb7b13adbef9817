import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import Database from 'better-sqlite3';
import { latestLedgerVersion, ledgerMigrations } from '../../src/ledger/ledger-migrations.ts';
import type { LedgerRow } from '../../src/ledger/ledger-row.ts';
import type { AggregateRow, LedgerStore } from '../../src/ledger/ledger-store.ts';
import { MemoryLedgerStore } from '../../src/ledger/memory-store.ts';
import { PostgresLedgerStore } from '../../src/ledger/postgres-store.ts';
import { SqliteLedgerStore } from '../../src/ledger/sqlite-store.ts';
import { dropSchema, makeRow, tempDir, testDatabaseUrl, uniqueSchema } from './ledger-fixtures.ts';

/**
 * One contract, three stores. Postgres and SQLite run for real: when Postgres is not reachable
 * the Postgres suite fails (start it with pg_ctlcluster, see docs/costs.md), it is never skipped.
 */

interface Harness {
  open: () => LedgerStore;
  cleanup: () => Promise<void>;
}

const day = (d: number, hour = 12) => Date.UTC(2025, 7, d, hour);

function sample(): LedgerRow[] {
  return [
    makeRow({ id: 'a1', time: day(14), model: 'mini', tenant: 'acme', inputTokens: 1000, cachedInputTokens: 200, outputTokens: 500, cost: 0.5, clientRequestId: 'client-trace-7', attemptedModels: 'mini-eu,mini' }),
    makeRow({ id: 'a2', time: day(14, 23), model: 'mini', tenant: 'acme', inputTokens: 10, outputTokens: undefined, cost: undefined, costBasis: 'unknown' }),
    makeRow({ id: 'a3', time: day(15), model: 'local', tenant: 'beta', inputTokens: 300, outputTokens: 100, cost: 0.25, computeMs: 1500, costBasis: 'self-hosted', stream: true }),
    makeRow({
      id: 'a4',
      time: day(15, 1),
      model: undefined,
      tenant: 'beta',
      inputTokens: undefined,
      outputTokens: undefined,
      cost: undefined,
      status: 'error',
      httpStatus: 502,
      errorCode: 'UNBUNDLE_E_UPSTREAM_SERVER',
      costBasis: 'unknown',
      ttftMs: undefined,
    }),
    makeRow({ id: 'a5', time: day(16), model: 'mini', tenant: 'acme', inputTokens: 0, outputTokens: 0, cost: 0, currency: 'EUR', domain: 'legal', dataClass: 'internal', routeReason: 'rule:legal' }),
  ];
}

function storeContract(name: string, harness: () => Harness) {
  describe(`${name} ledger store`, () => {
    let store: LedgerStore;
    let h: Harness;

    before(async () => {
      h = harness();
      store = h.open();
      await store.migrate();
    });
    after(async () => {
      await store?.close();
      await h?.cleanup();
    });

    it('migrates idempotently to the latest schema version', async () => {
      await store.migrate();
      assert.equal(await store.schemaVersion(), latestLedgerVersion);
    });

    it('stores rows exactly, keeping unknown apart from 0', async () => {
      const rows = sample();
      assert.equal(await store.insertBatch(rows), rows.length);
      const stored = await store.query({ limit: 100 });
      // JSON drops the `undefined` fields, as a store does: absent means unknown.
      assert.deepEqual(stored, JSON.parse(JSON.stringify([...rows].sort((a, b) => b.time - a.time))));
      const unknown = stored.find((row) => row.id === 'a2')!;
      assert.equal(unknown.outputTokens, undefined);
      assert.equal(unknown.cost, undefined);
      const zero = stored.find((row) => row.id === 'a5')!;
      assert.equal(zero.outputTokens, 0);
      assert.equal(zero.cost, 0);
    });

    it('ignores ids it already holds, across and within batches', async () => {
      const again = sample().map((row) => ({ ...row, model: 'changed' }));
      assert.equal(await store.insertBatch(again), 0);
      const fresh = makeRow({ id: 'dup-1', time: day(10) });
      assert.equal(await store.insertBatch([fresh, { ...fresh, tenant: 'other' }]), 1);
      const [row] = await store.query({ id: 'dup-1' });
      assert.equal(row!.tenant, 'acme');
      assert.equal((await store.query({ id: 'a1' }))[0]!.model, 'mini');
      assert.equal(await store.insertBatch([]), 0);
      // A batch big enough for multi-row statements, with repeats inside one statement.
      const many = Array.from({ length: 40 }, (_, i) => makeRow({ id: `many-${i % 30}`, time: day(9) }));
      assert.equal(await store.insertBatch(many), 30);
      assert.equal((await store.query({ until: day(10) })).length, 30);
    });

    it('filters and limits queries, newest first', async () => {
      const since = day(14);
      assert.deepEqual(
        (await store.query({ since, until: day(16) })).map((row) => row.id),
        ['a3', 'a4', 'a2', 'a1'],
      );
      assert.deepEqual((await store.query({ tenant: 'beta' })).map((row) => row.id), ['a3', 'a4']);
      assert.deepEqual((await store.query({ model: 'mini', since })).map((row) => row.id), ['a5', 'a2', 'a1']);
      assert.deepEqual((await store.query({ status: 'error' })).map((row) => row.id), ['a4']);
      assert.deepEqual((await store.query({ since, limit: 2 })).map((row) => row.id), ['a5', 'a3']);
    });

    it('aggregates by model: sums skip unknowns and count them', async () => {
      const groups = await store.aggregate('model', { since: day(14), until: day(17) });
      assert.deepEqual(
        groups.map((g) => [g.key, g.currency]),
        [
          ['local', 'USD'],
          ['mini', 'EUR'],
          ['mini', 'USD'],
          [null, 'USD'],
        ],
      );
      const mini = groups.find((g) => g.key === 'mini' && g.currency === 'USD')!;
      assertAggregate(mini, {
        requests: 2,
        errors: 0,
        inputTokens: 1010,
        outputTokens: 500,
        cachedInputTokens: 200,
        unknownUsageRequests: 1,
        cost: 0.5,
        unknownCostRequests: 1,
        comparableRequests: 1,
        comparableInputTokens: 1000,
        comparableCachedInputTokens: 200,
        comparableOutputTokens: 500,
        comparableCost: 0.5,
      });
      const local = groups.find((g) => g.key === 'local')!;
      assert.ok(Math.abs(local.computeSeconds - 1.5) < 1e-9);
      const none = groups.find((g) => g.key === null)!;
      assertAggregate(none, { requests: 1, errors: 1, unknownUsageRequests: 1, unknownCostRequests: 1, cost: 0, comparableRequests: 0 });
      assert.ok(Math.abs(none.avgLatencyMs - 120.5) < 1e-9);
    });

    it('aggregates by UTC day, tenant, status and domain', async () => {
      const days = await store.aggregate('day', { since: day(14), until: day(17) });
      assert.deepEqual(
        days.map((g) => [g.key, g.currency, g.requests]),
        [
          ['2025-08-14', 'USD', 2],
          ['2025-08-15', 'USD', 2],
          ['2025-08-16', 'EUR', 1],
        ],
      );
      const tenants = await store.aggregate('tenant', { since: day(14), until: day(16) });
      assert.deepEqual(
        tenants.map((g) => [g.key, g.requests, g.cost]),
        [
          ['acme', 2, 0.5],
          ['beta', 2, 0.25],
        ],
      );
      const statuses = await store.aggregate('status', { since: day(14), until: day(17), tenant: 'beta' });
      assert.deepEqual(statuses.map((g) => [g.key, g.requests]), [['error', 1], ['ok', 1]]);
      const domains = await store.aggregate('domain', { since: day(16), until: day(17) });
      assert.deepEqual(domains.map((g) => g.key), ['legal']);
      assert.deepEqual(await store.aggregate('key', { since: day(20) }), []);
    });

    it('commits a large batch in one call', async () => {
      const rows = Array.from({ length: 2000 }, (_, i) => makeRow({ id: `bulk-${i}`, time: day(1) + i, tenant: 'bulk' }));
      assert.equal(await store.insertBatch(rows), 2000);
      const [group] = await store.aggregate('tenant', { tenant: 'bulk' });
      assert.equal(group!.requests, 2000);
      assert.equal(group!.inputTokens, 200_000);
    });
  });
}

function assertAggregate(actual: AggregateRow, expected: Partial<AggregateRow>): void {
  for (const [field, value] of Object.entries(expected)) {
    const got = actual[field as keyof AggregateRow];
    if (typeof value === 'number') assert.ok(Math.abs((got as number) - value) < 1e-9, `${field}: ${String(got)} ≠ ${value}`);
    else assert.equal(got, value, field);
  }
}

storeContract('memory', () => ({ open: () => new MemoryLedgerStore(), cleanup: async () => undefined }));

storeContract('SQLite', () => {
  const temp = tempDir();
  return { open: () => new SqliteLedgerStore({ path: path.join(temp.dir, 'ledger.sqlite') }), cleanup: async () => temp.remove() };
});

storeContract('SQLite with its insert thread', () => {
  const temp = tempDir();
  return { open: () => new SqliteLedgerStore({ path: path.join(temp.dir, 'ledger.sqlite'), insertThread: true }), cleanup: async () => temp.remove() };
});

storeContract('Postgres', () => {
  const schema = uniqueSchema();
  return { open: () => new PostgresLedgerStore({ url: testDatabaseUrl, schema }), cleanup: () => dropSchema(schema) };
});

describe('concurrent migration', () => {
  it('two Postgres replicas migrating at once both succeed', async () => {
    const schema = uniqueSchema();
    const stores = [0, 1, 2].map(() => new PostgresLedgerStore({ url: testDatabaseUrl, schema }));
    try {
      await Promise.all(stores.map((store) => store.migrate()));
      assert.equal(await stores[0]!.schemaVersion(), latestLedgerVersion);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await dropSchema(schema);
    }
  });

  it('a SQLite file opened by two processes migrates once', async () => {
    const temp = tempDir();
    const file = path.join(temp.dir, 'ledger.sqlite');
    const stores = [new SqliteLedgerStore({ path: file }), new SqliteLedgerStore({ path: file })];
    try {
      await Promise.all(stores.map((store) => store.migrate()));
      assert.equal(await stores[1]!.schemaVersion(), latestLedgerVersion);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      temp.remove();
    }
  });

  it('upgrades a version-1 ledger in place, keeping its rows (SQLite and Postgres)', async () => {
    const temp = tempDir();
    const file = path.join(temp.dir, 'ledger.sqlite');
    const v1 = ledgerMigrations.find((migration) => migration.version === 1)!;
    const db = new Database(file);
    db.exec('CREATE TABLE ledger_schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    db.exec(v1.sqlite);
    db.prepare('INSERT INTO ledger_schema_version VALUES (1, ?, 0)').run(v1.description);
    db.prepare("INSERT INTO ledger_rows (id, time, attempts, latency_ms, status, currency, cost_basis) VALUES ('old-1', 1, 1, 5, 'ok', 'USD', 'unknown')").run();
    db.close();
    const schema = uniqueSchema('ledger_upgrade');
    const pgSetup = new pg.Client({ connectionString: testDatabaseUrl });
    await pgSetup.connect();
    const stores: LedgerStore[] = [];
    try {
      await pgSetup.query(`CREATE SCHEMA "${schema}"`);
      await pgSetup.query(`CREATE TABLE "${schema}".ledger_schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      await pgSetup.query(v1.postgres(`"${schema}"`));
      await pgSetup.query(`INSERT INTO "${schema}".ledger_schema_version (version, description) VALUES (1, $1)`, [v1.description]);
      await pgSetup.query(`INSERT INTO "${schema}".ledger_rows (id, time, attempts, latency_ms, status, currency, cost_basis) VALUES ('old-1', 1, 1, 5, 'ok', 'USD', 'unknown')`);
      stores.push(new SqliteLedgerStore({ path: file }), new PostgresLedgerStore({ url: testDatabaseUrl, schema }));
      for (const store of stores) {
        assert.equal(await store.schemaVersion(), 1);
        await store.migrate();
        assert.equal(await store.schemaVersion(), latestLedgerVersion);
        assert.equal((await store.query({ id: 'old-1' }))[0]?.latencyMs, 5);
        await store.insertBatch([makeRow({ id: 'new-1', clientRequestId: 'c', attemptedModels: 'a,b' })]);
        assert.equal((await store.query({ id: 'new-1' }))[0]?.attemptedModels, 'a,b');
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await pgSetup.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await pgSetup.end();
      temp.remove();
    }
  });

  it('a report can refuse to create an empty SQLite ledger', () => {
    const temp = tempDir();
    try {
      assert.throws(() => new SqliteLedgerStore({ path: path.join(temp.dir, 'missing.sqlite'), mustExist: true }), /does not exist|unable to open/);
    } finally {
      temp.remove();
    }
  });
});
