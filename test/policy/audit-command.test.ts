import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditRecord } from '../../src/policy/audit-sink.ts';
import { JsonlAuditSink } from '../../src/policy/jsonl-audit-sink.ts';
import { runCli } from '../helpers/run-cli.ts';

const hour = 3_600_000;

function record(ageMs: number, fields: Partial<AuditRecord>): AuditRecord {
  return {
    time: new Date(Date.now() - ageMs).toISOString(), requestId: 'r', tenant: null, endpoint: '/v1/chat/completions',
    dataClass: 'public', detectors: {}, zones: ['local'], models: ['m'], decision: 'allowed', ...fields,
  };
}

describe('unbundle audit', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'unbundle-audit-'));
    const sink = new JsonlAuditSink(path.join(dir, 'data', 'audit.jsonl'));
    sink.append(record(2 * hour, { requestId: 'recent-restricted', tenant: 'acme', dataClass: 'restricted', detectors: { US_SSN: 1 }, zones: [], models: [], decision: 'blocked', code: 'UNBUNDLE_E_POLICY_FORBIDDEN_ZONE' }));
    sink.append(record(1 * hour, { requestId: 'recent-confidential', dataClass: 'confidential', detectors: { EMAIL: 2 }, zones: ['external'], decision: 'redacted' }));
    sink.append(record(48 * hour, { requestId: 'old-restricted', dataClass: 'restricted', detectors: { SECRET: 1 }, zones: ['local'] }));
    sink.append(record(3 * hour, { requestId: 'other-tenant', tenant: 'globex', dataClass: 'restricted', detectors: { SECRET: 1 }, zones: ['local'] }));
    await sink.close();
    // A torn last line (a crash mid-append) is skipped, not fatal.
    writeFileSync(path.join(dir, 'data', 'audit.jsonl'), '{"time":"2026', { flag: 'a' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the restricted requests of the last 24 hours from UNBUNDLE_DATA_DIR', async () => {
    const { code, stdout } = await runCli(['audit', '--since', '24h', '--class', 'restricted'], { env: { UNBUNDLE_DATA_DIR: path.join(dir, 'data') }, cwd: dir });
    assert.equal(code, 0);
    assert.match(stdout, /recent-restricted .*acme .*restricted .*blocked .*US_SSN×1 .*UNBUNDLE_E_POLICY_FORBIDDEN_ZONE/);
    assert.match(stdout, /other-tenant/);
    assert.doesNotMatch(stdout, /old-restricted|recent-confidential/);
    assert.match(stdout, /2 request\(s\): allowed 1, blocked 1/);
  });

  it('filters by tenant and decision and prints JSON lines', async () => {
    const env = { UNBUNDLE_DATA_DIR: path.join(dir, 'data') };
    const json = await runCli(['audit', '--since', '7d', '--tenant', 'acme', '--json'], { env, cwd: dir });
    assert.equal(json.code, 0);
    const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as AuditRecord);
    assert.deepEqual(lines.map((r) => r.requestId), ['recent-restricted']);
    const redacted = await runCli(['audit', '--since', '7d', '--decision', 'redacted', '--json'], { env, cwd: dir });
    assert.deepEqual(redacted.stdout.trim().split('\n').map((line) => (JSON.parse(line) as AuditRecord).requestId), ['recent-confidential']);
  });

  it('finds the file named by policy.audit.file, relative to the config file', async () => {
    writeFileSync(path.join(dir, 'portfolio.yaml'), 'policy:\n  audit:\n    file: data/audit.jsonl\n');
    const { code, stdout } = await runCli(['audit', '--config', 'portfolio.yaml', '--since', '7d', '--json'], { env: {}, cwd: dir });
    assert.equal(code, 0);
    assert.equal(stdout.trim().split('\n').length, 4);
  });

  it('exits 4 without an audit log and 2 on bad flags', async () => {
    const missing = await runCli(['audit'], { env: { UNBUNDLE_DATA_DIR: path.join(dir, 'nowhere') }, cwd: dir });
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /no audit log at .*nowhere/);
    const badClass = await runCli(['audit', '--class', 'secret'], { env: {}, cwd: dir });
    assert.equal(badClass.code, 2);
    assert.match(badClass.stderr, /--class must be one of public, internal, confidential, restricted/);
    assert.equal((await runCli(['audit', '--since', 'yesterday'], { env: {}, cwd: dir })).code, 2);
  });
});
