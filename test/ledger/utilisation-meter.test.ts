import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { costOf, type ModelCost } from '../../src/ledger/cost-model.ts';
import { UtilisationMeter } from '../../src/ledger/utilisation-meter.ts';

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const near = (actual: number, expected: number, epsilon = 1e-9) => assert.ok(Math.abs(actual - expected) < epsilon, `${actual} ≠ ${expected}`);

describe('UtilisationMeter', () => {
  it('charges a lone request its wall time', () => {
    const clock = fakeClock();
    const meter = new UtilisationMeter({ now: clock.now });
    meter.track('m');
    clock.advance(3000);
    const ticket = meter.begin('m');
    clock.advance(1000);
    const reading = meter.end(ticket);
    near(reading.computeSeconds, 1);
    // 1 s busy out of 4 s observed.
    near(reading.utilisation, 0.25);
  });

  it('splits busy time between requests running at once (batching lowers each share)', () => {
    const clock = fakeClock();
    const meter = new UtilisationMeter({ now: clock.now });
    const a = meter.begin('m');
    clock.advance(1000); // a alone: 1 s
    const b = meter.begin('m');
    clock.advance(2000); // a and b together: 1 s each
    const readingA = meter.end(a);
    clock.advance(1000); // b alone: 1 s
    const readingB = meter.end(b);
    near(readingA.computeSeconds, 2);
    near(readingB.computeSeconds, 2);
    // The shares add up to the busy time (4 s), so nothing is charged twice or lost.
    near(readingA.computeSeconds + readingB.computeSeconds, 4);
    near(readingB.utilisation, 1);
  });

  it('forgets busy time older than the window', () => {
    const clock = fakeClock(0);
    const meter = new UtilisationMeter({ now: clock.now, windowMs: 60_000, buckets: 60 });
    const first = meter.begin('m');
    clock.advance(30_000);
    meter.end(first);
    near(meter.snapshot('m')!.utilisation, 1);
    clock.advance(30_000);
    // The window slides a bucket (1 s here) at a time, so 29 or 30 busy seconds of 59 or 60.
    near(meter.snapshot('m')!.utilisation, 0.5, 1 / 59);
    clock.advance(120_000);
    const snapshot = meter.snapshot('m')!;
    near(snapshot.utilisation, 0);
    assert.ok(snapshot.windowSeconds >= 59 && snapshot.windowSeconds <= 60, String(snapshot.windowSeconds));
  });

  it('keeps models apart and reports active requests', () => {
    const clock = fakeClock();
    const meter = new UtilisationMeter({ now: clock.now });
    const a = meter.begin('a');
    meter.begin('a');
    assert.equal(meter.snapshot('a')!.active, 2);
    assert.equal(meter.snapshot('b'), undefined);
    clock.advance(10);
    meter.end(a);
    assert.equal(meter.snapshot('a')!.active, 1);
  });

  it('over a window, request costs add up to what the machine share cost', () => {
    // Fixed 3.6 USD/h = 0.001 USD/s; no power. Two requests, 10 s busy in a 40 s window.
    const cost: ModelCost = { kind: 'self-hosted', fixedPerHour: 3.6, energyLoadPerHour: 0, energyIdlePerHour: 0, currency: 'USD', source: 'test' };
    const clock = fakeClock();
    const meter = new UtilisationMeter({ now: clock.now });
    meter.track('m');
    clock.advance(30_000);
    const a = meter.begin('m');
    const b = meter.begin('m');
    clock.advance(10_000);
    const readingA = meter.end(a);
    const readingB = meter.end(b);
    const total = [readingA, readingB].reduce((sum, reading) => sum + costOf({ inputTokens: 1, outputTokens: 1 }, reading, cost).amount!, 0);
    near(total, 40 * 0.001);
  });
});
