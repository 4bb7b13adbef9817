import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Runs the SQLite ledger's inserts on a worker thread with its own connection, so a 500-row
 * commit (milliseconds of CPU) never blocks the gateway's event loop. The worker is plain
 * JavaScript evaluated from a string: it needs no build step, so it runs the same from the
 * TypeScript sources and from the bundle. Reads (reports) stay on the caller's connection; WAL lets
 * both connections work at once.
 */

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = 5000');
const perStatement = workerData.rowsPerStatement;
// One transaction per table, prepared on first use: ledger_rows, audit_records.
const writers = new Map();
function writerFor(table) {
  let run = writers.get(table);
  if (run) return run;
  const columns = workerData.tables[table];
  if (!columns) throw new Error('no such table: ' + table);
  const tuple = '(' + columns.map(() => '?').join(', ') + ')';
  const insert = (rows) => db.prepare('INSERT OR IGNORE INTO ' + table + ' (' + columns.join(', ') + ') VALUES ' + Array(rows).fill(tuple).join(', '));
  const single = insert(1);
  const chunk = insert(perStatement);
  const width = columns.length;
  run = db.transaction((values, count) => {
    let inserted = 0;
    let row = 0;
    for (; row + perStatement <= count; row += perStatement) inserted += chunk.run(values.slice(row * width, (row + perStatement) * width)).changes;
    for (; row < count; row++) inserted += single.run(values.slice(row * width, (row + 1) * width)).changes;
    return inserted;
  });
  writers.set(table, run);
  return run;
}
parentPort.on('message', (message) => {
  if (message.close) {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ id: message.id, inserted: writerFor(message.table)(message.values, message.count) });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

export interface InsertThreadOptions {
  file: string;
  synchronous: 'normal' | 'full';
  /** Table → column order of the flattened values sent for it. */
  tables: Readonly<Record<string, readonly string[]>>;
  rowsPerStatement: number;
}

export class SqliteInsertThread {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (inserted: number) => void; reject: (error: Error) => void }>();
  private failure: Error | undefined;

  constructor(options: InsertThreadOptions) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(workerSource, {
      eval: true,
      workerData: { driver, file: options.file, synchronous: options.synchronous.toUpperCase(), tables: options.tables, rowsPerStatement: options.rowsPerStatement },
    });
    this.worker.on('message', (message: { id: number; inserted?: number; error?: string }) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`SQLite insert failed: ${message.error}`));
      else waiter.resolve(message.inserted ?? 0);
    });
    const fail = (error: Error) => {
      this.failure = error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the SQLite insert thread exited (code ${code})`)));
  }

  /** `values`: `count` rows of column values, flattened in the table's column order. */
  insert(values: unknown[], count: number, table = 'ledger_rows'): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, table, values, count });
    });
  }

  /** Waits for the inserts already sent, then stops the thread. */
  async close(): Promise<void> {
    if (this.failure) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ close: true });
    await exited;
  }
}
