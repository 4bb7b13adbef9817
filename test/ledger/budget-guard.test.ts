import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { isUnbundleError, type UnbundleError } from '../../src/errors.ts';
import { BudgetGuard, periodOf } from '../../src/ledger/budget-guard.ts';
import { budgetSchema, type BudgetConfig } from '../../src/ledger/cost-schema.ts';
import { MemoryLedgerStore } from '../../src/ledger/memory-store.ts';
import { makeRow } from './ledger-fixtures.ts';

const budget = (config: Record<string, unknown>): BudgetConfig => budgetSchema.parse(config);
const request = (overrides: Partial<{ keyId: string; tenant: string; model: string; maxTokens: number; maxCost: number | undefined }> = {}) => ({
  keyId: 'key-1',
  tenant: 'acme',
  model: 'mini',
  maxTokens: 100,
  maxCost: 0.01,
  ...overrides,
});

async function refusal(promise: Promise<unknown>): Promise<UnbundleError> {
  try {
    await promise;
  } catch (error) {
    if (isUnbundleError(error)) return error;
    throw error;
  }
  assert.fail('the request was admitted');
}

describe('BudgetGuard', () => {
  it('many concurrent requests never overrun a budget by more than one request', async () => {
    for (const unit of ['tokens', 'money'] as const) {
      const limit = unit === 'tokens' ? 1000 : 0.1;
      const guard = new BudgetGuard([budget({ scope: 'tenant', period: 'day', unit, limit })], { currency: 'USD' });
      let spentTokens = 0;
      let spentCost = 0;
      let admitted = 0;
      let refused = 0;
      await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          let reservation;
          try {
            reservation = await guard.reserve(request({ maxTokens: 100, maxCost: 0.01 }));
          } catch (error) {
            assert.equal((error as UnbundleError).code, 'UNBUNDLE_E_BUDGET_EXCEEDED');
            refused++;
            return;
          }
          admitted++;
          await sleep(i % 7);
          // Real use is at most the reservation (max_tokens bounds it).
          const tokens = 40 + ((i * 37) % 61);
          spentTokens += tokens;
          spentCost += tokens / 10_000;
          await guard.settle(reservation, { tokens, cost: tokens / 10_000 });
        }),
      );
      const spent = unit === 'tokens' ? spentTokens : spentCost;
      const oneRequest = unit === 'tokens' ? 100 : 0.01;
      assert.ok(spent <= limit + oneRequest + 1e-12, `${unit}: spent ${spent} of ${limit}`);
      assert.ok(refused > 0 && admitted >= 9, `${unit}: admitted ${admitted}, refused ${refused}`);
    }
  });

  it('refuses with 402 (or the configured 429), a clear message and Retry-After', async () => {
    const now = Date.UTC(2025, 7, 15, 18, 0, 0);
    const guard = new BudgetGuard(
      [budget({ name: 'acme daily tokens', scope: 'tenant', match: 'acme', period: 'day', unit: 'tokens', limit: 150 }), budget({ scope: 'key', period: 'month', unit: 'money', limit: 1, status: 429 })],
      { currency: 'EUR', now: () => now },
    );
    const first = await guard.reserve(request({ maxTokens: 100 }));
    await guard.settle(first, { tokens: 160, cost: 0.2 });
    const error = await refusal(guard.reserve(request()));
    assert.equal(error.status, 402);
    assert.equal(error.type, 'insufficient_quota');
    assert.equal(error.retryAfterSeconds, 6 * 3600);
    assert.match(error.message, /Budget "acme daily tokens" for tenant acme is spent: 160 tokens of 150 tokens used\. It resets at 2025-08-16T00:00:00\.000Z/);
    // Another tenant has its own budget; the key's money budget refuses with 429 once spent.
    const other = await guard.reserve(request({ tenant: 'other', maxCost: 0.5 }));
    await guard.settle(other, { tokens: 10, cost: 0.9 });
    const moneyError = await refusal(guard.reserve(request({ tenant: 'other' })));
    assert.equal(moneyError.status, 429);
    assert.match(moneyError.message, /1\.1 EUR of 1 EUR used/);
  });

  it('warns from warnAt of the limit (soft limit)', async () => {
    const guard = new BudgetGuard([budget({ scope: 'model', period: 'month', unit: 'tokens', limit: 1000, warnAt: 0.5 })], { currency: 'USD' });
    const quiet = await guard.reserve(request({ maxTokens: 100 }));
    assert.deepEqual(quiet.warnings, []);
    await guard.settle(quiet, { tokens: 450, cost: 0 });
    const loud = await guard.reserve(request({ maxTokens: 100 }));
    assert.deepEqual(loud.warnings, ['budget "tokens per month per model" for mini: 55% of 1000 tokens used or reserved']);
  });

  it('charges an unknown spend at the reservation, and releases a refused request', async () => {
    const guard = new BudgetGuard([budget({ scope: 'key', period: 'day', unit: 'tokens', limit: 250 })], { currency: 'USD' });
    const unknown = await guard.reserve(request({ maxTokens: 200 }));
    await guard.settle(unknown, { tokens: undefined, cost: undefined });
    await guard.settle(unknown, { tokens: 0, cost: 0 }); // settling twice changes nothing
    const released = await guard.reserve(request({ maxTokens: 40 }));
    await guard.settle(released, { tokens: 0, cost: 0 });
    // 200 used: one more request fits (headroom 50 > 0), the one after does not.
    await guard.reserve(request({ maxTokens: 100 }));
    await refusal(guard.reserve(request({ maxTokens: 1 })));
  });

  it('a money estimate nobody could make reserves all the headroom', async () => {
    const guard = new BudgetGuard([budget({ scope: 'tenant', period: 'day', unit: 'money', limit: 1 })], { currency: 'USD' });
    const selfHosted = await guard.reserve(request({ maxCost: undefined }));
    await refusal(guard.reserve(request({ maxCost: 0.01 })));
    await guard.settle(selfHosted, { tokens: 10, cost: 0.25 });
    await guard.reserve(request({ maxCost: 0.01 }));
  });

  it('budgets start afresh each UTC period', async () => {
    let now = Date.UTC(2025, 7, 15, 23, 59, 0);
    const guard = new BudgetGuard([budget({ scope: 'tenant', period: 'day', unit: 'tokens', limit: 10 })], { currency: 'USD', now: () => now });
    const r = await guard.reserve(request({ maxTokens: 10 }));
    await guard.settle(r, { tokens: 10, cost: 0 });
    await refusal(guard.reserve(request()));
    now = Date.UTC(2025, 7, 16, 0, 0, 1);
    await guard.reserve(request());
    assert.deepEqual(periodOf('month', Date.UTC(2025, 11, 31, 23)), { key: '2025-12', start: Date.UTC(2025, 11, 1), endsAt: Date.UTC(2026, 0, 1) });
  });

  it('reads this period’s spend back from the ledger after a restart', async () => {
    const now = Date.UTC(2025, 7, 15, 12);
    const store = new MemoryLedgerStore();
    await store.insertBatch([
      makeRow({ time: Date.UTC(2025, 7, 15, 1), tenant: 'acme', inputTokens: 600, outputTokens: 300, cost: 0.4 }),
      makeRow({ time: Date.UTC(2025, 7, 14, 23), tenant: 'acme', inputTokens: 5000, outputTokens: 5000, cost: 9 }),
      makeRow({ time: Date.UTC(2025, 7, 15, 2), tenant: 'beta', inputTokens: 10, outputTokens: 10, cost: 0.01 }),
    ]);
    const guard = new BudgetGuard(
      [budget({ scope: 'tenant', period: 'day', unit: 'tokens', limit: 1000 }), budget({ scope: 'tenant', period: 'day', unit: 'money', limit: 0.5 })],
      { currency: 'USD', now: () => now },
    );
    await guard.seedFromLedger(store);
    const r = await guard.reserve(request({ maxTokens: 50, maxCost: 0.01 }));
    assert.equal(r.warnings.length, 2, 'acme is at 90% of both budgets');
    await guard.settle(r, { tokens: 150, cost: 0.01 });
    const error = await refusal(guard.reserve(request()));
    assert.match(error.message, /1050 tokens of 1000 tokens/);
    await guard.reserve(request({ tenant: 'beta' }));
  });

  it('ignores requests a budget does not cover', async () => {
    const guard = new BudgetGuard([budget({ scope: 'key', match: 'key-9', period: 'day', unit: 'tokens', limit: 1 })], { currency: 'USD' });
    const r = await guard.reserve(request({ maxTokens: 1000 }));
    assert.deepEqual(r.holds, []);
    const noKey = await guard.reserve({ model: 'mini', maxTokens: 1000, maxCost: 1 });
    assert.deepEqual(noKey.holds, []);
  });
});
