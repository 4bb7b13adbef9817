import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startFakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { repoRoot } from '../helpers/paths.ts';

/**
 * The request log is written in batches for speed; on a quiet server the last request's line must
 * still appear promptly (it once waited for 4 KB of further log lines), and in the same JSON shape
 * as every other line.
 */
describe('serve: the request log line of a quiet server', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-serve-log-'));
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('appears within a second of one request, as one JSON line', async () => {
    const upstream = await startFakeOpenAIUpstream();
    try {
      const config = path.join(dir, 'portfolio.yaml');
      writeFileSync(config, `server: { port: 0, logLevel: info }\nledger: { enabled: false }\nmodels:\n  - { id: m, backend: openai-compatible, baseURL: "http://127.0.0.1:${upstream.port}/v1" }\n`);
      const child = spawn(process.execPath, [path.join(repoRoot, 'bin/unbundle.js'), 'serve', '--config', config], { cwd: dir, env: { ...process.env, UNBUNDLE_DATA_DIR: path.join(dir, 'data'), UNBUNDLE_ADMIN_KEY: 'k'.repeat(32) }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr!.on('data', (chunk) => {
          stderr += String(chunk);
          const match = /listening on (http:\/\/\S+)/.exec(stderr);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      const response = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'quiet-1' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
      assert.equal(response.status, 200);
      const sent = performance.now();
      while (!stdout.includes('"quiet-1"') && performance.now() - sent < 1_000) await new Promise((r) => setTimeout(r, 20));
      const line = stdout.split('\n').find((l) => l.includes('"quiet-1"'));
      assert.ok(line, `no request line within 1 s; stdout so far:\n${stdout}`);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      assert.equal(parsed.level, 'info');
      assert.equal(parsed.msg, 'request');
      assert.equal(parsed.model, 'm');
      assert.equal(parsed.status, 200);
      assert.equal(typeof parsed.latencyMs, 'number');
    } finally {
      await upstream.close();
    }
  });
});
