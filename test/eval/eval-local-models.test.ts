import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { EvalModelInfo, EvalResults } from '../../src/eval/eval-results.ts';
import { runCli } from '../helpers/run-cli.ts';
import { repoRoot } from '../helpers/paths.ts';
import { sharedModel } from '../backends/llamacpp/test-models.ts';
import { writeSuite } from './helpers/eval-fixtures.ts';

/**
 * The checkable "specialist beats generic" result, on the real tiny GGUF models:
 * stories260K (trained on children's stories) against a random-weight Llama of about twice its size.
 */
const storiesSuite = path.join(repoRoot, 'test/fixtures/eval/stories-perplexity.jsonl');

function portfolioYaml(): string {
  return `models:
  - id: stories
    backend: llamacpp
    path: ${sharedModel('stories260K.gguf')}
    threads: 1
    contextSize: 256
    selfHosted: { hostingPerMonth: 730 }   # 1 USD per hour of compute
  - id: random
    backend: llamacpp
    path: ${sharedModel('llama-2-tiny-random.gguf')}
    threads: 1
    contextSize: 256
`;
}

describe('eval run on the tiny local models', { timeout: 180_000 }, () => {
  it('measures that stories260K beats the random model on story perplexity by a wide margin', async () => {
    const { dir } = writeSuite([]);
    writeFileSync(path.join(dir, 'portfolio.yaml'), portfolioYaml());
    const result = await runCli(['eval', 'run', '--suite', storiesSuite, '--models', 'stories,random', '--config', 'portfolio.yaml', '--out', 'out', '--concurrency', '2'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const results = JSON.parse(readFileSync(path.join(dir, 'out', 'results.json'), 'utf8')) as EvalResults;
    const [stories, random] = results.models;
    assert.equal(results.suite.higherIsBetter, false);
    assert.equal(results.comparison.best, 'stories');
    // A random model is about as surprised as a uniform guess over its 32,000-token vocabulary.
    assert.ok(random!.estimate > 10_000, `random perplexity ${random!.estimate}`);
    assert.ok(stories!.estimate * 100 < random!.estimate, `stories ${stories!.estimate} vs random ${random!.estimate}`);
    assert.ok(stories!.high < random!.low, 'the confidence intervals do not overlap');
    // The specialist is a specialist: children's stories are far less surprising to it than finance.
    const byDomain = Object.fromEntries(stories!.domains.map((d) => [d.domain, d.estimate]));
    assert.ok(byDomain.stories! * 3 < byDomain.finance!, JSON.stringify(byDomain));
    assert.equal(results.pairwise[0]!.bootstrap.pValue, 0);
    assert.ok(results.pairwise[0]!.bootstrap.high < 0);
    // Size and parameters come from the GGUF header and the file itself.
    const info = stories!.model as EvalModelInfo;
    assert.equal(info.sizeBytes, statSync(sharedModel('stories260K.gguf')).size);
    assert.ok(info.parameters! > 200_000 && info.parameters! < 400_000, String(info.parameters));
    assert.equal(info.quantization, 'F32');
    assert.equal((random!.model as EvalModelInfo).quantization, 'F16');
    // Self-hosted cost: the measured compute time at 1 USD per hour; unknown without a cost config.
    assert.ok(stories!.costPer1kItems! > 0 && stories!.costPer1kItems! < 1, String(stories!.costPer1kItems));
    assert.equal(random!.costPer1kItems, null);
    assert.equal(results.baseline, null);
    assert.match(result.stdout, /^stories\s+\d+\.\d+ \[/m);
  });

  it('generates answers through the gateway with the local models, at temperature 0, reproducibly', async () => {
    const { dir, file } = writeSuite([
      // Does the model write plain English? The story model does; random weights give a soup of scripts.
      { suite: { name: 'story-writing', metrics: [{ metric: 'regex', label: 'plain-english', pattern: "^[A-Za-z0-9 ,.'!?\"\\n-]+$" }, 'token-f1'] } },
      { input: 'Once upon a time', reference: 'there was a little girl. She was very happy and she played with her friends in the park.' },
      { input: 'One day, a little boy', reference: 'he went to the park with his mom and saw a big dog. He was happy.' },
    ]);
    writeFileSync(path.join(dir, 'portfolio.yaml'), portfolioYaml());
    const args = ['eval', 'run', '--suite', file, '--models', 'stories,random', '--config', 'portfolio.yaml', '--max-tokens', '24'];
    const first = await runCli([...args, '--out', 'a'], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli([...args, '--out', 'b'], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    const answers = (out: string) => readFileSync(path.join(dir, out, 'outcomes.jsonl'), 'utf8').split('\n').slice(1).filter(Boolean).map((line) => (JSON.parse(line) as { model: string; answer: string }));
    assert.deepEqual(answers('b').map((a) => a.answer), answers('a').map((a) => a.answer), 'temperature 0 gives the same answers twice');
    const results = JSON.parse(readFileSync(path.join(dir, 'a', 'results.json'), 'utf8')) as EvalResults;
    const [stories, random] = results.models;
    assert.deepEqual([stories!.estimate, random!.estimate], [1, 0]);
    assert.equal(results.suite.primary, 'plain-english');
    assert.ok(stories!.tokensPerSecond! > 0);
    assert.ok(answers('a').every((a) => a.answer.length > 0));
  });
});
