import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { AdapterRegistry } from '../../src/tune/registry/adapter-registry.ts';
import { storiesPrompt } from '../backends/llamacpp/test-models.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { sharedModel } from '../helpers/paths.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';
import { tempDir } from './helpers/banking-sample.ts';

const base = sharedModel('stories260K.gguf');
const lora = sharedModel('stories260K-random-lora.gguf');
const adminKey = 'admin-key-for-promotion-tests-0123456789';

describe('promotion through the admin API and tune promote / rollback', () => {
  const dir = tempDir();
  const saved = { key: process.env.UNBUNDLE_ADMIN_KEY, data: process.env.UNBUNDLE_DATA_DIR };
  let started: StartedGateway;

  before(async () => {
    process.env.UNBUNDLE_ADMIN_KEY = adminKey;
    process.env.UNBUNDLE_DATA_DIR = dir;
    await AdapterRegistry.at(process.env, dir).register({ name: 'rnd', source: 'registered', adapterFile: lora, baseFile: base });
    started = await startGatewayFromConfig({ ledger: { enabled: false }, models: [{ id: 'stories', backend: 'llamacpp', path: base, threads: 1, contextSize: 256 }] });
  });
  after(async () => {
    await started?.close();
    for (const [name, value] of [['UNBUNDLE_ADMIN_KEY', saved.key], ['UNBUNDLE_DATA_DIR', saved.data]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const complete = async (): Promise<string> => {
    const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const answer = await client.completions.create({ model: 'stories', prompt: storiesPrompt, max_tokens: 30, temperature: 0 });
    return answer.choices[0]!.text;
  };

  it('promotes, rolls back and lists over HTTP, guarded by the admin key', async () => {
    const plain = await complete();
    const refused = await fetch(`${started.url}/admin/models/stories/promote`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"adapter":"rnd"}' });
    assert.equal(refused.status, 401);

    const env = { ...process.env, UNBUNDLE_ADMIN_KEY: adminKey };
    const promoted = await runCli(['tune', 'promote', 'rnd@1', '--model', 'stories', '--url', started.url], { env, cwd: dir });
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(promoted.stdout, 'model stories now serves rnd@1\n');
    assert.notEqual(await complete(), plain);
    assert.ok(started.logs.some((line) => line.msg === 'adapter promoted' && line.adapter === 'rnd@1'));

    const listed = await fetch(`${started.url}/admin/adapters`, { headers: { authorization: `Bearer ${adminKey}` } });
    const body = (await listed.json()) as { data: Array<{ name: string; version: number }>; serving: Array<{ model: string; lora: string | null }> };
    assert.deepEqual(body.data.map((a) => `${a.name}@${a.version}`), ['rnd@1']);
    assert.match(body.serving[0]!.lora!, /adapters\/rnd\/v1\/adapter\.gguf$/);

    const bad = await runCli(['tune', 'promote', 'nope', '--model', 'stories', '--url', started.url], { env, cwd: dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /the server refused \(404\): No adapter named "nope"/);

    const rolled = await runCli(['tune', 'rollback', '--model', 'stories', '--url', started.url], { env, cwd: dir });
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(rolled.stdout, 'model stories now serves its base model without an adapter\n');
    assert.equal(await complete(), plain);

    const noKey = await runCli(['tune', 'rollback', '--model', 'stories', '--url', started.url], { env: { ...process.env, UNBUNDLE_ADMIN_KEY: '' }, cwd: dir });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /set UNBUNDLE_ADMIN_KEY/);
    const down = await runCli(['tune', 'rollback', '--model', 'stories', '--url', 'http://127.0.0.1:9'], { env, cwd: dir });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach the unbundle server at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('traffic capture through the server', () => {
  let upstream: FakeOpenAIUpstream;
  let started: StartedGateway;
  const dir = tempDir();

  before(async () => {
    upstream = await startFakeOpenAIUpstream();
    started = await startGatewayFromConfig({
      ledger: { enabled: false },
      capture: { enabled: true, models: ['support'], dir },
      models: [
        { id: 'support', backend: 'openai-compatible', baseURL: upstream.url },
        { id: 'other', backend: 'openai-compatible', baseURL: upstream.url },
      ],
    });
  });
  after(async () => {
    await started?.close();
    await upstream?.close();
  });

  it("captures the chosen model's exchanges, streamed and not, scrubbed", async () => {
    const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await client.chat.completions.create({ model: 'support', messages: [{ role: 'user', content: 'My email is ann@example.org, where is my card?' }] });
    const stream = await client.chat.completions.create({ model: 'support', stream: true, messages: [{ role: 'user', content: 'And my PIN?' }] });
    for await (const _chunk of stream) { /* drain */ }
    await client.chat.completions.create({ model: 'other', messages: [{ role: 'user', content: 'not captured' }] });
    await started.gateway.capture!.flush();
    const files = readdirSync(path.join(dir, 'support'));
    assert.equal(files.length, 1);
    const lines = readFileSync(path.join(dir, 'support', files[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { messages: Array<{ role: string; content: string }> });
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[0]!.messages[0], { role: 'user', content: 'My email is <EMAIL>, where is my card?' });
    assert.equal(lines[0]!.messages[1]!.role, 'assistant');
    assert.equal(lines[0]!.messages[1]!.content, 'Hello from the fake upstream.');
    assert.equal(lines[1]!.messages[1]!.content, 'Hello from the fake upstream.', 'the streamed answer is captured whole');
    assert.deepEqual(readdirSync(dir), ['support']);
  });
});
