import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { evaluatePortfolio } from '../../src/eval/evaluate-portfolio.ts';
import { loadSuite } from '../../src/eval/load-suite.ts';
import { readOutcomeLog } from '../../src/eval/outcome-log.ts';
import { renderResultsTable } from '../../src/eval/render-results-table.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { capitalsPortfolio, capitalsSuite, fakeModel, writeSuite } from './helpers/eval-fixtures.ts';

const close = (a: number | null | undefined, b: number, eps = 1e-9) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < eps, `${a} ≉ ${b}`);

describe('eval runner through the gateway (fake upstream)', { timeout: 60_000 }, () => {
  let upstream: FakeOpenAIUpstream;
  before(async () => {
    upstream = await startFakeOpenAIUpstream();
  });
  after(async () => {
    await upstream.close();
  });

  it('gives exactly the expected table: scores, CIs, cost, domains, baseline, Pareto front and pairwise tests', async () => {
    upstream.requests.length = 0;
    const { dir, file } = writeSuite(capitalsSuite);
    const suite = await loadSuite(file);
    const portfolio = portfolioFromObject(capitalsPortfolio(upstream.url));
    const { results, run, resultsFile, reportFile } = await evaluatePortfolio({ portfolio, suite, modelIds: ['small', 'large'], outDir: dir, seed: 3 });

    assert.deepEqual([run.ran, run.reused, run.aborted], [12, 0, false]);
    assert.equal(upstream.requests.length, 12);
    // The gateway took the request id naming the run, the model and the item (for the ledger).
    assert.equal(run.outcomes.get('large')![3]!.requestId, `${run.runId}:large:sum`);
    // Every request went through the gateway with temperature 0 and the seed.
    for (const request of upstream.requests) {
      const body = request.body as { temperature: number; seed: number; model: string };
      assert.equal(body.temperature, 0);
      assert.equal(body.seed, 3);
    }
    const [small, large] = results.models;
    assert.equal(small!.model.id, 'small');
    assert.equal(small!.estimate, 0.5);
    close(large!.estimate, 1 / 3);
    assert.ok(small!.low <= 0.5 && small!.high >= 0.5 && small!.low >= 0 && small!.high <= 1);
    // (100 × 1 + 10 × 2) / 1e6 USD per item → 0.12 per 1k; large (100 × 10 + 10 × 30) / 1e6 → 1.3.
    close(small!.costPer1kItems, 0.12);
    close(large!.costPer1kItems, 1.3);
    assert.equal(results.currency, 'USD');
    assert.ok(small!.latencyMs!.p50 > 0 && small!.latencyMs!.p95 >= small!.latencyMs!.p50);
    // 10 output tokens per answer over the measured latency.
    assert.ok(small!.tokensPerSecond! > 0);
    assert.deepEqual(small!.domains.map((d) => [d.domain, d.items, d.estimate]), [['geography', 4, 0.75], ['math', 2, 0]]);
    assert.deepEqual(large!.domains.map((d) => [d.domain, d.items, d.estimate]), [['geography', 4, 0], ['math', 2, 1]]);

    assert.equal(results.baseline?.answer, 'Paris');
    assert.equal(results.baseline?.estimate, 0.5);
    assert.equal(results.comparison.best, 'small');
    const rows = Object.fromEntries(results.comparison.rows.map((row) => [row.summary.model.id, row]));
    assert.equal(rows.small!.onParetoFront, true);
    assert.equal(rows.large!.onParetoFront, false);
    close(rows.large!.deltaVsBest, -1 / 6);
    assert.deepEqual(results.comparison.domains.map((d) => [d.domain, d.best]), [['geography', 'small'], ['math', 'large']]);

    const [pair] = results.pairwise;
    assert.deepEqual([pair!.a, pair!.b, pair!.bootstrap.items], ['small', 'large', 6]);
    close(pair!.bootstrap.meanDifference, 1 / 6);
    // small alone right on 3 items, large alone on 2: p = 2 · P(X ≤ 2 | n 5) = 2 · 16/32 = 1.
    assert.deepEqual(pair!.mcnemar, { onlyA: 3, onlyB: 2, pValue: 1 });

    const written = JSON.parse(readFileSync(resultsFile, 'utf8')) as typeof results;
    assert.equal(written.format, 'unbundle-eval-results/1');
    assert.equal(written.runId, run.runId);
    assert.deepEqual(written.settings, { seed: 3, temperature: 0, concurrency: 1, limit: null, maxTokens: null });
    assert.match(readFileSync(reportFile, 'utf8'), /<table id="results"/);

    const table = renderResultsTable(results);
    assert.match(table, /small\s+0\.500 \[\d\.\d{3}, \d\.\d{3}\]/);
    assert.match(table, /baseline:majority/);
    assert.match(table, /geography\s+0\.750\s+0\.000\s+small/);
  });

  it('resumes an interrupted run without calling a model twice for one item', async () => {
    upstream.requests.length = 0;
    const { dir, file } = writeSuite(capitalsSuite);
    const suite = await loadSuite(file);
    const portfolio = portfolioFromObject(capitalsPortfolio(upstream.url));
    const controller = new AbortController();
    const first = await evaluatePortfolio({
      portfolio, suite, modelIds: ['small', 'large'], outDir: dir, signal: controller.signal,
      onProgress: (done) => { if (done >= 5) controller.abort(new Error('stop')); },
    });
    assert.equal(first.run.aborted, true);
    assert.equal(first.run.ran, 5);
    assert.equal(first.results.missing, 7);
    assert.equal(upstream.requests.length, 5);
    // A crash in the middle of a write leaves half a line: it is dropped, not fatal.
    appendFileSync(first.journal, '{"model":"small","itemId":"fr3","ans');

    const second = await evaluatePortfolio({ portfolio, suite, modelIds: ['small', 'large'], outDir: dir });
    assert.deepEqual([second.run.reused, second.run.ran, second.run.aborted], [5, 7, false]);
    assert.equal(second.run.runId, first.run.runId);
    assert.equal(upstream.requests.length, 12);
    const asked = upstream.requests.map((request) => {
      const body = request.body as { model: string; messages: Array<{ content: string }> };
      return `${request.headers['x-fake-behavior']?.toString().includes('"Paris"') ? 'small' : 'large'}:${body.messages.at(-1)!.content}`;
    });
    assert.equal(new Set(asked).size, 12, 'no (model, item) pair was asked twice');
    assert.equal(second.results.models[0]!.estimate, 0.5);
    assert.equal(second.results.missing, 0);
    const log = readOutcomeLog(second.journal);
    assert.equal(log.outcomes.size, 12);
    assert.equal(log.truncatedTail, false);

    // A third run has nothing left to do.
    const third = await evaluatePortfolio({ portfolio, suite, modelIds: ['small', 'large'], outDir: dir });
    assert.deepEqual([third.run.reused, third.run.ran], [12, 0]);
    assert.equal(upstream.requests.length, 12);
  });

  it('re-runs an item whose text changed, honours --limit and runs K requests at once', async () => {
    upstream.requests.length = 0;
    const { dir, file } = writeSuite(capitalsSuite);
    const portfolio = portfolioFromObject(capitalsPortfolio(upstream.url));
    const limited = await evaluatePortfolio({ portfolio, suite: await loadSuite(file), modelIds: ['small'], outDir: dir, limit: 2 });
    assert.equal(limited.results.suite.items, 2);
    assert.equal(upstream.requests.length, 2);
    assert.equal(limited.results.settings.limit, 2);

    const changed = capitalsSuite.map((line) => ('id' in line && line.id === 'fr' ? { ...line, input: 'Capital city of France?' } : line));
    writeSuite(changed, dir);
    const full = await evaluatePortfolio({ portfolio, suite: await loadSuite(file), modelIds: ['small'], outDir: dir, concurrency: 4 });
    // fr changed (re-run), fr2 reused, four new.
    assert.deepEqual([full.run.reused, full.run.ran], [1, 5]);
    assert.equal(upstream.requests.length, 7);
    assert.equal(full.results.models[0]!.estimate, 0.5);
    // Results keep the suite's item order whatever order the answers came back in.
    assert.deepEqual(full.run.outcomes.get('small')!.map((o) => o.itemId), ['fr', 'fr2', 'de', 'sum', 'fr3', 'sum2']);
  });

  it('keeps K requests in flight with --concurrency K', async () => {
    upstream.requests.length = 0;
    const { dir, file } = writeSuite(capitalsSuite);
    const portfolio = portfolioFromObject({
      ...capitalsPortfolio(upstream.url),
      models: [fakeModel('slow', upstream.url, 'Paris', { inputPerMTok: 1, outputPerMTok: 1 }, { kind: 'drip', intervalMs: 150 })],
    });
    const { results } = await evaluatePortfolio({ portfolio, suite: await loadSuite(file), modelIds: ['slow'], outDir: dir, concurrency: 3 });
    assert.equal(results.models[0]!.estimate, 0.5);
    // Answers that overlap in time need their own upstream connections.
    const ports = new Set(upstream.requests.map((request) => request.remotePort));
    assert.ok(ports.size >= 3, `expected 3 concurrent connections, saw ${ports.size}`);
  });

  it('scores a failed call as a wrong answer and counts it as an error', async () => {
    const { dir, file } = writeSuite(capitalsSuite.slice(0, 3));
    const portfolio = portfolioFromObject({
      ...capitalsPortfolio(upstream.url),
      models: [{ id: 'down', backend: 'openai-compatible', baseURL: upstream.url, headers: { 'x-fake-behavior': 'error:400' } }],
    });
    const { results, run } = await evaluatePortfolio({ portfolio, suite: await loadSuite(file), modelIds: ['down'], outDir: dir });
    assert.equal(results.models[0]!.estimate, 0);
    assert.equal(results.models[0]!.errors, 2);
    assert.match(run.outcomes.get('down')![0]!.error!, /HTTP 4\d\d/);
    assert.equal(results.models[0]!.costPer1kItems, null);
  });
});
