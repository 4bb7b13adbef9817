/**
 * Chaos run: 50 concurrent clients against a portfolio of two fake upstreams — one failing 30% of
 * its calls at random (5xx, 429, hangs, resets, malformed JSON, streams cut before their first
 * token), one healthy fallback — for CHAOS_SECONDS (default 60). Prints the success share, the
 * worst deadline overrun, silently truncated streams, unhandled rejections and the gateway's RSS.
 * Then: streams cut after their first token (must end with an explicit error event), and both
 * upstreams down (hanging, then refusing connections): every request must get a clear
 * 502/503/504 within its deadline. Upstreams, gateway and clients are separate processes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { startChild, type Child } from './support/child-process.ts';
import { formatRow, percentile } from './support/measure.ts';

const seconds = Number(process.env.CHAOS_SECONDS ?? 60);
const clients = 50;
const deadlineMs = 2_000;

interface Outcome {
  status: number;
  ms: number;
  model: string;
  kind: 'ok' | 'error-response' | 'error-event' | 'truncated' | 'bad-body' | 'client-timeout';
  code?: string;
}

function startUpstream(failRate: number, seed: number): Promise<Child> {
  return startChild('node', ['--import', 'tsx', path.join(import.meta.dirname, 'support/chaos-upstream-main.ts'), String(failRate), String(seed)], /upstream listening on (\d+)/);
}

function startGateway(flakyPort: number, steadyPort: number): Promise<Child> {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-chaos-'));
  const config = path.join(dir, 'portfolio.yaml');
  const model = (id: string, port: number, extra: string) => `  - id: ${id}\n    backend: openai-compatible\n    baseURL: http://127.0.0.1:${port}/v1\n    model: fake-model\n${extra}`;
  writeFileSync(
    config,
    [
      'server: { port: 0, logLevel: warn }',
      'resilience: { retry: { retries: 2, baseMs: 20, capMs: 500 } }',
      'models:',
      model('flaky', flakyPort, '    fallbacks: [steady]\n    timeouts: { attemptMs: 400, firstTokenMs: 400 }\n'),
      model('steady', steadyPort, ''),
      model('cutter', flakyPort, ''),
    ].join('\n'),
  );
  return startChild('node', [path.join(import.meta.dirname, '../bin/unbundle.js'), 'serve', '--config', config], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
}

async function request(pool: Pool, model: string, stream: boolean): Promise<Outcome> {
  const began = performance.now();
  try {
    const response = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', 'x-unbundle-timeout-ms': String(deadlineMs) },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 16 }),
      signal: AbortSignal.timeout(deadlineMs + 5_000),
    });
    const text = await response.body.text();
    const ms = performance.now() - began;
    const answeredBy = String(response.headers['x-unbundle-model'] ?? 'none');
    if (response.statusCode !== 200) {
      let code: string | undefined;
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
      } catch {
        code = 'not JSON';
      }
      return { status: response.statusCode, ms, model: answeredBy, kind: 'error-response', code };
    }
    if (!stream) {
      const body = JSON.parse(text) as { choices?: Array<{ message?: { content?: string } }> };
      return { status: 200, ms, model: answeredBy, kind: body.choices?.[0]?.message?.content ? 'ok' : 'bad-body' };
    }
    const events = text.split('\n\n').filter((event) => event.startsWith('data: ')).map((event) => event.slice(6));
    const last = events.at(-1);
    if (last === '[DONE]') return { status: 200, ms, model: answeredBy, kind: 'ok' };
    if (last !== undefined && last.startsWith('{"error"')) return { status: 200, ms, model: answeredBy, kind: 'error-event', code: (JSON.parse(last) as { error: { code: string } }).error.code };
    return { status: 200, ms, model: answeredBy, kind: 'truncated' };
  } catch {
    return { status: 0, ms: performance.now() - began, model: 'none', kind: 'client-timeout' };
  }
}

/** `clients` closed loops for `forMs`, or until `total` requests when given. */
async function load(pool: Pool, model: string, forMs: number, total = Infinity, streamEvery = 2): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const until = performance.now() + forMs;
  let started = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until && started < total) {
        const n = started++;
        outcomes.push(await request(pool, model, n % streamEvery === 0));
      }
    }),
  );
  return outcomes;
}

function tally(outcomes: Outcome[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const key = o.kind === 'ok' ? `ok (${o.model})` : `${o.kind} ${o.status} ${o.code ?? ''}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function worstOverrun(outcomes: Outcome[]): number {
  let worst = 0;
  for (const o of outcomes) worst = Math.max(worst, o.ms - deadlineMs);
  return worst;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export async function run(): Promise<void> {
  let unhandled = 0;
  const onUnhandled = () => void unhandled++;
  process.on('unhandledRejection', onUnhandled);
  const flaky = await startUpstream(0.3, 7);
  const steady = await startUpstream(0, 1);
  const gateway = await startGateway(Number(flaky.ready), Number(steady.ready));
  const pool = new Pool(`http://127.0.0.1:${gateway.ready}`, { connections: clients, pipelining: 1 });
  try {
    await load(pool, 'steady', 0, clients * 2);
    const rssStart = gateway.rssBytes();
    console.log(`\nPhase 1: ${clients} clients for ${seconds} s on "flaky" (30% random faults; fallback "steady"), half streamed, deadline ${deadlineMs} ms`);
    const rssSeries: string[] = [];
    const sampler = setInterval(() => rssSeries.push(mb(gateway.rssBytes())), Math.max(1_000, (seconds * 1_000) / 6));
    const chaos = await load(pool, 'flaky', seconds * 1_000);
    clearInterval(sampler);
    const rssEnd = gateway.rssBytes();
    const ok = chaos.filter((o) => o.kind === 'ok').length;
    const widths = [44, 10];
    for (const [key, count] of [...tally(chaos)].sort((a, b) => b[1] - a[1])) console.log(formatRow([key, count], widths));
    console.log(formatRow(['requests', chaos.length], widths));
    console.log(formatRow(['success share (target ≥ 99.9%)', `${((ok / chaos.length) * 100).toFixed(3)}%`], widths));
    console.log(formatRow(['answered by the flaky model itself', `${((chaos.filter((o) => o.kind === 'ok' && o.model === 'flaky').length / Math.max(1, ok)) * 100).toFixed(1)}%`], widths));
    console.log(formatRow(['worst deadline overrun (target ≤ 100 ms)', `${worstOverrun(chaos).toFixed(0)} ms`], widths));
    console.log(formatRow(['  … of answers that were not errors', `${worstOverrun(chaos.filter((o) => o.kind === 'ok')).toFixed(0)} ms`], widths));
    const sorted = chaos.map((o) => o.ms).sort((a, b) => a - b);
    console.log(formatRow(['latency p50 / p99 / max, as share of the deadline', [50, 99, 100].map((p) => `${((percentile(sorted, p) / deadlineMs) * 100).toFixed(0)}%`).join(' / ')], widths));
    console.log(formatRow(['silently truncated streams (target 0)', chaos.filter((o) => o.kind === 'truncated').length], widths));
    console.log(formatRow(['gateway RSS start → end', `${mb(rssStart)} → ${mb(rssEnd)} (${((rssEnd / rssStart - 1) * 100).toFixed(0)}%)`], widths));
    console.log(formatRow(['gateway RSS during the run', rssSeries.join(', ')], widths));

    flaky.process.kill('SIGUSR1');
    console.log('\nPhase 2: every stream cut after its first tokens (no fallback can help once bytes are sent)');
    const cuts = await load(pool, 'cutter', 60_000, 200, 1);
    for (const [key, count] of tally(cuts)) console.log(formatRow([key, count], widths));
    console.log(formatRow(['silently truncated streams (target 0)', cuts.filter((o) => o.kind === 'truncated').length], widths));

    flaky.process.kill('SIGUSR2');
    steady.process.kill('SIGUSR2');
    console.log('\nPhase 3a: both upstreams hang');
    const hanging = await load(pool, 'flaky', 60_000, 100);
    for (const [key, count] of tally(hanging)) console.log(formatRow([key, count], widths));
    console.log(formatRow(['clear 502/503/504 share (target 100%)', `${((hanging.filter((o) => [502, 503, 504].includes(o.status)).length / hanging.length) * 100).toFixed(1)}%`], widths));
    console.log(formatRow(['worst deadline overrun (target ≤ 100 ms)', `${worstOverrun(hanging).toFixed(0)} ms`], widths));

    await flaky.stop();
    await steady.stop();
    console.log('\nPhase 3b: both upstreams gone (connection refused)');
    const refused = await load(pool, 'flaky', 60_000, 200);
    for (const [key, count] of tally(refused)) console.log(formatRow([key, count], widths));
    console.log(formatRow(['clear 502/503/504 share (target 100%)', `${((refused.filter((o) => [502, 503, 504].includes(o.status)).length / refused.length) * 100).toFixed(1)}%`], widths));
    console.log(formatRow(['worst deadline overrun (target ≤ 100 ms)', `${worstOverrun(refused).toFixed(0)} ms`], widths));

    const alive = gateway.process.exitCode === null && gateway.process.signalCode === null;
    console.log(`\nunhandled rejections: ${unhandled} in the load generator; gateway process ${alive ? 'alive (Node exits on an unhandled rejection, so: 0)' : 'DIED'}`);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await pool.close();
    await gateway.stop();
    await flaky.stop().catch(() => undefined);
    await steady.stop().catch(() => undefined);
  }
}
