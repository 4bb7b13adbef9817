import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { LedgerAuditSink } from '../../src/ledger/ledger-audit-sink.ts';
import type { AuditRecord } from '../../src/policy/audit-sink.ts';
import { JsonlAuditSink } from '../../src/policy/jsonl-audit-sink.ts';
import { createLogger } from '../../src/logger.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { openAuditSink } from '../../src/server/open-audit-sink.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../ledger/ledger-fixtures.ts';
import { startLedgerGateway, type LedgerGateway } from '../ledger/ledger-gateway.ts';

/**
 * With the ledger on, the server's audit log goes to the ledger store (SQLite in the data dir), and
 * `unbundle audit` lists it from there: a policy that redacts e-mail for an external model and
 * blocks an SSN, the official openai client, then the CLI on the same UNBUNDLE_DATA_DIR.
 */
const email = 'jane.doe@example.com';
const ssn = '536-22-8451';

describe('audit log in the ledger store, end to end', { timeout: 30_000 }, () => {
  const temp = tempDir('unbundle-audit-ledger-');
  let inhouse: FakeOpenAIUpstream;
  let cloud: FakeOpenAIUpstream;
  let started: LedgerGateway | undefined;
  let ids: { redacted: string; blocked: string; routed: string };

  before(async () => {
    [inhouse, cloud] = await Promise.all([startFakeOpenAIUpstream(), startFakeOpenAIUpstream()]);
    cloud.setBehavior({ kind: 'ok', text: 'Writing to <EMAIL_1>.' });
    started = await startLedgerGateway(
      {
        models: [
          { id: 'inhouse', backend: 'openai-compatible', baseURL: inhouse.url, zone: 'self-hosted' },
          { id: 'cloud', backend: 'openai-compatible', baseURL: cloud.url, zone: 'external' },
        ],
        policy: {
          rules: {
            confidential: { action: 'redact', zones: ['local', 'self-hosted'], redactedZones: ['external'] },
            restricted: { action: 'block' },
          },
        },
      },
      { dataDir: temp.dir },
    );
    const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const redacted = await client.chat.completions.create({ model: 'cloud', messages: [{ role: 'user', content: `Mail ${email} and ${email}` }] }).withResponse();
    assert.equal(redacted.data.choices[0]!.message.content, `Writing to ${email}.`);
    const blocked = await client.chat.completions.create({ model: 'cloud', messages: [{ role: 'user', content: `My SSN is ${ssn}` }] }).withResponse().then(() => undefined, (e: unknown) => e);
    assert.ok(blocked instanceof OpenAI.APIError && blocked.status === 403, `the SSN request is refused: ${String(blocked)}`);
    const routed = await client.chat.completions.create({ model: 'inhouse', messages: [{ role: 'user', content: `Mail ${email}` }] }).withResponse();
    ids = { redacted: redacted.response.headers.get('x-request-id')!, blocked: blocked.headers?.get('x-request-id') ?? '', routed: routed.response.headers.get('x-request-id')! };
    assert.ok(started.gateway.audit instanceof LedgerAuditSink, 'with the ledger on, the audit log is in the ledger store');
    // serve's shutdown order: the gateway (which closes the audit sink: pending records commit), then the ledger.
    await started.close();
    started = undefined;
  });
  after(async () => {
    await started?.close();
    await Promise.all([inhouse?.close(), cloud?.close()]);
    temp.remove();
  });

  it('writes the records to ledger.sqlite (no audit.jsonl, nothing left in the journal)', () => {
    assert.ok(existsSync(path.join(temp.dir, 'ledger.sqlite')));
    assert.equal(existsSync(path.join(temp.dir, 'audit.jsonl')), false);
    assert.deepEqual(readdirSync(path.join(temp.dir, 'audit-journal')).filter((name) => name.endsWith('.jsonl')), []);
  });

  it('unbundle audit --class restricted lists the blocked request from the store', async () => {
    const { code, stdout, stderr } = await runCli(['audit', '--since', '1h', '--class', 'restricted'], { env: { UNBUNDLE_DATA_DIR: temp.dir }, cwd: temp.dir });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /restricted +blocked +- +US_SSN×1 +UNBUNDLE_E_POLICY_BLOCKED/);
    assert.match(stdout, /1 request\(s\): blocked 1/);
    assert.ok(ids.blocked && stdout.includes(ids.blocked), "the blocked request is listed by its id");
  });

  it('unbundle audit --json gives every record with class, labels, counts, zones and decision', async () => {
    const { code, stdout, stderr } = await runCli(['audit', '--since', '1h', '--json'], { env: { UNBUNDLE_DATA_DIR: temp.dir }, cwd: temp.dir });
    assert.equal(code, 0, stderr);
    const records = stdout.trim().split('\n').map((line) => JSON.parse(line) as AuditRecord);
    const byId = new Map(records.map((r) => [r.requestId, r]));
    assert.equal(records.length, 3);
    const strip = (r: AuditRecord | undefined) => r && { ...r, time: undefined, requestId: undefined };
    assert.deepEqual(strip(byId.get(ids.redacted)), {
      time: undefined, requestId: undefined, tenant: null, endpoint: '/v1/chat/completions', dataClass: 'confidential',
      detectors: { EMAIL: 2 }, zones: ['external'], models: ['cloud'], decision: 'redacted',
    });
    assert.deepEqual(strip(byId.get(ids.routed))?.zones, ['self-hosted']);
    assert.equal(byId.get(ids.routed)?.decision, 'allowed');
    const redactedOnly = await runCli(['audit', '--since', '1h', '--decision', 'redacted', '--json'], { env: { UNBUNDLE_DATA_DIR: temp.dir }, cwd: temp.dir });
    assert.deepEqual(redactedOnly.stdout.trim().split('\n').map((line) => (JSON.parse(line) as AuditRecord).requestId), [ids.redacted]);
  });

  it('never stores a value: not in the audit output, not anywhere in the data dir', async () => {
    const { stdout } = await runCli(['audit', '--since', '1h', '--json'], { env: { UNBUNDLE_DATA_DIR: temp.dir }, cwd: temp.dir });
    assert.ok(!stdout.includes(email) && !stdout.includes(ssn));
    for (const name of readdirSync(temp.dir, { recursive: true }) as string[]) {
      const file = path.join(temp.dir, name);
      if (!name.includes('.')) continue;
      const bytes = readFileSync(file).toString('latin1');
      assert.ok(!bytes.includes(email) && !bytes.includes(ssn), `${name} holds a sensitive value`);
    }
  });
});

describe('which audit sink the server opens', () => {
  const logger = createLogger('silent');
  const base = { models: [{ id: 'm', backend: 'openai-compatible' as const, baseURL: 'http://127.0.0.1:9/v1', zone: 'external' }] };
  const fakeLedger = { store: {}, location: { dataDir: '/tmp/unbundle-audit-rule' } } as never;

  it('the ledger store when the ledger is on and policy.audit.file is not set', async () => {
    const sink = openAuditSink(portfolioFromObject({ ...base, policy: {} }), fakeLedger, { logger, env: {}, cwd: '/tmp' });
    assert.ok(sink instanceof LedgerAuditSink);
    await sink.close();
  });

  it('the JSONL file when policy.audit.file is set, or when there is no ledger', async () => {
    const explicit = openAuditSink(portfolioFromObject({ ...base, policy: { audit: { file: '/tmp/unbundle-audit-rule/a/audit.jsonl' } } }), fakeLedger, { logger, env: {}, cwd: '/tmp/unbundle-audit-rule' });
    assert.ok(explicit instanceof JsonlAuditSink);
    assert.equal(explicit.file, '/tmp/unbundle-audit-rule/a/audit.jsonl');
    const noLedger = openAuditSink(portfolioFromObject({ ...base, policy: {}, ledger: { enabled: false } }), undefined, { logger, env: { UNBUNDLE_DATA_DIR: '/tmp/unbundle-audit-rule/d' }, cwd: '/tmp' });
    assert.ok(noLedger instanceof JsonlAuditSink);
    assert.equal(noLedger.file, '/tmp/unbundle-audit-rule/d/audit.jsonl');
    await Promise.all([explicit.close(), noLedger.close()]);
  });
});
