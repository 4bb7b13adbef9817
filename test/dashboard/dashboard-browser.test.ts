import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openServerLedger } from '../../src/ledger/open-server-ledger.ts';
import type { ServerLedger } from '../../src/ledger/server-ledger.ts';
import { createLogger } from '../../src/logger.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { ModelRegistry } from '../../src/portfolio/model-registry.ts';
import { saveRouter } from '../../src/router/classifier/router-file.ts';
import { trainDomainClassifier } from '../../src/router/classifier/train-domain-classifier.ts';
import { Gateway } from '../../src/server/gateway.ts';
import { AdapterRegistry } from '../../src/tune/registry/adapter-registry.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { repoRoot, sharedModel } from '../helpers/paths.ts';
import { toyExamples } from '../router/toy-domains.ts';
import { buildDashboardIfStale } from './build-dashboard-once.ts';

/**
 * The dashboard in a real browser: headless Chromium → /dashboard on a gateway serving the tiny
 * local GGUF model and a fake OpenAI upstream. Logs in with the admin key, sends traffic, and
 * checks every page shows it; screenshots go to test-artifacts/dashboard/. The ledger is on (SQLite
 * in a temp UNBUNDLE_DATA_DIR), a data policy redacts e-mails for the external zone (JSONL audit),
 * `auto` routes by domain, and a second fake upstream that always fails opens its model's breaker.
 */

const adminKey = 'browser-test-admin-key';
const shots = path.join(repoRoot, 'test-artifacts', 'dashboard');
const chromiumFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('dashboard in headless Chromium', { timeout: 180_000 }, () => {
  let upstream: FakeOpenAIUpstream;
  let failing: FakeOpenAIUpstream;
  let started: { gateway: Gateway; url: string; ledger: ServerLedger; models: ModelRegistry };
  let browser: Browser;
  let page: Page;
  let client: OpenAI;
  let dir: string;
  const consoleErrors: string[] = [];
  const offLoopback: string[] = [];

  before(async () => {
    const assetsDir = await buildDashboardIfStale();
    mkdirSync(shots, { recursive: true });
    dir = mkdtempSync(path.join(tmpdir(), 'unbundle-dash-e2e-'));
    mkdirSync(path.join(dir, 'eval'));
    writeFileSync(
      path.join(dir, 'eval', 'stories.json'),
      JSON.stringify({ suite: 'stories-qa', models: [{ model: 'stories', metric: 'accuracy', score: 0.41, costPerRequest: 0.00001 }, { model: 'upstream', metric: 'accuracy', score: 0.88, costPerRequest: 0.0003 }, { model: 'stories-big', metric: 'accuracy', score: 0.4, costPerRequest: 0.0005 }] }),
    );
    // A run as `unbundle eval run` writes it: <dir>/<suite>/results.json and report.html.
    mkdirSync(path.join(dir, 'eval', 'toy-suite'));
    writeFileSync(
      path.join(dir, 'eval', 'toy-suite', 'results.json'),
      JSON.stringify({ format: 'unbundle-eval-results/1', runId: 'r1', createdAt: new Date().toISOString(), suite: { name: 'toy-suite', primary: 'exact' }, currency: 'USD', models: [{ model: { id: 'stories' }, primary: 'exact', estimate: 0.37, low: 0.2, high: 0.5, costPer1kItems: 0.01, latencyMs: { p50: 5, p95: 9 }, domains: [] }] }),
    );
    writeFileSync(path.join(dir, 'eval', 'toy-suite', 'report.html'), '<!doctype html><title>report</title><h1>toy-suite report</h1><p>item-level results</p>');
    await new AdapterRegistry(path.join(dir, 'data', 'adapters')).register({ name: 'story-style', source: 'registered', adapterFile: sharedModel('stories260K-random-lora.gguf'), baseFile: sharedModel('stories260K.gguf'), validationLoss: 2.5, evalScores: { accuracy: 0.43 } });
    upstream = await startFakeOpenAIUpstream();
    failing = await startFakeOpenAIUpstream({ behavior: { kind: 'error', status: 500 } });
    const routerFile = path.join(dir, 'router.json');
    saveRouter(trainDomainClassifier(toyExamples(40), { features: { bits: 14 } }), routerFile);
    const portfolio = portfolioFromObject({
      server: { port: 0 },
      models: [
        { id: 'stories', backend: 'llamacpp', path: sharedModel('stories260K.gguf'), threads: 1, contextSize: 256, parallel: 2, zone: 'local', domains: ['code'], quality: { code: 0.9, cooking: 0.3 }, pricePerMTok: 0, selfHosted: { hardwarePrice: 2000, amortisationMonths: 36, powerWattsLoad: 200, powerWattsIdle: 40, electricityPerKWh: 0.3 } },
        { id: 'upstream', backend: 'openai-compatible', baseURL: upstream.url, model: 'gpt-4o-mini', pricing: 'gpt-4o-mini', quality: { billing: 0.9, code: 0.7, cooking: 0.8 } },
        { id: 'flaky', backend: 'openai-compatible', baseURL: failing.url, model: 'gpt-4o', pricing: 'gpt-4o', retry: { retries: 0 }, breaker: { failures: 2, openMs: 120_000 } },
      ],
      router: { classifier: routerFile, default: 'upstream' },
      policy: { rules: { confidential: { action: 'redact', zones: ['local'], redactedZones: ['external'] }, restricted: { action: 'route', zones: ['local'] } } },
    });
    const env = { UNBUNDLE_ADMIN_KEY: adminKey, UNBUNDLE_DATA_DIR: path.join(dir, 'data') };
    const models = await ModelRegistry.create(portfolio);
    const ledger = (await openServerLedger(portfolio, { env, cwd: dir, warn: () => undefined }))!;
    const gateway = new Gateway({ portfolio, models, ledger, env, cwd: dir, logger: createLogger('silent'), dashboard: { evalDir: path.join(dir, 'eval'), dataDir: path.join(dir, 'data'), assetsDir } });
    started = { gateway, models, ledger, url: (await gateway.listen(0, '127.0.0.1')).url };
    client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumFlags, timeout: 30_000 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    page.on('request', (request) => {
      const { hostname, protocol } = new URL(request.url());
      if (protocol !== 'data:' && hostname !== '127.0.0.1') offLoopback.push(request.url());
    });
  });

  after(async () => {
    await browser?.close();
    await started?.gateway.shutdown(1_000);
    await started?.ledger.close(5_000);
    await started?.models.close();
    await upstream?.close();
    await failing?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function visit(id: string, heading: string): Promise<void> {
    await page.click(`nav a[href="#/${id}"]`);
    await page.waitForSelector(`h1:text-is("${heading}")`);
  }

  it('asks for the admin key, refuses a wrong one, and keeps the right one out of the URL', async () => {
    await page.goto(`${started.url}/dashboard`);
    await page.waitForSelector('[data-testid="login-key"]');
    await page.screenshot({ path: path.join(shots, '0-login.png') });
    await page.fill('[data-testid="login-key"]', 'not-the-key');
    await page.click('[data-testid="login-submit"]');
    await page.waitForSelector('.login [role="alert"]:has-text("wrong")');
    // The wrong key's 401 is an expected failure; the browser logs it as a resource error.
    consoleErrors.length = 0;
    await page.fill('[data-testid="login-key"]', adminKey);
    await page.click('[data-testid="login-submit"]');
    await page.waitForSelector('h1:text-is("Overview")');
    assert.doesNotMatch(page.url(), new RegExp(adminKey));
    assert.equal(await page.evaluate(() => sessionStorage.getItem('unbundle.adminKey')), adminKey);
  });

  it('Overview: first meaningful paint (the headline figures) within 1 s on loopback', async (t) => {
    const started = performance.now();
    await page.reload();
    await page.waitForSelector('[data-testid="range-requests"] .stat-value');
    const meaningful = performance.now() - started;
    const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
    t.diagnostic(`overview: figures shown ${meaningful.toFixed(0)} ms after reload; first contentful paint ${paint === null ? 'n/a' : `${paint.toFixed(0)} ms`}`);
    // The target is 1 s; the bound leaves room for a loaded 2-core CI machine shared by many jobs.
    assert.ok(meaningful < 3_000, `overview took ${meaningful.toFixed(0)} ms`);
  });

  it('Overview: shows the traffic sent, by model, and updates live over SSE', async () => {
    for (let i = 0; i < 5; i++) await client.chat.completions.create({ model: 'stories', messages: [{ role: 'user', content: `Tell a story ${i}` }], max_tokens: 8, temperature: 0 });
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'upstream', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 });
    await page.waitForSelector('[data-testid="stream-state"]:text-is("live")');
    const row = (model: string) => page.locator('[data-testid="served-table"] tr', { has: page.locator(`td:text-is("${model}")`) });
    await row('stories').locator('td:text-is("5")').waitFor();
    await row('upstream').locator('td:text-is("3")').waitFor();
    // More traffic while the page is open: the count moves without a reload.
    for (let i = 0; i < 2; i++) await client.chat.completions.create({ model: 'upstream', messages: [{ role: 'user', content: 'again' }], max_tokens: 8 });
    await row('upstream').locator('td:text-is("5")').waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid="live-rps"] .stat-value')?.textContent ?? '—') !== '—');
    assert.notEqual(await page.textContent('[data-testid="live-p95"] .stat-value'), '—');
    assert.match((await page.textContent('[data-testid="api-spend"] .stat-value'))!, /USD/);
    await started.ledger.flush(5_000);
    await page.click('.range button:text-is("1 min")');
    await page.waitForSelector('.range button[aria-pressed="true"]:text-is("1 min")');
    await page.locator('[data-testid="range-requests"] .stat-value:text-is("10")').waitFor();
    // Spend today / this month and the savings against the priciest API model, from the ledger's 10 rows.
    await page.waitForSelector('[data-testid="spend"] .stat-note:has-text("10 requests today")');
    assert.match((await page.textContent('[data-testid="spend"] .stat-value'))!, /^[\d.,]+ USD \/ [\d.,]+ USD$/);
    assert.match((await page.textContent('[data-testid="savings"] .stat-label'))!, /vs all-API \(flaky\)/);
    // Signed: the local model's cost is its measured compute time, so on a slow machine the portfolio can cost more than all-API.
    assert.match((await page.textContent('[data-testid="savings"] .stat-value'))!, /^-?[\d.,]+ USD$/);
    assert.match((await page.textContent('[data-testid="savings"] .stat-note'))!, /10 requests with known tokens and cost/);
    await page.screenshot({ path: path.join(shots, '1-overview.png'), fullPage: true });
  });

  it('Portfolio: every model with its breaker (one opened by failures) and quality; the try-it box answers', async () => {
    // Traffic for the pages after this one: routed by domain, an e-mail the policy redacts, a failing model.
    await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Why my python function throws an exception in the parser?' }], max_tokens: 4, temperature: 0 });
    await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Why my card payment was declined on my account?' }], max_tokens: 4 });
    await client.chat.completions.create({ model: 'upstream', messages: [{ role: 'user', content: 'Write to jane.doe@example.com about the invoice' }], max_tokens: 4 });
    for (let i = 0; i < 2; i++) await assert.rejects(client.chat.completions.create({ model: 'flaky', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }));
    assert.ok(upstream.requests.every((r) => !JSON.stringify(r.body).includes('jane.doe@example.com')), 'the e-mail never reached the external upstream');
    await started.ledger.flush(5_000);
    await visit('portfolio', 'Portfolio');
    const flakyRow = page.locator('[data-testid="models-table"] tr', { has: page.locator('td:has-text("flaky")') });
    await flakyRow.locator('td:text-is("open")').waitFor();
    const storiesRow = page.locator('[data-testid="models-table"] tr', { has: page.locator('td:has-text("stories")') });
    assert.match((await storiesRow.textContent())!, /code 90 %/);
    assert.match((await storiesRow.textContent())!, /closed/);
    assert.match((await page.textContent('[data-testid="tenants"]'))!, /Not configured: no tenants/);
    const table = page.locator('[data-testid="models-table"]');
    await table.locator('td:has-text("stories")').first().waitFor();
    await table.locator('td:has-text("upstream")').first().waitFor();
    assert.match((await table.textContent())!, /llamacpp/);
    assert.match((await table.textContent())!, /external/);
    await page.selectOption('[data-testid="try-model"]', 'upstream');
    await page.fill('[data-testid="try-prompt"]', 'Say hello');
    await page.click('[data-testid="try-send"]');
    await page.waitForSelector('[data-testid="try-answer"] .answer-text');
    assert.equal(await page.textContent('[data-testid="try-answer"] .answer-text'), 'Hello from the fake upstream.');
    const headers = (await page.textContent('[data-testid="try-headers"]'))!;
    assert.match(headers, /x-unbundle-model\s*upstream/);
    assert.match(headers, /x-unbundle-attempts/);
    await page.screenshot({ path: path.join(shots, '2-portfolio.png'), fullPage: true });
  });

  it('Costs: prices per model, the ledger by model/domain/day with savings, and the break-even', async () => {
    await started.ledger.flush(5_000);
    await visit('costs', 'Costs');
    await page.locator('[data-testid="cost-table"] td:text-is("upstream")').waitFor();
    await page.waitForSelector('[data-testid="breakeven-verdict"]');
    assert.match((await page.textContent('[data-testid="breakeven-verdict"]'))!, /stories.*vs.*upstream/);
    await page.waitForSelector('[data-testid="chart-breakeven"] canvas');
    // The ledger's report: 16 requests so far (10 + try-it + 2 auto + e-mail + 2 failed), by model, then by domain and day.
    await page.waitForSelector('[data-testid="ledger-totals"]:has-text("Total: 16 requests")');
    assert.match((await page.textContent('[data-testid="ledger-totals"]'))!, /would have cost [\d.,]+ USD: (saved|cost) [\d.,]+ USD( more)?/);
    const byModel = (await page.textContent('[data-testid="ledger-table"]'))!;
    assert.match(byModel, /stories/);
    assert.match(byModel, /flaky/);
    await page.selectOption('[data-testid="cost-by"]', 'domain');
    await page.locator('[data-testid="ledger-table"] td:text-is("code")').waitFor();
    await page.locator('[data-testid="ledger-table"] td:text-is("billing")').waitFor();
    await page.selectOption('[data-testid="cost-by"]', 'day');
    await page.waitForSelector('[data-testid="chart-cost-day"] canvas');
    await page.locator(`[data-testid="ledger-table"] td:text-is("${new Date().toISOString().slice(0, 10)}")`).waitFor();
    await page.screenshot({ path: path.join(shots, '3-costs.png'), fullPage: true });
  });

  it('Routing: the route tester shows the decision without calling a model', async () => {
    await visit('routing', 'Routing');
    const before = upstream.requests.length;
    await page.selectOption('select', 'upstream');
    await page.fill('[data-testid="route-prompt"]', 'Where is my refund?');
    await page.click('[data-testid="route-send"]');
    await page.waitForSelector('[data-testid="route-result"]');
    assert.match((await page.textContent('[data-testid="route-result"]'))!, /upstream.*explicit model/s);
    assert.match((await page.textContent('[data-testid="route-result"]'))!, /UNBUNDLE_ROUTER_FILE/);
    // "auto" is decided by the portfolio's routing: a code question goes to the local specialist.
    await page.selectOption('select', 'auto');
    await page.fill('[data-testid="route-prompt"]', 'Why my python function throws an exception in the parser?');
    await page.click('[data-testid="route-send"]');
    await page.waitForSelector('[data-testid="route-result"]:has-text("domain code")');
    assert.match((await page.textContent('[data-testid="route-result"]'))!, /stories/);
    assert.equal(upstream.requests.length, before);
    // The domain mix from the ledger: code went to the local specialist, billing to the API model.
    await page.waitForSelector('[data-testid="chart-domain-mix"] canvas');
    const servedBy = page.locator('[data-testid="served-by-table"] tr');
    await servedBy.filter({ has: page.locator('td:text-is("code")') }).locator('td:text-is("stories")').waitFor();
    await servedBy.filter({ has: page.locator('td:text-is("billing")') }).locator('td:text-is("upstream")').waitFor();
    assert.match((await page.textContent('[data-testid="reasons-table"]'))!, /domain code/);
    await page.screenshot({ path: path.join(shots, '4-routing.png'), fullPage: true });
  });

  it('Sovereignty: the audit log with its counts, filters, and the statement it supports', async () => {
    await visit('sovereignty', 'Sovereignty');
    await page.waitForSelector('[data-testid="zones-table"] td:has-text("upstream")');
    await page.waitForSelector('[data-testid="audit-statement"]');
    assert.match((await page.textContent('[data-testid="audit-statement"]'))!, /^0 restricted requests reached an external zone since/);
    assert.equal(await page.textContent('[data-testid="audit-redacted"] .stat-value'), '1');
    assert.equal(await page.textContent('[data-testid="audit-blocked"] .stat-value'), '0');
    assert.match((await page.textContent('[data-testid="audit-table"]'))!, /EMAIL ×1/);
    await page.selectOption('[data-testid="audit-decision"]', 'redacted');
    await page.waitForSelector('[data-testid="audit-total"] .stat-value:text-is("1")');
    assert.equal(await page.locator('[data-testid="audit-table"] tbody tr').count(), 1);
    assert.match((await page.textContent('[data-testid="audit-table"] tbody tr'))!, /confidential.*redacted.*external.*upstream/);
    await page.screenshot({ path: path.join(shots, '5-sovereignty.png'), fullPage: true });
  });

  it('Evaluations: the results table and the quality-vs-cost chart', async () => {
    await visit('evaluations', 'Evaluations');
    await page.waitForSelector('td:text-is("stories-qa")');
    assert.match((await page.textContent('main'))!, /0\.88/);
    await page.waitForSelector('td:text-is("toy-suite")');
    assert.match((await page.textContent('main'))!, /0\.37/);
    assert.match((await page.textContent('main'))!, /toy-suite[\\/]report\.html/);
    await page.waitForSelector('[data-testid="chart-pareto"] canvas');
    await page.screenshot({ path: path.join(shots, '6-evaluations.png'), fullPage: true });
  });

  it("Evaluations: a run's HTML report opens in a new tab, fetched with the key (never in its URL)", async () => {
    await visit('evaluations', 'Evaluations');
    const link = page.locator('[data-testid="eval-reports"] button', { hasText: 'report.html' }).first();
    const [report] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await report.waitForSelector('h1:text-is("toy-suite report")');
    assert.match(report.url(), /^blob:http:\/\/127\.0\.0\.1:\d+\//);
    assert.equal(await report.title(), 'report');
    assert.equal(await report.textContent('p'), 'item-level results');
    await report.screenshot({ path: path.join(shots, '6b-eval-report.png') });
    await report.close();
  });

  it('Specialists: the adapter registry with metadata', async () => {
    await visit('specialists', 'Specialists');
    await page.waitForSelector('[data-testid="adapters-table"] td:has-text("story-style@1")');
    assert.match((await page.textContent('[data-testid="adapters-table"]'))!, /accuracy 0\.43/);
    // Promote the adapter onto the running local model, then roll it back: no restart.
    await page.selectOption('[data-testid="promote-model"]', 'stories');
    await page.selectOption('[data-testid="promote-adapter"]', 'story-style@1');
    await page.click('[data-testid="promote-button"]');
    await page.waitForSelector('[data-testid="promote-message"]:has-text("stories now serves story-style@1")', { timeout: 60_000 });
    await page.waitForSelector('[data-testid="promotions-table"] td strong:text-is("story-style@1")');
    assert.match(started.gateway.options.models.get('stories')!.config.backend === 'llamacpp' ? String((started.gateway.options.models.get('stories')!.config as { lora?: string }).lora) : '', /story-style[\\/]v1[\\/]adapter\.gguf$/);
    const answer = await client.chat.completions.create({ model: 'stories', messages: [{ role: 'user', content: 'Once' }], max_tokens: 4, temperature: 0 });
    assert.ok(answer.choices[0]!.message.content !== null);
    await page.screenshot({ path: path.join(shots, '7-specialists.png'), fullPage: true });
    await page.click('[data-testid="rollback-button"]');
    await page.waitForSelector('[data-testid="promote-message"]:has-text("stories now serves the base model")', { timeout: 60_000 });
    assert.equal((started.gateway.options.models.get('stories')!.config as { lora?: string }).lora, undefined);
  });

  it('works in a narrow window, in the dark theme, from the keyboard', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await page.click('button:has-text("Dark")');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await page.goto(`${started.url}/dashboard#/overview`);
    await page.reload();
    await page.waitForSelector('h1:text-is("Overview")');
    // Skip link, then the first two page links.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:text-is("Portfolio")');
    await page.screenshot({ path: path.join(shots, '8-narrow-dark.png'), fullPage: true });
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(offLoopback, []);
  });
});
