import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import type { LedgerRow } from '../../src/ledger/ledger-row.ts';
import { LedgerWriter, type LedgerWriterOptions } from '../../src/ledger/ledger-writer.ts';
import { readJournalFile } from '../../src/ledger/ledger-journal.ts';
import { MemoryLedgerStore } from '../../src/ledger/memory-store.ts';
import { makeRow, tempDir } from './ledger-fixtures.ts';

/** A memory store that remembers each batch it was given. */
class RecordingStore extends MemoryLedgerStore {
  batches: number[] = [];
  override async insertBatch(rows: readonly LedgerRow[]): Promise<number> {
    const inserted = await super.insertBatch(rows);
    this.batches.push(rows.length);
    return inserted;
  }
  async count(): Promise<number> {
    return (await this.query({ limit: 10_000 })).length;
  }
}

const temps: Array<{ remove: () => void }> = [];
after(() => temps.forEach((temp) => temp.remove()));

function setup(options: Partial<LedgerWriterOptions> = {}, journal = true) {
  const temp = tempDir();
  temps.push(temp);
  const store = new RecordingStore();
  const errors: string[] = [];
  const writer = new LedgerWriter({
    store,
    ...(journal ? { journalDir: temp.dir } : {}),
    flushIntervalMs: 10,
    retryMinMs: 5,
    retryMaxMs: 20,
    onError: (error, context) => errors.push(`${context}: ${error.message}`),
    ...options,
  });
  const files = () => readdirSync(temp.dir);
  return { temp, store, writer, errors, files };
}

const rows = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => makeRow({ id: `${prefix}-${i}` }));

describe('LedgerWriter', () => {
  it('commits in batches of at most batchSize, one transaction each', async () => {
    const { store, writer, files } = setup({ batchSize: 500 });
    for (const row of rows(1200, 'b')) writer.record(row);
    assert.equal(await writer.flush(), true);
    assert.equal(await store.count(), 1200);
    assert.ok(store.batches.every((size) => size <= 500), String(store.batches));
    assert.ok(store.batches.length >= 3 && store.batches.length <= 4, String(store.batches));
    assert.equal(writer.stats().committed, 1200);
    await writer.close();
    assert.deepEqual(files(), [], 'a fully committed journal leaves no files');
  });

  it('commits a lone row after the flush interval without being asked', async () => {
    const { store, writer } = setup({ flushIntervalMs: 10 });
    writer.record(makeRow({ id: 'lonely' }));
    for (let i = 0; i < 50 && (await store.count()) === 0; i++) await sleep(10);
    assert.equal(await store.count(), 1);
    await writer.close();
  });

  it('keeps serving while the store is down, then commits everything once it is back', async () => {
    const { store, writer, errors } = setup({ maxQueue: 10 });
    store.failing = new Error('database is down');
    const batch = rows(100, 'down');
    for (const row of batch) assert.doesNotThrow(() => writer.record(row));
    assert.equal(await writer.flush(100), false);
    assert.ok(errors.some((line) => line.includes('database is down')));
    assert.equal(writer.stats().storeHealthy, false);
    assert.equal(writer.stats().spilled, 90, 'rows beyond maxQueue live only in the journal');
    store.failing = undefined;
    assert.equal(await writer.flush(), true);
    const stored = await store.query({ limit: 1000 });
    assert.deepEqual(new Set(stored.map((row) => row.id)), new Set(batch.map((row) => row.id)));
    assert.equal(writer.stats().storeHealthy, true);
    assert.equal(writer.stats().dropped, 0);
    await writer.close();
  });

  it('without a journal, a full queue drops rows loudly, never silently', async () => {
    const { store, writer, errors } = setup({ maxQueue: 5 }, false);
    store.failing = new Error('down');
    for (const row of rows(8, 'nojournal')) writer.record(row);
    assert.equal(writer.stats().dropped, 3);
    // Reported at once, then at most once a second with a count (no flood under overload).
    assert.deepEqual(errors.filter((line) => line.startsWith('dropped')).length, 1);
    assert.match(errors.join('\n'), /dropped 1 row\(s\), the last nojournal-5/);
    store.failing = undefined;
    await writer.flush();
    assert.equal(await store.count(), 5);
    await writer.close();
  });

  it('a new writer replays what a closed one could not commit, without duplicates', async () => {
    const first = setup();
    first.store.failing = new Error('down');
    const committedEarlier = rows(3, 'replay-done');
    first.store.failing = undefined;
    for (const row of committedEarlier) first.writer.record(row);
    await first.writer.flush();
    first.store.failing = new Error('down');
    const pending = rows(20, 'replay');
    for (const row of pending) first.writer.record(row);
    assert.equal(await first.writer.close(50), false);
    assert.equal(first.files().length, 1, 'the uncommitted rows stay in the journal');

    // Same folder, a store that already holds some of the rows: replay must not duplicate them.
    const store = new RecordingStore();
    await store.insertBatch([...committedEarlier, pending[0]!]);
    const second = new LedgerWriter({ store, journalDir: first.temp.dir, onError: () => undefined });
    assert.equal(await second.flush(), true);
    const ids = (await store.query({ limit: 1000 })).map((row) => row.id);
    assert.equal(ids.length, new Set(ids).size, 'no duplicates');
    for (const row of [...committedEarlier, ...pending]) assert.ok(ids.includes(row.id), `${row.id} is missing`);
    assert.equal(second.stats().replayedFiles, 1);
    await second.close();
    assert.deepEqual(first.files(), []);
  });

  it('keeps unreadable journal lines in a .rejected file and says so', async () => {
    const first = setup();
    first.store.failing = new Error('down');
    first.writer.record(makeRow({ id: 'good-1' }));
    await first.writer.close(20);
    const [file] = first.files();
    appendFileSync(path.join(first.temp.dir, file!), '{"id": "torn", "ti\n');

    const store = new RecordingStore();
    const errors: string[] = [];
    const second = new LedgerWriter({ store, journalDir: first.temp.dir, onError: (error) => errors.push(error.message) });
    await second.flush();
    assert.deepEqual((await store.query({})).map((row) => row.id), ['good-1']);
    assert.equal(second.stats().rejectedLines, 1);
    assert.match(errors.join('\n'), /1 unreadable line/);
    assert.deepEqual(first.files(), [`${file}.rejected`]);
    await second.close();
  });

  it('drops a torn last line (a crash cut the write) without calling the file damaged', async () => {
    const first = setup();
    first.store.failing = new Error('down');
    first.writer.record(makeRow({ id: 'good-1' }));
    first.writer.record(makeRow({ id: 'good-2' }));
    await first.writer.close(20);
    const [file] = first.files();
    appendFileSync(path.join(first.temp.dir, file!), '{"id": "cut-by-kill-9", "ti');
    assert.equal(readJournalFile(path.join(first.temp.dir, file!)).tornTail, true);

    const store = new RecordingStore();
    const errors: string[] = [];
    const second = new LedgerWriter({ store, journalDir: first.temp.dir, onError: (error) => errors.push(error.message) });
    assert.equal(await second.flush(), true);
    assert.deepEqual((await store.query({})).map((row) => row.id).sort(), ['good-1', 'good-2']);
    assert.equal(second.stats().rejectedLines, 0);
    assert.deepEqual(errors, []);
    assert.deepEqual(first.files(), [], 'replayed and removed');
    await second.close();
  });

  it('rotates journal segments and deletes each once committed', async () => {
    const { store, writer, files } = setup({ segmentRows: 10, batchSize: 7 });
    for (const row of rows(35, 'seg')) writer.record(row);
    assert.ok(files().length >= 3, 'closed segments wait for their rows to commit');
    await writer.flush();
    assert.ok(files().length <= 1, `committed segments are deleted (left: ${files().join(', ')})`);
    assert.equal(await store.count(), 35);
    await writer.close();
    assert.deepEqual(files(), []);
  });

  it('recordDurable resolves once the row is in the journal, sharing one write per turn', async () => {
    const { temp, store, writer, files } = setup();
    const journalText = () => files().map((file) => readFileSync(path.join(temp.dir, file), 'utf8')).join('');
    const batch = rows(5, 'durable');
    const done = Promise.all(batch.map((row) => writer.recordDurable(row)));
    assert.equal(journalText(), '', 'rows of one turn are written together, after the turn');
    await done;
    const lines = journalText().trim().split('\n');
    assert.deepEqual(lines.map((line) => (JSON.parse(line) as LedgerRow).id), batch.map((row) => row.id));
    assert.equal(await writer.flush(), true);
    assert.equal(await store.count(), 5);
    await writer.close();
  });

  it('recordDurable without a journal still records the row', async () => {
    const { store, writer } = setup({}, false);
    await writer.recordDurable(makeRow({ id: 'no-journal-durable' }));
    await writer.flush();
    assert.equal(await store.count(), 1);
    await writer.close();
  });

  it('reports a row recorded after close instead of losing it quietly', async () => {
    const { writer, errors } = setup();
    await writer.close();
    writer.record(makeRow({ id: 'late' }));
    assert.equal(writer.stats().dropped, 1);
    assert.match(errors.join('\n'), /late recorded after close/);
  });
});
