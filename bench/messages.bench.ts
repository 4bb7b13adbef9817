/**
 * The Anthropic surface's cost: the same gateway and zero-delay fake OpenAI upstream answering
 * POST /v1/messages and POST /v1/chat/completions, side by side in one run. Only the ratios and
 * the differences mean anything (load generator, gateway and upstream share this machine's cores).
 */
import { startGateway, startUpstream } from './proxy.bench.ts';
import { formatRow, percentile, sequentialLatency, throughput, type Target } from './support/measure.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const count = Number(process.env.BENCH_SEQUENTIAL ?? 1000);
const connections = 50;
const content = [{ role: 'user', content: 'Say hello.' }];
const bodies = {
  chat: JSON.stringify({ model: 'bench', messages: content, max_tokens: 16 }),
  chatStream: JSON.stringify({ model: 'bench', messages: content, max_tokens: 16, stream: true }),
  messages: JSON.stringify({ model: 'bench', messages: content, max_tokens: 16 }),
  messagesStream: JSON.stringify({ model: 'bench', messages: content, max_tokens: 16, stream: true }),
};

export async function run(): Promise<void> {
  const upstream = await startUpstream();
  const gateway = await startGateway(Number(upstream.ready));
  const origin = `http://127.0.0.1:${gateway.ready}`;
  const chat: Target = { name: 'chat', origin, path: '/v1/chat/completions', headers: {} };
  const messages: Target = { name: 'messages', origin, path: '/v1/messages', headers: { 'x-api-key': 'unused', 'anthropic-version': '2023-06-01' } };
  try {
    for (const [target, body] of [[chat, bodies.chat], [messages, bodies.messages]] as const) {
      await throughput(target, body, 10, 1);
      await sequentialLatency(target, body, 3);
    }
    const rps = { chat: [] as number[], messages: [] as number[] };
    let failures = 0;
    for (let round = 0; round < 2; round++) {
      for (const [target, body] of [[chat, bodies.chat], [messages, bodies.messages]] as const) {
        const result = await throughput(target, body, connections, seconds / 2);
        rps[target.name as 'chat' | 'messages'].push(result.requestsPerSecond);
        failures += result.errors + result.non2xx;
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`\nThroughput, ${connections} connections, ${seconds} s per surface (non-streaming), ${failures} failures:`);
    console.log(`/v1/messages / /v1/chat/completions: ${((mean(rps.messages) / mean(rps.chat)) * 100).toFixed(1)}%`);

    const rows: Array<[string, Target, string, Target, string, 'total' | 'firstByte']> = [
      ['non-stream total', chat, bodies.chat, messages, bodies.messages, 'total'],
      ['stream total', chat, bodies.chatStream, messages, bodies.messagesStream, 'total'],
      ['stream first byte', chat, bodies.chatStream, messages, bodies.messagesStream, 'firstByte'],
    ];
    const widths = [20, 18, 18, 14];
    console.log(`\nSequential, one connection, ${count} requests each: /v1/messages minus /v1/chat/completions (ms)`);
    console.log(formatRow(['', 'chat p50', 'messages p50', 'added p50'], widths));
    for (const [label, a, bodyA, b, bodyB, field] of rows) {
      // Two halves in alternating order, so drift in the machine's load hits both surfaces alike.
      const x: number[] = [];
      const y: number[] = [];
      x.push(...(await sequentialLatency(a, bodyA, count / 2))[field]);
      y.push(...(await sequentialLatency(b, bodyB, count / 2))[field]);
      y.push(...(await sequentialLatency(b, bodyB, count / 2))[field]);
      x.push(...(await sequentialLatency(a, bodyA, count / 2))[field]);
      x.sort((m, n) => m - n);
      y.sort((m, n) => m - n);
      console.log(formatRow([label, percentile(x, 50).toFixed(3), percentile(y, 50).toFixed(3), (percentile(y, 50) - percentile(x, 50)).toFixed(3)], widths));
    }
  } finally {
    await Promise.all([gateway.stop(), upstream.stop()]);
  }
}
