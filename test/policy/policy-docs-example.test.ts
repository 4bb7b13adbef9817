import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { ChatRequest } from '../../src/backends/types.ts';
import { allowedModels } from '../../src/policy/allowed-models.ts';
import { createPolicyEngine } from '../../src/policy/policy-engine.ts';
import { collectTexts } from '../../src/policy/request-texts.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { sharedModel } from '../helpers/paths.ts';

/** The policy example in docs/policy.md does what the page says it does. */
describe('docs/policy.md example', () => {
  const markdown = readFileSync(path.resolve(import.meta.dirname, '../../docs/policy.md'), 'utf8');
  const yaml = markdown.slice(markdown.indexOf('## Policies')).split('```yaml\n')[1]!.split('```')[0]!;
  const portfolio = portfolioFromObject(parse(yaml.replace('./models/qwen2.5-0.5b-instruct-q4_k_m.gguf', sharedModel('stories260K.gguf'))));
  const zones = new Map(portfolio.models.map((m) => [m.id, m.zone]));
  const engine = createPolicyEngine(portfolio.policy!, (id) => zones.get(id));
  const models = portfolio.models.map((m) => ({ id: m.id, zone: m.zone }));
  const chat = (content: string): ChatRequest => ({ kind: 'chat', messages: [{ role: 'user', content }] });

  it('sends the e-mail in clear in-house and as a placeholder to the clouds', () => {
    const request = chat('summarise the ticket from jane.doe@example.com');
    const policy = engine.forGenerate(request, undefined);
    assert.deepEqual([...allowedModels(policy, models)], ['laptop', 'vllm', 'gpt', 'mistral']);
    assert.equal(policy.generate('vllm', request).request, request);
    assert.deepEqual(collectTexts(policy.generate('gpt', request).request), ['summarise the ticket from <EMAIL_1>']);
  });

  it('keeps the card on the laptop, and blocks it for tenant payments', () => {
    const request = chat('my card is 4111 1111 1111 1111');
    assert.deepEqual([...allowedModels(engine.forGenerate(request, undefined), models)], ['laptop']);
    assert.throws(() => engine.forGenerate(request, undefined).generate('gpt', request), /restricted data: CREDIT_CARD \(detector "credit-card"\)\. Zones allowed — restricted: local\./);
    assert.throws(() => engine.forGenerate(request, 'payments').generate('laptop', request), { code: 'UNBUNDLE_E_POLICY_BLOCKED' });
  });

  it('classes the custom EMPLOYEE_ID as internal (anywhere)', () => {
    const policy = engine.forGenerate(chat('employee EMP-123456'), undefined);
    assert.equal(policy.dataClass, 'internal');
    assert.equal(allowedModels(policy, models).size, 4);
  });
});

describe('README example (Zones and policies)', () => {
  const markdown = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const yaml = markdown.slice(markdown.indexOf('## Zones and policies')).split('```yaml\n')[1]!.split('```')[0]!;
  const portfolio = portfolioFromObject(parse(yaml.replace('./models/qwen2.5-0.5b-instruct-q4_k_m.gguf', sharedModel('stories260K.gguf'))));
  const zones = new Map(portfolio.models.map((m) => [m.id, m.zone]));
  const engine = createPolicyEngine(portfolio.policy!, (id) => zones.get(id));
  const chat = (content: string): ChatRequest => ({ kind: 'chat', messages: [{ role: 'user', content }] });

  it('redacts e-mails for gpt, keeps cards on the laptop, blocks them for payments', () => {
    const mail = chat('reply to jane.doe@example.com');
    assert.deepEqual(collectTexts(engine.forGenerate(mail, undefined).generate('gpt', mail).request), ['reply to <EMAIL_1>']);
    const card = chat('card 4111 1111 1111 1111');
    assert.throws(() => engine.forGenerate(card, undefined).generate('gpt', card), { code: 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE' });
    assert.equal(engine.forGenerate(card, undefined).generate('laptop', card).request, card);
    assert.throws(() => engine.forGenerate(card, 'payments').generate('laptop', card), { code: 'UNBUNDLE_E_POLICY_BLOCKED' });
  });
});
