import { z } from 'zod';
import { defaultPriceTable, lookupPrice } from './price-table.ts';

/**
 * Config schemas for what a model costs (`pricing` for APIs, `selfHosted` for machines you run)
 * and for the top-level `ledger` section. Every money figure has a currency next to it; costs are
 * converted once, at start, into the ledger's accounting currency (`ledger.currency`).
 */

export const currencyCode = z.string().regex(/^[A-Z]{3}$/, { message: 'must be a three-letter ISO 4217 currency code such as USD or EUR' });
const money = z.number().finite().min(0, { message: 'must be zero or more' });
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  message: 'must be the NAME of an environment variable (secrets never go in the config file itself)',
});
const sqlIdentifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a lower-case SQL name such as public or unbundle' });

export const explicitPricingSchema = z.strictObject({
  inputPerMTok: money,
  outputPerMTok: money,
  /** Price of prompt-cache reads; absent: the input price. */
  cachedInputPerMTok: money.optional(),
  currency: currencyCode.default('USD'),
});

/** `pricing: gpt-4o-mini` (a price-table entry) or `pricing: { inputPerMTok, outputPerMTok, ... }`. */
export const pricingSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { table: value } : value),
  z
    .strictObject({
      table: z.string().min(1).optional(),
      inputPerMTok: money.optional(),
      outputPerMTok: money.optional(),
      cachedInputPerMTok: money.optional(),
      currency: currencyCode.optional(),
    })
    .superRefine((pricing, ctx) => {
      const explicit = pricing.inputPerMTok !== undefined || pricing.outputPerMTok !== undefined || pricing.cachedInputPerMTok !== undefined;
      if (pricing.table !== undefined && (explicit || pricing.currency !== undefined)) {
        ctx.addIssue({ code: 'custom', message: 'give either a price-table name (table) or your own prices (inputPerMTok, outputPerMTok), not both' });
      } else if (pricing.table === undefined) {
        for (const key of ['inputPerMTok', 'outputPerMTok'] as const) {
          if (pricing[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'missing — set the price per million tokens, or use pricing: <price-table name>' });
        }
      }
    }),
);

export const selfHostedCostSchema = z
  .strictObject({
    /** What the machine cost to buy. */
    hardwarePrice: money.default(0),
    amortisationMonths: z.number().positive({ message: 'must be more than 0 (e.g. 36 for three years)' }).default(36),
    /** Fraction of the machine this model uses (0 < share <= 1); fixed costs and power are split by it. */
    machineShare: z.number().gt(0, { message: 'must be more than 0' }).max(1, { message: 'must be at most 1 (the whole machine)' }).default(1),
    /** Whole-machine power draw while generating, in watts. */
    powerWattsLoad: z.number().min(0).default(0),
    /** Whole-machine power draw while idle, in watts. */
    powerWattsIdle: z.number().min(0).default(0),
    electricityPerKWh: money.default(0),
    /** Rent, colocation or cloud instance cost per month. */
    hostingPerMonth: money.default(0),
    currency: currencyCode.default('USD'),
  })
  .superRefine((cost, ctx) => {
    if (cost.hardwarePrice === 0 && cost.hostingPerMonth === 0 && (cost.powerWattsLoad === 0 || cost.electricityPerKWh === 0)) {
      ctx.addIssue({ code: 'custom', message: 'every cost is zero — set hardwarePrice, hostingPerMonth, or powerWattsLoad with electricityPerKWh' });
    }
    if (cost.powerWattsIdle > cost.powerWattsLoad) {
      ctx.addIssue({ code: 'custom', path: ['powerWattsIdle'], message: `is more than powerWattsLoad (${cost.powerWattsLoad} W) — idle draw should be the lower figure` });
    }
  });

const budgetSubject = z.string().min(1).max(128);

export const budgetSchema = z.strictObject({
  /** A name for messages and headers; default: derived from scope, match, period and unit. */
  name: z.string().min(1).max(64).optional(),
  scope: z.enum(['key', 'tenant', 'model']),
  /** One key / tenant / model, or "*" for a separate budget of this size for each. */
  match: budgetSubject.default('*'),
  period: z.enum(['day', 'month']),
  unit: z.enum(['money', 'tokens']),
  /** In the ledger currency for money budgets, in tokens (input + output) for token budgets. */
  limit: z.number().positive({ message: 'must be more than 0' }),
  /** Fraction of the limit from which responses carry a warning header. */
  warnAt: z.number().gt(0).max(1).default(0.8),
  /** HTTP status when the hard limit is hit: 402 (payment required) or 429 (too many requests). */
  status: z.union([z.literal(402), z.literal(429)]).default(402),
});

export const ledgerSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** auto: Postgres when the database URL variable is set, else SQLite in the data dir. */
    store: z.enum(['auto', 'memory', 'sqlite', 'postgres']).default('auto'),
    /** Folder for ledger.sqlite and the journal; default: $UNBUNDLE_DATA_DIR, else ./.unbundle. */
    dataDir: z.string().min(1).optional(),
    databaseUrlEnv: envName.default('UNBUNDLE_DATABASE_URL'),
    postgresSchema: sqlIdentifier.default('public'),
    /** normal survives a killed process; full also survives power loss, at an fsync per batch. */
    sqliteSynchronous: z.enum(['normal', 'full']).default('normal'),
    /** Append each row to a local journal before the response ends (crash-safe, spool when the store is down). */
    journal: z.boolean().default(true),
    batchSize: z.number().int().positive().max(10_000).default(500),
    flushIntervalMs: z.number().int().positive().max(60_000).default(50),
    /** Rows held in memory while the store is slow or down; beyond this they live only in the journal. */
    maxQueue: z.number().int().positive().default(10_000),
    /** The accounting currency: every cost and money budget is in it. */
    currency: currencyCode.default('USD'),
    /** Units of the accounting currency one unit of another currency buys, e.g. { EUR: 1.08 }. */
    exchangeRates: z.record(currencyCode, z.number().positive()).default({}),
    /** Adds to or overrides the default price table, by model name. */
    prices: z.record(z.string().min(1), explicitPricingSchema).default({}),
    budgets: z.array(budgetSchema).default([]),
    /** Sliding window over which a self-hosted model's utilisation is measured. */
    utilisationWindowMinutes: z.number().int().positive().max(7 * 24 * 60).default(60),
  })
  .prefault({});

export type PricingConfig = z.infer<typeof pricingSchema>;
export type ExplicitPricing = z.infer<typeof explicitPricingSchema>;
export type SelfHostedCostConfig = z.infer<typeof selfHostedCostSchema>;
export type BudgetConfig = z.infer<typeof budgetSchema>;
export type LedgerConfig = z.infer<typeof ledgerSchema>;

/** Optional cost keys for both model kinds in the portfolio schema. */
export const modelCostFields = {
  pricing: pricingSchema.optional(),
  selfHosted: selfHostedCostSchema.optional(),
};

interface CostCheckInput {
  models: ReadonlyArray<{ id: string; pricing?: PricingConfig | undefined; selfHosted?: SelfHostedCostConfig | undefined }>;
  ledger: LedgerConfig;
}

/**
 * Checks that need the whole config: a model has one kind of cost, its price-table name exists, and
 * every currency used can be converted into the accounting currency.
 */
export function costConfigIssues(config: CostCheckInput): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const { ledger } = config;
  const table = { ...defaultPriceTable, ...ledger.prices };
  const convertible = (currency: string, path: PropertyKey[], what = 'prices are') => {
    if (currency !== ledger.currency && ledger.exchangeRates[currency] === undefined) {
      issues.push({ path, message: `${what} in ${currency} but the ledger currency is ${ledger.currency} — add ledger.exchangeRates.${currency} (${ledger.currency} per ${currency})` });
    }
  };
  config.models.forEach((model, index) => {
    if (model.pricing && model.selfHosted) {
      issues.push({ path: ['models', index, 'selfHosted'], message: 'a model has either pricing (an API) or selfHosted (your machine), not both — remove one' });
    }
    if (model.pricing?.table !== undefined) {
      const price = lookupPrice(model.pricing.table, table);
      if (price === undefined) {
        issues.push({ path: ['models', index, 'pricing', 'table'], message: `"${model.pricing.table}" is not in the price table — add it under ledger.prices or give inputPerMTok and outputPerMTok` });
      } else convertible(price.currency, ['models', index, 'pricing', 'table'], `"${model.pricing.table}" is priced`);
    }
    if (model.pricing?.currency !== undefined) convertible(model.pricing.currency, ['models', index, 'pricing', 'currency']);
    if (model.selfHosted) convertible(model.selfHosted.currency, ['models', index, 'selfHosted', 'currency'], 'costs are');
  });
  for (const [name, price] of Object.entries(ledger.prices)) convertible(price.currency, ['ledger', 'prices', name, 'currency']);
  return issues;
}
