import path from 'node:path';
import { keyInfoJson } from '../access/key-info-json.ts';
import { dataDirFor, KeyStore } from '../access/key-store.ts';
import { expiryFrom } from '../access/parse-duration.ts';
import { UnbundleError } from '../errors.ts';
import { loadPortfolioFile } from '../portfolio/load-portfolio.ts';
import { parseCommandArgs, type Command } from './command.ts';

const tenantPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const keysCreateCommand: Command = {
  name: 'keys create',
  summary: 'Issue an API key for a tenant (printed once, stored only as a hash)',
  usage: `Usage: unbundle keys create --tenant T [--name N] [--expires 30d] [--config FILE] [--json]

Creates an API key for tenant T and prints it on stdout, once: unbundle keeps only a hash of it
(in $UNBUNDLE_DATA_DIR/keys.sqlite, default ./.unbundle). A running gateway accepts it at once.

Options:
  --tenant T      the tenant the key belongs to (must be listed under tenants: in the config)
  --name N        a label for listings, e.g. "ci" or "alice-laptop"
  --expires D     lifetime: 30d, 12h, 90m, 2w, or an ISO date such as 2027-01-31 (default: never)
  --config FILE   portfolio.yaml to check the tenant against (env: UNBUNDLE_CONFIG)
  --json          print {"id", "key", "tenant", ...} as one JSON line instead of the bare key
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('keys create', argv, {
      tenant: { type: 'string' },
      name: { type: 'string' },
      expires: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean' },
    });
    const tenant = values.tenant;
    if (tenant === undefined || !tenantPattern.test(tenant)) {
      throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle keys create: ${tenant === undefined ? '--tenant is required' : `--tenant "${tenant}" is not a tenant id (letters, digits, ".", "_", "-")`}. Run "unbundle keys create --help" for usage.`);
    }
    const configPath = values.config ?? io.env.UNBUNDLE_CONFIG;
    if (configPath !== undefined && configPath !== '') {
      const { portfolio, source } = loadPortfolioFile(path.resolve(io.cwd, configPath));
      if (!portfolio.tenants.some((t) => t.id === tenant)) {
        const known = portfolio.tenants.map((t) => t.id);
        throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle keys create: tenant "${tenant}" is not in ${source} (tenants: ${known.length > 0 ? known.join(', ') : 'none'}). Add it under tenants: first.`);
      }
    }
    const now = Date.now();
    let expiresAt: number | undefined;
    if (values.expires !== undefined) {
      const parsed = expiryFrom(values.expires, now);
      if (typeof parsed === 'string') throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle keys create: --expires: ${parsed}.`);
      expiresAt = parsed;
    }
    const store = new KeyStore(dataDirFor(io.env, io.cwd));
    try {
      const { key, info } = store.create({ tenant, name: values.name, expiresAt, now });
      if (values.json) io.stdout.write(`${JSON.stringify({ ...keyInfoJson(info, now), key })}\n`);
      else io.stdout.write(`${key}\n`);
      const expiry = info.expiresAt === null ? 'never expires' : `expires ${new Date(info.expiresAt).toISOString()}`;
      io.stderr.write(`Created key ${info.id} for tenant ${tenant} (${expiry}) in ${store.file}.\nThis is the only time the key is shown: store it now.\n`);
      return 0;
    } finally {
      store.close();
    }
  },
};
