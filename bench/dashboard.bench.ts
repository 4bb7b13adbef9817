/**
 * What a connected dashboard costs the gateway (ledger on), at the load: a fixed 1,000 requests/s of
 * proxied chat, with a dashboard connected (live SSE stream plus the polls the Overview makes)
 * and without one, in alternating rounds of the same gateway process. The figure is the gateway
 * process's CPU time per second of traffic (utime+stime from /proc): at a fixed rate a slower
 * gateway shows as more CPU per request, and that reading is far steadier on a shared machine
 * than a maximum-throughput race (seen ±30% between identical rounds). Latency percentiles of the
 * same rounds and whether the live view's counts keep up are printed beside it.
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { startGateway, startUpstream } from './proxy.bench.ts';
import { formatRow } from './support/measure.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const rate = 1_000;
const pairs = Number(process.env.BENCH_PAIRS ?? 8);
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

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of /proc/PID/stat (11 and 12 after the command name), in clock ticks.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Round {
  cpuMsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  failures: number;
}

async function fixedRateRound(origin: string, pid: number): Promise<Round> {
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const result = await autocannon({ url: `${origin}/v1/chat/completions`, method: 'POST', connections: 20, overallRate: rate, duration: seconds, headers: { 'content-type': 'application/json' }, body: chatBody });
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(pid) - cpuBefore;
  return { cpuMsPerSecond: (cpu * 1000) / elapsed, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total, failures: result.errors + result.timeouts + result.non2xx };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The gateway's CPU per second over `ms` with no traffic at all (what a dashboard costs by itself). */
async function idleCpu(pid: number, ms: number): Promise<number> {
  const before = cpuSeconds(pid);
  const started = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return ((cpuSeconds(pid) - before) * 1000) / ((performance.now() - started) / 1000);
}

export async function run(): Promise<void> {
  const upstream = await startUpstream();
  process.env.UNBUNDLE_ADMIN_KEY = adminKey;
  // With the ledger on, as a dashboard that shows costs needs it (the Overview's spend comes from it).
  const gateway = await startGateway(Number(upstream.ready), '', { ledger: true });
  const origin = `http://127.0.0.1:${gateway.ready}`;
  const pid = gateway.process.pid!;
  try {
    // Warm up (JIT, connection pools) until the gateway's CPU per second settles; then rounds
    // before any dashboard ever connected (its sampler starts with the first viewer and keeps
    // ticking after the last one left).
    for (let i = 0; i < 3; i++) await fixedRateRound(origin, pid);
    const never = [await fixedRateRound(origin, pid), await fixedRateRound(origin, pid)];
    const idleNever = await idleCpu(pid, 10_000);

    const results: Record<'connected' | 'not connected', Round[]> = { connected: [], 'not connected': [] };
    const table: Record<string, Round[]> = { 'never watched': never, ...results };
    const pairRatios: number[] = [];
    const keepUp: string[] = [];
    const connectedRound = async (): Promise<Round> => {
      const dashboard = await connectDashboard(origin);
      await new Promise((r) => setTimeout(r, 1_200));
      const before = dashboard.latestCount();
      const round = await fixedRateRound(origin, pid);
      await new Promise((r) => setTimeout(r, 1_500));
      keepUp.push(`live view counted ${dashboard.latestCount() - before} requests, load generator completed ${round.total}`);
      dashboard.close();
      return round;
    };
    const unwatchedRound = async (): Promise<Round> => {
      // The same pauses as a connected round, so only the dashboard differs.
      await new Promise((r) => setTimeout(r, 1_200));
      const round = await fixedRateRound(origin, pid);
      await new Promise((r) => setTimeout(r, 1_500));
      return round;
    };
    // Pairs of adjacent rounds, alternating which goes first: the machine's drift over a whole run
    // (seen ±15%) mostly cancels within a pair, so the figure is the median of the pairs' ratios.
    for (let i = 0; i < pairs; i++) {
      let on: Round;
      let off: Round;
      if (i % 2 === 0) {
        on = await connectedRound();
        off = await unwatchedRound();
      } else {
        off = await unwatchedRound();
        on = await connectedRound();
      }
      results.connected.push(on);
      results['not connected'].push(off);
      pairRatios.push(on.cpuMsPerSecond / off.cpuMsPerSecond);
    }
    // The dashboard's own cost without traffic: a viewer connected vs none, same process.
    const watcher = await connectDashboard(origin);
    await new Promise((r) => setTimeout(r, 1_000));
    const idleOn = await idleCpu(pid, 10_000);
    watcher.close();
    await new Promise((r) => setTimeout(r, 1_000));
    const idleOff = await idleCpu(pid, 10_000);

    console.log(`\nGateway at a fixed ${rate} req/s of proxied chat, ${seconds} s rounds, ${pairs} pairs (medians):`);
    const widths = [16, 20, 12, 12, 10];
    console.log(formatRow(['dashboard', 'CPU ms per second', 'p50 ms', 'p99 ms', 'failures'], widths));
    for (const [name, list] of Object.entries(table)) {
      console.log(formatRow([name, median(list.map((r) => r.cpuMsPerSecond)).toFixed(1), median(list.map((r) => r.p50)).toFixed(2), median(list.map((r) => r.p99)).toFixed(2), list.reduce((a, r) => a + r.failures, 0)], widths));
    }
    const sorted = [...pairRatios].sort((a, b) => a - b);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(`gateway CPU, dashboard connected / not (median of ${pairs} adjacent pairs): ${pct(median(pairRatios))}  (pairs from ${pct(sorted[0]!)} to ${pct(sorted.at(-1)!)}; target ≤ 102%)`);
    const busy = median(results['not connected'].map((r) => r.cpuMsPerSecond));
    console.log(`without traffic: gateway CPU ${idleOn.toFixed(1)} ms/s with a viewer, ${idleOff.toFixed(1)} ms/s after it left, ${idleNever.toFixed(1)} ms/s before any viewer; the viewer's own cost is ${pct((idleOn - idleOff) / busy)} of the gateway's CPU at ${rate} req/s (sampler left ticking: ${pct((idleOff - idleNever) / busy)})`);
    for (const line of keepUp) console.log(line);
  } finally {
    await Promise.all([gateway.stop(), upstream.stop()]);
  }
}
