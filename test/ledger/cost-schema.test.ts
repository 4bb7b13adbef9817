import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import type { PortfolioInput } from '../../src/portfolio/schema.ts';
import { sharedModel } from '../helpers/paths.ts';

const api = (extra: Record<string, unknown>) => ({ id: 'api', backend: 'openai-compatible' as const, baseURL: 'http://127.0.0.1:9/v1', ...extra });

function problems(raw: Record<string, unknown>): string {
  try {
    portfolioFromObject(raw as PortfolioInput);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('the config was accepted');
}

describe('cost config in the portfolio', () => {
  it('accepts a price-table name, explicit prices and a self-hosted machine', () => {
    const portfolio = portfolioFromObject({
      models: [
        api({ id: 'a', pricing: 'gpt-4o-mini' }),
        api({ id: 'b', pricing: { inputPerMTok: 1, outputPerMTok: 2, cachedInputPerMTok: 0.5, currency: 'EUR' } }),
        {
          id: 'local',
          backend: 'llamacpp',
          path: sharedModel('stories260K.gguf'),
          selfHosted: { hardwarePrice: 3000, powerWattsLoad: 300, powerWattsIdle: 40, electricityPerKWh: 0.3, currency: 'EUR' },
        },
      ],
      ledger: { currency: 'EUR', exchangeRates: { USD: 0.92 }, budgets: [{ scope: 'tenant', period: 'month', unit: 'money', limit: 100 }] },
    } as PortfolioInput);
    const [a, b, local] = portfolio.models;
    assert.deepEqual(a!.pricing, { table: 'gpt-4o-mini' });
    assert.equal(b!.pricing?.cachedInputPerMTok, 0.5);
    assert.equal(local!.selfHosted?.amortisationMonths, 36);
    assert.equal(local!.selfHosted?.machineShare, 1);
    assert.equal(portfolio.ledger.store, 'auto');
    assert.equal(portfolio.ledger.sqliteSynchronous, 'normal');
    assert.equal(portfolio.ledger.budgets[0]!.match, '*');
    assert.equal(portfolio.ledger.budgets[0]!.status, 402);
  });

  it('the ledger section is optional with defaults', () => {
    const portfolio = portfolioFromObject({});
    assert.equal(portfolio.ledger.currency, 'USD');
    assert.equal(portfolio.ledger.batchSize, 500);
    assert.equal(portfolio.ledger.journal, true);
  });

  it('names an unknown price-table entry and how to fix it', () => {
    assert.match(problems({ models: [api({ pricing: 'gpt-9' })] }), /models\[0\]\.pricing\.table: "gpt-9" is not in the price table — add it under ledger\.prices/);
  });

  it('asks for an exchange rate when a cost is in another currency', () => {
    const message = problems({ models: [api({ pricing: { inputPerMTok: 1, outputPerMTok: 1, currency: 'EUR' } })] });
    assert.match(message, /models\[0\]\.pricing\.currency: prices are in EUR but the ledger currency is USD — add ledger\.exchangeRates\.EUR/);
    // The default table is in USD: an EUR ledger needs a USD rate to use it.
    assert.match(problems({ models: [api({ pricing: 'gpt-4o' })], ledger: { currency: 'EUR' } }), /models\[0\]\.pricing\.table: "gpt-4o" is priced in USD but the ledger currency is EUR — add ledger\.exchangeRates\.USD/);
  });

  it('rejects half-given prices, mixed forms, both cost kinds and typos', () => {
    assert.match(problems({ models: [api({ pricing: { inputPerMTok: 1 } })] }), /models\[0\]\.pricing\.outputPerMTok: missing/);
    assert.match(problems({ models: [api({ pricing: { table: 'gpt-4o', inputPerMTok: 1 } })] }), /either a price-table name .* not both/);
    assert.match(
      problems({ models: [api({ pricing: 'gpt-4o', selfHosted: { hostingPerMonth: 100 } })] }),
      /models\[0\]\.selfHosted: a model has either pricing .* not both/,
    );
    assert.match(problems({ models: [api({ pricing: { inputPerMtok: 1, outputPerMTok: 1 } })] }), /unknown key "inputPerMtok"/);
    assert.match(problems({ models: [api({ pricing: { inputPerMTok: 1, outputPerMTok: 1, currency: 'usd' } })] }), /three-letter ISO 4217/);
  });

  it('rejects a self-hosted cost that is all zero or has idle above load', () => {
    assert.match(problems({ models: [api({ selfHosted: {} })] }), /every cost is zero/);
    assert.match(
      problems({ models: [api({ selfHosted: { hostingPerMonth: 10, powerWattsLoad: 100, powerWattsIdle: 200 } })] }),
      /powerWattsIdle: is more than powerWattsLoad/,
    );
    assert.match(problems({ models: [api({ selfHosted: { hostingPerMonth: 10, machineShare: 2 } })] }), /machineShare/);
  });

  it('rejects a bad ledger section', () => {
    assert.match(problems({ ledger: { store: 'mysql' } }), /ledger\.store/);
    assert.match(problems({ ledger: { databaseUrlEnv: 'postgres://x' } }), /NAME of an environment variable/);
    assert.match(problems({ ledger: { budgets: [{ scope: 'tenant', period: 'week', unit: 'money', limit: 1 }] } }), /ledger\.budgets\[0\]\.period/);
  });
});
