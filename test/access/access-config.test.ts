import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../src/access/parse-duration.ts';
import { ConfigError } from '../../src/portfolio/config-error.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';

function problemsOf(raw: unknown): string[] {
  try {
    portfolioFromObject(raw as never, 'portfolio.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('the config was accepted');
}

describe('auth and tenants config: the messages users get', () => {
  const table: Array<[string, unknown, string[]]> = [
    ['misspelt auth key', { auth: { mode: 'keys', adminKeyEnvv: 'X' }, tenants: [{ id: 'a' }] }, ['auth.adminKeyEnvv: unknown key "adminKeyEnvv" — did you mean "adminKeyEnv"?']],
    ['unknown mode', { auth: { mode: 'password' } }, ['auth.mode: must be keys (every request needs an API key) or none (no keys: loopback only) (got the text "password")']],
    ['keys without tenants', { auth: { mode: 'keys' } }, ['tenants: auth.mode is keys but no tenants are configured — every key belongs to a tenant: add e.g. tenants: [{ id: default, models: ["*"] }]']],
    ['duplicate tenant', { tenants: [{ id: 'a' }, { id: 'a' }] }, ['tenants[1].id: duplicate tenant id "a" (also tenants[0].id): give each tenant its own id']],
    ['misspelt tenant key', { tenants: [{ id: 'a', rmp: 5 }] }, ['tenants[0].rmp: unknown key "rmp" — did you mean "rpm"?']],
    ['zero rpm', { tenants: [{ id: 'a', rpm: 0 }] }, ['tenants[0].rpm: must be more than 0, got 0']],
    ['admin key in the file', { auth: { adminKeyEnv: 'hunter2!' } }, ['auth.adminKeyEnv: must be the NAME of an environment variable (secrets never go in the config file itself) (got the text "hunter2!")']],
    ['empty model list', { tenants: [{ id: 'a', models: [] }] }, ['tenants[0].models: must be a list of at least 1 items']],
  ];
  for (const [name, raw, expected] of table) {
    it(name, () => assert.deepEqual(problemsOf(raw), expected));
  }

  it('defaults: auth none, admin key from UNBUNDLE_ADMIN_KEY, no tenants; a tenant may use every model', () => {
    const portfolio = portfolioFromObject({});
    assert.deepEqual(portfolio.auth, { mode: 'none', adminKeyEnv: 'UNBUNDLE_ADMIN_KEY', allowInsecure: false, redisUrlEnv: 'UNBUNDLE_REDIS_URL' });
    assert.deepEqual(portfolio.tenants, []);
    assert.deepEqual(portfolioFromObject({ tenants: [{ id: 'a' }] }).tenants[0]!.models, ['*']);
  });

  it('parses key lifetimes', () => {
    assert.equal(parseDuration('30d'), 30 * 86_400_000);
    assert.equal(parseDuration('12h'), 12 * 3_600_000);
    assert.equal(parseDuration('2w'), 14 * 86_400_000);
    assert.equal(parseDuration('0d'), undefined);
    assert.equal(parseDuration('1y'), undefined);
  });
});
