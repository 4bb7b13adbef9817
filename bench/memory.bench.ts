/**
 * Memory stability on the proxy path: the gateway's RSS after 100k proxied requests compared with
 * its RSS after the first 10k (target: within 10%). A leak of even a few hundred bytes per request
 * shows up as tens of MB here.
 */
import autocannon from 'autocannon';
import { startGateway, startUpstream } from './proxy.bench.ts';
import type { Child } from './support/child-process.ts';

const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 16 });
const streamBody = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 16, stream: true });

async function send(port: string, amount: number, body: string): Promise<number> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/v1/chat/completions`, method: 'POST', connections: 50, amount, headers: { 'content-type': 'application/json' }, body });
  return result.errors + result.non2xx + result.timeouts;
}

/**
 * RSS once the load has stopped and a full garbage collection has run (SIGUSR2, see
 * support/gc-on-signal.mjs): the median of 9 readings over ~2 s. Without the collection a reading
 * lands anywhere in the collector's cycle (seen: 140–183 MB on one idle gateway between rounds of
 * 20k requests, with no trend over 240k), which says nothing about a leak.
 */
async function settledRss(gateway: Child): Promise<number> {
  gateway.process.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 1_000));
  const samples: number[] = [];
  for (let i = 0; i < 9; i++) {
    samples.push(gateway.rssBytes());
    await new Promise((r) => setTimeout(r, 250));
  }
  return samples.sort((a, b) => a - b)[4]!;
}

export async function run(): Promise<void> {
  const total = Number(process.env.BENCH_MEMORY_REQUESTS ?? 100_000);
  const upstream = await startUpstream();
  const gateway = await startGateway(Number(upstream.ready), '', { gcOnSignal: true });
  try {
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    // Whole answers, then streams (their own path: PartStream, StreamWriter) on the same gateway.
    for (const [what, payload] of [['requests', body], ['streamed requests', streamBody]] as const) {
      let failures = await send(gateway.ready, total / 10, payload);
      const early = await settledRss(gateway);
      failures += await send(gateway.ready, total - total / 10, payload);
      const late = await settledRss(gateway);
      console.log(`gateway RSS after ${total / 10} ${what}: ${mb(early)} MB; after ${total}: ${mb(late)} MB; ratio ${(late / early).toFixed(3)} (target ≤ 1.10); failures ${failures}`);
    }
  } finally {
    await Promise.all([gateway.stop(), upstream.stop()]);
  }
}
