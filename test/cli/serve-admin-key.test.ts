import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.ts';

/** `unbundle serve` on loopback with no admin key makes one for the run, so the dashboard works after `npm start`. */
describe('serve: the admin key for one run', { timeout: 90_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-serve-key-'));
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(host: string, env: NodeJS.ProcessEnv): Promise<{ stderr: string; url: string }> {
    const config = path.join(dir, `${host.replace(/\W/g, '_')}.yaml`);
    writeFileSync(config, `server: { port: 0, host: "${host}", logLevel: silent }\nledger: { enabled: false }\nauth: { allowInsecure: true }\nmodels:\n  - { id: m, backend: openai-compatible, baseURL: "http://127.0.0.1:9/v1" }\n`);
    const { UNBUNDLE_ADMIN_KEY: _drop, ...rest } = process.env;
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/unbundle.js'), 'serve', '--config', config], { cwd: dir, env: { ...rest, UNBUNDLE_DATA_DIR: path.join(dir, 'data'), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', (chunk) => {
        stderr += String(chunk);
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match && /dashboard: /.test(stderr)) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    return { stderr, url };
  }

  it('prints a fresh key on loopback and the admin API accepts only it', async () => {
    const { stderr, url } = await serve('127.0.0.1', {});
    const key = /admin key for this run, loopback only: (\S+)/.exec(stderr)?.[1];
    assert.ok(key && key.length >= 32, stderr);
    assert.equal((await fetch(`${url}/admin/tenants`, { headers: { authorization: `Bearer ${key}` } })).status, 200);
    assert.equal((await fetch(`${url}/admin/tenants`)).status, 401);
    assert.equal((await fetch(`${url}/admin/tenants`, { headers: { authorization: 'Bearer not-the-key' } })).status, 401);
  });

  it('uses the configured key instead, and makes none on a non-loopback bind', async () => {
    const mine = 'my-own-admin-key-0123456789abcdef';
    const own = await serve('127.0.0.1', { UNBUNDLE_ADMIN_KEY: mine });
    assert.doesNotMatch(own.stderr, /admin key for this run/);
    assert.equal((await fetch(`${own.url}/admin/tenants`, { headers: { authorization: `Bearer ${mine}` } })).status, 200);
    const wide = await serve('0.0.0.0', {});
    assert.doesNotMatch(wide.stderr, /admin key for this run/);
    assert.match(wide.stderr, /shows no data until UNBUNDLE_ADMIN_KEY is set/);
  });
});
