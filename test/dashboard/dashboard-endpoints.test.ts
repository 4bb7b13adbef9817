import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { UnbundleError } from '../../src/errors.ts';
import { breakeven } from '../../src/ledger/cost-breakeven.ts';
import { CostBook } from '../../src/ledger/cost-book.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { trainDomainClassifier } from '../../src/router/classifier/train-domain-classifier.ts';
import { saveRouter } from '../../src/router/classifier/router-file.ts';
import { dashboardStateOf } from '../../src/server/admin/dashboard-routes.ts';
import { AdapterRegistry } from '../../src/tune/registry/adapter-registry.ts';
import { PromotionBook } from '../../src/tune/registry/promote-adapter.ts';
import { sharedModel } from '../helpers/paths.ts';
import { ScriptedBackend } from '../helpers/scripted-backend.ts';
import { startGatewayWith, type StartedGateway } from '../helpers/start-gateway.ts';
import { toyExamples } from '../router/toy-domains.ts';
import { buildDashboardIfStale } from './build-dashboard-once.ts';

const adminKey = 'test-admin-key-123';
const auth = { authorization: `Bearer ${adminKey}` };

/** A local model with machine costs, and an API model priced from the price table. */
const configs = portfolioFromObject({
  models: [
    { id: 'local-small', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', zone: 'self-hosted', selfHosted: { hardwarePrice: 3000, amortisationMonths: 36, powerWattsLoad: 300, powerWattsIdle: 60, electricityPerKWh: 0.3 } },
    { id: 'gpt-4o-mini', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', pricing: 'gpt-4o-mini' },
    { id: 'broken', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1' },
  ],
}).models;

async function chat(url: string, model: string): Promise<number> {
  const response = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
  await response.arrayBuffer();
  return response.status;
}

describe('dashboard endpoints (/admin/dashboard/*) and assets (/dashboard)', { timeout: 60_000 }, () => {
  let started: StartedGateway;
  let dir: string;
  let assetsDir: string;

  before(async () => {
    assetsDir = await buildDashboardIfStale();
    dir = mkdtempSync(path.join(tmpdir(), 'unbundle-dash-'));
    const routerFile = path.join(dir, 'router.json');
    saveRouter(trainDomainClassifier(toyExamples(30)), routerFile);
    mkdirSync(path.join(dir, 'eval'));
    writeFileSync(path.join(dir, 'eval', 'support.json'), JSON.stringify({ suite: 'support', models: [{ model: 'local-small', metric: 'accuracy', score: 0.82, costPerRequest: 0.0001 }, { model: 'gpt-4o-mini', metric: 'accuracy', score: 0.9, costPerRequest: 0.0004 }] }));
    writeFileSync(path.join(dir, 'eval', 'notes.json'), '{"hello": 1}');
    await new AdapterRegistry(path.join(dir, 'data', 'adapters')).register({ name: 'support', source: 'registered', adapterFile: sharedModel('stories260K-random-lora.gguf'), baseFile: sharedModel('stories260K.gguf'), validationLoss: 1.25 });
    new PromotionBook(path.join(dir, 'data', 'promotions.json')).write({ models: { 'local-small': [{ model: 'local-small', adapter: 'support@1', lora: null, at: '2026-01-01T00:00:00.000Z' }] } });
    const failing = new ScriptedBackend('broken', { failWith: new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'scripted failure') });
    started = await startGatewayWith(
      [
        { config: configs[0]!, backend: new ScriptedBackend('local-small') },
        { config: configs[1]!, backend: new ScriptedBackend('gpt-4o-mini', { usage: { inputTokens: 1000, outputTokens: 500 } }) },
        { config: configs[2]!, backend: failing },
      ],
      {},
      { env: { UNBUNDLE_ADMIN_KEY: adminKey }, dashboard: { routerFile, evalDir: path.join(dir, 'eval'), dataDir: path.join(dir, 'data'), assetsDir } },
    );
  });
  after(async () => {
    await started.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the admin API without the key or with a wrong one, naming the fix', async () => {
    const none = await fetch(`${started.url}/admin/dashboard/info`);
    assert.equal(none.status, 401);
    const body = (await none.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'UNBUNDLE_E_UNAUTHORIZED');
    assert.match(body.error.message, /Authorization: Bearer/);
    const wrong = await fetch(`${started.url}/admin/dashboard/info`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.match(((await wrong.json()) as { error: { message: string } }).error.message, /wrong/);
  });

  it('takes the admin key as x-api-key too, like every admin route', async () => {
    const response = await fetch(`${started.url}/admin/dashboard/info`, { headers: { 'x-api-key': adminKey } });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  });

  it('info lists the models and says which sources are not configured', async () => {
    const response = await fetch(`${started.url}/admin/dashboard/info`, { headers: auth });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const info = (await response.json()) as { models: string[]; autoRouting: boolean; adminKeyRequired: boolean; currency: string; sources: Record<string, { available: boolean; reason?: string }> };
    assert.deepEqual(info.models, ['local-small', 'gpt-4o-mini', 'broken']);
    assert.equal(info.adminKeyRequired, true);
    assert.equal(info.autoRouting, false);
    assert.equal(info.currency, 'USD');
    assert.equal(info.sources.router!.available, true);
    assert.equal(info.sources.ledger!.available, false);
    assert.match(info.sources.ledger!.reason!, /ledger\.enabled/);
    assert.match(info.sources.audit!.reason!, /no data policy/);
    assert.match(info.sources.tenants!.reason!, /no tenants/);
    assert.equal(info.sources.breakers!.available, true);
  });

  it('counts the API traffic sent (not its own requests) per model and in the overview window', async () => {
    const { sampler } = dashboardStateOf(started.gateway);
    sampler.tick();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await chat(started.url, 'local-small'));
    statuses.push(await chat(started.url, 'gpt-4o-mini'));
    statuses.push(await chat(started.url, 'broken'));
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 502]);
    const sample = sampler.tick();
    assert.ok(sample.requestsPerSecond > 0);
    assert.ok(sample.p50Ms !== null && sample.p95Ms! >= sample.p50Ms);
    const overview = (await (await fetch(`${started.url}/admin/dashboard/overview?range=60`, { headers: auth })).json()) as {
      window: { requests: number; errors: number; errorRate: number };
      samples: unknown[];
      models: Array<{ id: string; traffic: { requests: number; errors: number; inputTokens: number; outputTokens: number; apiSpend: number | null } }>;
    };
    assert.equal(overview.window.requests, 6);
    assert.equal(overview.window.errors, 1);
    assert.ok(Math.abs(overview.window.errorRate - 1 / 6) < 1e-9);
    const byId = new Map(overview.models.map((m) => [m.id, m.traffic]));
    assert.equal(byId.get('local-small')!.requests, 4);
    assert.equal(byId.get('local-small')!.outputTokens, 20);
    assert.equal(byId.get('local-small')!.apiSpend, null);
    assert.equal(byId.get('broken')!.errors, 0, 'the failed request was answered by no model');
    const price = new CostBook([configs[1]!], portfolioFromObject({}).ledger).modelCost('gpt-4o-mini');
    assert.equal(price.kind, 'api');
    if (price.kind === 'api') assert.ok(Math.abs(byId.get('gpt-4o-mini')!.apiSpend! - (1000 * price.inputPerMTok + 500 * price.outputPerMTok) / 1e6) < 1e-12);
  });

  it('rejects a bad range, an unknown endpoint and a wrong method with clear errors', async () => {
    const bad = await fetch(`${started.url}/admin/dashboard/overview?range=5`, { headers: auth });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /10 to 3600/);
    const unknown = await fetch(`${started.url}/admin/dashboard/nope`, { headers: auth });
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /overview/);
    const post = await fetch(`${started.url}/admin/dashboard/models`, { method: 'POST', headers: auth });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET');
    await post.arrayBuffer();
  });

  it('models carry backend, zone, health, queue and cost per 1M tokens', async () => {
    const body = (await (await fetch(`${started.url}/admin/dashboard/models`, { headers: auth })).json()) as { currency: string; models: Array<{ id: string; zone: string; status: string; queued: number; breaker: { available: boolean }; cost: { kind: string; outputPerMTok?: number; monthlyBase?: number } }> };
    const [local, api, broken] = body.models;
    assert.equal(local!.zone, 'self-hosted');
    assert.equal(local!.cost.kind, 'self-hosted');
    assert.ok(local!.cost.monthlyBase! > 0);
    assert.equal(api!.cost.kind, 'api');
    assert.ok(api!.cost.outputPerMTok! > 0);
    assert.equal(broken!.cost.kind, 'none');
    assert.equal(api!.status, 'ready');
    assert.equal(api!.queued, 0);
    assert.deepEqual(api!.breaker, { available: true, state: 'closed' });
  });

  it('computes the break-even with the ledger cost model, and the chart points', async () => {
    const response = await fetch(`${started.url}/admin/dashboard/breakeven?model=local-small&vs=gpt-4o-mini&seconds=0.5&input=800&output=300`, { headers: auth });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { available: boolean; result: { breakevenRequestsPerMonth: number; verdict: string }; points: Array<{ requestsPerMonth: number; api: number; selfHosted: number }> };
    assert.equal(body.available, true);
    const book = new CostBook(configs, portfolioFromObject({}).ledger);
    const own = book.modelCost('local-small');
    const api = book.reference('gpt-4o-mini')!;
    assert.equal(own.kind, 'self-hosted');
    if (own.kind !== 'self-hosted') return;
    const expected = breakeven(own, api, { computeSecondsPerRequest: 0.5, inputTokensPerRequest: 800, outputTokensPerRequest: 300 });
    assert.equal(body.result.breakevenRequestsPerMonth, expected.breakevenRequestsPerMonth);
    assert.equal(body.result.verdict, expected.verdict);
    assert.equal(body.points.length, 41);
    assert.equal(body.points[0]!.api, 0);
    assert.ok(body.points[40]!.api > body.points[1]!.api);
    const wrong = await fetch(`${started.url}/admin/dashboard/breakeven?model=gpt-4o-mini`, { headers: auth });
    assert.equal(wrong.status, 400);
    assert.match(((await wrong.json()) as { error: { message: string } }).error.message, /local-small/);
  });

  it('explains a route with the configured classifier without calling a model', async () => {
    const calls = started.gateway.options.models.list().map((e) => (e.backend as ScriptedBackend).calls.length);
    const response = await fetch(`${started.url}/admin/dashboard/route-explain`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'my python function throws an exception in the parser', model: 'local-small' }) });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { plan: { primary: string; reasons: string[] }; classifier: { available: boolean; prediction: { domain: string }; for: unknown[] } };
    assert.equal(body.plan.primary, 'local-small');
    assert.equal(body.classifier.available, true);
    assert.equal(body.classifier.prediction.domain, 'code');
    assert.ok(body.classifier.for.length > 0);
    assert.deepEqual(started.gateway.options.models.list().map((e) => (e.backend as ScriptedBackend).calls.length), calls);
    const json = { ...auth, 'content-type': 'application/json' };
    const auto = (await (await fetch(`${started.url}/admin/dashboard/route-explain`, { method: 'POST', headers: json, body: JSON.stringify({ prompt: 'x' }) })).json()) as { plan: { error?: string } };
    assert.match(auto.plan.error!, /auto/);
    const empty = await fetch(`${started.url}/admin/dashboard/route-explain`, { method: 'POST', headers: json, body: '{}' });
    assert.equal(empty.status, 400);
    await empty.arrayBuffer();
  });

  it('takes actions only as same-origin JSON (no cross-site form posts), and names bad input', async () => {
    const form = await fetch(`${started.url}/admin/dashboard/rollback`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: '{"model":"local-small"}' });
    assert.equal(form.status, 403);
    assert.match(((await form.json()) as { error: { message: string } }).error.message, /application\/json/);
    const crossSite = await fetch(`${started.url}/admin/dashboard/rollback`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, body: '{"model":"local-small"}' });
    assert.equal(crossSite.status, 403);
    await crossSite.arrayBuffer();
    const notLocal = await fetch(`${started.url}/admin/dashboard/promote`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', adapter: 'support@1' }) });
    assert.equal(notLocal.status, 400);
    assert.match(((await notLocal.json()) as { error: { message: string } }).error.message, /llamacpp/);
    const missing = await fetch(`${started.url}/admin/dashboard/promote`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'local-small' }) });
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /name@version/);
  });

  it('reads eval results and the adapter registry with its promotions', async () => {
    const evals = (await (await fetch(`${started.url}/admin/dashboard/evals`, { headers: auth })).json()) as { available: boolean; runs: Array<{ suite: string; models: Array<{ model: string; score: number }> }>; skipped: string[] };
    assert.equal(evals.available, true);
    assert.equal(evals.runs.length, 1);
    assert.equal(evals.runs[0]!.suite, 'support');
    assert.deepEqual(evals.runs[0]!.models.map((m) => m.score), [0.82, 0.9]);
    assert.match(evals.skipped[0]!, /notes\.json: no "models" array/);
    const adapters = (await (await fetch(`${started.url}/admin/dashboard/adapters`, { headers: auth })).json()) as { adapters: Array<{ name: string; version: number; validationLoss: number }>; promotions: Record<string, Array<{ adapter: string }>> };
    assert.deepEqual(adapters.adapters.map((a) => `${a.name}@${a.version}`), ['support@1']);
    assert.equal(adapters.adapters[0]!.validationLoss, 1.25);
    assert.equal(adapters.promotions['local-small']![0]!.adapter, 'support@1');
  });

  it('streams live samples over server-sent events with the key in a header', async () => {
    const controller = new AbortController();
    const response = await fetch(`${started.url}/admin/dashboard/live`, { headers: auth, signal: controller.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const deadline = Date.now() + 5_000;
    while (!text.includes('event: sample') && Date.now() < deadline) text += (await reader.read()).value ?? '';
    controller.abort();
    assert.match(text, /event: hello/);
    const data = JSON.parse(/event: sample\ndata: (.*)\n/.exec(text)![1]!) as { sample: { t: number }; models: Array<{ id: string; requests: number }> };
    assert.ok(data.sample.t > 0);
    assert.equal(data.models.find((m) => m.id === 'local-small')!.requests, 4);
  });

  it('serves the built UI with content types, caching and security headers', async () => {
    const page = await fetch(`${started.url}/dashboard`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.match(page.headers.get('content-security-policy')!, /default-src 'self'/);
    const html = await page.text();
    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${started.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.ok((await js.arrayBuffer()).byteLength > 1000);
    // Node's fetch decodes gzip; check the raw bytes are smaller than the file over HTTP/1.1 too.
    const raw = await import('node:http').then(({ get }) => new Promise<{ encoding: string | undefined; body: Buffer }>((resolve) => get(`${started.url}${script}`, { headers: { 'accept-encoding': 'gzip' } }, (res) => { const parts: Buffer[] = []; res.on('data', (c: Buffer) => parts.push(c)); res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(parts) })); })));
    assert.equal(raw.encoding, 'gzip');
    assert.match(gunzipSync(raw.body).toString('utf8'), /\S/);
    const etag = js.headers.get('etag')!;
    const again = await fetch(`${started.url}${script}`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const missing = await fetch(`${started.url}/dashboard/assets/nope.js`);
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
    const escape = await fetch(`${started.url}/dashboard/..%2f..%2fpackage.json`);
    assert.notEqual(escape.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.doesNotMatch(await escape.text(), /"devDependencies"/);
    const post = await fetch(`${started.url}/dashboard`, { method: 'POST' });
    assert.equal(post.status, 405);
    await post.arrayBuffer();
  });
});
