import path from 'node:path';
import type { Portfolio } from '../portfolio/schema.ts';
import { BudgetGuard } from './budget-guard.ts';
import { CostBook } from './cost-book.ts';
import { LazyMigratingStore } from './lazy-migrating-store.ts';
import { LedgerWriter } from './ledger-writer.ts';
import type { LedgerStore } from './ledger-store.ts';
import { openLedgerStore, resolveLedgerLocation } from './open-ledger-store.ts';
import { ServerLedger } from './server-ledger.ts';
import { UtilisationMeter } from './utilisation-meter.ts';

export interface OpenServerLedgerOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Store failures, journal failures, replays: the server logs them as warnings. */
  warn: (message: string) => void;
  /** Longest start-up wait for replaying a crashed predecessor's journal (default 10 s). */
  replayTimeoutMs?: number;
}

/**
 * Opens the server's ledger from the portfolio's `ledger` section: the store (SQLite in the data
 * dir by default, Postgres when UNBUNDLE_DATABASE_URL is set), the writer with its journal, the
 * cost book, the utilisation meter and the budgets. Undefined when `ledger.enabled` is false.
 *
 * A Postgres ledger that is down at start does not stop the server: rows spool to the journal and
 * land when it is back. A SQLite file that cannot be opened does (UNBUNDLE_E_STORE_UNAVAILABLE).
 * Before it returns, journal files left by a crashed predecessor are replayed and the budgets are
 * seeded with this period's spend, so a restart neither loses rows nor hands out a fresh budget.
 */
export async function openServerLedger(portfolio: Portfolio, options: OpenServerLedgerOptions): Promise<ServerLedger | undefined> {
  const config = portfolio.ledger;
  if (!config.enabled) return undefined;
  const location = resolveLedgerLocation(config, options.env, options.cwd);
  let store: LedgerStore;
  if (location.kind === 'postgres') {
    const { PostgresLedgerStore } = await import('./postgres-store.ts');
    const lazy = new LazyMigratingStore(
      new PostgresLedgerStore({ url: location.url!, schema: location.schema ?? 'public', connectTimeoutMs: 3_000, onError: (error) => options.warn(`ledger Postgres connection: ${error.message}`) }),
    );
    try {
      await lazy.migrate();
    } catch (error) {
      options.warn(`the Postgres ledger named by ${location.urlEnv} is unreachable (${(error as Error).message}); serving anyway, rows spool to ${path.join(location.dataDir, 'journal')} until it is back`);
    }
    store = lazy;
  } else {
    store = await openLedgerStore(location, { insertThread: location.kind === 'sqlite' });
  }

  const writer = new LedgerWriter({
    store,
    ...(config.journal ? { journalDir: path.join(location.dataDir, 'journal') } : {}),
    batchSize: config.batchSize,
    flushIntervalMs: config.flushIntervalMs,
    maxQueue: config.maxQueue,
    onError: (error, context) => options.warn(`ledger: ${context}: ${error.message}`),
  });
  const book = new CostBook(portfolio.models, config);
  const meter = new UtilisationMeter({ windowMs: config.utilisationWindowMinutes * 60_000 });
  const budgets = config.budgets.length > 0 ? new BudgetGuard(config.budgets, { currency: config.currency }) : undefined;
  const modelMaxTokens = new Map<string, number>();
  for (const model of portfolio.models) if (model.backend === 'llamacpp') modelMaxTokens.set(model.id, model.defaultMaxTokens);

  // Rows a killed predecessor journaled go in before budgets are read back from the store.
  if (!(await writer.flush(options.replayTimeoutMs ?? 10_000))) {
    options.warn('ledger: the journal of a previous run is not fully replayed yet (store slow or down); it continues in the background');
  }
  if (budgets) {
    try {
      await budgets.seedFromLedger(store);
    } catch (error) {
      options.warn(`ledger: budgets start from zero: this period's spend could not be read back (${(error as Error).message})`);
    }
  }
  return new ServerLedger({ store, writer, book, meter, budgets, location, modelMaxTokens }, portfolio.models.map((model) => model.id));
}
