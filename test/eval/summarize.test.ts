import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareModels } from '../../src/eval/compare-models.ts';
import { majorityBaseline, majorityBaselineId } from '../../src/eval/majority-baseline.ts';
import { resolveMetrics } from '../../src/eval/metric-registry.ts';
import type { SuiteItem } from '../../src/eval/suite-schema.ts';
import { summarizeModel, type ItemOutcome } from '../../src/eval/summarize-model.ts';

const metrics = resolveMetrics(['exact-match']);
const outcome = (itemId: string, score: number, extra: Partial<ItemOutcome> = {}): ItemOutcome => ({ itemId, results: { 'exact-match': { score } }, ...extra });

describe('summarizeModel', () => {
  const outcomes = [
    outcome('1', 1, { domain: 'finance', latencyMs: 100, outputTokens: 10, costUsd: 0.001 }),
    outcome('2', 1, { domain: 'finance', latencyMs: 200, outputTokens: 30, costUsd: 0.003 }),
    outcome('3', 0, { domain: 'code', latencyMs: 300, outputTokens: 20, costUsd: 0.002 }),
    outcome('4', 0, { domain: 'code', latencyMs: 400, error: 'upstream timeout' }),
  ];
  const summary = summarizeModel({ id: 'small', parameters: 500_000_000, quantization: 'Q4_K_M' }, outcomes, metrics);

  it('computes the score, latency percentiles, throughput and cost by hand', () => {
    assert.equal(summary.estimate, 0.5);
    assert.ok(summary.low <= 0.5 && summary.high >= 0.5 && summary.low >= 0 && summary.high <= 1);
    assert.deepEqual([summary.items, summary.errors], [4, 1]);
    assert.deepEqual(summary.latencyMs, { p50: 250, p95: 385 });
    // 60 tokens in 0.6 s where both are known.
    assert.ok(Math.abs(summary.tokensPerSecond! - 100) < 1e-9);
    // Mean known cost $0.002 per item.
    assert.ok(Math.abs(summary.costPer1kItems! - 2) < 1e-12);
    assert.ok(Math.abs(summary.qualityPerDollar! - 0.25) < 1e-12);
    assert.equal(summary.qualityPerBillionParameters, 1);
    assert.equal(summary.model.quantization, 'Q4_K_M');
  });

  it('splits scores by domain', () => {
    assert.deepEqual(
      summary.domains.map((domain) => [domain.domain, domain.items, domain.estimate]),
      [['code', 2, 0], ['finance', 2, 1]],
    );
  });

  it('leaves unknowns unknown rather than zero', () => {
    const bare = summarizeModel({ id: 'api' }, [outcome('1', 1), outcome('2', 0)], metrics);
    assert.deepEqual([bare.latencyMs, bare.tokensPerSecond, bare.costPer1kItems, bare.qualityPerDollar, bare.qualityPerBillionParameters], [null, null, null, null, null]);
    assert.deepEqual(bare.domains, []);
    const free = summarizeModel({ id: 'local' }, [outcome('1', 1, { costUsd: 0 })], metrics);
    assert.equal(free.costPer1kItems, 0);
    assert.equal(free.qualityPerDollar, null);
  });

  it('bootstraps corpus statistics such as macro-F1', () => {
    const [classification] = resolveMetrics([{ metric: 'classification', labels: ['a', 'b'] }]);
    const results = [
      { gold: 'a', predicted: 'a' },
      { gold: 'b', predicted: 'b' },
      { gold: 'b', predicted: 'a' },
    ].map((detail, i) => ({ itemId: String(i), results: { classification: { score: detail.gold === detail.predicted ? 1 : 0, detail } } }));
    const summarized = summarizeModel({ id: 'm' }, results, [classification!], { resamples: 500 });
    // a: P 1/2 R 1 F 2/3; b: P 1 R 1/2 F 2/3 → macro-F1 2/3.
    const macro = summarized.metrics.classification!.corpus.macroF1!;
    assert.ok(Math.abs(macro.estimate - 2 / 3) < 1e-12);
    assert.ok(macro.low <= macro.estimate && macro.high >= macro.estimate);
  });

  it('rejects an unknown primary metric', () => {
    assert.throws(() => summarizeModel({ id: 'm' }, outcomes, metrics, { primary: 'rouge-l' }), /no metric "rouge-l"/);
  });
});

describe('compareModels', () => {
  const make = (id: string, scores: number[], costUsd: number | undefined, domain = 'general') =>
    summarizeModel({ id }, scores.map((score, i) => outcome(String(i), score, { domain, ...(costUsd === undefined ? {} : { costUsd }) })), metrics);

  it('marks the best model, the Pareto front, and deltas against best and baseline', () => {
    const big = make('big', [1, 1, 1, 0], 0.01);
    const small = make('small', [1, 1, 0, 0], 0.0001);
    const wasteful = make('wasteful', [1, 0, 0, 0], 0.02);
    const baseline = make(majorityBaselineId, [1, 0, 0, 0], 0);
    const comparison = compareModels([small, big, wasteful], baseline);
    assert.equal(comparison.best, 'big');
    assert.equal(comparison.baseline, majorityBaselineId);
    const row = (id: string) => comparison.rows.find((entry) => entry.summary.model.id === id)!;
    assert.deepEqual([row('big').best, row('small').best], [true, false]);
    assert.deepEqual([row('big').onParetoFront, row('small').onParetoFront, row('wasteful').onParetoFront], [true, true, false]);
    assert.equal(row('small').deltaVsBest, -0.25);
    assert.equal(row('small').deltaVsBaseline, 0.25);
    assert.equal(row(majorityBaselineId).role, 'baseline');
    assert.equal(row(majorityBaselineId).onParetoFront, false);
  });

  it('names the best model per domain', () => {
    const finance = summarizeModel({ id: 'fin' }, [outcome('1', 1, { domain: 'finance' }), outcome('2', 0, { domain: 'code' })], metrics);
    const coder = summarizeModel({ id: 'coder' }, [outcome('1', 0, { domain: 'finance' }), outcome('2', 1, { domain: 'code' })], metrics);
    const comparison = compareModels([finance, coder]);
    assert.deepEqual(comparison.domains.map((domain) => [domain.domain, domain.best]), [['code', 'coder'], ['finance', 'fin']]);
    assert.equal(comparison.baseline, null);
  });

  it('breaks score ties by cost and refuses mixed primary metrics', () => {
    const dear = make('dear', [1, 0], 0.01);
    const cheap = make('cheap', [1, 0], 0.001);
    assert.equal(compareModels([dear, cheap]).best, 'cheap');
    const other = summarizeModel({ id: 'x' }, [{ itemId: '1', results: { contains: { score: 1 } } }], resolveMetrics(['contains']));
    assert.throws(() => compareModels([dear, other]), /same metric/);
    assert.throws(() => compareModels([]), RangeError);
  });
});

describe('majorityBaseline', () => {
  it('answers every item with the most common reference', async () => {
    const items: SuiteItem[] = ['card_arrival', 'card_arrival', 'refund', 'card_arrival'].map((reference, i) => ({ id: String(i), input: 'x', reference, domain: 'banking' }));
    const suiteMetrics = resolveMetrics(['classification', 'llm-judge']);
    const { answer, outcomes } = await majorityBaseline(items, suiteMetrics);
    assert.equal(answer, 'card_arrival');
    assert.deepEqual(outcomes.map((entry) => entry.results.classification!.score), [1, 1, 0, 1]);
    assert.ok(outcomes.every((entry) => entry.results['llm-judge'] === undefined && entry.costUsd === 0 && entry.domain === 'banking'));
    const summary = summarizeModel({ id: majorityBaselineId }, outcomes, suiteMetrics);
    assert.equal(summary.estimate, 0.75);
    assert.ok(Number.isNaN(summary.metrics['llm-judge']!.estimate));
  });

  it('picks the most frequent option letter for multiple choice', async () => {
    const items: SuiteItem[] = ['A', 'C', 'C', 'B'].map((reference, i) => ({ id: String(i), input: 'q', choices: ['w', 'x', 'y', 'z'], reference }));
    const { answer, outcomes } = await majorityBaseline(items, resolveMetrics(['choice']));
    assert.equal(answer, 'C');
    assert.deepEqual(outcomes.map((entry) => entry.results.choice!.score), [0, 1, 1, 0]);
  });
});
