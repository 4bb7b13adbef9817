/**
 * The audit log's cost on the request path: `append()` of the ledger-store sink (journal write
 * batched per event-loop turn, commits on the SQLite insert thread) vs the JSONL sink it replaces,
 * same records, interleaved rounds in one run; plus the end-to-end rate at which the ledger sink
 * gets records committed. Run with `npm run bench -- audit`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LedgerAuditSink } from '../src/ledger/ledger-audit-sink.ts';
import { SqliteLedgerStore } from '../src/ledger/sqlite-store.ts';
import type { AuditRecord, AuditSink } from '../src/policy/audit-sink.ts';
import { JsonlAuditSink } from '../src/policy/jsonl-audit-sink.ts';

const perTurn = 50;
const turns = Number(process.env.BENCH_TURNS ?? 200);

function record(i: number): AuditRecord {
  return { time: new Date().toISOString(), requestId: `bench-${i}`, tenant: `t${i % 7}`, endpoint: '/v1/chat/completions', dataClass: 'confidential', detectors: { EMAIL: 1, PHONE: 1 }, zones: ['external'], models: ['cloud'], decision: 'redacted' };
}

/** Nanoseconds per append(), `perTurn` appends per event-loop turn as under load, yielding between turns. */
async function appendCost(sink: AuditSink, base: number): Promise<number> {
  let spent = 0n;
  for (let turn = 0; turn < turns; turn++) {
    const records = Array.from({ length: perTurn }, (_, i) => record(base + turn * perTurn + i));
    const start = process.hrtime.bigint();
    for (const r of records) sink.append(r);
    spent += process.hrtime.bigint() - start;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return Number(spent) / (turns * perTurn);
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-audit-bench-'));
  const store = new SqliteLedgerStore({ path: path.join(dir, 'ledger.sqlite'), insertThread: true });
  await store.migrate();
  const ledgerSink = new LedgerAuditSink({ store, journalDir: path.join(dir, 'audit-journal') });
  const jsonlSink = new JsonlAuditSink(path.join(dir, 'audit.jsonl'));
  try {
    const costs = { ledger: [] as number[], jsonl: [] as number[] };
    for (let round = 0; round < 4; round++) {
      costs.ledger.push(await appendCost(ledgerSink, round * 1e6));
      costs.jsonl.push(await appendCost(jsonlSink, round * 1e6 + 5e5));
    }
    const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
    const [l, j] = [median(costs.ledger), median(costs.jsonl)];
    console.log(`append() on the request path, ${perTurn} per turn: ledger-store sink ${(l / 1000).toFixed(2)} µs, JSONL sink ${(j / 1000).toFixed(2)} µs — ratio ${(l / j).toFixed(2)}x`);
    await Promise.all([ledgerSink.flush(60_000), jsonlSink.flush()]);
    const n = turns * perTurn;
    const start = performance.now();
    for (let i = 0; i < n; i++) ledgerSink.append(record(9e6 + i));
    await ledgerSink.flush(60_000);
    const ledgerMs = performance.now() - start;
    const startJ = performance.now();
    for (let i = 0; i < n; i++) jsonlSink.append(record(9e6 + i));
    await jsonlSink.flush();
    const jsonlMs = performance.now() - startJ;
    console.log(`${n} records appended and durably stored: ledger store (journal + SQLite commit) ${(n / (ledgerMs / 1000)).toFixed(0)} records/s vs JSONL append ${(n / (jsonlMs / 1000)).toFixed(0)} records/s — ratio ${(jsonlMs / ledgerMs).toFixed(2)}x`);
  } finally {
    await ledgerSink.close();
    await jsonlSink.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
