import { renameSync } from 'node:fs';
import { LedgerJournal, readJournalFile, removeFile, type JournalContents, type JournalSegment } from './ledger-journal.ts';
import type { LedgerRow } from './ledger-row.ts';

/**
 * Gets ledger rows from the hot path into the store without slowing it down or losing any.
 *
 * `record()` never throws and never waits for the store: it appends the row to the journal (when
 * there is one: a few microseconds, and the row now survives kill -9) and queues it. Queued rows
 * are committed in batches, one transaction per batch. While the store is down the writer backs
 * off and keeps serving; rows beyond `maxQueue` stay only in the journal and are replayed from it
 * when the store is back. Replays are idempotent: the stores ignore ids they already hold.
 */

/** Where a writer commits its batches: the ledger store, or an adapter onto another of its tables (the audit log). */
export interface BatchStore<T> {
  insertBatch(rows: readonly T[]): Promise<number>;
}

export interface LedgerWriterOptions<T extends { id: string } = LedgerRow> {
  store: BatchStore<T>;
  /** Reads back a journal file of T (default: ledger rows). */
  readJournal?: (file: string) => JournalContents<T>;
  /** Folder for the write-ahead journal / spool; without it a crash loses uncommitted rows. */
  journalDir?: string;
  /** Rows per transaction (default 500). */
  batchSize?: number;
  /** Longest a row waits in memory before its batch is committed (default 50 ms). */
  flushIntervalMs?: number;
  /** Rows held in memory (default 10,000). */
  maxQueue?: number;
  /** Rows per journal file (default 10,000). */
  segmentRows?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Told about every store failure, journal failure and dropped row; default: stderr. */
  onError?: (error: Error, context: string) => void;
}

export interface LedgerWriterStats {
  recorded: number;
  committed: number;
  queued: number;
  /** Rows kept only in the journal because the memory queue was full. */
  spilled: number;
  /** Rows lost: queue full and no journal. Always reported through onError too. */
  dropped: number;
  journalErrors: number;
  failedCommits: number;
  /** Wall milliseconds spent appending to the journal and committing batches (for /metrics). */
  journalMs: number;
  commitMs: number;
  replayedFiles: number;
  /** Journal lines that could not be read back; the file is kept as *.rejected. */
  rejectedLines: number;
  storeHealthy: boolean;
}

interface Entry<T> {
  row: T;
  segment: JournalSegment | undefined;
}

export class LedgerWriter<T extends { id: string } = LedgerRow> {
  private readonly store: BatchStore<T>;
  private readonly readJournal: (file: string) => JournalContents<T>;
  private readonly journal: LedgerJournal | undefined;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueue: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly onError: (error: Error, context: string) => void;
  private queue: Entry<T>[] = [];
  private readonly replays: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private failures = 0;
  private retryAt = 0;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  /** Rows recorded durably in this event-loop turn, and the one promise they all wait on. */
  private durable: T[] = [];
  private durableTurn: Promise<void> | undefined;
  private resolveTurn: (() => void) | undefined;
  private unreportedDrops = 0;
  private lastDropReport = 0;
  private readonly counts = { recorded: 0, committed: 0, spilled: 0, dropped: 0, journalErrors: 0, failedCommits: 0, replayedFiles: 0, rejectedLines: 0, journalMs: 0, commitMs: 0 };

  constructor(options: LedgerWriterOptions<T>) {
    this.store = options.store;
    this.readJournal = options.readJournal ?? ((file) => readJournalFile(file) as unknown as JournalContents<T>);
    this.batchSize = options.batchSize ?? 500;
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.maxQueue = options.maxQueue ?? 10_000;
    this.retryMinMs = options.retryMinMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.onError = options.onError ?? ((error, context) => process.stderr.write(`unbundle ledger: ${context}: ${error.message}\n`));
    if (options.journalDir !== undefined) {
      this.journal = new LedgerJournal(options.journalDir, (file) => this.replays.push(file), options.segmentRows);
      // Rows a crashed predecessor journaled but may never have committed.
      this.replays.push(...this.journal.leftovers());
      if (this.replays.length > 0) this.schedule(0);
    }
  }

  /** Journals (one write syscall) and queues the row; returns at once, never throws. */
  record(row: T): void {
    if (this.refuseAfterClose(row)) return;
    this.enqueue([row], this.journalAppend([row]));
  }

  /**
   * Like `record`, but rows recorded in the same event-loop turn share one journal write: the
   * promise resolves (within that turn) once the row is journaled. A server awaits it before it
   * sends a response's last bytes, so a row the client saw complete survives kill -9, at a
   * fraction of a syscall per request under load. Never rejects.
   */
  recordDurable(row: T): Promise<void> {
    if (this.refuseAfterClose(row)) return Promise.resolve();
    if (!this.journal) {
      this.enqueue([row], undefined);
      return Promise.resolve();
    }
    this.durable.push(row);
    if (this.durableTurn === undefined) {
      // One promise and one timer per turn, not per row: every row of the turn shares them.
      this.durableTurn = new Promise((resolve) => (this.resolveTurn = resolve));
      setImmediate(() => this.writeDurable());
    }
    return this.durableTurn;
  }

  private writeDurable(): void {
    const rows = this.durable;
    const resolve = this.resolveTurn;
    this.durable = [];
    this.durableTurn = undefined;
    this.resolveTurn = undefined;
    if (rows.length > 0) this.enqueue(rows, this.journalAppend(rows));
    resolve?.();
  }

  /** One report per second at most, with the count since the last one: a flood helps nobody. */
  private reportDrop(id: string): void {
    this.unreportedDrops++;
    const now = Date.now();
    if (now - this.lastDropReport < 1000) return;
    this.lastDropReport = now;
    const count = this.unreportedDrops;
    this.unreportedDrops = 0;
    this.onError(new Error(`ledger queue full (${this.maxQueue} rows) and no journal`), `dropped ${count} row(s), the last ${id}; see stats().dropped`);
  }

  private refuseAfterClose(row: T): boolean {
    if (!this.closed) return false;
    this.counts.dropped++;
    this.onError(new Error(`row ${row.id} recorded after close`), 'dropped a ledger row');
    return true;
  }

  private journalAppend(rows: readonly T[]): JournalSegment | undefined {
    if (!this.journal) return undefined;
    const start = performance.now();
    try {
      return this.journal.append(rows);
    } catch (error) {
      this.counts.journalErrors++;
      this.onError(error as Error, `journal write failed; ${rows.length} row(s) are only in memory until committed`);
      return undefined;
    } finally {
      this.counts.journalMs += performance.now() - start;
    }
  }

  private enqueue(rows: readonly T[], segment: JournalSegment | undefined): void {
    this.counts.recorded += rows.length;
    for (const row of rows) {
      if (this.queue.length < this.maxQueue) {
        this.queue.push({ row, segment });
      } else if (segment) {
        this.journal!.spill(segment);
        this.counts.spilled++;
      } else {
        this.counts.dropped++;
        this.reportDrop(row.id);
      }
    }
    this.schedule(this.queue.length >= this.batchSize ? 0 : this.flushIntervalMs);
  }

  /** Resolves true once everything recorded so far is in the store, false on timeout. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.idle()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      void this.pump();
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, Math.max(5, this.retryAt - Date.now())));
        this.waiters.add(wake);
      });
    }
    return true;
  }

  /**
   * Commits what it can within the timeout, then stops. Rows not committed stay in the journal
   * for the next start; the store is the caller's to close.
   */
  async close(timeoutMs = 5_000): Promise<boolean> {
    this.writeDurable();
    const done = await this.flush(timeoutMs);
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.journal?.close();
    return done;
  }

  stats(): LedgerWriterStats {
    return { ...this.counts, queued: this.queue.length, storeHealthy: this.failures === 0 };
  }

  private idle(): boolean {
    return this.durable.length === 0 && this.queue.length === 0 && this.replays.length === 0 && !this.pumping && !(this.journal?.hasSpilled() ?? false);
  }

  private schedule(delayMs: number): void {
    if (this.pumping || this.closed) return;
    const wait = Math.max(delayMs, this.retryAt - Date.now(), 0);
    if (this.timer && wait > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pump();
    }, wait);
    this.timer.unref();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (Date.now() >= this.retryAt) {
        if (this.replays.length > 0) {
          if (!(await this.attempt(() => this.replayFile(this.replays[0]!), 'replaying the journal'))) break;
          this.replays.shift();
          continue;
        }
        if (this.queue.length === 0) {
          // Spilled rows sit in the active segment: close it so it becomes replayable.
          if (this.journal?.hasSpilled()) {
            this.journal.rotate();
            if (this.replays.length > 0) continue;
          }
          break;
        }
        const batch = this.queue.slice(0, this.batchSize);
        const start = performance.now();
        const committed = await this.attempt(() => this.store.insertBatch(batch.map((entry) => entry.row)), `committing ${batch.length} rows`);
        this.counts.commitMs += performance.now() - start;
        if (!committed) break;
        this.queue = this.queue.slice(batch.length);
        this.counts.committed += batch.length;
        for (const entry of batch) if (entry.segment) this.journal!.settle(entry.segment, 1);
      }
    } finally {
      this.pumping = false;
      for (const wake of [...this.waiters]) wake();
      if (!this.closed && (this.queue.length > 0 || this.replays.length > 0)) this.schedule(this.flushIntervalMs);
    }
  }

  /** Runs one store operation; on failure backs off exponentially and reports. */
  private async attempt(operation: () => Promise<unknown>, context: string): Promise<boolean> {
    try {
      await operation();
      this.failures = 0;
      this.retryAt = 0;
      return true;
    } catch (error) {
      this.failures++;
      this.counts.failedCommits++;
      const backoff = Math.min(this.retryMaxMs, this.retryMinMs * 2 ** Math.min(this.failures - 1, 16));
      this.retryAt = Date.now() + backoff;
      this.onError(error as Error, `ledger store failed while ${context}; retrying in ${backoff} ms (rows are kept${this.journal ? ' in the journal' : ' in memory'})`);
      return false;
    }
  }

  private async replayFile(file: string): Promise<void> {
    const { rows, badLines } = this.readJournal(file);
    for (let start = 0; start < rows.length; start += this.batchSize) {
      await this.store.insertBatch(rows.slice(start, start + this.batchSize));
    }
    this.counts.replayedFiles++;
    if (badLines > 0) {
      this.counts.rejectedLines += badLines;
      renameSync(file, `${file}.rejected`);
      this.onError(new Error(`${badLines} unreadable line(s) in ${file}`), `kept the file as ${file}.rejected for inspection`);
    } else {
      removeFile(file);
    }
  }
}
