import { AdapterRegistry } from '../tune/registry/adapter-registry.ts';
import { parseCommandArgs, type Command } from './command.ts';
import path from 'node:path';

export const tuneListCommand: Command = {
  name: 'tune list',
  summary: 'List registered adapters (versions, base, data, validation loss, eval scores)',
  usage: `Usage: unbundle tune list [--registry DIR] [--json]

Lists the adapter registry: every version of every adapter registered by "tune train --register",
"tune import --register" or "tune register", with its base model and data hashes, settings,
validation loss and eval scores. Default registry: $UNBUNDLE_DATA_DIR/adapters (./.unbundle/adapters).
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('tune list', argv, { registry: { type: 'string' }, json: { type: 'boolean' } });
    const registry = values.registry ? new AdapterRegistry(path.resolve(io.cwd, values.registry)) : AdapterRegistry.at(io.env, io.cwd);
    const all = registry.list();
    if (values.json) {
      io.stdout.write(`${JSON.stringify(all)}\n`);
      return 0;
    }
    if (all.length === 0) {
      io.stdout.write(`no adapters registered in ${registry.dir}; register one with "unbundle tune train ... --register NAME".\n`);
      return 0;
    }
    const rows = all.map((m) => [
      `${m.name}@${m.version}`,
      m.source,
      path.basename(m.base.file),
      `${m.base.sha256.slice(0, 12)}`,
      m.dataset ? `${path.basename(m.dataset.file)} ${m.dataset.sha256.slice(0, 12)}` : '-',
      m.validationLoss === undefined ? '-' : m.validationLoss.toFixed(4),
      m.evalScores ? Object.entries(m.evalScores).map(([k, v]) => `${k}=${v}`).join(' ') : '-',
      `${Math.round(m.bytes / 1024)} KB`,
      m.createdAt.slice(0, 19).replace('T', ' '),
    ]);
    const header = ['ADAPTER', 'SOURCE', 'BASE', 'BASE SHA256', 'DATA', 'VAL LOSS', 'EVAL', 'SIZE', 'CREATED (UTC)'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows]) io.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
    return 0;
  },
};
