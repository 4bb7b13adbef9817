import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { PortfolioInput } from '../../src/portfolio/schema.ts';
import { ScriptedBackend } from '../helpers/scripted-backend.ts';
import { startLedgerGateway } from './ledger-gateway.ts';
import { tempDir } from './ledger-fixtures.ts';

/**
 * Budgets through the server: reserved before the call from max_tokens and the prompt estimate,
 * settled after, refused with 402 / 429 once spent, warned about near the limit, and still spent
 * after a restart (read back from the ledger).
 */

const temps: Array<{ remove: () => void }> = [];
after(() => temps.forEach((temp) => temp.remove()));

const chat = (url: string, maxTokens = 20) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', max_tokens: maxTokens, messages: [{ role: 'user', content: 'hi' }] }) });

function config(budgets: NonNullable<PortfolioInput['ledger']>['budgets']): PortfolioInput {
  return { models: [{ id: 'm', backend: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', pricing: 'gpt-4o-mini' }], ledger: { budgets } };
}

describe('budgets in the server', () => {
  it('many concurrent requests against a small token budget overrun it by at most one request', async () => {
    const temp = tempDir();
    temps.push(temp);
    // Each request reserves 20 (max_tokens) + 5 (prompt estimate) = 25 tokens and spends 7 + 5 = 12.
    const backend = new ScriptedBackend('m', { delayMs: 30 });
    const limit = 100;
    const started = await startLedgerGateway(config([{ scope: 'model', period: 'day', unit: 'tokens', limit, status: 429 }]), { dataDir: temp.dir, backends: { m: backend } });
    try {
      const responses = await Promise.all(Array.from({ length: 40 }, () => chat(started.url)));
      const bodies = await Promise.all(responses.map((response) => response.json() as Promise<{ error?: { code: string; message: string } }>));
      const admitted = responses.filter((response) => response.status === 200).length;
      const refused = responses.filter((response) => response.status === 429);
      assert.equal(admitted + refused.length, 40, `only 200s and 429s: ${responses.map((r) => r.status).join(',')}`);
      assert.ok(refused.length > 0, 'the budget refused some');
      assert.ok(refused[0]!.headers.get('retry-after'), 'Retry-After says when the budget resets');
      const refusal = bodies.find((body) => body.error)!.error!;
      assert.equal(refusal.code, 'UNBUNDLE_E_BUDGET_EXCEEDED');
      assert.match(refusal.message, /tokens per day per model/);
      assert.match(refusal.message, /resets at \d{4}-\d{2}-\d{2}T/);
      // Concurrently, only 4 reservations of 25 fit in 100 tokens.
      assert.ok(admitted >= 4, `${admitted} admitted`);
      assert.equal(await started.ledger.flush(), true);
      const [group] = await started.ledger.store.aggregate('model', { model: 'm', status: 'ok' });
      const spent = group!.inputTokens + group!.outputTokens;
      assert.ok(spent <= limit + 25, `spent ${spent} tokens on a budget of ${limit}: more than one request over`);
      // Once settled, later requests use what the reservations left over, until the budget is spent.
      for (let i = 0; i < 20; i++) await (await chat(started.url)).arrayBuffer();
      await started.ledger.flush();
      const [after] = await started.ledger.store.aggregate('model', { model: 'm', status: 'ok' });
      const total = after!.inputTokens + after!.outputTokens;
      // Reservations were replaced by the real spend, so the budget is used up, not blocked by holds.
      assert.ok(total >= limit, `spent only ${total} of ${limit}: reservations were not settled`);
      assert.ok(total <= limit + 25, `spent ${total} of ${limit}: more than one request over`);
    } finally {
      await started.close();
    }
  });

  it('a money budget answers 402 with a clear message, warns near its limit, and survives a restart', async () => {
    const temp = tempDir();
    temps.push(temp);
    // gpt-4o-mini: 7 input + 5 output tokens = 0.00000405 USD per request; reservation (5 + 100
    // tokens) 0.00006075 USD. The limit admits a handful of requests.
    const budgets = [{ name: 'tiny', scope: 'model' as const, period: 'month' as const, unit: 'money' as const, limit: 0.00002, warnAt: 0.5 }];
    const first = await startLedgerGateway(config(budgets), { dataDir: temp.dir, backends: { m: new ScriptedBackend('m') } });
    let ok = 0;
    let warned = false;
    let refusal: Response | undefined;
    try {
      for (let i = 0; i < 20 && !refusal; i++) {
        const response = await chat(first.url, 100);
        if (response.status === 200) {
          ok++;
          if (response.headers.get('x-unbundle-budget-warning')) warned = true;
          await response.arrayBuffer();
        } else refusal = response;
      }
      assert.ok(refusal, 'the budget ran out');
      assert.equal(refusal.status, 402);
      const body = (await refusal.json()) as { error: { code: string; message: string; type: string } };
      assert.equal(body.error.code, 'UNBUNDLE_E_BUDGET_EXCEEDED');
      assert.match(body.error.message, /Budget "tiny" for model m is spent: .* USD of 0\.00002 USD used/);
      assert.ok(warned, 'a response near the limit carried x-unbundle-budget-warning');
      assert.equal(ok, Math.ceil(0.00002 / 0.00000405), 'admitted while anything was left');
    } finally {
      await first.close();
    }
    // A restart reads this month's spend back from the ledger: the budget stays spent.
    const second = await startLedgerGateway(config(budgets), { dataDir: temp.dir, backends: { m: new ScriptedBackend('m') } });
    try {
      const response = await chat(second.url, 100);
      assert.equal(response.status, 402, 'still spent after the restart');
      await response.arrayBuffer();
      await second.ledger.flush();
      const rows = await second.ledger.store.query({ status: 'error' });
      assert.ok(rows.length >= 2 && rows.every((row) => row.errorCode === 'UNBUNDLE_E_BUDGET_EXCEEDED' && row.cost === 0 && row.costBasis === 'none'));
    } finally {
      await second.close();
    }
  });
});
