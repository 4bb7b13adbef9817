import { mkdirSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { matchesAuditFilter, type AuditFilter, type AuditRecord, type AuditSink } from './audit-sink.ts';

export interface JsonlAuditSinkOptions {
  /** Longest a record waits in memory before its batch is appended (default 100 ms). */
  flushIntervalMs?: number;
  /** Records that trigger an immediate append (default 256). */
  batchSize?: number;
  /** Told about write failures; default: stderr. */
  onError?: (error: Error) => void;
}

/**
 * The audit log as an append-only JSONL file (one record per line). `append` only queues: records
 * are written in batches, one append per batch, off the request's path. Reading (`query`) parses
 * the whole file, which is fine for a CLI; at scale the ledger store takes this role.
 */
export class JsonlAuditSink implements AuditSink {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private handle: Promise<FileHandle> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly onError: (error: Error) => void;

  constructor(readonly file: string, options: JsonlAuditSinkOptions = {}) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.batchSize = options.batchSize ?? 256;
    this.onError = options.onError ?? ((error) => process.stderr.write(`unbundle audit: cannot write ${file}: ${error.message}\n`));
  }

  append(record: AuditRecord): void {
    this.pending.push(JSON.stringify(record));
    if (this.pending.length >= this.batchSize) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Starts writing what is queued; resolves when everything queued so far is in the file. */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      const text = `${this.pending.join('\n')}\n`;
      this.pending = [];
      this.writing = this.writing.then(async () => {
        try {
          this.handle ??= open(this.file, 'a', 0o600);
          await (await this.handle).appendFile(text);
        } catch (error) {
          this.onError(error as Error);
        }
      });
    }
    return this.writing;
  }

  async query(filter: AuditFilter): Promise<AuditRecord[]> {
    await this.flush();
    return readAuditFile(this.file, filter);
  }

  async close(): Promise<void> {
    await this.flush();
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle).close().catch(() => undefined);
  }
}

/** Reads an audit JSONL file; a torn last line (a crash mid-write) is skipped. */
export async function readAuditFile(file: string, filter: AuditFilter): Promise<AuditRecord[]> {
  const text = await readFile(file, 'utf8');
  const out: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let record: AuditRecord;
    try {
      record = JSON.parse(line) as AuditRecord;
    } catch {
      continue;
    }
    if (matchesAuditFilter(record, filter)) out.push(record);
  }
  return out;
}

/** `policy.audit.file` when set, else audit.jsonl in $UNBUNDLE_DATA_DIR, else in `ledger.dataDir`, else in ./.unbundle. */
export function auditFilePath(configured: string | undefined, dataDir: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  if (configured !== undefined) return path.resolve(cwd, configured);
  return path.join(path.resolve(cwd, env.UNBUNDLE_DATA_DIR || dataDir || '.unbundle'), 'audit.jsonl');
}
