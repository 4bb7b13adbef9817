import type { GatewayResponse } from '../server/http/gateway-http.ts';
import type { Usage } from '../backends/types.ts';
import { UnbundleError } from '../errors.ts';
import type { Caller } from './key-authenticator.ts';
import type { Tenant } from './tenant-directory.ts';
import { refillWindowMs, type BucketTake, type TokenBucketStore } from './token-bucket-store.ts';

/** Tokens held for a request until its real usage is known. */
export interface RateReservation {
  /** The token buckets charged (cost = the estimate each). */
  tokenBuckets: BucketTake[];
  reserved: number;
}

/** "1s", "6m0s", "250ms": the duration style of OpenAI's x-ratelimit-reset-* headers. */
export function formatResetDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const seconds = Math.ceil(ms / 100) / 10;
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${Math.round((seconds - minutes * 60) * 10) / 10}s`;
}

/**
 * Requests-per-minute and tokens-per-minute per tenant (and per key), as token buckets in a
 * store. Answers 429 with Retry-After and OpenAI-style x-ratelimit-* headers on every response.
 */
export class RateLimiter {
  constructor(readonly store: TokenBucketStore) {}

  /** Takes one request and `estimate` tokens; throws 429 when a bucket is short. */
  async admit(res: GatewayResponse, tenant: Tenant, caller: Caller, estimate: number): Promise<RateReservation | undefined> {
    const { rpm, tpm, keyRpm, keyTpm } = tenant.config;
    const takes: BucketTake[] = [];
    const kinds: Array<'requests' | 'tokens'> = [];
    const add = (key: string, capacity: number | undefined, cost: number, kind: 'requests' | 'tokens') => {
      if (capacity === undefined) return;
      // A request larger than a whole minute's budget may run when the bucket is full, rather than never.
      takes.push({ key, capacity, cost: Math.min(cost, capacity) });
      kinds.push(kind);
    };
    add(`t:${tenant.config.id}:requests`, rpm, 1, 'requests');
    add(`t:${tenant.config.id}:tokens`, tpm, estimate, 'tokens');
    add(`k:${caller.keyId}:requests`, keyRpm, 1, 'requests');
    add(`k:${caller.keyId}:tokens`, keyTpm, estimate, 'tokens');
    if (takes.length === 0) return undefined;
    const result = await this.store.take(takes);
    setHeaders(res, takes, kinds, result.remaining);
    if (!result.ok) {
      const short: string[] = [];
      takes.forEach((take, index) => {
        if (result.remaining[index]! < take.cost) short.push(describe(take, kinds[index]!));
      });
      const seconds = Math.max(1, Math.ceil(result.waitMs / 1000));
      throw new UnbundleError(
        'UNBUNDLE_E_RATE_LIMITED',
        `Rate limit reached for tenant "${tenant.config.id}" (${short.join('; ')}). Retry after ${seconds} s, or ask an admin to raise the limit.`,
        { retryAfterSeconds: seconds },
      );
    }
    const tokenBuckets = takes.filter((_, index) => kinds[index] === 'tokens');
    return tokenBuckets.length === 0 ? undefined : { tokenBuckets, reserved: estimate };
  }

  /**
   * Replaces the estimate with what the request really used: gives back the difference, or takes
   * more (a bucket may go into debt, delaying the next request). Unknown usage keeps the estimate,
   * except when nothing ran at all.
   */
  async settle(reservation: RateReservation, usage: Usage | undefined, ran: boolean): Promise<void> {
    let actual: number;
    if (usage?.inputTokens !== undefined && usage.outputTokens !== undefined) actual = usage.inputTokens + usage.outputTokens;
    else if (!ran) actual = 0;
    else return;
    const takes = reservation.tokenBuckets.map((take) => ({ key: take.key, capacity: take.capacity, cost: actual - take.cost }));
    if (takes.every((take) => take.cost === 0)) return;
    await this.store.take(takes, true);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

function describe(take: BucketTake, kind: 'requests' | 'tokens'): string {
  const scope = take.key.startsWith('k:') ? 'per key' : 'per tenant';
  return kind === 'requests' ? `${take.capacity} requests per minute ${scope}` : `${take.capacity} tokens per minute ${scope}, this request needs about ${take.cost}`;
}

function setHeaders(res: GatewayResponse, takes: BucketTake[], kinds: Array<'requests' | 'tokens'>, remaining: number[]): void {
  for (const kind of ['requests', 'tokens'] as const) {
    // The tightest bucket of each kind is the one a client must pace itself by.
    let best = -1;
    for (let i = 0; i < takes.length; i++) {
      if (kinds[i] !== kind) continue;
      if (best === -1 || remaining[i]! / takes[i]!.capacity < remaining[best]! / takes[best]!.capacity) best = i;
    }
    if (best === -1) continue;
    const { capacity } = takes[best]!;
    const left = Math.max(0, remaining[best]!);
    const resetMs = ((capacity - remaining[best]!) / capacity) * refillWindowMs;
    res.setHeader(`x-ratelimit-limit-${kind}`, String(capacity));
    res.setHeader(`x-ratelimit-remaining-${kind}`, String(left));
    res.setHeader(`x-ratelimit-reset-${kind}`, formatResetDuration(resetMs));
  }
}
