import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { UnbundleError } from '../../src/errors.ts';
import { evalResultsFormat } from '../../src/eval/eval-results.ts';
import { openServerLedger } from '../../src/ledger/open-server-ledger.ts';
import type { ServerLedger } from '../../src/ledger/server-ledger.ts';
import { createLogger } from '../../src/logger.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { ModelRegistry } from '../../src/portfolio/model-registry.ts';
import { saveRouter } from '../../src/router/classifier/router-file.ts';
import { trainDomainClassifier } from '../../src/router/classifier/train-domain-classifier.ts';
import { summarizeAudit } from '../../src/server/admin/audit-routes.ts';
import { Gateway } from '../../src/server/gateway.ts';
import { ScriptedBackend } from '../helpers/scripted-backend.ts';
import { toyExamples } from '../router/toy-domains.ts';
import { buildDashboardIfStale } from './build-dashboard-once.ts';

/**
 * The dashboard's endpoints over the real producers: a SQLite ledger in a temp UNBUNDLE_DATA_DIR,
 * a data policy that redacts e-mails for the external zone (JSONL audit), routing by domain with a
 * trained classifier, a breaker opened by a failing model, tenants, and a results.json as written
 * by `unbundle eval run`. Everything behind the access admin key.
 */

const adminKey = 'real-data-admin-key-0123456789';
const auth = { authorization: `Bearer ${adminKey}` };

describe('dashboard endpoints over the ledger, the audit, breakers and tenants', { timeout: 60_000 }, () => {
  let dir: string;
  let gateway: Gateway;
  let ledger: ServerLedger;
  let models: ModelRegistry;
  let url: string;
  let client: OpenAI;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'unbundle-dash-real-'));
    const routerFile = path.join(dir, 'router.json');
    saveRouter(trainDomainClassifier(toyExamples(40), { features: { bits: 14 } }), routerFile);
    const evalDir = path.join(dir, 'eval-results');
    mkdirSync(path.join(evalDir, 'toy-suite'), { recursive: true });
    writeFileSync(
      path.join(evalDir, 'toy-suite', 'results.json'),
      JSON.stringify({
        format: evalResultsFormat,
        runId: 'run-1',
        createdAt: '2026-11-01T10:00:00.000Z',
        suite: { name: 'toy-suite', source: 'suite.jsonl', items: 10, skipped: [], primary: 'exact', higherIsBetter: true, metrics: [] },
        currency: 'USD',
        models: [
          { model: { id: 'home' }, primary: 'exact', estimate: 0.7, low: 0.5, high: 0.85, costPer1kItems: 0.02, latencyMs: { p50: 12, p95: 30 }, domains: [{ domain: 'code', estimate: 0.9, low: 0.8, high: 1, items: 5 }] },
          { model: { id: 'cloud' }, primary: 'exact', estimate: 0.9, low: 0.8, high: 0.95, costPer1kItems: 0.4, latencyMs: null, domains: [] },
        ],
      }),
    );
    writeFileSync(path.join(evalDir, 'toy-suite', 'report.html'), '<html></html>');
    const portfolio = portfolioFromObject({
      server: { port: 0 },
      models: [
        { id: 'home', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', zone: 'local', domains: ['code'], quality: { code: 0.9, cooking: 0.4 }, pricePerMTok: 0, selfHosted: { hardwarePrice: 2000, amortisationMonths: 36, powerWattsLoad: 200, powerWattsIdle: 40, electricityPerKWh: 0.3 } },
        { id: 'cloud', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', zone: 'external', pricing: 'gpt-4o-mini', quality: { billing: 0.9, cooking: 0.8, code: 0.7 } },
        { id: 'flaky', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', zone: 'external', pricing: 'gpt-4o-mini', retry: { retries: 0 }, breaker: { failures: 2, openMs: 60_000 } },
      ],
      router: { classifier: routerFile, default: 'cloud' },
      tenants: [{ id: 'acme', models: ['home', 'cloud'], rpm: 600 }],
      policy: {
        rules: {
          confidential: { action: 'redact', zones: ['local'], redactedZones: ['external'] },
          restricted: { action: 'route', zones: ['local'] },
        },
      },
    });
    const backends = {
      home: new ScriptedBackend('home', { usage: { inputTokens: 40, outputTokens: 10 } }),
      cloud: new ScriptedBackend('cloud', { usage: { inputTokens: 1000, outputTokens: 500 } }),
      flaky: new ScriptedBackend('flaky', { failWith: new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'scripted failure') }),
    };
    models = ModelRegistry.fromBackends(portfolio.models.map((config) => ({ config, backend: backends[config.id as keyof typeof backends] })));
    const env = { UNBUNDLE_DATA_DIR: dir, UNBUNDLE_ADMIN_KEY: adminKey };
    ledger = (await openServerLedger(portfolio, { env, cwd: dir, warn: () => undefined }))!;
    gateway = new Gateway({ portfolio, models, logger: createLogger('silent'), ledger, env, cwd: dir, dashboard: { dataDir: dir, evalDir, routerFile } });
    ({ url } = await gateway.listen(0, '127.0.0.1'));
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });

    // Traffic: routed by domain, an e-mail the policy redacts for the cloud, a card it keeps home, and a breaker to open.
    await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Why my python function throws an exception in the parser?' }] });
    await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Why my card payment was declined on my account?' }] });
    await client.chat.completions.create({ model: 'cloud', messages: [{ role: 'user', content: 'Write to jane.doe@example.com about the invoice' }] });
    await client.chat.completions.create({ model: 'cloud', messages: [{ role: 'user', content: 'hello there' }] });
    await client.chat.completions.create({ model: 'home', messages: [{ role: 'user', content: 'my card is 4111 1111 1111 1111' }] });
    for (let i = 0; i < 2; i++) await assert.rejects(client.chat.completions.create({ model: 'flaky', messages: [{ role: 'user', content: 'hi' }] }));
    await ledger.flush(5_000);
  });

  after(async () => {
    await gateway?.shutdown(1_000);
    await ledger?.close(5_000);
    await models?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = async <T>(route: string): Promise<T> => {
    const response = await fetch(`${url}${route}`, { headers: auth });
    assert.equal(response.status, 200, `${route}: ${response.status}`);
    return (await response.json()) as T;
  };

  it('info reports the ledger, audit, tenants and breakers as on, and the counterfactual model', async () => {
    const info = await get<{ counterfactual: string; sources: Record<string, { available: boolean }> }>('/admin/dashboard/info');
    for (const source of ['ledger', 'audit', 'tenants', 'breakers', 'router']) assert.equal(info.sources[source]!.available, true, source);
    assert.equal(info.counterfactual, 'cloud');
  });

  it('the route tester decides "auto" with the portfolio routing (rules, classifier, quality) without calling a model', async () => {
    const info = await get<{ autoRouting: boolean }>('/admin/dashboard/info');
    assert.equal(info.autoRouting, true);
    const calls = models.list().map((e) => (e.backend as ScriptedBackend).calls.length);
    const response = await fetch(`${url}/admin/dashboard/route-explain`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'my python function throws an exception in the parser', model: 'auto' }) });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { plan: { primary: string; domain: string; reasons: string[] }; decision: { prediction: { domain: string } | null } };
    assert.equal(body.plan.primary, 'home');
    assert.equal(body.plan.domain, 'code');
    assert.match(body.plan.reasons[0]!, /^domain code/);
    assert.equal(body.decision.prediction!.domain, 'code');
    assert.deepEqual(models.list().map((e) => (e.backend as ScriptedBackend).calls.length), calls);
  });

  it('the dashboard endpoints are in the admin route table (listed at GET /admin/)', async () => {
    const index = await get<{ data: Array<{ method: string; path: string }> }>('/admin/');
    const paths = index.data.map((r) => `${r.method} ${r.path}`);
    for (const route of ['GET /admin/dashboard/info', 'GET /admin/dashboard/live', 'POST /admin/dashboard/promote', 'GET /admin/dashboard/routing', 'GET /admin/audit']) assert.ok(paths.includes(route), route);
  });

  it('models show the open breaker and the configured quality per domain', async () => {
    const { models: rows } = await get<{ models: Array<{ id: string; breaker: { available: boolean; state?: string }; quality: Record<string, number>; domains: string[] }> }>('/admin/dashboard/models');
    const byId = new Map(rows.map((m) => [m.id, m]));
    assert.deepEqual(byId.get('flaky')!.breaker, { available: true, state: 'open' });
    assert.deepEqual(byId.get('home')!.breaker, { available: true, state: 'closed' });
    assert.deepEqual(byId.get('home')!.quality, { code: 0.9, cooking: 0.4 });
    assert.deepEqual(byId.get('home')!.domains, ['code']);
  });

  it('the cost report with vs= gives spend and savings over exactly the requests sent', async () => {
    const report = await get<{ totals: Array<{ requests: number; cost: number; referenceCost: number; savings: number; comparableRequests: number }>; rows: Array<{ model: string | null; requests: number }> }>(`/admin/costs/report?since=${new Date().toISOString().slice(0, 10)}&by=model&vs=cloud`);
    const total = report.totals[0]!;
    assert.equal(total.requests, 7);
    assert.ok(total.referenceCost > total.cost, `${total.referenceCost} > ${total.cost}`);
    assert.ok(Math.abs(total.savings - (total.referenceCost - total.cost)) < 1e-12);
    const byModel = new Map(report.rows.map((r) => [r.model, r.requests]));
    assert.equal(byModel.get('cloud'), 3);
    assert.equal(byModel.get('home'), 2);
  });

  it('routing: the domain mix and which model served which domain, from the ledger', async () => {
    const mix = await get<{ available: boolean; rows: number; bucket: string; domains: string[]; series: Array<{ counts: Record<string, number> }>; servedBy: Array<{ domain: string; model: string; requests: number }>; reasons: Array<{ reason: string }> }>('/admin/dashboard/routing?since=1h');
    assert.equal(mix.available, true);
    assert.equal(mix.rows, 7);
    assert.equal(mix.bucket, 'hour');
    assert.ok(mix.domains.includes('code') && mix.domains.includes('billing'), mix.domains.join());
    const served = (domain: string) => mix.servedBy.filter((r) => r.domain === domain).map((r) => `${r.model}:${r.requests}`);
    assert.deepEqual(served('code'), ['home:1']);
    assert.deepEqual(served('billing'), ['cloud:1']);
    assert.ok(mix.series.length >= 2, 'every hour of the window is a bucket');
    assert.equal(mix.series.reduce((sum, p) => sum + Object.values(p.counts).reduce((a, b) => a + b, 0), 0), 7);
    assert.ok(mix.reasons.some((r) => r.reason.startsWith('domain code')), JSON.stringify(mix.reasons));
    const bad = await fetch(`${url}/admin/dashboard/routing?since=yesterday`, { headers: auth });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
  });

  it('audit: filters, blocked/redacted counts, and 0 restricted requests reached an external zone', async () => {
    type Answer = { summary: ReturnType<typeof summarizeAudit>; records: Array<{ dataClass: string; decision: string; zones: string[]; detectors: Record<string, number> }> };
    const all = await get<Answer>('/admin/audit?since=1h');
    assert.equal(all.summary.total, all.records.length);
    assert.ok(all.summary.total >= 5);
    assert.equal(all.summary.byDecision.redacted, 1);
    const redacted = await get<Answer>('/admin/audit?since=1h&decision=redacted&class=confidential');
    assert.equal(redacted.records.length, 1);
    assert.equal(redacted.records[0]!.detectors.EMAIL, 1);
    assert.deepEqual(redacted.records[0]!.zones, ['external']);
    assert.equal(all.summary.restricted, 1);
    assert.equal(all.summary.restrictedReachedExternal, 0);
    const limited = await get<Answer>('/admin/audit?since=1h&limit=2');
    assert.equal(limited.records.length, 2);
    assert.equal(limited.summary.total, all.summary.total, 'counts cover every matching record, not only the page');
    for (const query of ['class=secret', 'decision=maybe', 'limit=0', 'since=soon']) {
      const response = await fetch(`${url}/admin/audit?${query}`, { headers: auth });
      assert.equal(response.status, 400, query);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'UNBUNDLE_E_BAD_REQUEST');
    }
  });

  it('counts a restricted request that reached an external zone (the statement can fail)', () => {
    const base = { time: '2026-11-01T00:00:00.000Z', requestId: 'r', tenant: null, endpoint: 'chat', detectors: { CREDIT_CARD: 1 }, models: ['x'] };
    const summary = summarizeAudit([
      { ...base, dataClass: 'restricted', zones: ['eu-cloud'], decision: 'allowed' },
      { ...base, dataClass: 'restricted', zones: ['local'], decision: 'routed' },
      { ...base, dataClass: 'restricted', zones: [], decision: 'blocked' },
    ]);
    assert.equal(summary.restricted, 3);
    assert.equal(summary.restrictedReachedExternal, 1);
    assert.equal(summary.byDecision.blocked, 1);
  });

  it('tenants come from the access admin API', async () => {
    const tenants = await get<{ data: Array<{ id: string; allowedModels: string[]; rpm: number }> }>('/admin/tenants');
    assert.deepEqual(tenants.data.map((t) => [t.id, t.allowedModels.sort(), t.rpm]), [['acme', ['cloud', 'home'], 600]]);
  });

  it('reads results.json as written by "unbundle eval run", with its report', async () => {
    const evals = await get<{ runs: Array<{ file: string; suite: string; runId: string; report: string; models: Array<{ model: string; metric: string; score: number; costPerRequest?: number; latencyMs?: number; domains?: Record<string, number> }> }> }>('/admin/dashboard/evals');
    assert.equal(evals.runs.length, 1);
    const [run] = evals.runs;
    assert.equal(run!.suite, 'toy-suite');
    assert.equal(run!.runId, 'run-1');
    assert.equal(run!.report, path.join('toy-suite', 'report.html'));
    assert.deepEqual(run!.models.map((m) => [m.model, m.metric, m.score]), [['home', 'exact', 0.7], ['cloud', 'exact', 0.9]]);
    assert.equal(run!.models[0]!.costPerRequest, 0.00002);
    assert.equal(run!.models[0]!.latencyMs, 12);
    assert.deepEqual(run!.models[0]!.domains, { code: 0.9 });

    const report = await fetch(`${url}/admin/dashboard/eval-report?report=${encodeURIComponent(run!.report)}`, { headers: auth });
    assert.equal(report.status, 200);
    assert.match(report.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(await report.text(), '<html></html>');
    // Only reports the listing names: no path of the client's choosing, and never without the key.
    for (const wanted of ['../../../etc/passwd', 'toy-suite/results.json']) {
      const refused = await fetch(`${url}/admin/dashboard/eval-report?report=${encodeURIComponent(wanted)}`, { headers: auth });
      assert.equal(refused.status, 404, wanted);
    }
    assert.equal((await fetch(`${url}/admin/dashboard/eval-report?report=${encodeURIComponent(run!.report)}`)).status, 401);
  });
});

describe('dashboard with no admin key configured', { timeout: 120_000 }, () => {
  it('its data endpoints are off like the rest of the admin API (404 naming the env var), the page still loads', async () => {
    const portfolio = portfolioFromObject({ server: { port: 0 }, models: [{ id: 'm', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1' }] });
    const models = ModelRegistry.fromBackends([{ config: portfolio.models[0]!, backend: new ScriptedBackend('m') }]);
    const assetsDir = await buildDashboardIfStale();
    const gateway = new Gateway({ portfolio, models, logger: createLogger('silent'), env: {}, dashboard: { dataDir: '/nonexistent', assetsDir } });
    const { url } = await gateway.listen(0, '127.0.0.1');
    try {
      const page = await fetch(`${url}/dashboard`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="app"|<script/);
      for (const route of ['/admin/dashboard/info', '/admin/dashboard/live', '/admin/audit']) {
        const response = await fetch(`${url}${route}`);
        assert.equal(response.status, 404, route);
        assert.match(((await response.json()) as { error: { message: string } }).error.message, /admin API is disabled: set the environment variable UNBUNDLE_ADMIN_KEY/);
      }
    } finally {
      await gateway.shutdown(1_000);
      await models.close();
    }
  });
});
