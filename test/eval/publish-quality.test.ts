import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { EvalResults } from '../../src/eval/eval-results.ts';
import { publishQuality } from '../../src/eval/publish-quality.ts';
import { loadPortfolioFile } from '../../src/portfolio/load-portfolio.ts';
import { runCli } from '../helpers/run-cli.ts';
import { capitalsPortfolioYaml } from './helpers/eval-fixtures.ts';

/** The parts of results.json publish reads: two models, per-domain scores. */
function results(overrides: Partial<EvalResults['suite']> = {}, domains = true): EvalResults {
  const summary = (id: string, estimate: number, perDomain: Record<string, number>) => ({
    model: { id, backend: 'openai-compatible' },
    estimate,
    low: 0,
    high: 1,
    domains: domains ? Object.entries(perDomain).map(([domain, value]) => ({ domain, estimate: value, low: 0, high: 1, items: 2 })) : [],
  });
  return {
    format: 'unbundle-eval-results/1',
    suite: { name: 'capitals', primary: 'exact-match', higherIsBetter: true, ...overrides },
    models: [summary('small', 0.5, { geography: 0.75, math: 0 }), summary('large', 1 / 3, { geography: 0, math: 1 }), summary('elsewhere', 0.1, { geography: 0.1 })],
  } as unknown as EvalResults;
}

const config = capitalsPortfolioYaml('http://127.0.0.1:9/v1');

describe('publishQuality', () => {
  it('writes quality tables on the model entries, keeps every comment, and is idempotent', () => {
    const plan = publishQuality(config, 'portfolio.yaml', results());
    assert.deepEqual(plan.notInConfig, ['elsewhere']);
    assert.deepEqual(
      plan.changes.map((c) => [c.model, c.domain, c.before, c.after]),
      [['small', 'geography', undefined, 0.75], ['small', 'math', undefined, 0], ['large', 'geography', undefined, 0], ['large', 'math', undefined, 1]],
    );
    for (const line of config.split('\n').filter((l) => l.includes('#'))) assert.ok(plan.text.includes(line), `comment line lost: ${line}`);
    assert.match(plan.text, /pricing: \{ inputPerMTok: 1, outputPerMTok: 2 \} {3}# USD per million tokens\n {4}quality:\n {6}geography: 0\.75\n {6}math: 0\n/);
    const again = publishQuality(plan.text, 'portfolio.yaml', results());
    assert.equal(again.changes.length, 0);
    assert.equal(again.text, plan.text);
  });

  it('keeps domains measured by other suites and updates changed scores', () => {
    const withLegal = config.replace('  - id: large   # the expensive generalist\n', '  - id: large   # the expensive generalist\n    quality:\n      legal: 0.9   # from the contracts suite\n      math: 0.5\n');
    const plan = publishQuality(withLegal, 'portfolio.yaml', results(), { models: ['large'] });
    assert.deepEqual(plan.changes.map((c) => [c.domain, c.before, c.after]), [['geography', undefined, 0], ['math', 0.5, 1]]);
    assert.match(plan.text, /quality:\n {6}legal: 0\.9 {3}# from the contracts suite\n {6}math: 1\n {6}geography: 0\n/);
  });

  it('edits flow-style entries and files without a final newline', () => {
    const flow = 'models:\n  - { id: small, backend: llamacpp, path: a.gguf, quality: { legal: 0.9 } }   # inline\n  - {id: large, backend: llamacpp, path: b.gguf}\n  - id: other\n    backend: llamacpp\n    path: c.gguf';
    const plan = publishQuality(flow, 'p.yaml', results(), { models: ['small', 'large'] });
    assert.equal(
      plan.text,
      'models:\n  - { id: small, backend: llamacpp, path: a.gguf, quality: { legal: 0.9, geography: 0.75, math: 0 } }   # inline\n  - {id: large, backend: llamacpp, path: b.gguf, quality: { geography: 0, math: 1 }}\n  - id: other\n    backend: llamacpp\n    path: c.gguf',
    );
    const tail = 'models:\n  - id: small\n    backend: llamacpp\n    path: a.gguf';
    assert.equal(publishQuality(tail, 'p.yaml', results(), { models: ['small'] }).text, `${tail}\n    quality:\n      geography: 0.75\n      math: 0\n`);
  });

  it('uses the suite name (or --domain) when items have no domain', () => {
    const plain = results({}, false);
    assert.match(publishQuality(config, 'p.yaml', plain).text, /quality:\n {6}capitals: 0\.5\n/);
    assert.match(publishQuality(config, 'p.yaml', plain, { domain: 'geo' }).text, /quality:\n {6}geo: 0\.3333\n/);
  });

  it('refuses lower-is-better metrics, scores outside 0..1 and unknown models', () => {
    assert.throws(() => publishQuality(config, 'p.yaml', results({ primary: 'perplexity', higherIsBetter: false })), /lower-is-better/);
    const big = results();
    (big.models[0] as { estimate: number }).estimate = 3.2;
    assert.throws(() => publishQuality(config, 'p.yaml', big), /small scored 3\.2 .* outside 0\.\.1/);
    assert.throws(() => publishQuality(config, 'p.yaml', results(), { models: ['nobody'] }), /--models: nobody not in the results/);
    assert.throws(() => publishQuality('server: {}\n', 'p.yaml', results()), /no "models" list/);
    // The router's rule for domain names: lower-case, and "unsure" is the classifier's.
    assert.throws(() => publishQuality(config, 'p.yaml', results({ name: 'MMLU/Law' }, false)), /"MMLU\/Law".*the suite's items have no domain, so its name is used: pass --domain/);
    assert.throws(() => publishQuality(config, 'p.yaml', results({}, false), { domain: 'unsure' }), /"unsure".*pass a --domain/);
    const oddDomain = results();
    (oddDomain.models[0]!.domains[0] as { domain: string }).domain = 'Geo Graphy';
    assert.throws(() => publishQuality(config, 'p.yaml', oddDomain), /"Geo Graphy".*rename the items' domain/);
  });
});

describe('unbundle eval publish (CLI)', () => {
  it('writes the config that the portfolio loader then accepts, and --dry-run only shows the diff', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-publish-'));
    const configFile = path.join(dir, 'portfolio.yaml');
    const resultsFile = path.join(dir, 'results.json');
    writeFileSync(configFile, config);
    writeFileSync(resultsFile, JSON.stringify(results()));

    const dry = await runCli(['eval', 'publish', '--results', resultsFile, '--config', configFile, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /small\.quality\.geography: \(none\) → 0\.75/);
    assert.match(dry.stdout, /^\+ {4}quality:$/m);
    assert.match(dry.stdout, /^\+ {6}geography: 0\.75$/m);
    assert.match(dry.stdout, /dry run: nothing written/);
    assert.match(dry.stderr, /elsewhere has no entry/);
    assert.equal(readFileSync(configFile, 'utf8'), config);

    const real = await runCli(['eval', 'publish', '--results', resultsFile, '--config', configFile]);
    assert.equal(real.code, 0, real.stderr);
    const { portfolio } = loadPortfolioFile(configFile);
    assert.deepEqual(portfolio.models.map((m) => [m.id, m.quality]), [['small', { geography: 0.75, math: 0 }], ['large', { geography: 0, math: 1 }]]);

    const again = await runCli(['eval', 'publish', '--results', resultsFile, '--config', configFile]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /quality already up to date/);

    const missing = await runCli(['eval', 'publish', '--config', configFile]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--results is required/);
    const badResults = await runCli(['eval', 'publish', '--results', path.join(dir, 'nope.json'), '--config', configFile]);
    assert.equal(badResults.code, 1);
    assert.match(badResults.stderr, /cannot read the results file .*nope\.json: file not found/);
  });
});
