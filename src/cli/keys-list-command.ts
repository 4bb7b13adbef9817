import { keyInfoJson } from '../access/key-info-json.ts';
import { openExistingKeyStore } from '../access/key-store.ts';
import { exitCodes, parseCommandArgs, type Command } from './command.ts';

export const keysListCommand: Command = {
  name: 'keys list',
  summary: 'List API keys: id, tenant, name, created, last used, status (never the keys)',
  usage: `Usage: unbundle keys list [--tenant T] [--json]

Lists the keys in $UNBUNDLE_DATA_DIR/keys.sqlite (default ./.unbundle). Keys themselves are never
stored, so they cannot be shown; an id is enough to revoke one.

Options:
  --tenant T   only this tenant's keys
  --json       one JSON line per key
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('keys list', argv, { tenant: { type: 'string' }, json: { type: 'boolean' } });
    const store = openExistingKeyStore(io, 'keys list');
    if (store === undefined) return exitCodes.unavailable;
    try {
      const now = Date.now();
      const keys = store.list({ tenant: values.tenant }).map((info) => keyInfoJson(info, now));
      if (values.json) {
        for (const key of keys) io.stdout.write(`${JSON.stringify(key)}\n`);
        return 0;
      }
      const header = ['ID', 'TENANT', 'NAME', 'CREATED', 'LAST USED', 'EXPIRES', 'STATUS'];
      const short = (iso: string | null) => (iso === null ? '-' : iso.slice(0, 19).replace('T', ' '));
      const rows = keys.map((k) => [k.id, k.tenant, k.name ?? '-', short(k.createdAt), short(k.lastUsedAt), short(k.expiresAt), k.status === 'revoked' ? `revoked ${short(k.revokedAt)}` : k.status]);
      const table = [header, ...rows];
      const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
      for (const row of table) io.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`);
      if (keys.length === 0) io.stdout.write(`(no keys${values.tenant ? ` for tenant ${values.tenant}` : ''}: create one with "unbundle keys create --tenant T")\n`);
      return 0;
    } finally {
      store.close();
    }
  },
};
