import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CostBook, resolveModelCost } from '../../src/ledger/cost-book.ts';
import { costOf, type ModelCost } from '../../src/ledger/cost-model.ts';
import { ledgerSchema } from '../../src/ledger/cost-schema.ts';
import { lookupPrice, priceTableAsOf } from '../../src/ledger/price-table.ts';

const usd = ledgerSchema.parse({});
const close = (actual: number | undefined, expected: number) => {
  assert.ok(actual !== undefined, 'amount is unknown');
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);
};

describe('API-priced cost', () => {
  const mini = resolveModelCost({ id: 'mini', backend: 'openai-compatible', pricing: { table: 'gpt-4o-mini' } }, usd);

  it('prices fresh input, cached input and output separately', () => {
    // 800 × 0.15 + 200 × 0.075 + 500 × 0.60 = 120 + 15 + 300 = 435 per million tokens
    const result = costOf({ inputTokens: 1000, cachedInputTokens: 200, outputTokens: 500 }, {}, mini);
    close(result.amount, 0.000435);
    assert.equal(result.currency, 'USD');
    assert.equal(result.basis, 'api-price');
    assert.match(result.detail, /800 input × 0\.15 USD\/MTok \+ 200 cached input × 0\.075 USD\/MTok \+ 500 output × 0\.6 USD\/MTok/);
    assert.match(result.detail, new RegExp(`as of ${priceTableAsOf}`));
  });

  it('treats an unreported cached count as no caching (full input price)', () => {
    close(costOf({ inputTokens: 1000, outputTokens: 500 }, {}, mini).amount, 0.00045);
  });

  it('gives an unknown cost, not 0, when token counts are unknown', () => {
    for (const usage of [
      { inputTokens: 1000, outputTokens: undefined },
      { inputTokens: undefined, outputTokens: 10 },
      { inputTokens: undefined, outputTokens: undefined },
    ]) {
      const result = costOf(usage, {}, mini);
      assert.equal(result.amount, undefined);
      assert.equal(result.basis, 'unknown');
      assert.match(result.detail, /not reported/);
    }
  });

  it('zero tokens cost exactly 0 (known, not unknown)', () => {
    const result = costOf({ inputTokens: 0, outputTokens: 0 }, {}, mini);
    assert.equal(result.amount, 0);
    assert.equal(result.basis, 'api-price');
  });

  it('an unknown count whose price is 0 cannot change the total (embeddings)', () => {
    const embed = resolveModelCost({ id: 'e', backend: 'openai-compatible', pricing: { table: 'text-embedding-3-small' } }, usd);
    close(costOf({ inputTokens: 5000, outputTokens: undefined }, {}, embed).amount, 0.0001);
  });

  it('cached count larger than input is capped at input', () => {
    const cost: ModelCost = { kind: 'api', inputPerMTok: 10, outputPerMTok: 0, cachedInputPerMTok: 1, currency: 'USD', source: 'test' };
    close(costOf({ inputTokens: 100, cachedInputTokens: 500, outputTokens: 0 }, {}, cost).amount, 0.0001);
  });

  it('converts into the ledger currency', () => {
    const eur = ledgerSchema.parse({ currency: 'EUR', exchangeRates: { USD: 0.9, GBP: 1.2 } });
    const table = resolveModelCost({ id: 'm', backend: 'openai-compatible', pricing: { table: 'gpt-4o-mini' } }, eur);
    const result = costOf({ inputTokens: 1000, cachedInputTokens: 200, outputTokens: 500 }, {}, table);
    close(result.amount, 0.000435 * 0.9);
    assert.equal(result.currency, 'EUR');
    assert.match(result.detail, /converted at 0\.9 EUR\/USD/);
    // 1000 × 1.0 + 1000 × 2.0 GBP per million = 0.003 GBP = 0.0036 EUR
    const own = resolveModelCost({ id: 'g', backend: 'openai-compatible', pricing: { inputPerMTok: 1, outputPerMTok: 2, currency: 'GBP' } }, eur);
    close(costOf({ inputTokens: 1000, outputTokens: 1000 }, {}, own).amount, 0.0036);
  });

  it('a currency without a rate makes the cost unknown, saying why', () => {
    const eur = ledgerSchema.parse({ currency: 'EUR' });
    const result = new CostBook([{ id: 'm', backend: 'openai-compatible', pricing: { table: 'gpt-4o' } }], eur).costOf('m', { inputTokens: 1, outputTokens: 1 });
    assert.equal(result.amount, undefined);
    assert.match(result.detail, /no USD rate/);
  });
});

describe('self-hosted cost', () => {
  // Whole machine: 8760 USD over 12 months = 1 USD/h; hosting 730 USD/month = 1 USD/h; share 0.5
  // → fixed 1 USD/h. Power 1000 W load / 200 W idle at 0.5 USD/kWh, share 0.5 → 0.25 / 0.05 USD/h.
  const machine = resolveModelCost(
    {
      id: 'local',
      backend: 'llamacpp',
      selfHosted: {
        hardwarePrice: 8760,
        amortisationMonths: 12,
        machineShare: 0.5,
        powerWattsLoad: 1000,
        powerWattsIdle: 200,
        electricityPerKWh: 0.5,
        hostingPerMonth: 730,
        currency: 'USD',
      },
    },
    usd,
  );

  it('resolves hourly figures', () => {
    assert.equal(machine.kind, 'self-hosted');
    if (machine.kind !== 'self-hosted') return;
    close(machine.fixedPerHour, 1);
    close(machine.energyLoadPerHour, 0.25);
    close(machine.energyIdlePerHour, 0.05);
  });

  it('prices measured compute time at measured utilisation', () => {
    // 36 s = 0.01 h at 25%: fixed 0.01 × 1 / 0.25 = 0.04; energy 0.01 × (0.25 + 3 × 0.05) = 0.004
    const result = costOf({ inputTokens: undefined, outputTokens: undefined }, { computeSeconds: 36, utilisation: 0.25 }, machine);
    close(result.amount, 0.044);
    assert.equal(result.basis, 'self-hosted');
    assert.match(result.detail, /36 s compute at 25% utilisation/);
  });

  it('a faster model or a busier machine costs less per request', () => {
    const slow = costOf({ inputTokens: 1, outputTokens: 1 }, { computeSeconds: 36, utilisation: 0.25 }, machine).amount!;
    const fast = costOf({ inputTokens: 1, outputTokens: 1 }, { computeSeconds: 18, utilisation: 0.25 }, machine).amount!;
    const busy = costOf({ inputTokens: 1, outputTokens: 1 }, { computeSeconds: 36, utilisation: 1 }, machine).amount!;
    close(fast, slow / 2);
    // Fully busy: 0.01 × (1 + 0.25) = 0.0125
    close(busy, 0.0125);
  });

  it('unmeasured compute time or utilisation gives an unknown cost', () => {
    assert.equal(costOf({ inputTokens: 1, outputTokens: 1 }, { utilisation: 0.5 }, machine).amount, undefined);
    assert.equal(costOf({ inputTokens: 1, outputTokens: 1 }, { computeSeconds: 1 }, machine).amount, undefined);
    assert.equal(costOf({ inputTokens: 1, outputTokens: 1 }, { computeSeconds: 1, utilisation: 0 }, machine).basis, 'unknown');
  });
});

describe('resolving costs', () => {
  it('prices an API model named like a table entry, including dated snapshots', () => {
    const book = new CostBook(
      [
        { id: 'a', backend: 'openai-compatible', model: 'gpt-4o-2024-08-06' },
        { id: 'claude-3-5-haiku-20241022', backend: 'openai-compatible' },
        { id: 'b', backend: 'openai-compatible', model: 'o3-pro' },
        { id: 'local', backend: 'llamacpp' },
      ],
      usd,
    );
    close(book.costOf('a', { inputTokens: 1_000_000, outputTokens: 0 }).amount, 2.5);
    close(book.costOf('claude-3-5-haiku-20241022', { inputTokens: 0, outputTokens: 1_000_000 }).amount, 4);
    // o3-pro is not o3: no price rather than a wrong one.
    assert.equal(book.costOf('b', { inputTokens: 1, outputTokens: 1 }).basis, 'unknown');
    assert.match(book.costOf('local', { inputTokens: 1, outputTokens: 1 }).detail, /add pricing .* or selfHosted/);
    assert.match(book.costOf('nope', { inputTokens: 1, outputTokens: 1 }).detail, /not in the portfolio/);
  });

  it('ledger.prices overrides the table', () => {
    const ledger = ledgerSchema.parse({ prices: { 'gpt-4o': { inputPerMTok: 1, outputPerMTok: 1 } } });
    const book = new CostBook([{ id: 'x', backend: 'openai-compatible', pricing: { table: 'gpt-4o' } }], ledger);
    close(book.costOf('x', { inputTokens: 1_000_000, outputTokens: 0 }).amount, 1);
    assert.match(book.costOf('x', { inputTokens: 1, outputTokens: 0 }).detail, /ledger\.prices\["gpt-4o"\]/);
  });

  it('maxCostOf bounds API requests and declines self-hosted ones', () => {
    const book = new CostBook(
      [
        { id: 'mini', backend: 'openai-compatible', pricing: { table: 'gpt-4o-mini' } },
        { id: 'local', backend: 'llamacpp', selfHosted: { hardwarePrice: 1000, amortisationMonths: 36, machineShare: 1, powerWattsLoad: 0, powerWattsIdle: 0, electricityPerKWh: 0, hostingPerMonth: 0, currency: 'USD' } },
      ],
      usd,
    );
    close(book.maxCostOf('mini', 1000, 1000)!, (1000 * 0.15 + 1000 * 0.6) / 1e6);
    assert.equal(book.maxCostOf('local', 1000, 1000), undefined);
  });

  it('lookupPrice finds aliases and ignores prototype names', () => {
    assert.equal(lookupPrice('claude-sonnet-4')?.inputPerMTok, 3);
    assert.equal(lookupPrice('constructor'), undefined);
    assert.equal(lookupPrice('gpt-4o-mini-2024-07-18')?.outputPerMTok, 0.6);
  });
});
