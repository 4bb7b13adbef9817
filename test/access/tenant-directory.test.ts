import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TenantDirectory } from '../../src/access/tenant-directory.ts';
import type { Plan } from '../../src/router/plan.ts';

const directory = new TenantDirectory(
  [
    { id: 'acme', models: ['local-*', 'gpt-mini'] },
    { id: 'all', models: ['*'] },
  ],
  ['local-small', 'local-big', 'gpt-mini', 'gpt-big', 'eu.claude'],
);
const plan = (requested: string, primary: string, fallbacks: string[]): Plan => ({ requested, primary, fallbacks, reasons: [] });

describe('tenants: allowed models', () => {
  it('resolves globs against the portfolio once; "*" is every model', () => {
    assert.deepEqual([...directory.allowedModelsFor('acme')], ['local-small', 'local-big', 'gpt-mini']);
    assert.equal(directory.allowedModelsFor('all').size, 5);
    assert.equal(directory.get('acme')!.allows('local-new'), true, 'a glob also covers ids the portfolio does not list yet');
    assert.equal(directory.get('acme')!.allows('gpt-big'), false);
  });

  it('keeps a plan inside the tenant: drops fallbacks, promotes for auto, 403 for an explicit model', () => {
    const acme = directory.get('acme')!;
    const explicit = plan('local-big', 'local-big', ['gpt-big', 'local-small']);
    directory.restrictPlan(acme, explicit);
    assert.deepEqual([explicit.primary, explicit.fallbacks], ['local-big', ['local-small']]);

    const auto = plan('auto', 'gpt-big', ['eu.claude', 'gpt-mini', 'gpt-big', 'local-small']);
    directory.restrictPlan(acme, auto);
    assert.deepEqual([auto.primary, auto.fallbacks], ['gpt-mini', ['local-small']]);
    assert.deepEqual(auto.reasons, ['tenant acme may not use gpt-big']);

    assert.throws(() => directory.restrictPlan(acme, plan('gpt-big', 'gpt-big', ['local-small'])), /Tenant "acme" may not use model 'gpt-big'\. Allowed models: local-\*, gpt-mini\./);
    assert.throws(() => directory.restrictPlan(acme, plan('auto', 'gpt-big', ['eu.claude'])), /may not use any model the router chose for 'auto' \(gpt-big, eu\.claude\)/);
  });

  it('403 for a tenant the config does not list', () => {
    assert.throws(() => directory.require('initech'), (error: Error & { status?: number }) => error.status === 403 && /does not list/.test(error.message));
  });
});
