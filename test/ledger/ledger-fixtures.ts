import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { LedgerRow } from '../../src/ledger/ledger-row.ts';

/** Postgres for tests: the machine's own server unless UNBUNDLE_TEST_DATABASE_URL says otherwise. */
export const testDatabaseUrl = process.env.UNBUNDLE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other run uses, so parallel runs never collide. */
export function uniqueSchema(prefix = 'ledger_test'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export function tempDir(prefix = 'unbundle-ledger-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

let counter = 0;

/** A plausible answered request; override any field. */
export function makeRow(overrides: Partial<LedgerRow> = {}): LedgerRow {
  counter++;
  return {
    id: `req-${process.pid}-${counter}`,
    time: Date.UTC(2025, 7, 15, 12, 0, 0) + counter,
    endpoint: 'chat',
    tenant: 'acme',
    keyId: 'key-1',
    requestedModel: 'auto',
    model: 'gpt-4o-mini',
    attempts: 1,
    stream: false,
    inputTokens: 100,
    outputTokens: 50,
    latencyMs: 120.5,
    ttftMs: 30.25,
    status: 'ok',
    httpStatus: 200,
    cost: 0.000045,
    currency: 'USD',
    costBasis: 'api-price',
    ...overrides,
  };
}
