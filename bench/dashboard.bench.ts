/**
 * What a connected dashboard costs the gateway: throughput of the same gateway process in
 * interleaved rounds — never watched, with a dashboard connected (live SSE stream plus the polls
 * the pages make), and after the dashboard left (the sampler keeps ticking) — and whether the
 * live view's counts keep up with the traffic. Only the ratios mean anything on a shared machine.
 */
import { startGateway, startUpstream } from './proxy.bench.ts';
import { formatRow, throughput, type Target } from './support/measure.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const connections = 50;
/** The dashboard reads the admin API: the gateway child inherits this key, the dashboard sends it. */
const adminKey = 'bench-dashboard-admin-key-0123456789';
const auth = { authorization: `Bearer ${adminKey}` };
const chatBody = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 16 });

interface Dashboard {
  latestCount(): number;
  close(): void;
}

/** What the browser does on the Overview: one SSE stream, and a poll of the JSON every 2 s. */
async function connectDashboard(origin: string): Promise<Dashboard> {
  const controller = new AbortController();
  let count = 0;
  const response = await fetch(`${origin}/admin/dashboard/live`, { headers: auth, signal: controller.signal });
  if (response.status !== 200) throw new Error(`live stream answered ${response.status}`);
  void (async () => {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (block.startsWith('event: sample') && data) count = (JSON.parse(data) as { models: Array<{ id: string; requests: number }> }).models.find((m) => m.id === 'bench')?.requests ?? count;
        }
      }
    } catch {
      // aborted
    }
  })();
  const poll = setInterval(() => void fetch(`${origin}/admin/dashboard/overview?range=300`, { headers: auth, signal: controller.signal }).then((r) => r.arrayBuffer()).catch(() => undefined), 2_000);
  return {
    latestCount: () => count,
    close() {
      clearInterval(poll);
      controller.abort();
    },
  };
}

export async function run(): Promise<void> {
  const upstream = await startUpstream();
  process.env.UNBUNDLE_ADMIN_KEY = adminKey;
  const gateway = await startGateway(Number(upstream.ready));
  const origin = `http://127.0.0.1:${gateway.ready}`;
  const target: Target = { name: 'unbundle', origin, path: '/v1/chat/completions', headers: {} };
  try {
    // Warm up (JIT, connection pools) until two rounds in a row agree within 15% (at most 8).
    let previous = 0;
    for (let i = 0; i < 8; i++) {
      const rps = (await throughput(target, chatBody, connections, 2)).requestsPerSecond;
      if (previous > 0 && Math.abs(rps - previous) / previous < 0.15) break;
      previous = rps;
    }
    const results = new Map<string, number[]>();
    const add = (name: string, rps: number) => results.set(name, [...(results.get(name) ?? []), rps]);
    // Never watched first (the sampler has not started), then alternate.
    add('never watched', (await throughput(target, chatBody, connections, seconds)).requestsPerSecond);
    const keepUp: string[] = [];
    // ABBA order (connected, left, left, connected, ...) so a drift in the machine's speed hits both alike.
    const order = ['connected', 'left', 'left', 'connected', 'connected', 'left', 'left', 'connected'];
    for (const kind of order) {
      if (kind === 'left') {
        // The same pauses as a connected round, so only the dashboard differs.
        await new Promise((r) => setTimeout(r, 1_200));
        add('dashboard left', (await throughput(target, chatBody, connections, seconds)).requestsPerSecond);
        await new Promise((r) => setTimeout(r, 1_500));
        continue;
      }
      const dashboard = await connectDashboard(origin);
      await new Promise((r) => setTimeout(r, 1_200));
      const before = dashboard.latestCount();
      const result = await throughput(target, chatBody, connections, seconds);
      add('dashboard connected', result.requestsPerSecond);
      await new Promise((r) => setTimeout(r, 1_500));
      keepUp.push(`live view counted ${dashboard.latestCount() - before} requests, load generator ${result.total} completed (${result.requestsPerSecond.toFixed(0)} req/s)`);
      dashboard.close();
    }
    const mean = (name: string) => results.get(name)!.reduce((a, b) => a + b, 0) / results.get(name)!.length;
    const base = mean('never watched');
    console.log(`\nThroughput, ${connections} connections, ${seconds} s per round (non-streaming chat):`);
    console.log(formatRow(['gateway', 'req/s', 'vs never watched'], [22, 10, 18]));
    for (const name of results.keys()) console.log(formatRow([name, mean(name).toFixed(0), `${((mean(name) / base) * 100).toFixed(1)}%`], [22, 10, 18]));
    console.log(`dashboard connected / not connected (after it left): ${((mean('dashboard connected') / mean('dashboard left')) * 100).toFixed(1)}%  (target ≥ 98%)`);
    console.log(`rounds: connected ${results.get('dashboard connected')!.map((r) => r.toFixed(0)).join(', ')}; left ${results.get('dashboard left')!.map((r) => r.toFixed(0)).join(', ')}`);
    for (const line of keepUp) console.log(line);
  } finally {
    await Promise.all([gateway.stop(), upstream.stop()]);
  }
}
