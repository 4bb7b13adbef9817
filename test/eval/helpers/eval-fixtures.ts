import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PortfolioInput } from '../../../src/portfolio/schema.ts';

/**
 * A six-item capitals-and-sums suite and a portfolio of two fake upstream models with fixed
 * answers, so every figure of the expected table can be worked out by hand:
 *  - "small" always answers "Paris": right on the 3 Paris items → 0.5 overall, geography 3/4, math 0/2;
 *  - "large" always answers "4": right on the 2 sums → 1/3 overall, geography 0/4, math 2/2.
 * Usage is fixed at 100 input + 10 output tokens; small costs 1/2 USD per MTok, large 10/30.
 */
export const capitalsSuite = [
  { suite: { name: 'capitals', description: 'capitals and sums', metrics: ['exact-match'] } },
  { id: 'fr', input: 'Capital of France?', reference: 'Paris', domain: 'geography' },
  { id: 'fr2', input: 'Where is the Eiffel tower?', reference: 'Paris', domain: 'geography' },
  { id: 'de', input: 'Capital of Germany?', reference: 'Berlin', domain: 'geography' },
  { id: 'sum', input: '2+2?', reference: '4', domain: 'math' },
  { id: 'fr3', input: 'City of the Louvre?', reference: 'Paris', domain: 'geography' },
  { id: 'sum2', input: '3+1?', reference: '4', domain: 'math' },
];

export function writeSuite(lines: readonly unknown[], dir = mkdtempSync(path.join(tmpdir(), 'unbundle-eval-'))): { dir: string; file: string } {
  const file = path.join(dir, 'suite.jsonl');
  writeFileSync(file, `${lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n')}\n`);
  return { dir, file };
}

const usage = { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 };

export function fakeModel(id: string, baseURL: string, text: string, pricing: { inputPerMTok: number; outputPerMTok: number }, extra: Record<string, unknown> = {}) {
  return {
    id,
    backend: 'openai-compatible' as const,
    baseURL,
    headers: { 'x-fake-behavior': JSON.stringify({ kind: 'ok', text, usage, ...extra }) },
    pricing,
  };
}

export function capitalsPortfolio(baseURL: string): PortfolioInput {
  return {
    server: { port: 0, logLevel: 'silent' },
    ledger: { enabled: false },
    models: [
      fakeModel('small', baseURL, 'Paris', { inputPerMTok: 1, outputPerMTok: 2 }),
      fakeModel('large', baseURL, '4', { inputPerMTok: 10, outputPerMTok: 30 }),
    ],
  };
}

/** The same portfolio as YAML with comments, for the CLI and publish tests. */
export function capitalsPortfolioYaml(baseURL: string): string {
  const headers = (text: string) => JSON.stringify(JSON.stringify({ kind: 'ok', text, usage }));
  return `# Test portfolio: two fake upstream models
server:
  port: 0
  logLevel: silent
ledger:
  enabled: false
models:
  # the cheap specialist
  - id: small
    backend: openai-compatible
    baseURL: ${baseURL}
    headers:
      x-fake-behavior: ${headers('Paris')}
    pricing: { inputPerMTok: 1, outputPerMTok: 2 }   # USD per million tokens
  - id: large   # the expensive generalist
    backend: openai-compatible
    baseURL: ${baseURL}
    headers:
      x-fake-behavior: ${headers('4')}
    pricing: { inputPerMTok: 10, outputPerMTok: 30 }
`;
}
