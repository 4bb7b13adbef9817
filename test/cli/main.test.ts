import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';

const stories = path.resolve(import.meta.dirname, '../../../shared/models/stories260K.gguf');

describe('unbundle CLI', () => {
  it('prints help listing the commands', async () => {
    const { code, stdout } = await runCli(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /Usage: unbundle <command>/);
    assert.match(stdout, /serve\s+Start the gateway/);
    assert.match(stdout, /models\s+List the portfolio/);
  });

  it('exits 2 with a hint on an unknown command or flag', async () => {
    const unknown = await runCli(['srve']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "srve"/);
    const flag = await runCli(['models', '--colour']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /Unknown option '--colour'.*unbundle models --help/);
    const port = await runCli(['serve', '--port', 'eighty']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be a whole number from 0 to 65535, got "eighty"/);
    assert.match(port.stderr, /^unbundle serve: --port/, 'one prefix, not "unbundle: unbundle serve:"');
  });

  it('prints a command\'s usage with --help', async () => {
    const { code, stdout } = await runCli(['serve', '--help']);
    assert.equal(code, 0);
    assert.match(stdout, /--config FILE/);
  });

  it('lists the models of a config as a table and as JSON', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-cli-'));
    const file = path.join(dir, 'portfolio.yaml');
    writeFileSync(file, `models:\n  - { id: stories, backend: llamacpp, path: ${stories} }\n  - { id: upstream, backend: openai-compatible, baseURL: "http://127.0.0.1:9/v1" }\n`);
    const table = await runCli(['models', '--config', file]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^ID\s+BACKEND\s+ZONE\s+STATE/);
    assert.match(lines[1]!, /^stories\s+llamacpp\s+local\s+unloaded/);
    assert.match(lines[2]!, /^upstream\s+openai-compatible\s+external\s+ready/);
    const json = await runCli(['models', '--config', file, '--json']);
    assert.deepEqual((JSON.parse(json.stdout) as Array<{ id: string }>).map((m) => m.id), ['stories', 'upstream']);
  });

  it('serve exits 3 on a portfolio with no models, saying what to add', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-cli-'));
    for (const [name, text] of [['empty.yaml', ''], ['none.yaml', 'models: []\n'], ['server-only.yaml', 'server: { port: 0 }\n']]) {
      const file = path.join(dir, name!);
      writeFileSync(file, text!);
      const { code, stderr } = await runCli(['serve', '--config', file], { env: { ...process.env, UNBUNDLE_DATA_DIR: path.join(dir, 'data') } });
      assert.equal(code, 3, `${name}: ${stderr}`);
      assert.match(stderr, /models: the portfolio lists no models/);
    }
  });

  it('exits 3 with the config path and the fix on a bad config', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-cli-'));
    const file = path.join(dir, 'portfolio.yaml');
    writeFileSync(file, 'models:\n  - { id: a, backend: llamacpp, pth: x.gguf }\n');
    const { code, stderr } = await runCli(['models', '--config', file]);
    assert.equal(code, 3);
    assert.match(stderr, new RegExp(`Invalid config in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(stderr, /models\[0\]\.pth: unknown key "pth" — did you mean "path"\?/);
  });
});
