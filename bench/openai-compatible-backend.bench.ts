/**
 * What the OpenAI-compatible backend costs on the gateway's hot path: CPU time per request in
 * this process, 50 requests in flight, against a zero-delay fake upstream in its own process.
 * Ours (generate, stream) is compared with the plain undici Pool doing the same I/O with a naive
 * parse, and with fetch (the road not taken). CPU time rather than wall time, because this machine
 * is shared: other work slows the clock but does not add to our CPU count. Rounds alternate the
 * variants so drift hits each alike. End-to-end gateway throughput is bench/proxy.bench.ts.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { OpenAICompatibleBackend } from '../src/backends/openai-compatible/openai-compatible-backend.ts';
import type { ChatMessage } from '../src/backends/types.ts';
import { openaiCompatibleModelSchema } from '../src/portfolio/schema.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const connections = 50;

async function startUpstreamProcess(): Promise<{ port: number; stop: () => void }> {
  const fakeUrl = new URL('../test/fakes/fake-openai-upstream.ts', import.meta.url).href;
  const code = `const { startFakeOpenAIUpstream } = await import(${JSON.stringify(fakeUrl)}); const f = await startFakeOpenAIUpstream({ record: false }); console.log(f.port);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
    child.once('exit', (status) => reject(new Error(`fake upstream exited with ${status}`)));
  });
  return { port, stop: () => child.kill() };
}

const messages: ChatMessage[] = [{ role: 'user', content: 'Say hello in five words.' }];

/** CPU microseconds this process spends per call, with 50 calls in flight. */
async function cpuPerCall(call: () => Promise<unknown>, total: number): Promise<number> {
  let left = total;
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (left-- > 0) await call();
  }));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / total;
}

async function cpuComparison(origin: string, pool: Pool, backend: OpenAICompatibleBackend): Promise<void> {
  const headers = { 'content-type': 'application/json' };
  const plainBody = () => JSON.stringify({ model: 'm', messages, max_tokens: 16 });
  const calls: Record<string, () => Promise<unknown>> = {
    'undici Pool + JSON.parse': async () => {
      // A gateway must be cancellable, so the plain library gets a signal too.
      const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body: plainBody(), signal: new AbortController().signal });
      return JSON.parse(await r.body.text()) as unknown;
    },
    'backend.generate': () => backend.generate({ kind: 'chat', messages, maxTokens: 16 }, new AbortController().signal),
    'fetch + json()': async () => (await fetch(`${origin}/v1/chat/completions`, { method: 'POST', headers, body: plainBody() })).json(),
    'undici Pool + naive SSE split': async () => {
      const body = JSON.stringify({ model: 'm', messages, max_tokens: 16, stream: true, stream_options: { include_usage: true } });
      const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body, signal: new AbortController().signal });
      let text = '';
      let n = 0;
      for await (const chunk of r.body as AsyncIterable<Buffer>) {
        text += chunk.toString('utf8');
        let end: number;
        while ((end = text.indexOf('\n\n')) !== -1) {
          const data = text.slice(6, end);
          text = text.slice(end + 2);
          if (data !== '[DONE]') n += (JSON.parse(data) as { choices: unknown[] }).choices.length;
        }
      }
      return n;
    },
    'backend.stream': async () => {
      let n = 0;
      for await (const part of backend.stream({ kind: 'chat', messages, maxTokens: 16 }, new AbortController().signal)) if (part.type !== 'usage') n++;
      return n;
    },
  };
  const names = Object.keys(calls);
  for (const name of names) await cpuPerCall(calls[name], 1000);
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < 5; round++) {
    for (const name of names) (samples[name] ??= []).push(await cpuPerCall(calls[name], 2000));
  }
  const cost = (name: string) => median(samples[name]);
  console.log('CPU per request in the gateway process (median of 5 rounds of 2000 requests, 50 in flight):');
  console.log(`  backend.generate / undici Pool + JSON.parse      : ${(cost('backend.generate') / cost('undici Pool + JSON.parse')).toFixed(2)}x`);
  console.log(`  fetch + json()   / undici Pool + JSON.parse      : ${(cost('fetch + json()') / cost('undici Pool + JSON.parse')).toFixed(2)}x`);
  console.log(`  backend.stream   / undici Pool + naive SSE split : ${(cost('backend.stream') / cost('undici Pool + naive SSE split')).toFixed(2)}x`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function run(): Promise<void> {
  const upstream = await startUpstreamProcess();
  const origin = `http://127.0.0.1:${upstream.port}`;
  const pool = new Pool(origin, { connections: 128, pipelining: 1 });
  const config = openaiCompatibleModelSchema.parse({ id: 'm', backend: 'openai-compatible', baseURL: `${origin}/v1` });
  const backend = new OpenAICompatibleBackend(config, {});
  try {
    await cpuComparison(origin, pool, backend);
  } finally {
    await backend.close();
    await pool.close();
    upstream.stop();
  }
}
