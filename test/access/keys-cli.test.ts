import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { chat, startAccessGateway, type AccessGateway } from './access-gateway.ts';

describe('unbundle keys create / list / revoke', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let started: AccessGateway;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'unbundle-keys-cli-'));
    env = { UNBUNDLE_DATA_DIR: path.join(dir, 'data') };
    started = await startAccessGateway({ auth: { mode: 'keys' }, tenants: [{ id: 'acme' }], dataDir: env.UNBUNDLE_DATA_DIR, admin: false });
  });
  after(async () => {
    await started.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a key, prints it once on stdout, and a running gateway accepts it', async () => {
    const created = await runCli(['keys', 'create', '--tenant', 'acme', '--name', 'ci', '--expires', '30d'], { env, cwd: dir });
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^ub-[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
    assert.match(created.stderr, /Created key [0-9a-f]{12} for tenant acme \(expires \d{4}-.*\)[\s\S]*only time the key is shown/);
    assert.equal((await chat(started.url, { authorization: `Bearer ${key}` })).status, 200);

    const listed = await runCli(['keys', 'list'], { env, cwd: dir });
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /^ID\s+TENANT\s+NAME\s+CREATED\s+LAST USED\s+EXPIRES\s+STATUS\n/);
    assert.match(listed.stdout, new RegExp(`${key.slice(3, 15)}\\s+acme\\s+ci\\s+\\d{4}-.*active`));
    assert.ok(!listed.stdout.includes(key.slice(15)), 'never the key');

    const json = await runCli(['keys', 'list', '--json', '--tenant', 'acme'], { env, cwd: dir });
    const rows = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string; status: string });
    assert.ok(rows.some((row) => row.id === key.slice(3, 15) && row.status === 'active'));

    const revoked = await runCli(['keys', 'revoke', key.slice(3, 15)], { env, cwd: dir });
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /^Revoked key [0-9a-f]{12} \(tenant acme\)/);
    const again = await runCli(['keys', 'revoke', key.slice(3, 15)], { env, cwd: dir });
    assert.match(again.stdout, /was already revoked/);
    // The gateway re-reads a key at least once a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.equal((await chat(started.url, { authorization: `Bearer ${key}` })).status, 401);
    const after = await runCli(['keys', 'list', '--tenant', 'acme'], { env, cwd: dir });
    assert.match(after.stdout, /revoked \d{4}-/);
  });

  it('--json prints the key with its details', async () => {
    const created = await runCli(['keys', 'create', '--tenant', 'acme', '--json'], { env, cwd: dir });
    const body = JSON.parse(created.stdout) as { key: string; id: string; tenant: string; expiresAt: null };
    assert.equal(body.key.slice(3, 15), body.id);
    assert.equal(body.expiresAt, null);
  });

  it('checks the tenant against --config, and usage errors exit 2', async () => {
    const config = path.join(dir, 'portfolio.yaml');
    writeFileSync(config, 'auth: { mode: keys }\ntenants:\n  - id: acme\n');
    const unknown = await runCli(['keys', 'create', '--tenant', 'globex', '--config', config], { env, cwd: dir });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /tenant "globex" is not in .*portfolio\.yaml \(tenants: acme\)/);
    assert.equal((await runCli(['keys', 'create', '--tenant', 'acme', '--config', config], { env, cwd: dir })).code, 0);
    const missing = await runCli(['keys', 'create'], { env, cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--tenant is required/);
    const badExpiry = await runCli(['keys', 'create', '--tenant', 'acme', '--expires', 'tomorrow'], { env, cwd: dir });
    assert.equal(badExpiry.code, 2);
    assert.match(badExpiry.stderr, /"tomorrow" is not a duration such as 30d/);
    assert.equal((await runCli(['keys', 'revoke', 'nope'], { env, cwd: dir })).code, 2);
  });

  it('list and revoke without a key store exit 4, naming the folder', async () => {
    const elsewhere = { UNBUNDLE_DATA_DIR: path.join(dir, 'nothing-here') };
    for (const argv of [['keys', 'list'], ['keys', 'revoke', '0123456789ab']]) {
      const result = await runCli(argv, { env: elsewhere, cwd: dir });
      assert.equal(result.code, 4);
      assert.match(result.stderr, /No key store at .*nothing-here.*keys\.sqlite: no key was created here yet/);
    }
  });

  it('revoking an unknown id exits 4 (missing resource)', async () => {
    const result = await runCli(['keys', 'revoke', '0123456789ab'], { env, cwd: dir });
    assert.equal(result.code, 4);
    assert.match(result.stderr, /no key has id 0123456789ab/);
  });
});
