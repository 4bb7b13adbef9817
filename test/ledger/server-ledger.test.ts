import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { UnbundleError } from '../../src/errors.ts';
import type { LedgerRow } from '../../src/ledger/ledger-row.ts';
import { ScriptedBackend } from '../helpers/scripted-backend.ts';
import { runCli } from '../helpers/run-cli.ts';
import { sharedModel } from '../helpers/paths.ts';
import { startLedgerGateway, type LedgerGateway } from './ledger-gateway.ts';
import { tempDir } from './ledger-fixtures.ts';

/**
 * Every request through the server lands in the ledger, once, with its cost: the official openai
 * client against a gateway whose ledger is opened as `serve` opens it (SQLite in a temp data dir).
 */

const miniPrice = { input: 0.15 / 1e6, output: 0.6 / 1e6 };

describe('the server writes one ledger row per request', () => {
  const temp = tempDir();
  const priced = new ScriptedBackend('priced', { text: 'Hello from the priced model.' });
  const failing = new ScriptedBackend('failing', { failWith: new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'upstream said 503') });
  const midway = new ScriptedBackend('midway', { failWith: new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', 'cut mid-stream'), failAfterParts: 2 });
  const slow = new ScriptedBackend('slow', { delayMs: 5_000 });
  let started: LedgerGateway;
  let client: OpenAI;

  const rowById = async (id: string): Promise<LedgerRow> => {
    assert.equal(await started.ledger.flush(5_000), true, 'the ledger commits');
    const rows = await started.ledger.store.query({ id });
    assert.equal(rows.length, 1, `exactly one row for ${id}`);
    return rows[0]!;
  };

  before(async () => {
    const model = (id: string) => ({ id, backend: 'openai-compatible' as const, baseURL: 'http://127.0.0.1:9/v1', pricing: 'gpt-4o-mini' });
    started = await startLedgerGateway(
      {
        models: [model('priced'), model('failing'), model('midway'), model('slow')],
      },
      { dataDir: temp.dir, backends: { priced, failing, midway, slow } },
    );
    client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 20_000 });
  });
  after(async () => {
    await started?.close();
    temp.remove();
  });

  it('a non-streamed chat: id, model, tokens, latency and the API-priced cost', async () => {
    const { response } = await client.chat.completions.create({ model: 'priced', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 20 }).withResponse();
    const id = response.headers.get('x-request-id')!;
    const row = await rowById(id);
    assert.equal(row.endpoint, 'chat');
    assert.equal(row.requestedModel, 'priced');
    assert.equal(row.model, 'priced');
    assert.equal(row.attempts, 1);
    assert.equal(row.status, 'ok');
    assert.equal(row.httpStatus, 200);
    assert.equal(row.stream, false);
    assert.equal(row.inputTokens, 7);
    assert.equal(row.outputTokens, 5);
    assert.equal(row.costBasis, 'api-price');
    assert.equal(row.currency, 'USD');
    assert.ok(Math.abs(row.cost! - (7 * miniPrice.input + 5 * miniPrice.output)) < 1e-15, `cost ${row.cost}`);
    assert.ok(row.latencyMs > 0 && row.latencyMs < 10_000);
    assert.ok(Math.abs(row.time - Date.now()) < 60_000);
    assert.equal(row.clientRequestId, undefined);
  });

  it('a streamed chat records time to first token and the streamed usage', async () => {
    const stream = await client.chat.completions.create({ model: 'priced', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } }).withResponse();
    let text = '';
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'Hello from the priced model.');
    const row = await rowById(stream.response.headers.get('x-request-id')!);
    assert.equal(row.stream, true);
    assert.equal(row.status, 'ok');
    assert.ok(row.ttftMs !== undefined && row.ttftMs <= row.latencyMs);
    assert.equal(row.outputTokens, 5);
    assert.equal(row.costBasis, 'api-price');
  });

  it('errors are rows too: unknown model (nothing called, cost 0) and an upstream failure (cost unknown)', async () => {
    const notFound = await fetch(`${started.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }) });
    assert.equal(notFound.status, 404);
    const refused = await rowById(notFound.headers.get('x-request-id')!);
    assert.equal(refused.status, 'error');
    assert.equal(refused.httpStatus, 404);
    assert.equal(refused.errorCode, 'UNBUNDLE_E_MODEL_NOT_FOUND');
    assert.equal(refused.attempts, 0);
    assert.equal(refused.cost, 0);
    assert.equal(refused.costBasis, 'none');

    await assert.rejects(client.chat.completions.create({ model: 'failing', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 502);
      return true;
    });
    const rows = await started.ledger.store.query({ status: 'error', limit: 50 });
    await started.ledger.flush();
    const failed = (await started.ledger.store.query({ status: 'error', limit: 50 })).find((row) => row.requestedModel === 'failing');
    assert.ok(failed, `a row for the failed call among ${rows.length}`);
    assert.equal(failed.httpStatus, 502);
    assert.equal(failed.errorCode, 'UNBUNDLE_E_UPSTREAM_SERVER');
    assert.equal(failed.inputTokens, undefined, 'unknown tokens stay unknown');
    assert.equal(failed.cost, undefined);
    assert.equal(failed.costBasis, 'unknown');
  });

  it('a stream that fails after its first bytes: status error, HTTP 200, the error code', async () => {
    const response = await fetch(`${started.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'midway', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
    const body = await response.text();
    assert.match(body, /cut mid-stream/);
    const row = await rowById(response.headers.get('x-request-id')!);
    assert.equal(row.status, 'error');
    assert.equal(row.httpStatus, 200);
    assert.equal(row.errorCode, 'UNBUNDLE_E_UPSTREAM_SERVER');
  });

  it('a client that disconnects is recorded as cancelled', async () => {
    const before = slow.calls.length;
    const controller = new AbortController();
    const pending = fetch(`${started.url}/v1/chat/completions`, { method: 'POST', signal: controller.signal, headers: { 'content-type': 'application/json', 'x-request-id': 'gone-client-1' }, body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'x' }] }) });
    while (slow.calls.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await assert.rejects(pending);
    while (slow.active > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await started.ledger.flush();
    const rows = (await started.ledger.store.query({ limit: 200 })).filter((row) => row.clientRequestId === 'gone-client-1');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 'cancelled');
    assert.equal(rows[0]!.model, undefined);
  });

  it("keeps a repeated client x-request-id beside the server's own id: two requests, two rows", async () => {
    for (let i = 0; i < 2; i++) {
      await client.chat.completions.create({ model: 'priced', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-request-id': 'same-id-from-client' } });
    }
    await started.ledger.flush();
    const rows = (await started.ledger.store.query({ limit: 500 })).filter((row) => row.clientRequestId === 'same-id-from-client');
    assert.equal(rows.length, 2);
    assert.notEqual(rows[0]!.id, rows[1]!.id);
    assert.ok(rows.every((row) => row.id !== 'same-id-from-client'));
  });

  it('embeddings are rows; GET endpoints are not', async () => {
    const before = (await started.ledger.flush(), (await started.ledger.store.aggregate('status', {})).reduce((sum, group) => sum + group.requests, 0));
    const { response } = await client.embeddings.create({ model: 'priced', input: ['one', 'two'] }).withResponse();
    await fetch(`${started.url}/v1/models`);
    await fetch(`${started.url}/health`);
    const row = await rowById(response.headers.get('x-request-id')!);
    assert.equal(row.endpoint, 'embedding');
    assert.equal(row.inputTokens, 6);
    assert.ok(Math.abs(row.cost! - 6 * miniPrice.input) < 1e-15);
    const total = (await started.ledger.store.aggregate('status', {})).reduce((sum, group) => sum + group.requests, 0);
    assert.equal(total, before + 1, 'only the POST became a row');
  });

  it('`unbundle cost report` reads the store the server writes', async () => {
    await started.ledger.flush();
    const { code, stdout, stderr } = await runCli(['cost', 'report', '--since', '1h', '--json'], { env: { ...process.env, UNBUNDLE_DATA_DIR: temp.dir, UNBUNDLE_DATABASE_URL: '' }, cwd: temp.dir });
    assert.equal(code, 0, stderr);
    const rows = JSON.parse(stdout) as Array<{ model: string | null; requests: number; cost: number }>;
    const priced = rows.find((row) => row.model === 'priced');
    const stored = (await started.ledger.store.aggregate('model', {})).find((group) => group.key === 'priced')!;
    assert.equal(priced?.requests, stored.requests);
    assert.ok(priced!.requests >= 5);
  });
});

describe('a local model in the ledger', () => {
  const temp = tempDir();
  let started: LedgerGateway;
  let client: OpenAI;

  before(async () => {
    started = await startLedgerGateway(
      {
        models: [{ id: 'stories', backend: 'llamacpp', path: sharedModel('stories260K.gguf'), threads: 1, contextSize: 256, parallel: 2, selfHosted: { hardwarePrice: 3000, powerWattsLoad: 200, powerWattsIdle: 50, electricityPerKWh: 0.3 } }],
      },
      { dataDir: temp.dir },
    );
    client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
  });
  after(async () => {
    await started?.close();
    temp.remove();
  });

  const rowById = async (id: string): Promise<LedgerRow> => {
    assert.equal(await started.ledger.flush(5_000), true, 'the ledger commits');
    const rows = await started.ledger.store.query({ id });
    assert.equal(rows.length, 1, `exactly one row for ${id}`);
    return rows[0]!;
  };

  it('is priced from its measured compute time', async () => {
    const { response } = await client.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 12, temperature: 0 }).withResponse();
    const row = await rowById(response.headers.get('x-request-id')!);
    assert.equal(row.model, 'stories');
    assert.equal(row.costBasis, 'self-hosted');
    assert.ok(row.computeMs !== undefined && row.computeMs > 0, `compute ${row.computeMs} ms`);
    assert.ok(row.computeMs <= row.latencyMs + 1e-6, 'compute time is within the request');
    assert.ok(row.cost !== undefined && row.cost > 0, `cost ${row.cost}`);
    assert.equal(row.outputTokens !== undefined && row.outputTokens > 0, true);
  });

});
