import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { ledgerRowSchema, type LedgerRow } from './ledger-row.ts';

/**
 * The ledger's write-ahead journal: each row is appended (one write syscall, no fsync) before the
 * response ends, so a row survives the process being killed even if its batch never committed.
 * The same files are the spool while the store is down. Files are segments of at most
 * `segmentRows` rows; a segment is deleted once every row in it is committed, and segments left by
 * a dead process are replayed (idempotently) by the next writer to start on the same folder.
 */

export interface JournalSegment {
  readonly file: string;
  written: number;
  /** Rows written here that are still waiting in memory for a commit. */
  pending: number;
  /** Some rows of this segment live only on disk (the memory queue was full): replay it. */
  spilled: boolean;
  closed: boolean;
}

const host = hostname().replace(/[^A-Za-z0-9.-]/g, '_');
/** Journals open in this process: their files are not leftovers even though our pid is alive. */
const liveInstances = new Set<string>();
const namePattern = /^journal-(.+)-(\d+)-([0-9a-f]+)-(\d+)\.jsonl$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LedgerJournal {
  private readonly instance = randomBytes(4).toString('hex');
  private active: (JournalSegment & { fd: number }) | undefined;
  private sequence = 0;
  private readonly live = new Set<JournalSegment>();

  constructor(
    readonly dir: string,
    private readonly onReplayable: (file: string) => void,
    private readonly segmentRows = 10_000,
  ) {
    mkdirSync(dir, { recursive: true });
    liveInstances.add(this.instance);
  }

  /**
   * Segments left by processes that are gone (or by closed journals of this process). Files from
   * other hosts are left alone: a replica's journal is replayed by a replica with its hostname.
   */
  leftovers(): string[] {
    const files: string[] = [];
    for (const name of readdirSync(this.dir)) {
      const match = namePattern.exec(name);
      if (!match || match[1] !== host) continue;
      const pid = Number(match[2]);
      const gone = pid === process.pid ? !liveInstances.has(match[3]!) : !processAlive(pid);
      if (gone) files.push(path.join(this.dir, name));
    }
    return files.sort();
  }

  /** Appends rows with one write; throws when the disk refuses (the caller keeps them in memory). */
  append(rows: readonly unknown[]): JournalSegment {
    const segment = this.active ?? this.openSegment();
    let text = '';
    for (const row of rows) text += `${JSON.stringify(row)}\n`;
    // A regular file takes the whole write at once; a short write (disk nearly full) is finished
    // from a buffer, or throws and the caller keeps the rows in memory.
    const written = writeSync(segment.fd, text);
    const length = Buffer.byteLength(text);
    if (written < length) {
      const bytes = Buffer.from(text);
      let offset = written;
      while (offset < length) offset += writeSync(segment.fd, bytes, offset);
    }
    segment.written += rows.length;
    segment.pending += rows.length;
    if (segment.written >= this.segmentRows) this.rotate();
    return segment;
  }

  /** `count` rows of this segment were committed to the store. */
  settle(segment: JournalSegment, count: number): void {
    segment.pending -= count;
    this.retireIfDone(segment);
  }

  spill(segment: JournalSegment): void {
    segment.pending--;
    segment.spilled = true;
  }

  /** True while some rows exist only on disk and are not yet handed over for replay. */
  hasSpilled(): boolean {
    for (const segment of this.live) if (segment.spilled) return true;
    return false;
  }

  /** Closes the active segment so that it can be deleted or replayed. */
  rotate(): void {
    const segment = this.active;
    if (!segment) return;
    this.active = undefined;
    closeSync(segment.fd);
    segment.closed = true;
    this.retireIfDone(segment);
  }

  /** Stops writing; segments still holding uncommitted rows stay for the next start to replay. */
  close(): void {
    this.rotate();
    liveInstances.delete(this.instance);
  }

  private openSegment(): JournalSegment & { fd: number } {
    const file = path.join(this.dir, `journal-${host}-${process.pid}-${this.instance}-${++this.sequence}.jsonl`);
    const segment = { file, fd: openSync(file, 'a'), written: 0, pending: 0, spilled: false, closed: false };
    this.active = segment;
    this.live.add(segment);
    return segment;
  }

  private retireIfDone(segment: JournalSegment): void {
    if (!segment.closed || segment.pending > 0) return;
    this.live.delete(segment);
    if (segment.spilled) this.onReplayable(segment.file);
    else removeFile(segment.file);
  }
}

/** Deletes a file that may already be gone (another writer replayed it first). */
export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export interface JournalContents<T = LedgerRow> {
  rows: T[];
  /** Complete lines that did not parse or validate (a hand edit, a damaged disk). */
  badLines: number;
  /**
   * The file ends in part of a line: a write cut short by a crash (on Linux a kill -9 can stop a
   * long write between pages). That row was never acknowledged (record() returns after the whole
   * write), so it is dropped, not reported as damage.
   */
  tornTail: boolean;
}

/** Reads a journal back, each line checked against `schema` (default: ledger rows). */
export function readJournalFile(file: string): JournalContents;
export function readJournalFile<T>(file: string, schema: z.ZodType<T>): JournalContents<T>;
export function readJournalFile(file: string, schema: z.ZodType<unknown> = ledgerRowSchema): JournalContents<unknown> {
  const rows: unknown[] = [];
  let badLines = 0;
  let tornTail = false;
  const lines = readFileSync(file, 'utf8').split('\n');
  // The text after the last newline is a whole line only if it parses: else the crash cut it.
  const last = lines.length - 1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    try {
      const parsed = schema.safeParse(JSON.parse(line));
      if (parsed.success) rows.push(parsed.data);
      else badLines++;
    } catch {
      if (i === last) tornTail = true;
      else badLines++;
    }
  }
  return { rows, badLines, tornTail };
}
