import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.ts';

const adapter = path.resolve(repoRoot, '../shared/models/stories260K-random-lora.gguf');

/**
 * `serve` that cannot start must exit with its error's code, not print the error and live on with
 * nothing listening (a supervisor would see a healthy process). Run as a real process: what kept it
 * alive was the ledger's SQLite thread, which an in-process run does not show.
 */
describe('serve: a failed start exits', { timeout: 90_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-serve-fail-'));
  const children: ChildProcess[] = [];
  let taken: Server;
  let takenPort: number;
  before(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as AddressInfo).port;
  });
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    taken.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs serve with the default SQLite ledger in a fresh data dir; resolves with its exit code and stderr (fails after 30 s). */
  async function serve(name: string, yaml: string, args: string[] = []): Promise<{ code: number | null; stderr: string }> {
    const config = path.join(dir, `${name}.yaml`);
    writeFileSync(config, yaml);
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/unbundle.js'), 'serve', '--config', config, ...args], {
      cwd: dir,
      env: { ...process.env, UNBUNDLE_DATA_DIR: path.join(dir, `data-${name}`), UNBUNDLE_DATABASE_URL: '', UNBUNDLE_ADMIN_KEY: 'k'.repeat(32) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not exit within 30 s; stderr:\n${stderr}`)), 30_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  }

  const upstreamModel = 'models:\n  - { id: m, backend: openai-compatible, baseURL: "http://127.0.0.1:9/v1" }\n';

  it('a port in use: exit 3, naming the port and how to choose another', async () => {
    const { code, stderr } = await serve('in-use', `server: { logLevel: silent }\n${upstreamModel}`, ['--port', String(takenPort)]);
    assert.equal(code, 3, stderr);
    assert.match(stderr, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${takenPort}: the port is already in use`));
    assert.match(stderr, /--port N \(or server\.port/);
    assert.doesNotMatch(stderr, /unexpected error|\n\s+at /, 'not reported as a crash with a stack');
  });

  it('auth none on an open address: exit 3 with the fix', async () => {
    const { code, stderr } = await serve('open', `server: { port: 0, host: 0.0.0.0, logLevel: silent }\n${upstreamModel}`);
    assert.equal(code, 3, stderr);
    assert.match(stderr, /auth\.mode is none but the server is bound to 0\.0\.0\.0/);
  });

  it('--warm with a model that cannot load: exits with the load error', async () => {
    const broken = path.join(dir, 'broken.gguf');
    writeFileSync(broken, 'not a model at all');
    const { code, stderr } = await serve('warm', `server: { port: 0, logLevel: silent }\nmodels:\n  - { id: broken, backend: llamacpp, path: ${JSON.stringify(broken)} }\n`, ['--warm']);
    assert.equal(code, 4, stderr);
    assert.match(stderr, /GGUF/);
  });

  it('an adapter given as a model: exit 3 at config validation, before anything loads', async () => {
    const { code, stderr } = await serve('adapter', `server: { port: 0, logLevel: silent }\nmodels:\n  - { id: broken, backend: llamacpp, path: ${JSON.stringify(adapter)} }\n`);
    assert.equal(code, 3, stderr);
    assert.match(stderr, /is a LoRA adapter, not a model/);
  });
});
