import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ScriptedBackend } from '../../helpers/scripted-backend.ts';
import { startLedgerGateway, type LedgerGateway } from '../../ledger/ledger-gateway.ts';
import { tempDir } from '../../ledger/ledger-fixtures.ts';

/** The admin cost endpoints the dashboard draws, behind UNBUNDLE_ADMIN_KEY, over real traffic. */

describe('admin cost API', () => {
  const temp = tempDir();
  const key = 'admin-secret-for-tests';
  const saved = process.env.UNBUNDLE_ADMIN_KEY;
  let started: LedgerGateway;
  const admin = (path: string, token: string | null = key) => fetch(`${started.url}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });

  before(async () => {
    // The admin key is read when the gateway starts (access control, docs/access.md).
    process.env.UNBUNDLE_ADMIN_KEY = key;
    started = await startLedgerGateway(
      {
        models: [
          { id: 'api', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', pricing: 'gpt-4o-mini' },
          // A self-hosted server (vLLM-like) behind the OpenAI-compatible backend: priced by measured time.
          { id: 'own', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', selfHosted: { hardwarePrice: 2000, hostingPerMonth: 10, powerWattsLoad: 300, powerWattsIdle: 60, electricityPerKWh: 0.3 } },
        ],
      },
      { dataDir: temp.dir, backends: { api: new ScriptedBackend('api'), own: new ScriptedBackend('own', { delayMs: 15 }) } },
    );
    for (const model of ['api', 'api', 'own', 'own', 'own']) {
      const response = await fetch(`${started.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    }
    assert.equal(await started.ledger.flush(), true);
  });
  after(async () => {
    if (saved === undefined) delete process.env.UNBUNDLE_ADMIN_KEY;
    else process.env.UNBUNDLE_ADMIN_KEY = saved;
    await started?.close();
    temp.remove();
  });

  it('refuses a missing or wrong admin key (off-without-a-key is covered in test/access/admin-api.test.ts)', async () => {
    assert.equal((await admin('/admin/costs/report', null)).status, 401);
    assert.equal((await admin('/admin/costs/report', 'admin-secret-for-tesTs')).status, 401);
    assert.equal((await admin('/admin/nothing-here')).status, 404);
  });

  it('GET /admin/costs/report: spend by model with the counterfactual', async () => {
    process.env.UNBUNDLE_ADMIN_KEY = key;
    const response = await admin('/admin/costs/report?since=1h&by=model&vs=gpt-4o');
    assert.equal(response.status, 200);
    const report = (await response.json()) as { by: string; rows: Array<Record<string, unknown>>; totals: Array<Record<string, unknown>>; reference: { name: string } };
    assert.equal(report.by, 'model');
    assert.equal(report.reference.name, 'gpt-4o');
    const api = report.rows.find((row) => row.model === 'api')!;
    assert.equal(api.requests, 2);
    assert.equal(api.inputTokens, 14);
    assert.ok(Math.abs((api.cost as number) - 2 * (7 * 0.15 + 5 * 0.6) / 1e6) < 1e-15);
    // gpt-4o: 2.5 / 10 USD per MTok.
    assert.ok(Math.abs((api.referenceCost as number) - 2 * (7 * 2.5 + 5 * 10) / 1e6) < 1e-15);
    const own = report.rows.find((row) => row.model === 'own')!;
    assert.equal(own.requests, 3);
    assert.ok((own.computeSeconds as number) > 0 && (own.cost as number) > 0);
    assert.equal(report.totals[0]!.requests, 5);
    const bad = await admin('/admin/costs/report?by=colour');
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /by must be one of model/);
  });

  it('GET /admin/ledger: the newest rows, filtered', async () => {
    process.env.UNBUNDLE_ADMIN_KEY = key;
    const response = await admin('/admin/ledger?since=1h&limit=2&model=own');
    assert.equal(response.status, 200);
    const { rows } = (await response.json()) as { rows: Array<{ model: string; time: number; costBasis: string; computeMs: number }> };
    assert.equal(rows.length, 2);
    assert.ok(rows.every((row) => row.model === 'own' && row.costBasis === 'self-hosted' && row.computeMs > 0));
    assert.ok(rows[0]!.time >= rows[1]!.time, 'newest first');
    assert.equal((await admin('/admin/ledger?limit=0')).status, 400);
  });

  it('GET /admin/costs/breakeven: from the measured compute time', async () => {
    process.env.UNBUNDLE_ADMIN_KEY = key;
    const response = await admin('/admin/costs/breakeven?model=own&vs=gpt-4o');
    assert.equal(response.status, 200);
    const result = (await response.json()) as { measuredRequests: number; traffic: { computeSecondsPerRequest: number }; verdict: string; currency: string };
    assert.equal(result.measuredRequests, 3);
    assert.ok(result.traffic.computeSecondsPerRequest > 0.005, `compute ${result.traffic.computeSecondsPerRequest} s`);
    assert.equal(result.currency, 'USD');
    assert.ok(result.verdict.length > 0);
    const notSelfHosted = await admin('/admin/costs/breakeven?model=api&vs=gpt-4o');
    assert.equal(notSelfHosted.status, 400);
  });
});
