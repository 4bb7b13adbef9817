import type { Backend } from '../../src/backends/backend.ts';
import { createLogger } from '../../src/logger.ts';
import { openServerLedger } from '../../src/ledger/open-server-ledger.ts';
import type { ServerLedger } from '../../src/ledger/server-ledger.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { ModelRegistry } from '../../src/portfolio/model-registry.ts';
import type { PortfolioInput } from '../../src/portfolio/schema.ts';
import { Gateway } from '../../src/server/gateway.ts';

export interface LedgerGateway {
  gateway: Gateway;
  ledger: ServerLedger;
  url: string;
  warnings: string[];
  close(): Promise<void>;
}

/**
 * A gateway with its ledger opened the way `serve` opens it (openServerLedger), in `dataDir`.
 * With `backends`, those ready-made backends serve the config's models (by id); without, the
 * config's real backends are created.
 */
export async function startLedgerGateway(config: PortfolioInput, options: { dataDir: string; backends?: Record<string, Backend>; env?: NodeJS.ProcessEnv; closeTimeoutMs?: number }): Promise<LedgerGateway> {
  const portfolio = portfolioFromObject({ ...config, server: { port: 0, ...config.server } });
  const { backends } = options;
  const models = backends
    ? ModelRegistry.fromBackends(portfolio.models.map((model) => ({ config: model, backend: backends[model.id]! })))
    : await ModelRegistry.create(portfolio);
  const warnings: string[] = [];
  const ledger = await openServerLedger(portfolio, { env: { UNBUNDLE_DATA_DIR: options.dataDir, ...options.env }, cwd: options.dataDir, warn: (message) => warnings.push(message) });
  if (!ledger) throw new Error('the ledger is disabled in this config');
  const gateway = new Gateway({ portfolio, models, logger: createLogger('silent'), ledger });
  const { url } = await gateway.listen(0, '127.0.0.1');
  return {
    gateway,
    ledger,
    url,
    warnings,
    async close() {
      await gateway.shutdown(1_000);
      await ledger.close(options.closeTimeoutMs ?? 5_000);
      await models.close();
    },
  };
}
