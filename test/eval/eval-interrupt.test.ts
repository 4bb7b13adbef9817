import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EvalResults } from '../../src/eval/eval-results.ts';
import { readOutcomeLog } from '../../src/eval/outcome-log.ts';
import { runCli } from '../helpers/run-cli.ts';
import { repoRoot } from '../helpers/paths.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { writeSuite } from './helpers/eval-fixtures.ts';

const items = 16;
const suite = [
  { suite: { name: 'slow-capitals', metrics: ['exact-match'] } },
  ...Array.from({ length: items }, (_, i) => ({ id: `q${i}`, input: `Question ${i}: capital of France?`, reference: i % 4 === 0 ? 'Lyon' : 'Paris' })),
];

/** Runs the real CLI in a child process and interrupts it once `journalLines` pairs are journalled. */
async function runAndInterrupt(dir: string, signal: NodeJS.Signals, journalLines: number): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/unbundle.js'), 'eval', 'run', '--suite', 'suite.jsonl', '--models', 'slow', '--config', 'portfolio.yaml', '--out', 'out'], {
    cwd: dir,
    env: { ...process.env, UNBUNDLE_CONFIG: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const journal = path.join(dir, 'out', 'outcomes.jsonl');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const lines = existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').filter(Boolean).length - 1 : 0;
    if (lines >= journalLines) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the run did not journal ${journalLines} pairs in time: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill(signal);
  return { code: await exited, stderr };
}

describe('eval run interrupted by a signal, then resumed', { timeout: 120_000 }, () => {
  let upstream: FakeOpenAIUpstream;
  before(async () => {
    upstream = await startFakeOpenAIUpstream();
  });
  after(async () => {
    await upstream.close();
  });

  it('never asks a model again for a pair that was journalled, after Ctrl-C or a kill -9', async () => {
    const { dir } = writeSuite(suite);
    // 120 ms per answer, so the signals land mid-run.
    const behavior = JSON.stringify(JSON.stringify({ kind: 'drip', intervalMs: 120, text: 'Paris' }));
    writeFileSync(path.join(dir, 'portfolio.yaml'), `models:\n  - id: slow\n    backend: openai-compatible\n    baseURL: ${upstream.url}\n    headers:\n      x-fake-behavior: ${behavior}\n`);
    const journal = path.join(dir, 'out', 'outcomes.jsonl');
    const askedFor = () => {
      const counts = new Map<string, number>();
      for (const request of upstream.requests) {
        const content = (request.body as { messages: Array<{ content: string }> }).messages.at(-1)!.content;
        counts.set(content, (counts.get(content) ?? 0) + 1);
      }
      return counts;
    };
    const idToContent = (id: string) => `Question ${id.slice(1)}: capital of France?`;
    const assertNotAskedAgain = (journalled: readonly string[], before: Map<string, number>) => {
      const now = askedFor();
      for (const id of journalled) assert.equal(now.get(idToContent(id)), before.get(idToContent(id)), `${id} was asked again`);
    };

    // Ctrl-C: the CLI stops, writes partial results and says how to resume.
    const interrupted = await runAndInterrupt(dir, 'SIGINT', 3);
    assert.equal(interrupted.code, 1, interrupted.stderr);
    assert.match(interrupted.stderr, /interrupted — .*run the same command again to resume/);
    const partial = JSON.parse(readFileSync(path.join(dir, 'out', 'results.json'), 'utf8')) as EvalResults;
    assert.ok(partial.missing > 0 && partial.missing < items, String(partial.missing));
    const afterSigint = [...readOutcomeLog(journal).outcomes.values()].map((outcome) => outcome.itemId);
    const countsAfterSigint = askedFor();

    // kill -9: nothing gets a chance to clean up; the journal alone carries the run.
    const killed = await runAndInterrupt(dir, 'SIGKILL', afterSigint.length + 3);
    assert.equal(killed.code, null);
    assertNotAskedAgain(afterSigint, countsAfterSigint);
    const afterKill = [...readOutcomeLog(journal).outcomes.values()].map((outcome) => outcome.itemId);
    assert.ok(afterKill.length > afterSigint.length);
    const countsAfterKill = askedFor();

    const finished = await runCli(['eval', 'run', '--suite', 'suite.jsonl', '--models', 'slow', '--config', 'portfolio.yaml', '--out', 'out'], { cwd: dir, env: { ...process.env, UNBUNDLE_CONFIG: '' } });
    assert.equal(finished.code, 0, finished.stderr);
    assert.match(finished.stderr, new RegExp(`resumed run eval-\\S+: ${afterKill.length} answers reused, ${items - afterKill.length} new`));
    assertNotAskedAgain(afterKill, countsAfterKill);
    const results = JSON.parse(readFileSync(path.join(dir, 'out', 'results.json'), 'utf8')) as EvalResults;
    assert.equal(results.missing, 0);
    assert.equal(results.models[0]!.estimate, 0.75);
    // Every item was answered; only the ones in flight at an interruption were asked twice.
    assert.equal(askedFor().size, items);
    assert.ok(upstream.requests.length <= items + 2, `${upstream.requests.length} requests`);
  });
});
