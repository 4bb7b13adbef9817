import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readGgufAdapter } from '../../src/tune/adapter/gguf-adapter.ts';
import { sharedModel } from '../helpers/paths.ts';
import { runCli } from '../helpers/run-cli.ts';
import { bankingLines, tempDir, writeLines } from './helpers/banking-sample.ts';

const base = sharedModel('stories260K.gguf');

describe('unbundle tune train', () => {
  it('trains a bounded run, showing progress on stderr and a summary on stdout', async () => {
    const dir = tempDir();
    const data = writeLines(dir, 'train.txt', bankingLines);
    const { code, stdout, stderr } = await runCli(['tune', 'train', '--base', base, '--data', 'train.txt', '--out', 'a.gguf', '--rank', '2', '--batch', '2', '--epochs', '2', '--max-steps', '3', '--target', 'q,v', '--peft', 'peft'], { cwd: dir });
    assert.equal(code, 0, stderr);
    assert.ok(existsSync(data));
    assert.match(stderr, /step \d+\/12 \| epoch 1\/2 \| loss \d+\.\d+ \| lr [\d.e-]+ \| \d+ tok\/s \| ETA /);
    assert.match(stdout, /adapter: .*a\.gguf \(\d+ bytes\)/);
    assert.match(stdout, /steps: 3\/12 \(stopped early: max-steps; resume with --resume .*a\.gguf\.checkpoint\.gguf\)/);
    assert.match(stdout, /examples: 11 train, 1 validation/);
    const adapter = readGgufAdapter(path.join(dir, 'a.gguf'));
    assert.deepEqual(Object.keys(adapter.layers[0]!), ['q', 'v']);
    assert.equal(adapter.alpha, 16);
    assert.ok(existsSync(path.join(dir, 'peft', 'adapter_model.safetensors')));
    assert.ok(existsSync(path.join(dir, 'a.gguf.checkpoint.gguf')));
  });

  it('rejects bad flags and bad data with messages that say what to fix', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'bad.jsonl'), '{"text": "ok"}\n{"prompt": 3, "completion": "x"}\nnot json\n');
    const missing = await runCli(['tune', 'train', '--data', 'x.txt', '--out', 'a.gguf'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--base is required/);
    const target = await runCli(['tune', 'train', '--base', base, '--data', 'x', '--out', 'a.gguf', '--target', 'q,mlp'], { cwd: dir });
    assert.equal(target.code, 2);
    assert.match(target.stderr, /--target takes a comma list of q, k, v, o, gate, up, down; "mlp" is not one/);
    const lr = await runCli(['tune', 'train', '--base', base, '--data', 'x', '--out', 'a.gguf', '--lr', 'fast'], { cwd: dir });
    assert.equal(lr.code, 2);
    assert.match(lr.stderr, /--lr must be a number from 1e-8 to 1, got "fast"/);
    const data = await runCli(['tune', 'train', '--base', base, '--data', 'bad.jsonl', '--out', 'a.gguf'], { cwd: dir });
    assert.equal(data.code, 1);
    assert.match(data.stderr, /bad\.jsonl has 2 bad lines:\n {2}line 2: "prompt" must be a string\n {2}line 3: not valid JSON/);
    const model = await runCli(['tune', 'train', '--base', 'nope.gguf', '--data', 'bad.jsonl', '--out', 'a.gguf'], { cwd: dir });
    assert.equal(model.code, 4);
    assert.match(model.stderr, /nope\.gguf: file not found/);
    const group = await runCli(['tune'], { cwd: dir });
    assert.equal(group.code, 2);
    assert.match(group.stderr, /"unbundle tune" needs a subcommand: train, import/);
  });
});

describe('unbundle tune import', () => {
  it('converts a PEFT folder written by tune train back into the same adapter', async () => {
    const dir = tempDir();
    writeLines(dir, 'train.txt', bankingLines);
    const trained = await runCli(['tune', 'train', '--base', base, '--data', 'train.txt', '--out', 'a.gguf', '--rank', '2', '--max-steps', '1', '--target', 'k,o,up', '--peft', 'peft'], { cwd: dir });
    assert.equal(trained.code, 0, trained.stderr);
    const { code, stdout, stderr } = await runCli(['tune', 'import', 'peft/adapter_model.safetensors', '--base', base, '--out', 'b.gguf'], { cwd: dir });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /15 LoRA pairs over 3 projection kinds; rank 2; alpha 16/);
    const [a, b] = [readGgufAdapter(path.join(dir, 'a.gguf')), readGgufAdapter(path.join(dir, 'b.gguf'))];
    assert.deepEqual(b, a);
    assert.ok(readFileSync(path.join(dir, 'b.gguf')).length > 0);
  });

  it('needs exactly one safetensors file, --base and --out', async () => {
    const none = await runCli(['tune', 'import', '--base', base, '--out', 'x.gguf']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give exactly one adapter_model\.safetensors file/);
    const noOut = await runCli(['tune', 'import', 'a.safetensors', '--base', base]);
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /--out is required/);
  });
});
