import { Writable } from 'node:stream';
import type { Backend } from '../../src/backends/backend.ts';
import { createLogger } from '../../src/logger.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { ModelRegistry } from '../../src/portfolio/model-registry.ts';
import type { ModelConfig, PortfolioInput } from '../../src/portfolio/schema.ts';
import { Gateway, type GatewayOptions } from '../../src/server/gateway.ts';

export interface StartedGateway {
  gateway: Gateway;
  url: string;
  /** Log lines written so far, parsed. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

function captureLogs(): { stream: Writable; logs: Array<Record<string, unknown>> } {
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, logs };
}

/** Starts a gateway on a free loopback port over ready-made backends. */
export async function startGatewayWith(entries: Array<{ config: ModelConfig; backend: Backend }>, server: PortfolioInput['server'] = {}, extra: Pick<GatewayOptions, 'dashboard' | 'env'> = {}): Promise<StartedGateway> {
  const portfolio = portfolioFromObject({ server: { port: 0, ...server } });
  const models = ModelRegistry.fromBackends(entries);
  return start(portfolio, models, extra);
}

/** Starts a gateway over a real portfolio config (backends created from it). */
export async function startGatewayFromConfig(config: PortfolioInput, extra: Pick<GatewayOptions, 'dashboard' | 'env'> = {}): Promise<StartedGateway> {
  const portfolio = portfolioFromObject({ ...config, server: { port: 0, ...config.server } });
  const models = await ModelRegistry.create(portfolio);
  return start(portfolio, models, extra);
}

async function start(portfolio: ReturnType<typeof portfolioFromObject>, models: ModelRegistry, extra: Pick<GatewayOptions, 'dashboard' | 'env'> = {}): Promise<StartedGateway> {
  const { stream, logs } = captureLogs();
  const logger = createLogger('info', stream);
  const gateway = new Gateway({ portfolio, models, logger, ...extra });
  const { url } = await gateway.listen(0, '127.0.0.1');
  return {
    gateway,
    url,
    logs,
    async close() {
      await gateway.shutdown(1_000);
      await models.close();
    },
  };
}
