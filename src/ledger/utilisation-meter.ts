/**
 * Measures, per model, how busy it is and how much compute each request really used.
 *
 * Compute time is processor-shared: while n requests run on a model at once, each is charged 1/n
 * of the wall time, so batching lowers every request's share and the shares of all requests add
 * up to exactly the model's busy time. Utilisation is busy time over a sliding window of wall time
 * (from the meter's start until the window fills), kept in a ring of buckets so it costs O(1)
 * memory whatever the traffic.
 */

export interface MeterTicket {
  readonly modelId: string;
  /** The model's shared clock when the request began. */
  readonly startShared: number;
}

export interface MeterReading {
  /** This request's share of the model's busy time, in seconds. */
  computeSeconds: number;
  /** Busy fraction of the model over the window, including this request. */
  utilisation: number;
}

export interface UtilisationSnapshot {
  active: number;
  utilisation: number;
  /** Busy seconds inside the window. */
  busySeconds: number;
  /** Wall seconds the window covers (shorter than the window until the meter has run that long). */
  windowSeconds: number;
}

export interface UtilisationMeterOptions {
  /** Default one hour. */
  windowMs?: number;
  buckets?: number;
  /** Milliseconds clock; default performance.now (monotonic). */
  now?: () => number;
}

class ModelClock {
  active = 0;
  /** Σ dt / active over busy periods, in seconds: a request's share is the difference across it. */
  shared = 0;
  lastChange: number;
  readonly busy: Float64Array;
  readonly slot: Float64Array;

  constructor(
    readonly startedAt: number,
    readonly bucketMs: number,
    buckets: number,
  ) {
    this.lastChange = startedAt;
    this.busy = new Float64Array(buckets);
    this.slot = new Float64Array(buckets).fill(-1);
  }

  accrue(now: number): void {
    const from = this.lastChange;
    this.lastChange = now;
    if (this.active === 0 || now <= from) return;
    this.shared += (now - from) / 1000 / this.active;
    const n = this.busy.length;
    let at = from;
    while (at < now) {
      const index = Math.floor(at / this.bucketMs);
      const end = Math.min(now, (index + 1) * this.bucketMs);
      const ring = index % n;
      if (this.slot[ring] !== index) {
        this.slot[ring] = index;
        this.busy[ring] = 0;
      }
      this.busy[ring]! += end - at;
      at = end;
    }
  }

  snapshot(now: number): UtilisationSnapshot {
    const n = this.busy.length;
    const current = Math.floor(now / this.bucketMs);
    const oldest = current - n + 1;
    const windowStart = Math.max(this.startedAt, oldest * this.bucketMs);
    let busyMs = 0;
    for (let ring = 0; ring < n; ring++) {
      if (this.slot[ring]! >= oldest) busyMs += this.busy[ring]!;
    }
    const wallMs = now - windowStart;
    // A request that began and ended within the same instant kept the model fully busy meanwhile.
    const utilisation = wallMs > 0 ? Math.min(1, busyMs / wallMs) : 1;
    return { active: this.active, utilisation, busySeconds: busyMs / 1000, windowSeconds: Math.max(0, wallMs) / 1000 };
  }
}

export class UtilisationMeter {
  private readonly clocks = new Map<string, ModelClock>();
  private readonly windowMs: number;
  private readonly bucketCount: number;
  private readonly now: () => number;

  constructor(options: UtilisationMeterOptions = {}) {
    this.windowMs = options.windowMs ?? 3_600_000;
    this.bucketCount = options.buckets ?? 60;
    this.now = options.now ?? (() => performance.now());
  }

  private clock(modelId: string, now: number): ModelClock {
    let clock = this.clocks.get(modelId);
    if (!clock) {
      clock = new ModelClock(now, this.windowMs / this.bucketCount, this.bucketCount);
      this.clocks.set(modelId, clock);
    }
    return clock;
  }

  /**
   * Starts measuring a model from now, so its idle time before the first request counts. Call it
   * when the model is loaded or the server starts; otherwise the first request starts the clock.
   */
  track(modelId: string): void {
    this.clock(modelId, this.now());
  }

  /** Call when the request starts using the model (after any queue wait). */
  begin(modelId: string): MeterTicket {
    const now = this.now();
    const clock = this.clock(modelId, now);
    clock.accrue(now);
    clock.active++;
    return { modelId, startShared: clock.shared };
  }

  /** Call once when the request stops using the model (finished, failed or cancelled). */
  end(ticket: MeterTicket): MeterReading {
    const now = this.now();
    const clock = this.clock(ticket.modelId, now);
    clock.accrue(now);
    clock.active = Math.max(0, clock.active - 1);
    return { computeSeconds: clock.shared - ticket.startShared, utilisation: clock.snapshot(now).utilisation };
  }

  snapshot(modelId: string): UtilisationSnapshot | undefined {
    const clock = this.clocks.get(modelId);
    if (!clock) return undefined;
    const now = this.now();
    clock.accrue(now);
    return clock.snapshot(now);
  }
}
