import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EvalResults } from '../../src/eval/eval-results.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { capitalsPortfolioYaml, capitalsSuite, writeSuite } from './helpers/eval-fixtures.ts';

describe('unbundle eval run / eval list (CLI)', { timeout: 60_000 }, () => {
  let upstream: FakeOpenAIUpstream;
  let dir: string;
  before(async () => {
    upstream = await startFakeOpenAIUpstream();
    dir = writeSuite(capitalsSuite).dir;
    writeFileSync(path.join(dir, 'portfolio.yaml'), capitalsPortfolioYaml(upstream.url));
  });
  after(async () => {
    await upstream.close();
  });
  const cli = (...args: string[]) => runCli(['eval', 'run', ...args], { cwd: dir, env: { ...process.env, UNBUNDLE_CONFIG: '' } });

  it('runs a suite, prints the table, writes results.json and report.html, shows progress on stderr', async () => {
    const result = await cli('--suite', 'suite.jsonl', '--models', 'small,large', '--config', 'portfolio.yaml', '--out', 'out', '--limit', '4', '--concurrency', '2');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Suite capitals: 4 items, primary metric exact-match \(higher is better\), costs in USD/);
    assert.match(result.stdout, /^small\s+0\.500/m);
    // Not a terminal: plain progress lines with an ETA, the last one at 100%.
    assert.match(result.stderr, /capitals 8\/8 100% elapsed \d+:\d\d ETA 0:00\n/);
    assert.doesNotMatch(result.stderr, /\r/);
    const results = JSON.parse(readFileSync(path.join(dir, 'out', 'results.json'), 'utf8')) as EvalResults;
    assert.equal(results.suite.items, 4);
    assert.deepEqual(results.models.map((m) => m.model.id), ['small', 'large']);
    assert.ok(existsSync(path.join(dir, 'out', 'report.html')));

    const again = await cli('--suite', 'suite.jsonl', '--models', 'small,large', '--config', 'portfolio.yaml', '--out', 'out', '--limit', '4');
    assert.equal(again.code, 0);
    assert.match(again.stderr, /resumed run eval-\S+: 8 answers reused, 0 new/);
  });

  it('reports invalid items by line number, and skips them only with --skip-invalid', async () => {
    const { file } = writeSuite([...capitalsSuite.slice(0, 3), { id: 'bad', input: '' }, '{not json', { input: 'Capital of Italy?', reference: 'Rome' }], dir);
    const refused = await cli('--suite', file, '--models', 'small', '--config', 'portfolio.yaml', '--out', 'out-invalid');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /suite\.jsonl:4: input: must not be empty/);
    assert.match(refused.stderr, /suite\.jsonl:5: \(line\): not valid JSON/);
    assert.match(refused.stderr, /--skip-invalid/);
    assert.equal(existsSync(path.join(dir, 'out-invalid', 'results.json')), false);

    const skipped = await cli('--suite', file, '--models', 'small', '--config', 'portfolio.yaml', '--out', 'out-invalid', '--skip-invalid');
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stderr, /skipped 2 invalid item problem\(s\)/);
    const results = JSON.parse(readFileSync(path.join(dir, 'out-invalid', 'results.json'), 'utf8')) as EvalResults;
    assert.equal(results.suite.items, 3);
    assert.deepEqual(results.suite.skipped.map((issue) => issue.line), [4, 5]);
    assert.match(readFileSync(path.join(dir, 'out-invalid', 'report.html'), 'utf8'), /line 4: input: must not be empty/);
    writeSuite(capitalsSuite, dir);
  });

  it('exits 2 for bad arguments, 3 for a bad config, with messages that say what to fix', async () => {
    const noSuite = await cli('--models', 'small');
    assert.equal(noSuite.code, 2);
    assert.match(noSuite.stderr, /--suite is required/);
    const noModels = await cli('--suite', 'suite.jsonl');
    assert.equal(noModels.code, 2);
    assert.match(noModels.stderr, /--models is required/);
    const unknown = await cli('--suite', 'suite.jsonl', '--models', 'small,huge', '--config', 'portfolio.yaml');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /"huge" is not in the portfolio; its models are small, large/);
    const badNumber = await cli('--suite', 'suite.jsonl', '--models', 'small', '--concurrency', 'lots');
    assert.equal(badNumber.code, 2);
    assert.match(badNumber.stderr, /--concurrency must be a whole number from 1 to 256, got "lots"/);
    const badFlag = await cli('--suite', 'suite.jsonl', '--models', 'small', '--temperature', '1');
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /Unknown option '--temperature'/);
    const badLoader = await cli('--suite', 'squad:x.json', '--models', 'small', '--config', 'portfolio.yaml');
    assert.equal(badLoader.code, 2);
    assert.match(badLoader.stderr, /unknown loader "squad"; known: mmlu, gsm8k, humaneval, mbpp, banking77/);
    const noConfig = await cli('--suite', 'suite.jsonl', '--models', 'small', '--config', 'missing.yaml');
    assert.equal(noConfig.code, 3);
    assert.match(noConfig.stderr, /missing\.yaml:\n.*file not found/);
    const noSuiteFile = await cli('--suite', 'nope.jsonl', '--models', 'small', '--config', 'portfolio.yaml');
    assert.equal(noSuiteFile.code, 1);
    assert.match(noSuiteFile.stderr, /cannot read the suite file .*nope\.jsonl: file not found/);
  });

  it('refuses perplexity on a remote model (1) and a model file that cannot be loaded (4)', async () => {
    const ppl = path.join(dir, 'ppl.jsonl');
    writeFileSync(ppl, `${JSON.stringify({ suite: { name: 'ppl', metrics: ['perplexity'] } })}\n${JSON.stringify({ input: '-', reference: 'Once upon a time.' })}\n`);
    const remote = await cli('--suite', 'ppl.jsonl', '--models', 'small', '--config', 'portfolio.yaml', '--out', 'out-ppl');
    assert.equal(remote.code, 1);
    assert.match(remote.stderr, /the perplexity metric needs a local GGUF model, and small is not one/);
    writeFileSync(path.join(dir, 'broken.gguf'), 'not a model');
    writeFileSync(path.join(dir, 'broken.yaml'), 'models:\n  - id: broken\n    backend: llamacpp\n    path: broken.gguf\n    threads: 1\n');
    const broken = await cli('--suite', 'ppl.jsonl', '--models', 'broken', '--config', 'broken.yaml', '--out', 'out-broken');
    assert.equal(broken.code, 4, broken.stderr);
    assert.match(broken.stderr, /cannot load .*broken\.gguf for perplexity/);
  });

  it('runs a public data set through its loader (LOADER:PATH)', async () => {
    const gsm = path.join(dir, 'gsm.jsonl');
    writeFileSync(gsm, `${JSON.stringify({ question: 'What is 2+2?', answer: 'Add them.\n#### 4' })}\n${JSON.stringify({ question: 'What is 1+1?', answer: '#### 2' })}\n`);
    const result = await cli('--suite', 'gsm8k:gsm.jsonl', '--models', 'large', '--config', 'portfolio.yaml', '--out', 'out-gsm');
    assert.equal(result.code, 0, result.stderr);
    const results = JSON.parse(readFileSync(path.join(dir, 'out-gsm', 'results.json'), 'utf8')) as EvalResults;
    assert.equal(results.suite.primary, 'numeric');
    assert.equal(results.models[0]!.estimate, 0.5);
  });

  it('lists the loaders and metrics', async () => {
    const result = await runCli(['eval', 'list']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^gsm8k\s+numeric\s+GSM8K JSONL/m);
    assert.match(result.stdout, /^perplexity\s+lower\s+/m);
  });
});
