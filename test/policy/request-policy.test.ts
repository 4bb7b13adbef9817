import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest, GenerateRequest } from '../../src/backends/types.ts';
import { UnbundleError } from '../../src/errors.ts';
import { allowedModels } from '../../src/policy/allowed-models.ts';
import { createPolicyEngine } from '../../src/policy/policy-engine.ts';
import { policySchema, type PolicyInput } from '../../src/policy/policy-schema.ts';
import { collectTexts } from '../../src/policy/request-texts.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import type { Plan } from '../../src/router/plan.ts';

const zones: Record<string, string> = { laptop: 'local', vllm: 'self-hosted', gpt: 'external', mistral: 'eu-cloud' };
const models = Object.entries(zones).map(([id, zone]) => ({ id, zone }));
const engine = (config: PolicyInput = {}) => createPolicyEngine(policySchema.parse(config), (id) => zones[id]);
const chat = (...contents: string[]): ChatRequest => ({ kind: 'chat', messages: contents.map((content) => ({ role: 'user', content })) });
const plan = (primary: string, fallbacks: string[] = []): Plan => ({ requested: primary, primary, fallbacks, reasons: ['explicit model'] });

const email = 'jane.doe@example.com';
const ssn = '536-22-8451';
const key = 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z';

function refusal(run: () => unknown): UnbundleError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof UnbundleError);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('request policy: classes and zones', () => {
  it('classes a request by its most sensitive detection and counts labels', () => {
    const policy = engine().forGenerate(chat(`mail ${email} from 10.1.2.3`, `ssn ${ssn}`), undefined);
    assert.equal(policy.dataClass, 'restricted');
    assert.deepEqual(policy.detectorCounts, { EMAIL: 1, IP_ADDRESS: 1, US_SSN: 1 });
    const plain = engine().forGenerate(chat('What is the capital of France?'), undefined);
    assert.equal(plain.dataClass, 'public');
    assert.deepEqual(plain.detectorCounts, {});
    assert.deepEqual([...allowedModels(plain, models)], ['laptop', 'vllm', 'gpt', 'mistral']);
  });

  it('keeps personal data in-house and secrets local by default (no rules configured)', () => {
    assert.deepEqual([...allowedModels(engine().forGenerate(chat(`mail ${email}`), undefined), models)], ['laptop', 'vllm']);
    assert.deepEqual([...allowedModels(engine().forGenerate(chat(`key ${key}`), undefined), models)], ['laptop']);
    assert.deepEqual([...allowedModels(engine().forGenerate(chat('host 10.1.2.3'), undefined), models)], ['laptop', 'vllm', 'gpt', 'mistral']);
  });

  it('refuses a forbidden explicit model with a 403 naming class, label, detector and allowed zones — never the value', () => {
    const policy = engine().forGenerate(chat(`mail ${email} now`), undefined);
    const error = refusal(() => policy.restrictPlan(plan('gpt')));
    assert.equal(error.code, 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE');
    assert.equal(error.status, 403);
    assert.match(error.message, /model 'gpt' \(zone external\)/);
    assert.match(error.message, /confidential data: EMAIL \(detector "email"\)/);
    assert.match(error.message, /confidential: local, self-hosted/);
    assert.ok(!error.message.includes(email));
    assert.equal(policy.decision, 'blocked');
  });

  it('drops forbidden fallbacks and reports the request as routed', () => {
    const policy = engine().forGenerate(chat(`mail ${email}`), undefined);
    const restricted = policy.restrictPlan(plan('vllm', ['gpt', 'laptop', 'mistral']));
    assert.deepEqual(restricted.fallbacks, ['laptop']);
    assert.match(restricted.reasons.at(-1)!, /2 fallback\(s\)/);
    policy.generate('vllm', chat(`mail ${email}`));
    assert.equal(policy.decision, 'routed');
    assert.deepEqual(policy.zonesSeen, ['self-hosted']);
  });

  it('applies the public rule to every request, even one where nothing was found', () => {
    const policies = engine({ rules: { public: { action: 'route', zones: ['local', 'self-hosted'] } } });
    const plain = policies.forGenerate(chat('What is the capital of France?'), undefined);
    assert.deepEqual([...allowedModels(plain, models)], ['laptop', 'vllm']);
    const error = refusal(() => plain.restrictPlan(plan('gpt')));
    assert.match(error.message, /public data \(the public rule applies to every request\)/);
    const blockAll = engine({ rules: { public: { action: 'block' } } }).forGenerate(chat('hello'), undefined);
    assert.equal(refusal(() => blockAll.restrictPlan(plan('laptop'))).code, 'UNBUNDLE_E_POLICY_BLOCKED');
  });

  it('block refuses the whole request, whatever the model', () => {
    const policy = engine({ rules: { restricted: { action: 'block' } } }).forGenerate(chat(`use ${key} please`), undefined);
    const error = refusal(() => policy.restrictPlan(plan('laptop')));
    assert.equal(error.code, 'UNBUNDLE_E_POLICY_BLOCKED');
    assert.match(error.message, /restricted data: SECRET \(detector "[a-z-]+"\)/);
    assert.ok(!error.message.includes(key) && !error.message.includes('Ab3dEf'));
    assert.equal(refusal(() => policy.generate('laptop', chat(`use ${key} please`))).code, 'UNBUNDLE_E_POLICY_BLOCKED');
    assert.deepEqual([...allowedModels(policy, models)], []);
  });
});

describe('request policy: the attempt guard and redaction', () => {
  const redacting = engine({
    rules: {
      confidential: { action: 'redact', zones: ['local', 'self-hosted'], redactedZones: ['external'] },
      restricted: { action: 'route', zones: ['local'] },
    },
  });

  it('sends allowed zones the values, redact zones placeholders (stable per request), others nothing', () => {
    const request = chat(`mail ${email}`, `and ${email} again, or bob@example.org`);
    const policy = redacting.forGenerate(request, undefined);
    assert.equal(policy.generate('vllm', request).request, request, 'an allowed zone gets the very same request');
    const external = policy.generate('gpt', request);
    assert.deepEqual(collectTexts(external.request), ['mail <EMAIL_1>', 'and <EMAIL_1> again, or <EMAIL_2>']);
    assert.equal(policy.generate('gpt', request).request, external.request, 'a retry reuses the redacted request');
    const answer = external.restoreResult!({ text: 'to <EMAIL_2> and <EMAIL_1>', toolCalls: [], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } });
    assert.equal(answer.text, `to bob@example.org and ${email}`);
    assert.equal(refusal(() => policy.generate('mistral', request)).code, 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE');
    assert.deepEqual(policy.zonesSeen, ['self-hosted', 'external']);
    assert.deepEqual(policy.modelsSeen, ['vllm', 'gpt', 'gpt']);
    assert.equal(policy.decision, 'redacted');
    assert.equal(request.messages[0]!.content, `mail ${email}`, 'the original request is never changed');
  });

  it('judges mixed classes value by value: one forbidden value refuses the zone', () => {
    const request = chat(`mail ${email}`, `ssn ${ssn}`);
    const policy = redacting.forGenerate(request, undefined);
    assert.deepEqual([...allowedModels(policy, models)], ['laptop']);
    const error = refusal(() => policy.generate('gpt', request));
    assert.match(error.message, /restricted data: US_SSN/);
    assert.doesNotMatch(error.message, /EMAIL/, 'only the values that forbid the zone are named');
    assert.equal(policy.generate('laptop', request).request, request);
  });

  it('redacts a secret split across two messages in both halves', () => {
    const request = chat('my key is sk-proj-Ab3dEf6h', 'Ij9kLm2nOp5qRs8tUv1wXy4z thanks');
    const policy = engine({ rules: { restricted: { action: 'redact', zones: ['local'] } } }).forGenerate(request, undefined);
    assert.equal(policy.dataClass, 'restricted');
    const texts = collectTexts(policy.generate('gpt', request).request).join(' ');
    assert.ok(!texts.includes('Ab3dEf6h') && !texts.includes('Ij9kLm2n'), texts);
  });

  it('scans a request the executor changed (e.g. a cascade instruction) before sending it', () => {
    const request = chat('hello there');
    const policy = redacting.forGenerate(request, undefined);
    assert.equal(policy.generate('mistral', request).request, request);
    const changed: GenerateRequest = { ...request, messages: [...request.messages, { role: 'system', content: `report to ${ssn}` }] };
    assert.equal(refusal(() => policy.generate('mistral', changed)).code, 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE');
  });

  it('guards embeddings input the same way', () => {
    const request = { input: ['plain', `to ${email}`] };
    const policy = redacting.forEmbed(request, undefined);
    assert.deepEqual(policy.embed('gpt', request).input, ['plain', 'to <EMAIL_1>']);
    assert.equal(policy.embed('vllm', request), request);
    assert.equal(refusal(() => policy.embed('mistral', request)).status, 403);
  });

  it('refuses a model whose zone it cannot know', () => {
    const policy = redacting.forGenerate(chat('hi'), undefined);
    assert.equal(refusal(() => policy.generate('nope', chat('hi'))).code, 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE');
  });
});

describe('request policy: configuration', () => {
  it('maps labels to classes (custom labels default to confidential) and applies tenant overrides', () => {
    const config: PolicyInput = {
      detectors: { custom: [{ label: 'EMPLOYEE_ID', pattern: 'EMP-\\d{6}' }] },
      classes: { IP_ADDRESS: 'restricted' },
      tenants: {
        acme: { rules: { confidential: { zones: ['*'] } } },
        strict: { classes: { EMPLOYEE_ID: 'restricted' }, rules: { restricted: { action: 'block' } } },
      },
    };
    const policies = engine(config);
    const request = chat('employee EMP-123456');
    assert.equal(policies.forGenerate(request, undefined).dataClass, 'confidential');
    assert.equal(policies.forGenerate(chat('host 10.1.2.3'), undefined).dataClass, 'restricted');
    assert.deepEqual([...allowedModels(policies.forGenerate(request, undefined), models)], ['laptop', 'vllm']);
    assert.deepEqual([...allowedModels(policies.forGenerate(request, 'acme'), models)], ['laptop', 'vllm', 'gpt', 'mistral']);
    assert.deepEqual([...allowedModels(policies.forGenerate(request, 'someone-else'), models)], ['laptop', 'vllm']);
    const strict = policies.forGenerate(request, 'strict');
    assert.equal(strict.dataClass, 'restricted');
    assert.equal(refusal(() => strict.restrictPlan(plan('laptop'))).code, 'UNBUNDLE_E_POLICY_BLOCKED');
  });

  it('rejects bad policy config with the path and the fix', () => {
    const bad = (policy: unknown) => refusal(() => portfolioFromObject({ policy } as never)).message;
    assert.match(bad({ rules: { restricted: { action: 'block', zones: ['local'] } } }), /policy\.rules\.restricted\.zones.*remove zones, or use action: route/s);
    assert.match(bad({ rules: { secret: { action: 'route' } } }), /policy\.rules.*secret/s);
    assert.match(bad({ classes: { EMAIL: 'top-secret' } }), /policy\.classes\.EMAIL.*public, internal, confidential, restricted/s);
    assert.match(bad({ rules: { internal: { action: 'route', redactedZones: ['external'] } } }), /redactedZones only applies with action: redact/);
    assert.match(bad({ rules: { internal: { zones: ['EU Cloud'] } } }), /policy\.rules\.internal\.zones\[0\].*zone name/s);
    assert.match(bad({ audt: {} }), /policy.*audt/s);
  });
});
