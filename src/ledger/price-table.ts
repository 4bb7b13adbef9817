/**
 * The default price table for common proprietary API models, in USD per million tokens.
 *
 * Prices change: every figure here was copied by hand from the providers' public pricing pages
 * (openai.com/api/pricing, anthropic.com/pricing, ai.google.dev/gemini-api/docs/pricing,
 * mistral.ai/pricing) as of `priceTableAsOf`, for standard (not batch, not priority) processing and,
 * where a provider tiers by prompt length (Gemini 2.5 Pro), the lower tier. Override any entry with
 * `ledger.prices` in the portfolio config, or give a model explicit `pricing`.
 *
 * `cachedInputPerMTok` is the price of a prompt-cache *read*; cache writes (Anthropic's 1.25×) are
 * not modelled, so Anthropic costs with heavy cache writes are slightly under-counted.
 */

export interface ApiPrice {
  inputPerMTok: number;
  outputPerMTok: number;
  /** Price of input tokens served from the prompt cache; absent: same as input. */
  cachedInputPerMTok?: number;
  currency: string;
}

export const priceTableAsOf = '2025-08-15';
export const priceTableSource = 'hand-copied from the OpenAI, Anthropic, Google Gemini and Mistral public pricing pages';

const usd = (inputPerMTok: number, outputPerMTok: number, cachedInputPerMTok?: number): ApiPrice =>
  cachedInputPerMTok === undefined ? { inputPerMTok, outputPerMTok, currency: 'USD' } : { inputPerMTok, outputPerMTok, cachedInputPerMTok, currency: 'USD' };

export const defaultPriceTable: Readonly<Record<string, ApiPrice>> = Object.freeze({
  // OpenAI
  'gpt-5': usd(1.25, 10, 0.125),
  'gpt-5-mini': usd(0.25, 2, 0.025),
  'gpt-5-nano': usd(0.05, 0.4, 0.005),
  'gpt-4.1': usd(2, 8, 0.5),
  'gpt-4.1-mini': usd(0.4, 1.6, 0.1),
  'gpt-4.1-nano': usd(0.1, 0.4, 0.025),
  'gpt-4o': usd(2.5, 10, 1.25),
  'gpt-4o-mini': usd(0.15, 0.6, 0.075),
  o3: usd(2, 8, 0.5),
  'o3-mini': usd(1.1, 4.4, 0.55),
  'o4-mini': usd(1.1, 4.4, 0.275),
  'text-embedding-3-small': usd(0.02, 0),
  'text-embedding-3-large': usd(0.13, 0),
  // Anthropic
  'claude-opus-4-1': usd(15, 75, 1.5),
  'claude-opus-4-0': usd(15, 75, 1.5),
  'claude-sonnet-4-0': usd(3, 15, 0.3),
  'claude-3-7-sonnet': usd(3, 15, 0.3),
  'claude-3-5-haiku': usd(0.8, 4, 0.08),
  'claude-3-haiku': usd(0.25, 1.25, 0.03),
  // Google Gemini
  'gemini-2.5-pro': usd(1.25, 10, 0.31),
  'gemini-2.5-flash': usd(0.3, 2.5, 0.075),
  'gemini-2.5-flash-lite': usd(0.1, 0.4, 0.025),
  'gemini-2.0-flash': usd(0.1, 0.4, 0.025),
  'gemini-2.0-flash-lite': usd(0.075, 0.3),
  // Mistral
  'mistral-large-latest': usd(2, 6),
  'mistral-medium-latest': usd(0.4, 2),
  'mistral-small-latest': usd(0.1, 0.3),
  'codestral-latest': usd(0.3, 0.9),
  'open-mistral-nemo': usd(0.15, 0.15),
  'ministral-8b-latest': usd(0.1, 0.1),
  'mistral-embed': usd(0.1, 0),
});

/** Aliases providers publish for the same model. */
const aliases: Readonly<Record<string, string>> = {
  'claude-opus-4': 'claude-opus-4-0',
  'claude-sonnet-4': 'claude-sonnet-4-0',
  'claude-3-7-sonnet-latest': 'claude-3-7-sonnet',
  'claude-3-5-haiku-latest': 'claude-3-5-haiku',
};

/**
 * Dated snapshots (`gpt-4o-mini-2024-07-18`, `claude-3-5-haiku-20241022`) cost what their family
 * costs. Only a date suffix is stripped: `o3-pro` must not be priced as `o3`.
 */
const snapshotSuffix = /-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$/;

/** Finds a model's price by exact name, alias, or dated snapshot; `undefined` when unknown. */
export function lookupPrice(name: string, table: Readonly<Record<string, ApiPrice>> = defaultPriceTable): ApiPrice | undefined {
  const candidates = [name, name.replace(snapshotSuffix, '')];
  for (const candidate of candidates) {
    const direct = Object.hasOwn(table, candidate) ? table[candidate] : undefined;
    if (direct) return direct;
    const alias = aliases[candidate];
    if (alias !== undefined && Object.hasOwn(table, alias)) return table[alias];
  }
  return undefined;
}
