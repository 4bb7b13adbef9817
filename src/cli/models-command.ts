import { ModelRegistry } from '../portfolio/model-registry.ts';
import { resolvePortfolio } from '../portfolio/resolve-portfolio.ts';
import type { HealthBody } from '../server/status-bodies.ts';
import { parseCommandArgs, type Command } from './command.ts';

export const modelsCommand: Command = {
  name: 'models',
  summary: 'List the portfolio\'s models (id, backend, zone, state, circuit)',
  usage: `Usage: unbundle models [--config FILE] [--json] [--url URL]

Lists the models of the portfolio. With --url, asks a running gateway for live state
(GET URL/health: state and circuit breaker); otherwise reads the config and shows the static
view (state "unloaded", circuit "closed").

Options:
  --config FILE   portfolio.yaml (env: UNBUNDLE_CONFIG); default: the .gguf files in UNBUNDLE_MODEL_DIR
  --url URL       a running gateway, e.g. http://127.0.0.1:8080
  --json          one JSON array instead of a table
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('models', argv, { config: { type: 'string' }, json: { type: 'boolean' }, url: { type: 'string' } });
    let rows: Array<{ id: string; backend: string; zone: string; state: string; circuit: string; active: number; queued: number }>;
    if (values.url) {
      const base = values.url.replace(/\/+$/, '');
      let health: HealthBody;
      try {
        const response = await fetch(`${base}/health`);
        health = (await response.json()) as typeof health;
      } catch (error) {
        io.stderr.write(`unbundle models: cannot reach ${base}/health (${(error as Error).message}). Is the gateway running? Start it with "unbundle serve".\n`);
        return 4;
      }
      rows = health.models.map((m) => ({ id: m.id, backend: m.backend, zone: m.zone, state: m.status, circuit: m.circuit ?? 'closed', active: m.active, queued: m.queued }));
    } else {
      const { portfolio } = await resolvePortfolio({ configPath: values.config, env: io.env, cwd: io.cwd, stderr: io.stderr, download: false });
      const models = await ModelRegistry.create(portfolio, io.env);
      rows = models.states().map(({ id, config, state }) => ({ id, backend: config.backend, zone: config.zone, state: state.status, circuit: 'closed', active: state.active, queued: state.queued }));
      await models.close();
    }
    if (values.json) {
      io.stdout.write(`${JSON.stringify(rows)}\n`);
      return 0;
    }
    const header = ['ID', 'BACKEND', 'ZONE', 'STATE', 'CIRCUIT', 'ACTIVE', 'QUEUED'];
    const table = [header, ...rows.map((r) => [r.id, r.backend, r.zone, r.state, r.circuit, String(r.active), String(r.queued)])];
    const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
    for (const row of table) io.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`);
    if (rows.length === 0) io.stdout.write('(no models: add .gguf files to the model folder or models: to portfolio.yaml)\n');
    return 0;
  },
};
