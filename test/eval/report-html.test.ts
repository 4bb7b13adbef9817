import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { evaluatePortfolio } from '../../src/eval/evaluate-portfolio.ts';
import type { EvalResults } from '../../src/eval/eval-results.ts';
import { loadSuite } from '../../src/eval/load-suite.ts';
import { renderReportHtml } from '../../src/eval/render-report-html.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { repoRoot } from '../helpers/paths.ts';
import { capitalsPortfolio, capitalsSuite, writeSuite } from './helpers/eval-fixtures.ts';

const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('report.html in headless Chromium', { timeout: 90_000 }, () => {
  let upstream: FakeOpenAIUpstream;
  let browser: Browser;
  let reportFile: string;
  before(async () => {
    upstream = await startFakeOpenAIUpstream();
    const { dir, file } = writeSuite([...capitalsSuite, { id: 'xss', input: 'Say <b>hi</b>', reference: '<script>alert(1)</script>', domain: 'a<b>' }]);
    const portfolio = portfolioFromObject(capitalsPortfolio(upstream.url));
    ({ reportFile } = await evaluatePortfolio({ portfolio, suite: await loadSuite(file), modelIds: ['small', 'large'], outDir: dir }));
    // Playwright gives every launch a fresh temporary profile (it refuses --user-data-dir here).
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs, timeout: 30_000 });
  });
  after(async () => {
    await browser?.close();
    await upstream?.close();
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`shows the table, the plots and the per-domain scores ${javaScriptEnabled ? 'with' : 'without'} scripts, offline and without console errors`, async () => {
      const context = await browser.newContext({ javaScriptEnabled, offline: true });
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => requests.push(request.url()));
      const url = pathToFileURL(reportFile).href;
      await page.goto(url);

      const rows = await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
      assert.deepEqual(rows.map((row) => row[0]), ['small', 'large', 'baseline:majority']);
      assert.match(rows[0]![1]!, /^0\.429 \[\d\.\d{3}, \d\.\d{3}\]$/);
      assert.equal(await page.$eval('#results tbody tr.best td', (td) => td.textContent), 'small');
      // Two scatter plots, each with one point per model (and the front line on the cost plot).
      assert.equal(await page.locator('#scatter-plots svg').count(), 2);
      assert.equal(await page.locator('#scatter-plots svg').first().locator('circle.point').count(), 2);
      assert.equal(await page.locator('#scatter-plots svg').nth(1).locator('circle.point').count(), 2);
      const box = await page.locator('#scatter-plots svg').first().boundingBox();
      assert.ok(box && box.width > 200 && box.height > 100, 'the plot is drawn at a readable size');
      assert.deepEqual(await page.$$eval('#domains tbody tr td:first-child', (tds) => tds.map((td) => td.textContent)), ['a<b>', 'geography', 'math']);
      assert.equal(await page.locator('svg.bars rect.bar[data-model]').count(), 6);
      assert.equal(await page.locator('#pairwise tbody tr').count(), 1);
      // Text from the suite is shown as text, never run as markup.
      assert.equal(await page.locator('script').count(), 1);

      if (javaScriptEnabled) {
        // Sorting is the only scripted feature: sort by model name.
        await page.click('#results th:first-child');
        assert.deepEqual(await page.$$eval('#results tbody tr td:first-child', (tds) => tds.map((td) => td.textContent)), ['baseline:majority', 'large', 'small']);
        const artifacts = path.join(repoRoot, 'test-artifacts');
        mkdirSync(artifacts, { recursive: true });
        await page.goto(url);
        await page.screenshot({ path: path.join(artifacts, 'eval-report.png'), fullPage: true });
      }
      assert.deepEqual(problems, []);
      assert.deepEqual(requests.filter((request) => request !== url), [], 'the report fetches nothing');
      await context.close();
    });
  }

  it('embeds everything: no external URL anywhere in the file', () => {
    const html = readFileSync(reportFile, 'utf8');
    assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//);
    assert.doesNotMatch(html, /@import|url\(/);
    assert.match(html, /Content-Security-Policy/);
  });

  it('lists models with an unknown cost under the cost plot instead of placing them at 0', () => {
    const results = JSON.parse(readFileSync(path.join(path.dirname(reportFile), 'results.json'), 'utf8')) as EvalResults;
    for (const row of results.comparison.rows) row.summary.costPer1kItems = null;
    const html = renderReportHtml(results);
    assert.match(html, /no model has a known value on both axes/);
    assert.match(html, /Not on the cost plot \(cost unknown — add pricing or selfHosted to the model\): small, large\./);
  });
});
