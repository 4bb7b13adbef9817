import { randomBytes } from 'node:crypto';
import { openServerLedger } from '../ledger/open-server-ledger.ts';
import { createLogger } from '../logger.ts';
import { ModelRegistry } from '../portfolio/model-registry.ts';
import { resolvePortfolio } from '../portfolio/resolve-portfolio.ts';
import { ConfigError } from '../portfolio/config-error.ts';
import { applyPromotions, PromotionBook } from '../tune/registry/promote-adapter.ts';
import { dashboardOptionsFromEnv } from '../server/admin/dashboard-options.ts';
import { Gateway } from '../server/gateway.ts';
import { intFlag, parseCommandArgs, type Command } from './command.ts';

/** Hosts that only this machine can reach. */
const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Start the gateway (OpenAI-compatible HTTP API)',
  usage: `Usage: unbundle serve [--config FILE] [--host HOST] [--port N] [--warm]

Starts the gateway. Without --config (or UNBUNDLE_CONFIG) it serves every .gguf model in
UNBUNDLE_MODEL_DIR (default ./models), downloading a small default model if the folder is empty.
Every request is recorded in the ledger (config \`ledger:\`): SQLite in UNBUNDLE_DATA_DIR (default
./.unbundle), or Postgres when UNBUNDLE_DATABASE_URL is set; \`ledger: { enabled: false }\` turns it off.

Options:
  --config FILE   portfolio.yaml to serve (env: UNBUNDLE_CONFIG)
  --host HOST     address to bind (default from config: 127.0.0.1)
  --port N        port to listen on (default from config: 8080; 0 picks a free port)
  --warm          load every model before accepting requests (default: load on first use)
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('serve', argv, {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      warm: { type: 'boolean' },
    });
    const port = intFlag('serve', 'port', values.port, 0, 65535);
    const { portfolio, source } = await resolvePortfolio({ configPath: values.config, env: io.env, cwd: io.cwd, stderr: io.stderr, download: true });
    // Other commands may read a config without models (a policy for `scan`); a gateway needs one.
    if (portfolio.models.length === 0) {
      throw new ConfigError(source, ['models: the portfolio lists no models, so the gateway would answer every request with 404 — add at least one (a llamacpp .gguf file, or an openai-compatible server), or start without --config to serve the .gguf files in ./models']);
    }
    const logger = createLogger(portfolio.server.logLevel);
    const models = await ModelRegistry.create(portfolio, io.env);
    // On a loopback bind without an admin key, a key is made for this run and printed (like a notebook
    // server's token), so the dashboard works right after `npm start` and is still never open without one.
    const host = values.host ?? portfolio.server.host;
    const keyEnv = portfolio.auth.adminKeyEnv;
    const oneRunKey = !io.env[keyEnv] && loopbackHosts.has(host) ? randomBytes(24).toString('base64url') : undefined;
    const env = oneRunKey ? { ...io.env, [keyEnv]: oneRunKey } : io.env;
    let ledger: Awaited<ReturnType<typeof openServerLedger>> | undefined;
    let gateway: Gateway | undefined;
    let address: Awaited<ReturnType<Gateway['listen']>>;
    try {
      // Adapters promoted through the admin API stay promoted across restarts (docs/tune.md).
      for (const record of await applyPromotions(models, PromotionBook.at(io.env, io.cwd))) {
        io.stderr.write(`promotion re-applied: ${record.model} serves ${record.adapter ?? 'its base model'} (${PromotionBook.at(io.env, io.cwd).file})\n`);
      }
      ledger = await openServerLedger(portfolio, { env: io.env, cwd: io.cwd, warn: (message) => logger.warn(message) });
      const dashboard = dashboardOptionsFromEnv(env, io.cwd);
      gateway = new Gateway({ portfolio, models, logger, ledger, env, cwd: io.cwd, dashboard });
      if (values.warm) await models.warmAll();
      address = await gateway.listen(port ?? portfolio.server.port, host);
    } catch (error) {
      // Nothing listens: release what was opened (the ledger's insert thread, stores, loaded models),
      // so the process exits with the error's code instead of living on with nothing behind it.
      await gateway?.shutdown(0).catch(() => undefined);
      await ledger?.close().catch(() => undefined);
      await models.close().catch(() => undefined);
      throw error;
    }
    // Handlers first: a supervisor may send SIGTERM the moment it reads "listening on".
    const stopped = new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          io.stderr.write(`unbundle: second ${signal}, exiting now\n`);
          process.exit(130);
        }
        stopping = true;
        io.stderr.write(`unbundle: ${signal} received, finishing in-flight requests (up to ${portfolio.server.shutdownGraceMs} ms)\n`);
        void gateway
          .shutdown()
          .then(() => ledger?.close())
          .then(() => models.close())
          .then(() => {
            logger.info('stopped');
            logger.flush();
            resolve();
          });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.stderr.write(`unbundle serving ${models.ids().length} model(s) from ${source}\n`);
    for (const { config, state } of models.states()) {
      // A model that cannot work as configured (its API key's variable unset) is named now, not at its first request.
      const problem = state.status === 'error' && state.lastError !== undefined ? `  — will fail: ${state.lastError}` : '';
      io.stderr.write(`  - ${config.id} (${config.backend}, zone ${config.zone})${problem}\n`);
    }
    if (ledger) {
      const where = ledger.location.kind === 'sqlite' ? ledger.location.file : ledger.location.kind === 'postgres' ? `Postgres (${ledger.location.urlEnv})` : 'memory';
      io.stderr.write(`ledger: ${ledger.location.kind} at ${where}\n`);
    } else io.stderr.write('ledger: off (ledger.enabled: false)\n');
    const { access } = gateway;
    io.stderr.write(`auth: ${access.mode === 'keys' ? `API keys required (${access.tenants.ids().length} tenant(s), keys in ${access.dataDir})` : 'none (no API keys)'}; admin API ${access.adminKey ? 'on' : `off (set ${access.adminKeyEnv} to turn it on)`}\n`);
    io.stderr.write(`listening on ${address.url}  (OpenAI base URL: ${address.url}/v1)\n`);
    if (oneRunKey !== undefined) {
      io.stderr.write(`dashboard: ${address.url}/dashboard  (admin key for this run, loopback only: ${oneRunKey} — set ${keyEnv} to choose your own)\n`);
    } else if (access.adminKey !== undefined) io.stderr.write(`dashboard: ${address.url}/dashboard  (log in with the admin key from ${access.adminKeyEnv})\n`);
    else io.stderr.write(`dashboard: ${address.url}/dashboard shows no data until ${access.adminKeyEnv} is set (it reads the admin API)\n`);
    logger.info({ url: address.url, models: models.ids(), source }, 'listening');

    await stopped;
    return 0;
  },
};
