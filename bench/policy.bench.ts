/**
 * The data policy on the request path, measured side by side in one run:
 *
 * 1. In-process, per 4 KB chat request: the scan alone (what `bench scan` measures) against the
 *    whole wired path — collect the request's texts, scan, classify, check the plan, run the
 *    attempt guard (with redaction for an external model) and re-hydrate an answer. Throughput is
 *    MB of request text per CPU-second over the mixed chat corpus.
 * 2. Over HTTP: the gateway without a policy against the same gateway with one (every class
 *    redacted for the external model: the most work), in front of one zero-delay fake upstream,
 *    sequential 4 KB requests, blocks interleaved. The difference is the latency the policy adds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import type { ChatRequest } from '../src/backends/types.ts';
import { createPolicyEngine } from '../src/policy/policy-engine.ts';
import { policySchema, type PolicyInput } from '../src/policy/policy-schema.ts';
import { collectTexts } from '../src/policy/request-texts.ts';
import { corpus, fourKbPrompts } from './scan.bench.ts';
import { startGateway, startUpstream } from './proxy.bench.ts';
import { percentile } from './support/measure.ts';

const redactEverything: PolicyInput = {
  rules: {
    internal: { action: 'redact', zones: ['local'] },
    confidential: { action: 'redact', zones: ['local'] },
    restricted: { action: 'redact', zones: ['local'] },
  },
};

const chat = (text: string): ChatRequest => {
  const cut = text.indexOf('\n\n', text.length / 2);
  const at = cut === -1 ? text.length >> 1 : cut;
  return { kind: 'chat', messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: text.slice(0, at) }, { role: 'user', content: text.slice(at) }] };
};

function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

interface Contender {
  name: string;
  handle(request: ChatRequest): void;
}

function inProcess(): void {
  const engine = createPolicyEngine(policySchema.parse(redactEverything), (id) => (id === 'cloud' ? 'external' : 'local'));
  const plan = { requested: 'cloud', primary: 'cloud', fallbacks: [], reasons: ['explicit model'] };
  const answer = { text: 'Done: <EMAIL_1> and <PHONE_1>.', toolCalls: [], finishReason: 'stop' as const, usage: { inputTokens: 1, outputTokens: 1 } };
  const narrow = createPolicyEngine(policySchema.parse({ ...redactEverything, detectors: { boundaryWindow: 64 } }), (id) => (id === 'cloud' ? 'external' : 'local'));
  const contenders: Contender[] = [
    // Each text alone, as `bench scan` measures it; scanMany also scans each neighbouring pair's joined edges.
    { name: 'scan each text', handle: (request) => { for (const text of collectTexts(request)) engine.scanner.scan(text); } },
    { name: 'scan only', handle: (request) => engine.scanner.scanMany(collectTexts(request)) },
    {
      name: 'wired path',
      handle: (request) => {
        const policy = engine.forGenerate(request, undefined);
        policy.restrictPlan(plan);
        const prepared = policy.generate('cloud', request);
        prepared.restoreResult?.(answer);
      },
    },
    {
      // The same with joins of 64 characters a side instead of 512: a config trade-off, shown for scale.
      name: 'wired, window 64',
      handle: (request) => {
        const policy = narrow.forGenerate(request, undefined);
        policy.restrictPlan(plan);
        policy.generate('cloud', request).restoreResult?.(answer);
      },
    },
  ];
  const messages = corpus();
  const requests = messages.map((m) => chat(m));
  const bytes = messages.reduce((sum, m) => sum + Buffer.byteLength(m), 0);
  for (const c of contenders) for (const r of requests) c.handle(r);
  const speed = new Map<string, number>();
  for (let round = 0; round < 3; round++) {
    for (const c of contenders) {
      const cpu0 = process.cpuUsage();
      for (const r of requests) c.handle(r);
      speed.set(c.name, Math.max(speed.get(c.name) ?? 0, bytes / 1e6 / (cpuMs(cpu0) / 1000)));
    }
  }
  const [each, scan, wired, narrowed] = contenders.map((c) => speed.get(c.name)!);
  console.log(`throughput, MB of request text per CPU-second (${requests.length} chat requests, ${(bytes / 1e6).toFixed(2)} MB): scan each text ${each!.toFixed(1)}, scan with joins ${scan!.toFixed(1)}, wired path ${wired!.toFixed(1)}, wired with 64-char joins ${narrowed!.toFixed(1)}; wired/scan ${(wired! / scan!).toFixed(2)}x, wired/each text ${(wired! / each!).toFixed(2)}x; target >= 20 per core: ${wired! >= 20 ? 'met' : 'NOT met'}`);

  const prompts = fourKbPrompts(messages, 400).map(chat);
  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]));
  for (let repeat = 0; repeat < 5; repeat++) {
    for (const c of contenders) {
      const list = samples.get(c.name)!;
      for (const request of prompts) {
        const t0 = process.hrtime.bigint();
        c.handle(request);
        list.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
    }
  }
  const stats = contenders.map((c) => {
    const list = samples.get(c.name)!.sort((a, b) => a - b);
    return { name: c.name, p50: percentile(list, 50), p99: percentile(list, 99) };
  });
  console.log(`4 KB chat request, in-process wall: ${stats.map((s) => `${s.name} p50 ${s.p50.toFixed(0)} µs, p99 ${s.p99.toFixed(0)} µs`).join('; ')}; wired/scan p50 ${(stats[2]!.p50 / stats[1]!.p50).toFixed(2)}x, p99 ${(stats[2]!.p99 / stats[1]!.p99).toFixed(2)}x`);
}

async function sequential(origin: string, bodies: string[]): Promise<number[]> {
  const pool = new Pool(origin, { connections: 1 });
  const out: number[] = [];
  try {
    for (const body of bodies) {
      const t0 = process.hrtime.bigint();
      const response = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body });
      await response.body.text();
      if (response.statusCode !== 200) throw new Error(`gateway answered ${response.statusCode}`);
      out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    await pool.close();
  }
  return out;
}

async function overHttp(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-policy-bench-'));
  const upstream = await startUpstream();
  const yaml = `policy:\n  rules:\n    internal: { action: redact, zones: [local] }\n    confidential: { action: redact, zones: [local] }\n    restricted: { action: redact, zones: [local] }\n  audit: { file: ${JSON.stringify(path.join(dir, 'audit.jsonl'))} }\n`;
  const plain = await startGateway(Number(upstream.ready));
  const guarded = await startGateway(Number(upstream.ready), yaml);
  try {
    const prompts = fourKbPrompts(corpus(), 200);
    const bodies = prompts.map((p) => JSON.stringify({ model: 'bench', messages: chat(p).messages, max_tokens: 16 }));
    const results = { plain: [] as number[], policy: [] as number[] };
    await sequential(`http://127.0.0.1:${plain.ready}`, bodies.slice(0, 50));
    await sequential(`http://127.0.0.1:${guarded.ready}`, bodies.slice(0, 50));
    for (let block = 0; block < 4; block++) {
      results.plain.push(...(await sequential(`http://127.0.0.1:${plain.ready}`, bodies)));
      results.policy.push(...(await sequential(`http://127.0.0.1:${guarded.ready}`, bodies)));
    }
    const p = (list: number[], q: number) => percentile([...list].sort((a, b) => a - b), q);
    const row = (name: string, list: number[]) => `${name} p50 ${p(list, 50).toFixed(3)} ms, p99 ${p(list, 99).toFixed(3)} ms`;
    console.log(`4 KB chat over HTTP, ${results.plain.length} sequential requests each: ${row('no policy', results.plain)}; ${row('policy (redact all)', results.policy)}`);
    console.log(`added by the policy: p50 ${(p(results.policy, 50) - p(results.plain, 50)).toFixed(3)} ms, p99 ${(p(results.policy, 99) - p(results.plain, 99)).toFixed(3)} ms; ratio p50 ${(p(results.policy, 50) / p(results.plain, 50)).toFixed(2)}x, p99 ${(p(results.policy, 99) / p(results.plain, 99)).toFixed(2)}x`);
  } finally {
    await Promise.all([plain.stop(), guarded.stop(), upstream.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  inProcess();
  await overHttp();
}
