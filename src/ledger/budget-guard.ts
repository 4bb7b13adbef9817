import { UnbundleError } from '../errors.ts';
import { MemoryBudgetCounters, type BudgetCounters } from './budget-counters.ts';
import type { BudgetConfig } from './cost-schema.ts';
import type { GroupBy, LedgerStore } from './ledger-store.ts';

/**
 * Budgets per API key, tenant or model, per UTC day or month, in money or tokens.
 *
 * Before the call a request reserves its worst case (input + max_tokens, or their price); after it
 * the reservation is replaced by what was really spent. A request is admitted while anything is
 * left (spent + reserved < limit), so however many run at once, a budget ends at most one
 * request's reservation over its limit. A spend nobody could measure is charged at the
 * reservation (unknown is not free); a money estimate nobody could make reserves all that is
 * left, which lets such requests through one at a time.
 */

export interface BudgetRequest {
  keyId?: string | undefined;
  tenant?: string | undefined;
  /** The model that will answer. */
  model: string;
  /** Input tokens (estimated) + max output tokens. */
  maxTokens: number;
  /** Worst-case price of those tokens in the ledger currency; undefined when it cannot be bounded. */
  maxCost: number | undefined;
}

export interface BudgetSpend {
  /** Input + output tokens actually used; undefined when unknown. */
  tokens: number | undefined;
  cost: number | undefined;
}

interface Hold {
  readonly counterKey: string;
  readonly reserved: number;
  readonly unit: 'money' | 'tokens';
}

export interface Reservation {
  readonly holds: readonly Hold[];
  /** Soft-limit warnings for an `x-unbundle-budget-warning` response header. */
  readonly warnings: readonly string[];
  settled: boolean;
}

interface Budget {
  config: BudgetConfig;
  label: string;
  index: number;
}

export interface BudgetGuardOptions {
  currency: string;
  counters?: BudgetCounters;
  now?: () => number;
}

export class BudgetGuard {
  private readonly budgets: Budget[];
  private readonly counters: BudgetCounters;
  private readonly now: () => number;
  private readonly currency: string;

  constructor(budgets: readonly BudgetConfig[], options: BudgetGuardOptions) {
    this.budgets = budgets.map((config, index) => ({ config, index, label: config.name ?? defaultLabel(config) }));
    this.now = options.now ?? Date.now;
    this.counters = options.counters ?? new MemoryBudgetCounters(this.now);
    this.currency = options.currency;
  }

  /** Throws UNBUNDLE_E_BUDGET_EXCEEDED (402 or 429, with Retry-After) when a hard limit is spent. */
  async reserve(request: BudgetRequest): Promise<Reservation> {
    const now = this.now();
    const holds: Hold[] = [];
    const warnings: string[] = [];
    for (const budget of this.budgets) {
      const subject = subjectOf(budget.config, request);
      if (subject === undefined) continue;
      const { key: period, endsAt } = periodOf(budget.config.period, now);
      const counterKey = `${budget.index}|${subject}|${period}`;
      const { config } = budget;
      const amount = config.unit === 'tokens' ? request.maxTokens : (request.maxCost ?? 'rest');
      const outcome = await this.counters.tryReserve(counterKey, amount, config.limit, endsAt);
      if (!outcome.admitted) {
        await this.settleHolds(holds, { tokens: 0, cost: 0 });
        const resetsIn = Math.max(1, Math.ceil((endsAt - now) / 1000));
        throw new UnbundleError(
          'UNBUNDLE_E_BUDGET_EXCEEDED',
          `Budget "${budget.label}" for ${config.scope} ${subject} is spent: ${this.amount(outcome.used, config)} of ${this.amount(config.limit, config)} used` +
            (outcome.inFlight > 0 ? ` and ${this.amount(outcome.inFlight, config)} reserved by requests in flight` : '') +
            `. It resets at ${new Date(endsAt).toISOString()}; ask an administrator to raise the limit if you need more.`,
          { status: config.status, retryAfterSeconds: resetsIn },
        );
      }
      holds.push({ counterKey, reserved: outcome.reserved, unit: config.unit });
      const committed = outcome.used + outcome.inFlight;
      if (committed >= config.warnAt * config.limit) {
        warnings.push(`budget "${budget.label}" for ${subject}: ${Math.min(100, Math.round((committed / config.limit) * 100))}% of ${this.amount(config.limit, config)} used or reserved`);
      }
    }
    return { holds, warnings, settled: false };
  }

  /** Call once per reservation when the request ends, whatever its outcome. */
  async settle(reservation: Reservation, spend: BudgetSpend): Promise<void> {
    if (reservation.settled) return;
    reservation.settled = true;
    await this.settleHolds(reservation.holds, spend);
  }

  /**
   * After a restart: charges this period's spend recorded in the ledger, so that a restart does
   * not hand out a fresh budget.
   */
  async seedFromLedger(store: LedgerStore): Promise<void> {
    const now = this.now();
    for (const budget of this.budgets) {
      const { config } = budget;
      const { key: period, start, endsAt } = periodOf(config.period, now);
      const by: GroupBy = config.scope === 'key' ? 'key' : config.scope;
      const groups = await store.aggregate(by, { since: start });
      for (const group of groups) {
        if (group.key === null || (config.match !== '*' && config.match !== group.key)) continue;
        if (config.unit === 'money' && group.currency !== this.currency) continue;
        const used = config.unit === 'tokens' ? group.inputTokens + group.outputTokens : group.cost;
        await this.counters.seed(`${budget.index}|${group.key}|${period}`, used, endsAt);
      }
    }
  }

  private async settleHolds(holds: readonly Hold[], spend: BudgetSpend): Promise<void> {
    for (const hold of holds) {
      const actual = hold.unit === 'tokens' ? spend.tokens : spend.cost;
      await this.counters.settle(hold.counterKey, hold.reserved, actual ?? hold.reserved);
    }
  }

  private amount(value: number, config: BudgetConfig): string {
    if (config.unit === 'tokens') return `${Math.round(value)} tokens`;
    // Four significant digits: a budget of 0.00002 USD must not read as "0 USD".
    return `${Math.abs(value) >= 1 || value === 0 ? Number(value.toFixed(4)) : Number(value.toPrecision(4))} ${this.currency}`;
  }
}

function defaultLabel(config: BudgetConfig): string {
  return `${config.unit} per ${config.period} per ${config.scope}${config.match === '*' ? '' : ` ${config.match}`}`;
}

function subjectOf(config: BudgetConfig, request: BudgetRequest): string | undefined {
  const subject = config.scope === 'key' ? request.keyId : config.scope === 'tenant' ? request.tenant : request.model;
  if (subject === undefined) return undefined;
  return config.match === '*' || config.match === subject ? subject : undefined;
}

/** UTC calendar periods: budgets reset at midnight UTC / the first of the month UTC. */
export function periodOf(period: 'day' | 'month', now: number): { key: string; start: number; endsAt: number } {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === 'day') {
    const start = Date.UTC(year, month, date.getUTCDate());
    return { key: new Date(start).toISOString().slice(0, 10), start, endsAt: start + 86_400_000 };
  }
  const start = Date.UTC(year, month, 1);
  return { key: new Date(start).toISOString().slice(0, 7), start, endsAt: Date.UTC(year, month + 1, 1) };
}
