/**
 * What access control adds per request. In-process: one key check (Map hit + SHA-256 +
 * constant-time compare), one memory rate-limit take and the JSON shape check, each against
 * JSON.parse of the same chat body as the yardstick. Over HTTP: a gateway with `auth: keys`
 * (and rpm/tpm limits) against the same gateway with `auth: none`, interleaved, in one run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KeyAuthenticator } from '../src/access/key-authenticator.ts';
import { KeyStore } from '../src/access/key-store.ts';
import { MemoryTokenBucketStore } from '../src/access/token-bucket-store.ts';
import { checkJsonLimits } from '../src/server/json-limits.ts';
import { startChild, type Child } from './support/child-process.ts';
import { formatRow, percentile, sequentialLatency, throughput, type Target } from './support/measure.ts';
import { startUpstream } from './proxy.bench.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const chatBody = JSON.stringify({ model: 'bench', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello to the whole team, and keep it short please.' }], max_tokens: 16 });
const bin = path.join(import.meta.dirname, '../bin/unbundle.js');

function microsPerOp(iterations: number, op: () => void): number {
  for (let i = 0; i < Math.min(10_000, iterations); i++) op();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) op();
  return Number(process.hrtime.bigint() - t0) / 1e3 / iterations;
}

function inProcess(dir: string): void {
  const store = new KeyStore(dir);
  const { key } = store.create({ tenant: 'bench' });
  const authenticator = new KeyAuthenticator(store);
  const buckets = new MemoryTokenBucketStore();
  const parsed = JSON.parse(chatBody) as unknown;
  const n = 200_000;
  const rows: Array<[string, number]> = [
    ['JSON.parse(body) (yardstick)', microsPerOp(n, () => JSON.parse(chatBody))],
    ['key check', microsPerOp(n, () => authenticator.authenticate(key))],
    ['rate-limit take (rpm+tpm)', microsPerOp(n, () => buckets.take([{ key: 'r', capacity: 1e12, cost: 1 }, { key: 't', capacity: 1e12, cost: 30 }]))],
    ['JSON shape check', microsPerOp(n, () => checkJsonLimits(parsed))],
  ];
  const yardstick = rows[0]![1];
  console.log(`In-process, ${n} iterations each (${Buffer.byteLength(chatBody)}-byte chat body):`);
  console.log(formatRow(['step', 'µs/op', 'x JSON.parse'], [30, 10, 14]));
  for (const [name, micros] of rows) console.log(formatRow([name, micros.toFixed(3), (micros / yardstick).toFixed(2)], [30, 10, 14]));
  store.close();
}

async function startServe(config: string, dataDir: string): Promise<Child> {
  return startChild('node', [bin, 'serve', '--config', config], /listening on http:\/\/127\.0\.0\.1:(\d+)/, { UNBUNDLE_DATA_DIR: dataDir });
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-access-bench-'));
  try {
    inProcess(path.join(dir, 'micro'));
    const upstream = await startUpstream();
    const model = `models:\n  - id: bench\n    backend: openai-compatible\n    baseURL: http://127.0.0.1:${upstream.ready}/v1\n    model: fake-model\n`;
    const open = path.join(dir, 'open.yaml');
    const keyed = path.join(dir, 'keys.yaml');
    writeFileSync(open, `server: { port: 0, logLevel: warn }\n${model}`);
    writeFileSync(keyed, `server: { port: 0, logLevel: warn }\n${model}auth: { mode: keys }\ntenants:\n  - id: bench\n    rpm: 100000000\n    tpm: 1000000000\n`);
    const dataDir = path.join(dir, 'data');
    const key = execFileSync('node', [bin, 'keys', 'create', '--tenant', 'bench', '--config', keyed], { env: { ...process.env, UNBUNDLE_DATA_DIR: dataDir }, encoding: 'utf8' }).trim();
    const none = await startServe(open, dataDir);
    const keys = await startServe(keyed, dataDir);
    const targets: Target[] = [
      { name: 'auth none', origin: `http://127.0.0.1:${none.ready}`, path: '/v1/chat/completions', headers: {} },
      { name: 'auth keys+limits', origin: `http://127.0.0.1:${keys.ready}`, path: '/v1/chat/completions', headers: { authorization: `Bearer ${key}` } },
    ];
    try {
      for (const target of targets) await sequentialLatency(target, chatBody, 200);
      const rps = new Map<string, number[]>();
      for (let round = 0; round < 2; round++) {
        for (const target of targets) rps.set(target.name, [...(rps.get(target.name) ?? []), (await throughput(target, chatBody, 32, seconds / 2)).requestsPerSecond]);
      }
      const mean = (name: string) => rps.get(name)!.reduce((a, b) => a + b, 0) / rps.get(name)!.length;
      console.log(`\nHTTP throughput, 32 connections, ${seconds} s per target (interleaved):`);
      console.log(`auth keys+limits / auth none: ${((mean('auth keys+limits') / mean('auth none')) * 100).toFixed(1)}%`);
      const count = Number(process.env.BENCH_SEQUENTIAL ?? 1000);
      const a = await sequentialLatency(targets[0]!, chatBody, count);
      const b = await sequentialLatency(targets[1]!, chatBody, count);
      console.log(`Sequential, ${count} requests each: added by keys+limits p50 ${(percentile(b.total, 50) - percentile(a.total, 50)).toFixed(3)} ms (of ${percentile(a.total, 50).toFixed(3)} ms), p99 ${(percentile(b.total, 99) - percentile(a.total, 99)).toFixed(3)} ms`);
    } finally {
      await Promise.all([none.stop(), keys.stop(), upstream.stop()]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
