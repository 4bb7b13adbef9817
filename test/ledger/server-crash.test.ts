import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Agent } from 'undici';
import { SqliteLedgerStore } from '../../src/ledger/sqlite-store.ts';
import { startFakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { repoRoot } from '../helpers/paths.ts';
import { runCli } from '../helpers/run-cli.ts';
import { tempDir } from './ledger-fixtures.ts';

/**
 * The server's durability promise, end to end: `unbundle serve` (a child process, against the fake
 * upstream) under concurrent load is killed with SIGKILL. After a restart on the same data dir,
 * every request whose client saw a complete response (JSON body parsed, or the stream's [DONE])
 * has exactly one row, and no request has two.
 */

const bin = path.join(repoRoot, 'bin', 'unbundle.js');

function serve(configFile: string, dataDir: string): { child: ChildProcess; url: Promise<string>; exited: Promise<NodeJS.Signals | number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [bin, 'serve', '--config', configFile, '--port', '0'], {
    cwd: dataDir,
    env: { ...process.env, UNBUNDLE_DATA_DIR: dataDir, UNBUNDLE_DATABASE_URL: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk);
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
  url.catch(() => undefined);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return { child, url, exited, stderr: () => stderr };
}

const temps: Array<{ remove: () => void }> = [];
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  temps.forEach((temp) => temp.remove());
});

describe('the server under load, killed with SIGKILL', () => {
  it('every response a client saw complete has exactly one ledger row after the restart', { timeout: 20_000 }, async () => {
    const temp = tempDir();
    temps.push(temp);
    const upstream = await startFakeOpenAIUpstream({ record: false });
    const config = path.join(temp.dir, 'portfolio.yaml');
    writeFileSync(config, `server: { logLevel: warn }\nmodels:\n  - id: m\n    backend: openai-compatible\n    baseURL: ${upstream.url}\n    pricing: gpt-4o-mini\n`);
    const agent = new Agent({ connections: 32 });
    try {
      const first = serve(config, temp.dir);
      children.push(first.child);
      const url = await first.url;

      const completed: string[] = [];
      let sent = 0;
      let killed = false;
      const target = 150;
      const worker = async (index: number) => {
        while (!killed) {
          const stream = (sent + index) % 2 === 0;
          sent++;
          try {
            const response = await fetch(`${url}/v1/chat/completions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ model: 'm', stream, messages: [{ role: 'user', content: `request ${sent}` }], max_tokens: 8 }),
              dispatcher: agent,
            } as RequestInit);
            const text = await response.text();
            const complete = response.status === 200 && (stream ? text.includes('data: [DONE]') : (JSON.parse(text) as { choices?: unknown[] }).choices !== undefined);
            if (complete) completed.push(response.headers.get('x-request-id')!);
          } catch {
            // Cut off by the kill: this client never saw a complete response.
          }
          if (!killed && completed.length >= target) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 24 }, (_, index) => worker(index)));
      assert.equal(await first.exited, 'SIGKILL', first.stderr());
      assert.ok(completed.length >= target);

      // The restart replays the journal of the killed process before it listens.
      const second = serve(config, temp.dir);
      children.push(second.child);
      await second.url;
      second.child.kill('SIGTERM');
      assert.equal(await second.exited, 0, second.stderr());

      const store = new SqliteLedgerStore({ path: path.join(temp.dir, 'ledger.sqlite'), mustExist: true });
      try {
        const rows = await store.query({ limit: 10_000 });
        const ids = new Set(rows.map((row) => row.id));
        assert.equal(ids.size, rows.length, 'no duplicated row');
        assert.ok(rows.length <= sent, `${rows.length} rows for ${sent} requests sent`);
        const missing = completed.filter((id) => !ids.has(id));
        assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${completed.length} completed responses have no row`);
        assert.ok(rows.every((row) => row.model === undefined || row.model === 'm'));
      } finally {
        await store.close();
      }
      // `unbundle cost report` reads the very store the server wrote.
      const report = await runCli(['cost', 'report', '--since', '1h', '--json'], { env: { ...process.env, UNBUNDLE_DATA_DIR: temp.dir, UNBUNDLE_DATABASE_URL: '' }, cwd: temp.dir });
      assert.equal(report.code, 0, report.stderr);
      const groups = JSON.parse(report.stdout) as Array<{ model: string | null; requests: number; cost: number }>;
      const served = groups.find((group) => group.model === 'm');
      assert.ok(served && served.requests >= completed.length && served.cost > 0, report.stdout);
    } finally {
      await agent.close();
      await upstream.close();
    }
  });
});
