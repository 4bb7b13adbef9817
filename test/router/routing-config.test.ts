import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/portfolio/config-error.ts';
import { loadPortfolioFile, portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import type { PortfolioInput } from '../../src/portfolio/schema.ts';

const upstream = { backend: 'openai-compatible' as const, baseURL: 'http://127.0.0.1:9/v1' };
const models: NonNullable<PortfolioInput['models']> = [
  { id: 'small', ...upstream, domains: ['code'] },
  { id: 'big', ...upstream, quality: { code: 0.9 } },
];

function problemsOf(config: PortfolioInput): string[] {
  try {
    portfolioFromObject(config);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

test('unknown model ids in virtual models, rules and the default name their path and the fix', () => {
  const problems = problemsOf({
    models,
    router: {
      default: 'huge',
      virtualModels: {
        'auto-cheap': { strategy: 'cheapest', minQuality: 0.8, models: ['small', 'smal'] },
        'auto-cascade': { strategy: 'cascade', models: ['small', 'gpt-9'], checks: [{ kind: 'regex', pattern: '(' }] },
      },
      rules: [{ when: { tenant: 'acme' }, pin: 'nobody' }, { name: 'x', exclude: ['ghost'] }],
    },
  });
  const text = problems.join('\n');
  assert.match(text, /router\.default: unknown model "huge" — use the id of a model under models \(known: small, big\)/);
  assert.match(text, /router\.virtualModels\.auto-cheap\.models\[1\]: unknown model "smal"/);
  assert.match(text, /router\.virtualModels\.auto-cascade\.models\[1\]: unknown model "gpt-9"/);
  assert.match(text, /router\.virtualModels\.auto-cascade\.checks\[0\]\.pattern: not a valid regular expression .* — fix the pattern/);
  assert.match(text, /router\.rules\[0\]\.pin: unknown model "nobody"/);
  assert.match(text, /router\.rules\[1\]\.exclude\[0\]: unknown model "ghost"/);
  assert.equal(problems.length, 6, text);
});

test('rules: a bad regex, no action, contradictory bounds, pin with prefer, non-x-unbundle headers', () => {
  const text = problemsOf({
    models,
    router: {
      rules: [
        { when: { pattern: '[a-' }, domain: 'code' },
        { when: { tools: true } },
        { when: { minTokens: 500, maxTokens: 10 }, pin: 'big' },
        { pin: 'big', prefer: ['small'] },
        { when: { flags: 'i' }, pin: 'big' },
      ],
    },
  }).join('\n');
  assert.match(text, /router\.rules\[0\]\.when\.pattern: not a valid regular expression/);
  assert.match(text, /router\.rules\[1\]: a rule needs an action — add pin, exclude, prefer or domain/);
  assert.match(text, /router\.rules\[2\]\.when\.minTokens: minTokens \(500\) is above maxTokens \(10\)/);
  assert.match(text, /router\.rules\[3\]\.pin: pin chooses the model outright/);
  assert.match(text, /router\.rules\[4\]\.when\.flags: flags without a pattern/);
  const headers = problemsOf({ models, router: { rules: [{ when: { headers: { authorization: 'x' } }, pin: 'big' }] } }).join('\n');
  assert.match(headers, /router\.rules\[0\]\.when\.headers\.authorization: bad key — rules may only match lower-case x-unbundle-\* headers/);
});

test('virtual models and model routing keys: shape errors name the path', () => {
  const text = problemsOf({
    models: [...models, { id: 'odd', ...upstream, quality: { code: 1.5, unsure: 0.2 }, domains: ['Code'] }],
    router: {
      unsureThreshold: 2,
      virtualModels: {
        'auto-y': { strategy: 'fastest' } as never,
        'auto-z': { strategy: 'cascade', models: ['small'], checks: [] },
      },
    },
  }).join('\n');
  assert.match(text, /router\.virtualModels\.auto-y\.strategy: the text "fastest" is not a known strategy — use one of: cheapest, best, threshold, cascade/);
  assert.match(text, /router\.virtualModels\.auto-z\.models: must be a list of at least 2 items/);
  assert.match(text, /router\.virtualModels\.auto-z\.checks: must be a list of at least 1 items/);
  assert.match(text, /router\.unsureThreshold: must be at most 1, got 2/);
  assert.match(text, /models\[2\]\.quality\.code: must be at most 1, got 1\.5/);
  assert.match(text, /models\[2\]\.quality\.unsure: bad key — "unsure" is reserved for the classifier's low-confidence answer/);
  assert.match(text, /models\[2\]\.domains\[0\]: must be a lower-case domain name such as support or code \(got the text "Code"\)/);
});

test('virtual models: no shadowing a model id, weak and strong differ', () => {
  const text = problemsOf({
    models: [...models, { id: 'auto-x', ...upstream }],
    router: {
      virtualModels: {
        'auto-x': { strategy: 'best' },
        'auto-t': { strategy: 'threshold', strong: 'big', weak: 'big', file: 'missing.json' },
      },
    },
  }).join('\n');
  assert.match(text, /router\.virtualModels\.auto-x: "auto-x" is also a model id — give the virtual model another name/);
  assert.match(text, /router\.virtualModels\.auto-t\.weak: weak and strong are the same model/);
});

test('router files are resolved from the config file folder and must exist; misspelt keys get a hint', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-routing-config-'));
  const file = path.join(dir, 'portfolio.yaml');
  writeFileSync(file, [
    'models:',
    '  - { id: small, backend: openai-compatible, baseURL: "http://127.0.0.1:9/v1", domains: [code] }',
    'router:',
    '  classifier: routers/router.json',
    '  virtualModels:',
    '    auto-t: { strategy: threshold, strong: small, weak: small2, file: t.json }',
  ].join('\n'));
  assert.throws(() => loadPortfolioFile(file), (error: ConfigError) => {
    const text = error.problems.join('\n');
    return /router\.virtualModels\.auto-t\.weak: unknown model "small2"/.test(text);
  });
  writeFileSync(file, [
    'models:',
    '  - { id: small, backend: openai-compatible, baseURL: "http://127.0.0.1:9/v1", domains: [code] }',
    'router:',
    '  classifier: routers/router.json',
  ].join('\n'));
  assert.throws(() => loadPortfolioFile(file), (error: ConfigError) => {
    const text = error.problems.join('\n');
    return text.includes(`router.classifier: file not found: ${path.join(dir, 'routers/router.json')} — check the path (relative paths are resolved from the config file's folder)`);
  });
  const typo = problemsOf({ models, router: { virtualModel: {} } as never }).join('\n');
  assert.match(typo, /router\.virtualModel: unknown key "virtualModel" — did you mean "virtualModels"\?/);
});
