import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UnbundleError } from '../errors.ts';
import { generateApiKey, hashApiKey } from './api-key.ts';

/** One key as listings show it: never the key, never its hash. */
export interface ApiKeyInfo {
  id: string;
  tenant: string;
  name: string | null;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** What the authenticator needs to check a presented key. */
export interface StoredKey extends ApiKeyInfo {
  hash: Buffer;
}

export interface CreateKeyOptions {
  tenant: string;
  name?: string | undefined;
  expiresAt?: number | undefined;
  now?: number;
}

interface KeyRecord {
  id: string;
  tenant: string;
  name: string | null;
  hash: Buffer;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

const schemaVersion = 1;

/**
 * For the commands that only read or revoke: the store in the data folder, or a message (exit 4)
 * when there is none there — never a new, empty store in the wrong folder.
 */
export function openExistingKeyStore(io: { env: NodeJS.ProcessEnv; cwd: string; stderr: NodeJS.WritableStream }, command: string): KeyStore | undefined {
  try {
    return new KeyStore(dataDirFor(io.env, io.cwd), { mustExist: true });
  } catch (error) {
    if (!(error instanceof UnbundleError) || error.code !== 'UNBUNDLE_E_STORE_UNAVAILABLE') throw error;
    io.stderr.write(`unbundle ${command}: ${error.message}\n`);
    return undefined;
  }
}

/** `$UNBUNDLE_DATA_DIR`, default `./.unbundle`, as the ledger resolves it. */
export function dataDirFor(env: NodeJS.ProcessEnv, cwd: string): string {
  return path.resolve(cwd, env.UNBUNDLE_DATA_DIR || '.unbundle');
}

function toInfo(record: KeyRecord): ApiKeyInfo {
  return {
    id: record.id,
    tenant: record.tenant,
    name: record.name,
    createdAt: record.created_at,
    expiresAt: record.expires_at,
    lastUsedAt: record.last_used_at,
    revokedAt: record.revoked_at,
  };
}

/**
 * API keys in SQLite (`keys.sqlite` in the data folder), only as peppered SHA-256 hashes. WAL, so
 * the CLI can create and revoke keys while a server reads them. The pepper lives in its own file
 * (`keys.pepper`, mode 0600) beside the database: back up both, or every key stops working.
 */
export class KeyStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly pepper: string;
  private readonly byId: Database.Statement<[string], KeyRecord>;
  private readonly touch: Database.Statement<[number, string]>;

  /** `mustExist`: fail (4 in the CLI) instead of creating an empty store, for commands that only read or revoke. */
  constructor(dataDir: string, options: { mustExist?: boolean } = {}) {
    this.file = path.join(dataDir, 'keys.sqlite');
    if (options.mustExist && !existsSync(this.file)) {
      throw new UnbundleError('UNBUNDLE_E_STORE_UNAVAILABLE', `No key store at ${this.file}: no key was created here yet. Point UNBUNDLE_DATA_DIR at the folder the server uses, or create a key with "unbundle keys create --tenant T".`);
    }
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      this.pepper = readOrCreatePepper(path.join(dataDir, 'keys.pepper'));
      this.db = new Database(this.file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT, hash BLOB NOT NULL,
        created_at INTEGER NOT NULL, expires_at INTEGER, last_used_at INTEGER, revoked_at INTEGER)`);
      this.db.exec('CREATE TABLE IF NOT EXISTS api_keys_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      this.db.prepare('INSERT OR IGNORE INTO api_keys_meta (key, value) VALUES (?, ?)').run('schema_version', String(schemaVersion));
      try {
        chmodSync(this.file, 0o600);
      } catch {
        // Not every file system keeps modes; the pepper file is the one that matters.
      }
    } catch (error) {
      if (error instanceof UnbundleError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      const hint = code === 'EACCES' || code === 'EROFS' || code === 'ENOTDIR' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' ? ' Point UNBUNDLE_DATA_DIR at a writable folder.' : '';
      throw new UnbundleError('UNBUNDLE_E_STORE_UNAVAILABLE', `Cannot open the key store in ${dataDir}: ${(error as Error).message}.${hint}`, { cause: error });
    }
    this.byId = this.db.prepare<[string], KeyRecord>('SELECT * FROM api_keys WHERE id = ?');
    this.touch = this.db.prepare<[number, string]>('UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?');
  }

  /** Creates a key and returns it in clear: the only time it exists outside the client. */
  create(options: CreateKeyOptions): { key: string; info: ApiKeyInfo } {
    const now = options.now ?? Date.now();
    for (let attempt = 0; ; attempt++) {
      const { id, key } = generateApiKey();
      const result = this.db
        .prepare('INSERT OR IGNORE INTO api_keys (id, tenant, name, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, options.tenant, options.name ?? null, hashApiKey(key, this.pepper), now, options.expiresAt ?? null);
      // A 48-bit id collides about never; when it does, draw again rather than fail.
      if (result.changes === 1) return { key, info: this.get(id)! };
      if (attempt > 5) throw new UnbundleError('UNBUNDLE_E_INTERNAL', 'Could not draw a unique key id.');
    }
  }

  get(id: string): ApiKeyInfo | undefined {
    const record = this.byId.get(id);
    return record === undefined ? undefined : toInfo(record);
  }

  /** The stored hash and state, for the authenticator. */
  lookup(id: string): StoredKey | undefined {
    const record = this.byId.get(id);
    return record === undefined ? undefined : { ...toInfo(record), hash: record.hash };
  }

  hash(key: string): Buffer {
    return hashApiKey(key, this.pepper);
  }

  list(filter: { tenant?: string | undefined } = {}): ApiKeyInfo[] {
    const rows = filter.tenant === undefined
      ? this.db.prepare<[], KeyRecord>('SELECT * FROM api_keys ORDER BY created_at, id').all()
      : this.db.prepare<[string], KeyRecord>('SELECT * FROM api_keys WHERE tenant = ? ORDER BY created_at, id').all(filter.tenant);
    return rows.map(toInfo);
  }

  /** Revokes a key; `undefined` when no key has that id. Revoking twice keeps the first time. */
  revoke(id: string, now = Date.now()): ApiKeyInfo | undefined {
    this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id);
    return this.get(id);
  }

  recordUse(id: string, at: number): void {
    this.touch.run(at, id);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function readOrCreatePepper(file: string): string {
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(text)) {
      throw new UnbundleError('UNBUNDLE_E_STORE_UNAVAILABLE', `${file} is damaged (expected 64 hex digits). Restore it from a backup; without it no existing key can be verified.`);
    }
    return text;
  }
  const pepper = randomBytes(32).toString('hex');
  // wx: two processes creating the store at once must not overwrite each other's pepper.
  try {
    writeFileSync(file, `${pepper}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readOrCreatePepper(file);
    throw error;
  }
  return pepper;
}
