import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import type { LedgerConfig } from './cost-schema.ts';
import type { LedgerStore } from './ledger-store.ts';

/**
 * Where the ledger lives, decided the same way by the server and by `unbundle cost report`, so a
 * report reads exactly the store the server writes.
 */
export interface LedgerLocation {
  kind: 'memory' | 'sqlite' | 'postgres';
  /** Folder for ledger.sqlite and the journal. */
  dataDir: string;
  /** The SQLite file (sqlite only). */
  file?: string;
  /** The connection string (postgres only). */
  url?: string;
  /** The env var the URL came from, for messages (never print the URL: it may hold a password). */
  urlEnv?: string;
  schema?: string;
  synchronous: 'normal' | 'full';
}

type LocationConfig = Pick<LedgerConfig, 'store' | 'dataDir' | 'databaseUrlEnv' | 'postgresSchema' | 'sqliteSynchronous'>;

export const defaultLedgerConfig: LocationConfig = {
  store: 'auto',
  databaseUrlEnv: 'UNBUNDLE_DATABASE_URL',
  postgresSchema: 'public',
  sqliteSynchronous: 'normal',
};

/** UNBUNDLE_DATA_DIR, when set, wins over `ledger.dataDir`; default ./.unbundle. */
export function resolveLedgerLocation(config: LocationConfig, env: NodeJS.ProcessEnv, cwd: string): LedgerLocation {
  const dataDir = path.resolve(cwd, env.UNBUNDLE_DATA_DIR || config.dataDir || '.unbundle');
  const url = env[config.databaseUrlEnv];
  const kind = config.store === 'auto' ? (url ? 'postgres' : 'sqlite') : config.store;
  const base = { dataDir, synchronous: config.sqliteSynchronous };
  if (kind === 'postgres') {
    if (!url) {
      throw new UnbundleError(
        'UNBUNDLE_E_CONFIG',
        `ledger.store is postgres but ${config.databaseUrlEnv} is not set — export ${config.databaseUrlEnv}=postgres://user@host:5432/database`,
      );
    }
    return { ...base, kind, url, urlEnv: config.databaseUrlEnv, schema: config.postgresSchema };
  }
  if (kind === 'sqlite') return { ...base, kind, file: path.join(dataDir, 'ledger.sqlite') };
  return { ...base, kind };
}

export interface OpenStoreOptions {
  /** Reports: fail when there is no ledger yet rather than create an empty one. */
  mustExist?: boolean;
  onError?: (error: Error) => void;
  /** The server: commit SQLite inserts on a worker thread, off the event loop. */
  insertThread?: boolean;
}

/** Opens and migrates the store; drivers are imported only for the store in use. */
export async function openLedgerStore(location: LedgerLocation, options: OpenStoreOptions = {}): Promise<LedgerStore> {
  if (location.kind === 'memory') {
    const { MemoryLedgerStore } = await import('./memory-store.ts');
    return new MemoryLedgerStore();
  }
  if (location.kind === 'sqlite') {
    const file = location.file!;
    if (options.mustExist && !existsSync(file)) {
      throw new UnbundleError(
        'UNBUNDLE_E_STORE_UNAVAILABLE',
        `no ledger at ${file} — the server creates it on its first request; point UNBUNDLE_DATA_DIR at the folder the server uses (or set UNBUNDLE_DATABASE_URL for Postgres)`,
      );
    }
    mkdirSync(path.dirname(file), { recursive: true });
    const { SqliteLedgerStore } = await import('./sqlite-store.ts');
    let store: LedgerStore | undefined;
    try {
      store = new SqliteLedgerStore({ path: file, synchronous: location.synchronous, insertThread: options.insertThread ?? false });
      await store.migrate();
      return store;
    } catch (error) {
      await store?.close().catch(() => undefined);
      throw new UnbundleError('UNBUNDLE_E_STORE_UNAVAILABLE', `cannot open the ledger at ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  const { PostgresLedgerStore } = await import('./postgres-store.ts');
  const storeOptions = { url: location.url!, schema: location.schema ?? 'public', ...(options.onError ? { onError: options.onError } : {}) };
  const store = new PostgresLedgerStore(storeOptions);
  try {
    await store.migrate();
    return store;
  } catch (error) {
    await store.close().catch(() => undefined);
    throw new UnbundleError(
      'UNBUNDLE_E_STORE_UNAVAILABLE',
      `cannot reach the Postgres ledger named by ${location.urlEnv ?? 'the database URL'}: ${(error as Error).message} — check that the server is running and the URL is right`,
      { cause: error },
    );
  }
}
