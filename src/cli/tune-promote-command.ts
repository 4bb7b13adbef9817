import { UnbundleError } from '../errors.ts';
import { parseCommandArgs, type Command, type CommandIO } from './command.ts';

/** Calls the running server's admin API; the admin key comes from the environment only. */
export async function callAdmin(io: CommandIO, url: string, keyEnv: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const key = io.env[keyEnv];
  if (!key) throw new UnbundleError('UNBUNDLE_E_USAGE', `set ${keyEnv} to the server's admin key (the server reads the same variable), or name another variable with --admin-key-env.`);
  let response: Response;
  try {
    response = await fetch(new URL(path, url), {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(300_000),
    });
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_UPSTREAM_CONNECT', `cannot reach the unbundle server at ${url} (${(error as Error).cause ? String((error as Error & { cause: Error }).cause.message) : (error as Error).message}); start it with "unbundle serve" or pass --url.`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const message = (parsed as { error?: { message?: string } })?.error?.message ?? text;
    throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', `the server refused (${response.status}): ${message}`);
  }
  return parsed;
}

const common = {
  model: { type: 'string' },
  url: { type: 'string' },
  'admin-key-env': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const tunePromoteCommand: Command = {
  name: 'tune promote',
  summary: 'Serve a registered adapter on a running server, without a restart',
  usage: `Usage: unbundle tune promote NAME[@VERSION] --model ID [--url URL] [--admin-key-env VAR]

Asks the running server (admin API: POST /admin/models/ID/promote) to serve local model ID with the
registered adapter NAME (latest version) or NAME@VERSION. The server checks the adapter was trained
on the model's base, warms it, then switches; the previous version stays one "tune rollback" away.

Options:
  --model ID          the portfolio model id (a llamacpp model)                   (required)
  --url URL           the server (default http://127.0.0.1:8080)
  --admin-key-env VAR the environment variable holding the admin key (default UNBUNDLE_ADMIN_KEY)
  --json              print the server's answer as JSON
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('tune promote', argv, common, true);
    if (positionals.length !== 1) throw new UnbundleError('UNBUNDLE_E_USAGE', 'unbundle tune promote: give one adapter reference (NAME or NAME@VERSION). Run "unbundle tune promote --help" for usage.');
    if (!values.model) throw new UnbundleError('UNBUNDLE_E_USAGE', 'unbundle tune promote: --model is required. Run "unbundle tune promote --help" for usage.');
    const answer = await callAdmin(io, values.url ?? 'http://127.0.0.1:8080', values['admin-key-env'] ?? 'UNBUNDLE_ADMIN_KEY', 'POST', `/admin/models/${encodeURIComponent(values.model)}/promote`, { adapter: positionals[0] });
    const record = answer as { model: string; adapter: string };
    io.stdout.write(values.json ? `${JSON.stringify(answer)}\n` : `model ${record.model} now serves ${record.adapter}\n`);
    return 0;
  },
};

export const tuneRollbackCommand: Command = {
  name: 'tune rollback',
  summary: 'Return a model on a running server to what it served before its last promotion',
  usage: `Usage: unbundle tune rollback --model ID [--url URL] [--admin-key-env VAR] [--json]

Asks the running server (POST /admin/models/ID/rollback) to serve what model ID served before its
last promotion (an earlier adapter, or the base model alone).
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('tune rollback', argv, common);
    if (!values.model) throw new UnbundleError('UNBUNDLE_E_USAGE', 'unbundle tune rollback: --model is required. Run "unbundle tune rollback --help" for usage.');
    const answer = await callAdmin(io, values.url ?? 'http://127.0.0.1:8080', values['admin-key-env'] ?? 'UNBUNDLE_ADMIN_KEY', 'POST', `/admin/models/${encodeURIComponent(values.model)}/rollback`);
    const record = answer as { model: string; adapter: string | null };
    io.stdout.write(values.json ? `${JSON.stringify(answer)}\n` : `model ${record.model} now serves ${record.adapter ?? 'its base model without an adapter'}\n`);
    return 0;
  },
};
