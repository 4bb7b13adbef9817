/**
 * Token buckets: `capacity` tokens, refilled continuously at capacity per minute. A take over
 * several buckets is all-or-nothing (a request must fit its tenant's and its key's limits at once).
 * Two stores share this contract: memory (one process) and Redis (many replicas, one Lua script).
 */

export interface BucketTake {
  /** Store key, e.g. `t:acme:requests`. */
  key: string;
  capacity: number;
  /** Tokens this request takes; negative gives tokens back (settling a reservation). */
  cost: number;
}

export interface TakeResult {
  ok: boolean;
  /** When refused: milliseconds until every bucket could pay its cost. */
  waitMs: number;
  /** Tokens left in each bucket after the take (before, when refused), in the order given. */
  remaining: number[];
}

export interface TokenBucketStore {
  readonly kind: 'memory' | 'redis';
  /** Takes from every bucket, or from none when one cannot pay; `force` takes regardless (debt). */
  take(takes: readonly BucketTake[], force?: boolean): TakeResult | Promise<TakeResult>;
  close(): Promise<void>;
}

export const refillWindowMs = 60_000;

interface Level {
  tokens: number;
  at: number;
}

/** In-process buckets: the embedded default. */
export class MemoryTokenBucketStore implements TokenBucketStore {
  readonly kind = 'memory';
  private readonly levels = new Map<string, Level>();

  constructor(private readonly now: () => number = Date.now) {}

  take(takes: readonly BucketTake[], force = false): TakeResult {
    const now = this.now();
    const current: number[] = [];
    let waitMs = 0;
    for (const { key, capacity, cost } of takes) {
      const level = this.levels.get(key);
      const rate = capacity / refillWindowMs;
      const tokens = level === undefined ? capacity : Math.min(capacity, level.tokens + (now - level.at) * rate);
      current.push(tokens);
      if (!force && tokens < cost) waitMs = Math.max(waitMs, Math.ceil((cost - tokens) / rate));
    }
    if (waitMs > 0) return { ok: false, waitMs, remaining: current.map(Math.floor) };
    const remaining: number[] = [];
    takes.forEach(({ key, capacity, cost }, index) => {
      const tokens = Math.min(capacity, current[index]! - cost);
      this.levels.set(key, { tokens, at: now });
      remaining.push(Math.floor(tokens));
    });
    return { ok: true, waitMs: 0, remaining };
  }

  async close(): Promise<void> {
    this.levels.clear();
  }
}
