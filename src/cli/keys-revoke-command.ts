import { isKeyId } from '../access/api-key.ts';
import { openExistingKeyStore } from '../access/key-store.ts';
import { UnbundleError } from '../errors.ts';
import { exitCodes, parseCommandArgs, type Command } from './command.ts';

export const keysRevokeCommand: Command = {
  name: 'keys revoke',
  summary: 'Revoke an API key by id (a running gateway refuses it within a second)',
  usage: `Usage: unbundle keys revoke ID

Revokes the key with this id (as "unbundle keys list" shows it). A running gateway re-reads keys
at least once a second, so the key stops working within a second; the admin API's
DELETE /admin/keys/ID revokes at once.
`,
  async run(argv, io) {
    const { positionals } = parseCommandArgs('keys revoke', argv, {}, true);
    const [id, ...extra] = positionals;
    if (id === undefined || extra.length > 0 || !isKeyId(id)) {
      throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle keys revoke: ${id === undefined ? 'give the key id' : extra.length > 0 ? 'give one key id' : `"${id}" is not a key id (12 hex digits, as "unbundle keys list" shows)`}. Run "unbundle keys revoke --help" for usage.`);
    }
    const store = openExistingKeyStore(io, 'keys revoke');
    if (store === undefined) return exitCodes.unavailable;
    try {
      const before = store.get(id);
      if (before === undefined) {
        io.stderr.write(`unbundle keys revoke: no key has id ${id} in ${store.file}; "unbundle keys list" shows the ids.\n`);
        return exitCodes.unavailable;
      }
      const after = store.revoke(id)!;
      const when = new Date(after.revokedAt!).toISOString();
      io.stdout.write(before.revokedAt === null ? `Revoked key ${id} (tenant ${after.tenant}) at ${when}.\n` : `Key ${id} was already revoked at ${when}.\n`);
      return exitCodes.ok;
    } finally {
      store.close();
    }
  },
};
