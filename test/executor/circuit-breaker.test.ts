import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../src/executor/backoff.ts';
import { CircuitBreaker } from '../../src/executor/circuit-breaker.ts';

function clock() {
  const c = { t: 1_000, now: () => c.t };
  return c;
}

describe('circuit breaker', () => {
  const settings = { failures: 3, windowMs: 1_000, openMs: 500 };

  it('opens after N failures inside the window, not when they are spread out', () => {
    const c = clock();
    const breaker = new CircuitBreaker(settings, c.now);
    breaker.failure();
    c.t += 600;
    breaker.failure();
    c.t += 600; // the first failure left the window
    breaker.failure();
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.allow(), true);
    breaker.failure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.allow(), false);
    assert.equal(breaker.retryInMs(), 500);
  });

  it('lets exactly one probe through when half-open; its success closes the circuit', () => {
    const c = clock();
    const breaker = new CircuitBreaker(settings, c.now);
    for (let i = 0; i < 3; i++) breaker.failure();
    c.t += 499;
    assert.equal(breaker.allow(), false);
    c.t += 1;
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.allow(), true, 'the probe');
    assert.equal(breaker.allow(), false, 'a second request while the probe is out is shed');
    breaker.success();
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.allow(), true);
    // Closing forgets old failures: it takes N fresh ones to open again.
    breaker.failure();
    breaker.failure();
    assert.equal(breaker.state, 'closed');
  });

  it('re-opens when the probe fails, and frees a probe slot that never reported back', () => {
    const c = clock();
    const breaker = new CircuitBreaker(settings, c.now);
    for (let i = 0; i < 3; i++) breaker.failure();
    c.t += 500;
    assert.equal(breaker.allow(), true);
    breaker.failure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.allow(), false);
    c.t += 500;
    assert.equal(breaker.allow(), true, 'probe after the second open period');
    c.t += 500; // the probe vanished (cancelled) without success or failure
    assert.equal(breaker.allow(), true, 'a stuck probe does not shut the circuit forever');
    breaker.release();
    assert.equal(breaker.allow(), true);
  });

  it('a failed health check trips it; a passing one lets it probe at once', () => {
    const c = clock();
    const breaker = new CircuitBreaker(settings, c.now);
    breaker.trip();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.allow(), false);
    breaker.healthy();
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.allow(), true);
  });
});

describe('backoff (full jitter)', () => {
  const settings = { retries: 5, baseMs: 100, capMs: 1_000 };

  it('draws uniformly from [0, min(cap, base·2^n)]', () => {
    assert.equal(backoffDelay(0, settings, () => 0.999, undefined, 10_000), 99);
    assert.equal(backoffDelay(2, settings, () => 0.5, undefined, 10_000), 200);
    assert.equal(backoffDelay(9, settings, () => 0.999, undefined, 10_000), 999, 'capped');
    assert.equal(backoffDelay(3, settings, () => 0, undefined, 10_000), 0);
  });

  it('honours Retry-After as a floor, and gives up on one longer than the cap', () => {
    assert.equal(backoffDelay(0, settings, () => 0, 700, 10_000), 700);
    assert.equal(backoffDelay(0, settings, () => 0, 1_500, 10_000), undefined);
  });

  it('never waits past the deadline', () => {
    assert.equal(backoffDelay(2, settings, () => 0.9, undefined, 100), undefined);
    assert.equal(backoffDelay(0, settings, () => 0, 300, 250), undefined);
    assert.equal(backoffDelay(0, settings, () => 0.5, undefined, 51), 50);
  });
});
