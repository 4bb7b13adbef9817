/**
 * What the translating adapters (Anthropic, Gemini) cost next to the OpenAI-compatible backend:
 * CPU time per request in this process, 50 in flight, each against its own zero-delay fake
 * upstream in a child process. The fakes answer the same five-word text, so the difference is our
 * translation and stream parsing. CPU rather than wall time because the machine is shared; rounds
 * alternate the variants so drift hits each alike.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/backends/backend.ts';
import { createBackend } from '../src/backends/create-backend.ts';
import type { ChatMessage } from '../src/backends/types.ts';
import { portfolioFromObject } from '../src/portfolio/load-portfolio.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const inFlight = 50;
const messages: ChatMessage[] = [{ role: 'user', content: 'Say hello in five words.' }];

async function startFake(file: string, starter: string): Promise<{ url: string; stop: () => void }> {
  const href = new URL(`../test/fakes/${file}`, import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(href)}); const f = await m.${starter}({ record: false }); console.log(f.url);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (data: Buffer) => resolve(data.toString().trim()));
    child.once('exit', (status) => reject(new Error(`fake upstream exited with ${status}`)));
  });
  return { url, stop: () => child.kill() };
}

async function cpuPerCall(call: () => Promise<unknown>, total: number): Promise<number> {
  let left = total;
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (left-- > 0) await call();
  }));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / total;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function run(): Promise<void> {
  const fakes = {
    openai: await startFake('fake-openai-upstream.ts', 'startFakeOpenAIUpstream'),
    anthropic: await startFake('fake-anthropic-upstream.ts', 'startFakeAnthropicUpstream'),
    gemini: await startFake('fake-gemini-upstream.ts', 'startFakeGeminiUpstream'),
  };
  const portfolio = portfolioFromObject({
    models: [
      { id: 'openai', backend: 'openai-compatible', baseURL: fakes.openai.url },
      { id: 'anthropic', backend: 'anthropic', baseURL: fakes.anthropic.url },
      { id: 'gemini', backend: 'gemini', baseURL: fakes.gemini.url },
    ],
  });
  const env = { ANTHROPIC_API_KEY: 'bench', GEMINI_API_KEY: 'bench' };
  const backends: Record<string, Backend> = {};
  for (const model of portfolio.models) backends[model.id] = await createBackend(model, { env, llamaRuntime: () => Promise.reject(new Error('unused')) });
  try {
    const calls: Record<string, () => Promise<unknown>> = {};
    for (const id of Object.keys(backends)) {
      const backend = backends[id]!;
      calls[`${id} generate`] = () => backend.generate({ kind: 'chat', messages, maxTokens: 16 }, new AbortController().signal);
      calls[`${id} stream`] = async () => {
        let n = 0;
        for await (const part of backend.stream({ kind: 'chat', messages, maxTokens: 16 }, new AbortController().signal)) if (part.type === 'text-delta') n++;
        if (n !== 5) throw new Error(`${id}: expected 5 text parts, got ${n}`);
      };
    }
    const names = Object.keys(calls);
    for (const name of names) await cpuPerCall(calls[name]!, 300);
    const samples: Record<string, number[]> = {};
    for (let round = 0; round < 5; round++) for (const name of names) (samples[name] ??= []).push(await cpuPerCall(calls[name]!, 1000));
    const cost = (name: string) => median(samples[name]!);
    console.log('CPU per request in the gateway process, relative to the OpenAI-compatible backend (median of 5 rounds of 1000, 50 in flight):');
    for (const provider of ['anthropic', 'gemini']) {
      for (const mode of ['generate', 'stream']) {
        console.log(`  ${`${provider} ${mode}`.padEnd(18)} / openai ${mode.padEnd(8)}: ${(cost(`${provider} ${mode}`) / cost(`openai ${mode}`)).toFixed(2)}x`);
      }
    }
  } finally {
    for (const backend of Object.values(backends)) await backend.close();
    for (const fake of Object.values(fakes)) fake.stop();
  }
}
