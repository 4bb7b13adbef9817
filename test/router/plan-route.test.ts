import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnbundleError } from '../../src/errors.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import type { PortfolioInput } from '../../src/portfolio/schema.ts';
import { trainDomainClassifier } from '../../src/router/classifier/train-domain-classifier.ts';
import { decideRoute, planRoute } from '../../src/router/plan-route.ts';
import { featuresOfText, type RequestFeatures } from '../../src/router/request-features.ts';
import { compileRouting, type RoutingTable } from '../../src/router/routing-table.ts';
import { toyExamples } from './toy-domains.ts';

const classifier = trainDomainClassifier(toyExamples(60), { features: { bits: 14 } });
const codePrompt = 'Why my python function throws an exception in the parser?';
const billingPrompt = 'Why my card payment was declined on my account?';

const upstream = { backend: 'openai-compatible' as const, baseURL: 'http://127.0.0.1:9/v1' };
const models: NonNullable<PortfolioInput['models']> = [
  { id: 'big', ...upstream, pricing: 'gpt-4o', quality: { code: 0.95, billing: 0.9, cooking: 0.9 } },
  { id: 'coder', ...upstream, domains: ['code'], quality: { code: 0.85 }, pricePerMTok: 0.2 },
  { id: 'mid', ...upstream, quality: { code: 0.9, billing: 0.7 }, pricePerMTok: 1 },
  { id: 'support', ...upstream, domains: ['billing'], pricePerMTok: 0.1 },
];

function table(router: PortfolioInput['router'] = {}, list = models): RoutingTable {
  const t = compileRouting(portfolioFromObject({ models: list, router }), { classifier });
  assert.ok(t);
  return t;
}

const route = (t: RoutingTable, requested: string, features: RequestFeatures | string, extra: { allowed?: Set<string>; latency?: Map<string, number> } = {}) =>
  planRoute({ requested, table: t, features: typeof features === 'string' ? featuresOfText(features) : features, ...extra });

describe('cost/quality selection', () => {
  const t = table({
    default: 'big',
    virtualModels: {
      'auto-cheap': { strategy: 'cheapest', minQuality: 0.8 },
      'auto-best': { strategy: 'best', maxPricePerMTok: 2 },
      'auto-strict': { strategy: 'cheapest', minQuality: 0.99 },
    },
  });

  it('cheapest meeting the target: the cheapest model whose quality for the domain is high enough', () => {
    const plan = route(t, 'auto-cheap', codePrompt);
    assert.equal(plan.primary, 'coder');
    assert.deepEqual(plan.fallbacks, ['mid', 'big']);
    assert.equal(plan.domain, 'code');
    assert.equal(plan.requested, 'auto-cheap');
    assert.ok(plan.scores && plan.scores.code! > 0.5);
    assert.match(plan.reasons.join('; '), /^domain code \(\d\.\d\d\); cheapest with quality>=0\.80; coder q=0\.85 price=0\.200$/);
    // support declares only billing, so it is no candidate for code.
    assert.ok(!plan.fallbacks.includes('support'));
  });

  it('no model meets the target: the best quality answers, and the reason says so', () => {
    const plan = route(t, 'auto-strict', codePrompt);
    assert.equal(plan.primary, 'big');
    assert.deepEqual(plan.fallbacks, ['mid', 'coder']);
    assert.match(plan.reasons.join('; '), /none with quality>=0\.99: best quality/);
  });

  it('best within a price cap; over-cap models only as fallbacks; a declared domain counts as quality 1', () => {
    const code = route(t, 'auto-best', codePrompt);
    assert.equal(code.primary, 'mid');
    assert.deepEqual(code.fallbacks, ['coder', 'big']);
    assert.match(code.reasons.join('; '), /best within 2\/MTok/);
    const billing = route(t, 'auto-best', billingPrompt);
    assert.equal(billing.domain, 'billing');
    assert.equal(billing.primary, 'support');
    // auto (no cap): the best model for the domain; big's price (gpt-4o, 3:1 blend) does not matter.
    assert.equal(route(t, 'auto', codePrompt).primary, 'big');
  });

  it('the allowed set filters candidates before selection', () => {
    const plan = route(t, 'auto-cheap', codePrompt, { allowed: new Set(['mid', 'big', 'support']) });
    assert.equal(plan.primary, 'mid');
    assert.deepEqual(plan.fallbacks, ['big']);
    assert.throws(() => route(t, 'auto-cheap', codePrompt, { allowed: new Set() }), (error: UnbundleError) => error.code === 'UNBUNDLE_E_FORBIDDEN' && /No model that 'auto-cheap' may choose is allowed/.test(error.message));
  });

  it('ties in price and quality are broken by measured latency, then by portfolio order', () => {
    const twins = table({ virtualModels: { 'auto-cheap': { strategy: 'cheapest', minQuality: 0.5 } } }, [
      { id: 'a', ...upstream, domains: ['code'], pricePerMTok: 1 },
      { id: 'b', ...upstream, domains: ['code'], pricePerMTok: 1 },
      { id: 'c', ...upstream, domains: ['code'], pricePerMTok: 3 },
    ]);
    assert.equal(route(twins, 'auto-cheap', codePrompt).primary, 'a');
    const plan = route(twins, 'auto-cheap', codePrompt, { latency: new Map([['a', 900], ['b', 120], ['c', 5]]) });
    assert.equal(plan.primary, 'b');
    assert.deepEqual(plan.fallbacks, ['a', 'c']);
    // A measured model ranks ahead of an unmeasured one at the same price.
    assert.equal(route(twins, 'auto-cheap', codePrompt, { latency: new Map([['b', 50]]) }).primary, 'b');
  });

  it('fallbacks are bounded by maxFallbacks', () => {
    const one = table({ maxFallbacks: 1, virtualModels: { 'auto-cheap': { strategy: 'cheapest', minQuality: 0.8 } } });
    assert.deepEqual(route(one, 'auto-cheap', codePrompt).fallbacks, ['mid']);
  });
});

describe('unsure and unknown domains', () => {
  it('an unsure prediction goes to the default model', () => {
    const t = table({ default: 'mid', unsureThreshold: 0.999 });
    const plan = route(t, 'auto', 'hello there');
    assert.equal(plan.domain, 'unsure');
    assert.equal(plan.primary, 'mid');
    assert.match(plan.reasons.join('; '), /^domain unsure \((billing|code|cooking) 0\.\d\d\); unsure: default mid$/);
    assert.ok(plan.scores);
  });

  it('a domain no model serves, or no classifier at all, goes to the default (the first model unless set)', () => {
    const t = table({ default: 'mid' });
    const cooking = route(t, 'auto', 'Why the sourdough bread will not rise in the oven?');
    assert.equal(cooking.domain, 'cooking');
    // big has a cooking quality, so big answers; without big the default answers.
    assert.equal(cooking.primary, 'big');
    const noBig = route(t, 'auto', 'Why the sourdough bread will not rise in the oven?', { allowed: new Set(['mid', 'coder', 'support']) });
    assert.equal(noBig.primary, 'mid');
    assert.match(noBig.reasons.join('; '), /no model for cooking: default mid/);

    const bare = compileRouting(portfolioFromObject({ models }));
    assert.ok(bare, 'models with domains define auto without a router block');
    const plan = route(bare, 'auto', codePrompt);
    assert.equal(plan.primary, 'big');
    assert.equal(plan.domain, undefined);
    assert.deepEqual(plan.reasons, ['no domain: default big']);
  });

  it('a portfolio without routing keys defines no auto', () => {
    assert.equal(compileRouting(portfolioFromObject({ models: [{ id: 'x', ...upstream }] })), undefined);
    assert.throws(() => route(table(), 'auto-nope', codePrompt), /'auto-nope' is not a virtual model/);
  });
});

describe('rules', () => {
  const rules: NonNullable<PortfolioInput['router']>['rules'] = [
    { name: 'vip', when: { tenant: ['acme', 'globex'] }, pin: 'big' },
    { name: 'legal', when: { headers: { 'x-unbundle-team': 'legal' }, metadata: { tier: 'gold' } }, exclude: ['coder'] },
    { name: 'long', when: { minTokens: 1000 }, prefer: ['support', 'mid'] },
    { name: 'tools', when: { tools: true }, exclude: ['support'], domain: 'billing' },
    { name: 'sql', when: { pattern: '\\bselect\\b.+\\bfrom\\b', flags: 'i' }, domain: 'code' },
    { name: 'catch-all-user', when: { user: 'bob' }, pin: 'support' },
  ];
  const t = table({ default: 'big', rules, virtualModels: { 'auto-cheap': { strategy: 'cheapest', minQuality: 0.8 } } });

  it('pin by tenant skips the classifier', () => {
    const plan = route(t, 'auto-cheap', featuresOfText(codePrompt, { tenantId: 'globex' }));
    assert.equal(plan.primary, 'big');
    assert.deepEqual(plan.fallbacks, []);
    assert.deepEqual(plan.reasons, ['rule vip', 'pin big']);
    assert.equal(plan.scores, undefined);
  });

  it('a pinned model that is not allowed falls through to the strategy', () => {
    const plan = route(t, 'auto-cheap', featuresOfText(codePrompt, { tenantId: 'acme' }), { allowed: new Set(['coder', 'mid']) });
    assert.equal(plan.primary, 'coder');
    assert.match(plan.reasons.join('; '), /^rule vip; pinned big not allowed; domain code/);
  });

  it('exclude on headers and metadata (all conditions must hold)', () => {
    const both = featuresOfText(codePrompt, { headers: { 'x-unbundle-team': 'legal' }, metadata: { tier: 'gold' } });
    const plan = route(t, 'auto-cheap', both);
    assert.equal(plan.primary, 'mid');
    assert.match(plan.reasons.join('; '), /^rule legal; exclude coder; domain code/);
    const headerOnly = featuresOfText(codePrompt, { headers: { 'x-unbundle-team': 'legal' } });
    assert.equal(route(t, 'auto-cheap', headerOnly).primary, 'coder');
  });

  it('prefer puts the first allowed preferred model ahead of the strategy pick (prompt length in tokens)', () => {
    const long = featuresOfText(codePrompt + ' x'.repeat(2000));
    assert.ok(long.promptTokens >= 1000);
    const plan = route(t, 'auto-cheap', long);
    assert.equal(plan.primary, 'support');
    assert.deepEqual(plan.fallbacks, ['coder', 'mid']);
    assert.equal(route(t, 'auto-cheap', long, { allowed: new Set(['mid', 'coder']) }).primary, 'mid');
  });

  it('domain rules override the classifier; tools and regex conditions', () => {
    const tools = route(t, 'auto-cheap', { ...featuresOfText(codePrompt), hasTools: true });
    assert.equal(tools.domain, 'billing');
    assert.equal(tools.primary, 'big', 'support is excluded; big is the only other billing model meeting 0.8');
    assert.equal(tools.scores, undefined);
    const sql = route(t, 'auto-cheap', 'Please SELECT name FROM the sourdough bread table');
    assert.equal(sql.domain, 'code');
    assert.match(sql.reasons.join('; '), /^rule sql; domain code \(rule\)/);
  });

  it('the first matching rule wins', () => {
    const plan = route(t, 'auto-cheap', featuresOfText(codePrompt, { tenantId: 'acme', user: 'bob' }));
    assert.equal(plan.primary, 'big');
    const bob = route(t, 'auto-cheap', featuresOfText(codePrompt, { user: 'bob' }));
    assert.equal(bob.primary, 'support');
    assert.deepEqual(bob.reasons, ['rule catch-all-user', 'pin support']);
  });
});

describe('rules on images, JSON mode and short prompts', () => {
  it('images pin, JSON mode with maxTokens prefers; a condition that does not hold skips the rule', () => {
    const t = table({
      rules: [
        { name: 'vision', when: { images: true }, pin: 'big' },
        { name: 'short-json', when: { json: true, maxTokens: 50 }, prefer: ['mid'] },
      ],
      virtualModels: { 'auto-cheap': { strategy: 'cheapest', minQuality: 0.8 } },
    });
    assert.equal(route(t, 'auto-cheap', { ...featuresOfText(codePrompt), hasImages: true }).primary, 'big');
    const json = route(t, 'auto-cheap', { ...featuresOfText(codePrompt), json: true });
    assert.equal(json.primary, 'mid');
    assert.deepEqual(json.reasons.slice(0, 1), ['rule short-json']);
    assert.equal(route(t, 'auto-cheap', { ...featuresOfText(codePrompt), json: true, promptTokens: 51 }).primary, 'coder');
    assert.equal(route(t, 'auto-cheap', codePrompt).primary, 'coder');
  });
});

describe('cascade and hedging', () => {
  it('a cascade virtual model produces Plan.cascade with its checks', () => {
    const t = table({
      virtualModels: {
        'auto-cascade': { strategy: 'cascade', models: ['coder', 'big'], checks: [{ kind: 'json' }, { kind: 'min-length', chars: 20 }], hedgeAfterMs: 1500 },
      },
    });
    const decision = decideRoute({ requested: 'auto-cascade', table: t, features: featuresOfText(codePrompt) });
    const plan = decision.plan;
    assert.equal(plan.primary, 'coder');
    assert.deepEqual(plan.fallbacks, ['big']);
    assert.deepEqual(plan.cascade, [{ kind: 'json' }, { kind: 'min-length', chars: 20 }]);
    assert.equal(plan.hedgeAfterMs, 1500);
    assert.equal(plan.domain, 'code');
    assert.match(plan.reasons.join('; '), /cascade coder>big/);
    // With one step left there is nothing to cascade to.
    const single = planRoute({ requested: 'auto-cascade', table: t, features: featuresOfText(codePrompt), allowed: new Set(['big']) });
    assert.equal(single.primary, 'big');
    assert.equal(single.cascade, undefined);
  });
});
