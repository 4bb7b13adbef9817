import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CostBook } from '../../src/ledger/cost-book.ts';
import { breakeven, selfHostedMonthlyCost } from '../../src/ledger/cost-breakeven.ts';
import type { ModelCost } from '../../src/ledger/cost-model.ts';
import { buildCostReport, counterfactual, parseTimeBound, type ReferenceModel } from '../../src/ledger/cost-report.ts';
import { ledgerSchema } from '../../src/ledger/cost-schema.ts';
import { MemoryLedgerStore } from '../../src/ledger/memory-store.ts';
import { makeRow } from './ledger-fixtures.ts';

const near = (actual: number | null | undefined, expected: number, epsilon = 1e-9) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < epsilon, `${actual} ≠ ${expected}`);

const book = new CostBook([], ledgerSchema.parse({}));
const gpt4o: ReferenceModel = { ...book.reference('gpt-4o')!, name: 'gpt-4o' };

describe('counterfactual', () => {
  it('prices the same tokens on the reference model, cached input included', async () => {
    const store = new MemoryLedgerStore();
    await store.insertBatch([
      makeRow({ model: 'local', inputTokens: 1000, cachedInputTokens: 200, outputTokens: 500, cost: 0.0001 }),
      // Unknown tokens or cost: counted as requests, left out of the comparison on both sides.
      makeRow({ model: 'local', inputTokens: 1000, outputTokens: undefined, cost: 0.0002 }),
      makeRow({ model: 'local', inputTokens: 1000, outputTokens: 10, cost: undefined, costBasis: 'unknown' }),
    ]);
    const [group] = await store.aggregate('model', {});
    const result = counterfactual(group!, gpt4o);
    // 800 × 2.5 + 200 × 1.25 + 500 × 10 = 7250 USD per million tokens
    near(result.referenceCost, 0.00725);
    near(result.actualCost, 0.0001);
    near(result.savings, 0.00715);
    near(result.savingsPercent, (0.00715 / 0.00725) * 100);
    assert.equal(result.comparableRequests, 1);
  });

  it('does not compare across currencies', async () => {
    const store = new MemoryLedgerStore();
    await store.insertBatch([makeRow({ currency: 'EUR', cost: 1 })]);
    const [group] = await store.aggregate('model', {});
    const result = counterfactual(group!, gpt4o);
    assert.equal(result.referenceCost, null);
    assert.equal(result.savings, null);
  });

  it('builds rows keyed by the grouping and one total per currency', async () => {
    const store = new MemoryLedgerStore();
    await store.insertBatch([
      makeRow({ time: 1000, tenant: 'a', inputTokens: 10, outputTokens: 5, cost: 1 }),
      makeRow({ time: 2000, tenant: 'b', inputTokens: 20, outputTokens: 5, cost: 2 }),
      makeRow({ time: 3000, tenant: 'b', inputTokens: 20, outputTokens: 5, cost: 3, currency: 'EUR' }),
      makeRow({ time: 9000, tenant: 'late' }),
    ]);
    const report = await buildCostReport(store, { by: 'tenant', since: 0, until: 5000, reference: gpt4o });
    assert.deepEqual(
      report.rows.map((row) => [row.tenant, row.requests, row.cost, row.currency]),
      [
        ['a', 1, 1, 'USD'],
        ['b', 1, 3, 'EUR'],
        ['b', 1, 2, 'USD'],
      ],
    );
    assert.deepEqual(
      report.totals.map((row) => [row.currency, row.requests, row.cost, row.inputTokens]),
      [
        ['USD', 2, 3, 30],
        ['EUR', 1, 3, 20],
      ],
    );
    assert.equal(report.reference?.name, 'gpt-4o');
    assert.equal(report.since, '1970-01-01T00:00:00.000Z');
  });
});

describe('parseTimeBound', () => {
  const now = Date.UTC(2025, 7, 15, 12);
  it('reads durations before now and UTC dates', () => {
    assert.equal(parseTimeBound('7d', now), now - 7 * 86_400_000);
    assert.equal(parseTimeBound('24h', now), now - 86_400_000);
    assert.equal(parseTimeBound('30m', now), now - 1_800_000);
    assert.equal(parseTimeBound('2w', now), now - 14 * 86_400_000);
    assert.equal(parseTimeBound('2025-08-01', now), Date.UTC(2025, 7, 1));
    assert.equal(parseTimeBound('2025-08-01T06:00:00', now), Date.UTC(2025, 7, 1, 6));
    assert.equal(parseTimeBound('2025-08-01T06:00:00+02:00', now), Date.UTC(2025, 7, 1, 4));
  });
  it('rejects what it cannot read', () => {
    for (const text of ['7', 'd7', 'yesterday', '2025-13-45', '7y']) assert.equal(parseTimeBound(text, now), undefined, text);
  });
});

describe('break-even', () => {
  // fixed 1 USD/h, power 0.25 USD/h at load and 0.05 idle; 3.6 s compute per request.
  const machine: Extract<ModelCost, { kind: 'self-hosted' }> = { kind: 'self-hosted', fixedPerHour: 1, energyLoadPerHour: 0.25, energyIdlePerHour: 0.05, currency: 'USD', source: 'test' };
  const traffic = { computeSecondsPerRequest: 3.6, inputTokensPerRequest: 1000, outputTokensPerRequest: 500 };

  it('finds the monthly volume where the lines cross', () => {
    const result = breakeven(machine, gpt4o, traffic);
    // API 1000 × 2.5 + 500 × 10 = 0.0075 per request; base (1 + 0.05) × 730 = 766.5 per month;
    // extra power 0.001 h × 0.2 = 0.0002 per request → 766.5 / 0.0073 = 105,000 requests.
    near(result.apiCostPerRequest, 0.0075);
    near(result.selfHostedMonthlyBase, 766.5);
    near(result.selfHostedMarginalPerRequest, 0.0002);
    near(result.capacityRequestsPerMonth, 730_000, 1e-6);
    near(result.breakevenRequestsPerMonth, 105_000, 1e-6);
    near(result.breakevenTokensPerMonth, 157_500_000, 1e-3);
    near(result.utilisationAtBreakeven, 105_000 / 730_000);
    near(result.selfHostedCostPerRequestAtFullLoad, 0.00125);
    assert.match(result.verdict, /cheaper above 105,000 requests\/month \(14% utilisation/);
    // At the break-even volume both cost the same.
    near(selfHostedMonthlyCost(machine, 3.6, 105_000), 105_000 * 0.0075, 1e-6);
  });

  it('says never when the API is cheaper even at full load, or power alone costs more', () => {
    const mini: ReferenceModel = { ...book.reference('gpt-4o-mini')!, name: 'gpt-4o-mini' };
    const beyond = breakeven(machine, mini, traffic);
    assert.ok(beyond.utilisationAtBreakeven! > 1);
    assert.match(beyond.verdict, /^never: even fully busy/);
    const cheap: ReferenceModel = { kind: 'api', inputPerMTok: 0.01, outputPerMTok: 0.01, cachedInputPerMTok: 0.01, currency: 'USD', source: 'x', name: 'cheap' };
    const never = breakeven(machine, cheap, traffic);
    assert.equal(never.breakevenRequestsPerMonth, undefined);
    assert.match(never.verdict, /extra power alone/);
  });

  it('refuses to compare currencies', () => {
    assert.throws(() => breakeven({ ...machine, currency: 'EUR' }, gpt4o, traffic), /different currencies/);
  });
});
