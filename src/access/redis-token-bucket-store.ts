import { Redis } from 'ioredis';
import { UnbundleError } from '../errors.ts';
import { refillWindowMs, type BucketTake, type TakeResult, type TokenBucketStore } from './token-bucket-store.ts';

/**
 * The same all-or-nothing take as the memory store, run atomically in Redis by one Lua script, so
 * many gateway replicas share one set of limits. The script reads Redis's own clock (TIME), so
 * replicas with drifting clocks still agree. Idle buckets expire once they would be full again.
 *
 * KEYS: bucket keys. ARGV: force (0|1), window ms, then capacity and cost for each bucket.
 * Returns { ok, waitMs, remaining... }.
 */
const takeScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local force = ARGV[1] == '1'
local window = tonumber(ARGV[2])
local levels = {}
local wait = 0
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[1 + i * 2])
  local cost = tonumber(ARGV[2 + i * 2])
  local rate = capacity / window
  local state = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local tokens = capacity
  if state[1] then
    tokens = math.min(capacity, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate)
  end
  levels[i] = tokens
  if (not force) and tokens < cost then
    wait = math.max(wait, math.ceil((cost - tokens) / rate))
  end
end
local out = { 0, wait }
if wait > 0 then
  for i = 1, #KEYS do out[2 + i] = math.floor(levels[i]) end
  return out
end
out[1] = 1
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[1 + i * 2])
  local cost = tonumber(ARGV[2 + i * 2])
  local tokens = math.min(capacity, levels[i] - cost)
  redis.call('HSET', KEYS[i], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], window + math.ceil(math.max(0, -tokens) / (capacity / window)) + 1000)
  out[2 + i] = math.floor(tokens)
end
return out
`;

export interface RedisTokenBucketStoreOptions {
  url: string;
  /** Prefix of every key this store writes. */
  prefix?: string;
}

type TakeCommand = (numKeys: number, ...args: Array<string | number>) => Promise<number[]>;

export class RedisTokenBucketStore implements TokenBucketStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly shownUrl: string;

  constructor(options: RedisTokenBucketStoreOptions) {
    this.prefix = options.prefix ?? 'unbundle:rl:';
    // The URL may carry a password: messages show only host and port.
    const parsed = new URL(options.url);
    this.shownUrl = `${parsed.hostname}:${parsed.port || '6379'}`;
    this.redis = new Redis(options.url, {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: 1_000,
      enableOfflineQueue: true,
    });
    // Without a listener ioredis prints every reconnect failure; requests report it instead.
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('unbundleTake', { lua: takeScript });
  }

  async take(takes: readonly BucketTake[], force = false): Promise<TakeResult> {
    const args: Array<string | number> = [];
    for (const take of takes) args.push(this.prefix + take.key);
    args.push(force ? '1' : '0', refillWindowMs);
    for (const take of takes) args.push(take.capacity, take.cost);
    let reply: number[];
    try {
      reply = await (this.redis as unknown as { unbundleTake: TakeCommand }).unbundleTake(takes.length, ...args);
    } catch (error) {
      throw new UnbundleError('UNBUNDLE_E_STORE_UNAVAILABLE', `The rate-limit store (Redis at ${this.shownUrl}) is unavailable: ${(error as Error).message}. Retry shortly; operators: check Redis or set auth.rateLimitStore: memory.`, { cause: error, retryAfterSeconds: 1 });
    }
    return { ok: reply[0] === 1, waitMs: Number(reply[1]), remaining: reply.slice(2).map(Number) };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
