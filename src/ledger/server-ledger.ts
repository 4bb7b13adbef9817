import { uuidV7 } from '../util/uuid-v7.ts';
import type { EmbedRequest, GenerateRequest } from '../backends/types.ts';
import type { Plan } from '../router/plan.ts';
import type { MetricsRegistry } from '../server/metrics.ts';
import type { RequestContext } from '../server/request-context.ts';
import type { BudgetGuard, Reservation } from './budget-guard.ts';
import type { CostBook } from './cost-book.ts';
import type { LedgerLocation } from './open-ledger-store.ts';
import type { LedgerRow } from './ledger-row.ts';
import type { LedgerStore } from './ledger-store.ts';
import type { LedgerWriter } from './ledger-writer.ts';
import type { MeterReading, MeterTicket, UtilisationMeter } from './utilisation-meter.ts';

/**
 * The ledger as the server sees it: one `LedgerEntry` per ledgered request (POST /v1/...), which
 * meters a self-hosted model's compute, holds the budget reservation and turns the request's
 * context into its one ledger row.
 *
 * Durability: handlers call `entry.seal()` and await it just before they send a response's last
 * bytes; it journals the row (one write shared by every request sealing in the same event-loop
 * turn), so a response the client saw complete has its row on disk, surviving kill -9. Requests
 * that end any other way (client gone, an error thrown past the handler) are recorded by
 * `finish()` at the end of the request, without waiting.
 */
export interface ServerLedgerParts {
  store: LedgerStore;
  writer: LedgerWriter;
  book: CostBook;
  meter: UtilisationMeter;
  /** Absent when no budgets are configured (then admission costs nothing). */
  budgets?: BudgetGuard | undefined;
  location: LedgerLocation;
  /** max_tokens assumed for a budget reservation when neither the request nor the model sets one. */
  defaultMaxTokens?: number;
  /** Per model: the default max_tokens of its config, when it has one. */
  modelMaxTokens?: ReadonlyMap<string, number>;
}

export class ServerLedger {
  readonly store: LedgerStore;
  readonly writer: LedgerWriter;
  readonly book: CostBook;
  readonly meter: UtilisationMeter;
  readonly budgets: BudgetGuard | undefined;
  readonly location: LedgerLocation;
  readonly defaultMaxTokens: number;
  readonly modelMaxTokens: ReadonlyMap<string, number>;
  /** Models priced by compute time: only these are metered. */
  private readonly metered = new Set<string>();
  private closed = false;

  constructor(parts: ServerLedgerParts, modelIds: readonly string[] = []) {
    this.store = parts.store;
    this.writer = parts.writer;
    this.book = parts.book;
    this.meter = parts.meter;
    this.budgets = parts.budgets;
    this.location = parts.location;
    this.defaultMaxTokens = parts.defaultMaxTokens ?? 4096;
    this.modelMaxTokens = parts.modelMaxTokens ?? new Map();
    for (const id of modelIds) {
      if (this.book.modelCost(id).kind !== 'self-hosted') continue;
      this.metered.add(id);
      // Idle time from start-up counts in the utilisation, not only the time since the first request.
      this.meter.track(id);
    }
  }

  /** The per-request entry; the gateway opens one for every POST /v1/... request. */
  open(ctx: RequestContext): LedgerEntry {
    return new LedgerEntry(this, ctx);
  }

  isMetered(modelId: string): boolean {
    return this.metered.has(modelId);
  }

  /** Ledger health on /metrics, read at scrape time (nothing is updated per request). */
  registerMetrics(registry: MetricsRegistry): void {
    registry.collectedGauge('unbundle_ledger_rows', 'Ledger rows since start: recorded, committed, queued in memory, spilled to the journal only, dropped.', () => {
      const stats = this.writer.stats();
      return (['recorded', 'committed', 'queued', 'spilled', 'dropped'] as const).map((state) => [{ state }, stats[state]]);
    });
    registry.collectedGauge('unbundle_ledger_store_up', 'Whether the last ledger commit succeeded (1) or the store is failing and rows wait in the journal (0).', () => [
      [{ store: this.store.kind }, this.writer.stats().storeHealthy ? 1 : 0],
    ]);
  }

  /** Commits everything recorded so far (shutdown, tests); false on timeout. */
  flush(timeoutMs = 10_000): Promise<boolean> {
    return this.writer.flush(timeoutMs);
  }

  /** Flushes, stops the writer (uncommitted rows stay in the journal) and closes the store. */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.close(timeoutMs);
    await this.store.close();
  }
}

const endpointNames: Record<string, string> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completion',
  '/v1/embeddings': 'embedding',
  '/v1/messages': 'messages',
};

export class LedgerEntry {
  private plan: Plan | undefined;
  private dispatched = false;
  private ticket: MeterTicket | undefined;
  private reading: MeterReading | undefined;
  private reservation: Reservation | undefined;
  private row: LedgerRow | undefined;
  private sealed: Promise<void> | undefined;
  private finished = false;

  constructor(
    private readonly ledger: ServerLedger,
    private readonly ctx: RequestContext,
  ) {}

  /**
   * Call after routing, before the executor: reserves against the budgets (throws
   * UNBUNDLE_E_BUDGET_EXCEEDED, sets `x-unbundle-budget-warning`) and starts metering the chosen
   * model's compute when it is priced by time. Returns a promise only when budgets are configured:
   * `const admitted = ctx.ledger.admit(plan, request); if (admitted) await admitted;`
   */
  admit(plan: Plan, request: GenerateRequest | EmbedRequest): Promise<void> | undefined {
    this.plan = plan;
    // Without budgets admission is synchronous: no promise, no await on the hot path.
    if (this.ledger.budgets) return this.reserve(plan, request);
    this.dispatch(plan);
    return undefined;
  }

  private async reserve(plan: Plan, request: GenerateRequest | EmbedRequest): Promise<void> {
    const { budgets, book } = this.ledger;
    const input = estimateInputTokens(request);
    const output = 'input' in request ? 0 : (request.maxTokens ?? this.ledger.modelMaxTokens.get(plan.primary) ?? this.ledger.defaultMaxTokens);
    this.reservation = await budgets!.reserve({
      keyId: this.ctx.keyId,
      tenant: this.ctx.tenantId,
      model: plan.primary,
      maxTokens: input + output,
      maxCost: book.maxCostOf(plan.primary, input, output),
    });
    if (this.reservation.warnings.length > 0 && !this.ctx.res.headersSent) {
      this.ctx.res.setHeader('x-unbundle-budget-warning', headerText(this.reservation.warnings.join('; ')));
    }
    this.dispatch(plan);
  }

  private dispatch(plan: Plan): void {
    this.dispatched = true;
    if (this.ledger.isMetered(plan.primary)) this.ticket = this.ledger.meter.begin(plan.primary);
  }

  /**
   * Journals the row now (the response is about to end); await it before the last bytes. Later
   * calls return the same promise; the row is not recorded again by `finish()`.
   */
  seal(): Promise<void> {
    if (this.sealed) return this.sealed;
    this.sealed = this.ledger.writer.recordDurable(this.buildRow());
    return this.sealed;
  }

  /** The request is over, whatever happened: record the row if not sealed, settle the budget. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.sealed) void this.ledger.writer.recordDurable(this.buildRow());
    else this.stopMeter();
    const { budgets } = this.ledger;
    if (budgets && this.reservation) {
      const row = this.row!;
      const answered = row.model !== undefined;
      const tokens = row.inputTokens !== undefined && row.outputTokens !== undefined ? row.inputTokens + row.outputTokens : undefined;
      // A call that produced no answer is not billed by providers: charge what is known, else 0.
      void budgets.settle(this.reservation, answered ? { tokens, cost: row.cost } : { tokens: tokens ?? 0, cost: row.cost ?? 0 }).catch(() => undefined);
    }
  }

  private stopMeter(): void {
    if (this.ticket && !this.reading) this.reading = this.ledger.meter.end(this.ticket);
  }

  private buildRow(): LedgerRow {
    this.stopMeter();
    const { ctx } = this;
    const { book } = this.ledger;
    const error = ctx.error;
    const { res } = ctx;
    const httpStatus = error && !res.headersSent ? error.status : res.statusCode;
    const clientGone = res.destroyed && !res.writableFinished;
    const status = error === undefined && !clientGone ? 'ok' : error?.code === 'UNBUNDLE_E_CANCELLED' || clientGone ? 'cancelled' : 'error';
    const plan = ctx.plan ?? this.plan;
    const usage = ctx.usage;
    const model = ctx.answeredBy;
    const given = ctx.req.headers['x-request-id'];
    const clientSentId = given === ctx.id;
    const row: LedgerRow = {
      id: clientSentId ? uuidV7() : ctx.id,
      time: Math.round(performance.timeOrigin + ctx.start),
      endpoint: endpointNames[ctx.endpoint] ?? ctx.endpoint.slice(0, 512),
      attempts: ctx.attempts ?? ctx.attemptedModels?.length ?? (this.dispatched ? 1 : 0),
      latencyMs: microseconds(performance.now() - ctx.start),
      status,
      httpStatus: httpStatus >= 100 && httpStatus <= 599 ? httpStatus : 500,
      currency: book.currency,
      costBasis: 'unknown',
    };
    if (clientSentId) row.clientRequestId = ctx.id;
    if (ctx.tenantId !== undefined) row.tenant = ctx.tenantId;
    if (ctx.keyId !== undefined) row.keyId = ctx.keyId;
    if (ctx.requestedModel !== undefined) row.requestedModel = ctx.requestedModel.slice(0, 512);
    if (model !== undefined) row.model = model;
    if (ctx.attemptedModels !== undefined && ctx.attemptedModels.length > 0) row.attemptedModels = ctx.attemptedModels.join(',').slice(0, 512);
    if (plan?.domain !== undefined) row.domain = plan.domain;
    if (plan !== undefined && plan.reasons.length > 0) row.routeReason = plan.reasons.join('; ').slice(0, 512);
    if (ctx.dataClass !== undefined) row.dataClass = ctx.dataClass;
    if (ctx.stream !== undefined) row.stream = ctx.stream;
    if (usage) {
      if (usage.inputTokens !== undefined) row.inputTokens = usage.inputTokens;
      if (usage.outputTokens !== undefined) row.outputTokens = usage.outputTokens;
      if (usage.cachedInputTokens !== undefined) row.cachedInputTokens = usage.cachedInputTokens;
      if (usage.reasoningTokens !== undefined) row.reasoningTokens = usage.reasoningTokens;
    }
    if (ctx.ttftMs !== undefined) row.ttftMs = microseconds(ctx.ttftMs);
    if (error) row.errorCode = error.code;
    const reading = this.reading;
    if (reading) row.computeMs = microseconds(reading.computeSeconds * 1000);
    if (model !== undefined && usage !== undefined) {
      const cost = book.costOf(model, usage, reading ?? {});
      row.costBasis = cost.basis;
      if (cost.amount !== undefined) row.cost = cost.amount;
    } else if (!this.dispatched) {
      // Refused before any model saw it (bad request, budget, shutting down): it cost nothing.
      row.cost = 0;
      row.costBasis = 'none';
    }
    this.row = row;
    return row;
  }
}

/** A cheap, deliberately generous prompt size: about 4 characters a token, plus framing per message. */
export function estimateInputTokens(request: GenerateRequest | EmbedRequest): number {
  let chars = 0;
  let parts = 0;
  if ('input' in request) {
    for (const text of request.input) chars += text.length;
    parts = request.input.length;
  } else if (request.kind === 'completion') {
    chars = request.prompt.length;
    parts = 1;
  } else {
    for (const message of request.messages) {
      parts++;
      if (typeof message.content === 'string') chars += message.content.length;
      else for (const part of message.content) chars += part.type === 'text' ? part.text.length : 1000; // an image: ~250 tokens
    }
  }
  return Math.ceil(chars / 4) + 4 * parts;
}

/**
 * Milliseconds kept to the microsecond: shorter numbers make the journal line (JSON, written for
 * every request) measurably cheaper to produce, and nothing finer is meaningful.
 */
function microseconds(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Header values must be visible ASCII. */
function headerText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 1000);
}
