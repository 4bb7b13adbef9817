import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { discoverLocalModels, modelIdFromFileName } from '../../src/portfolio/discover-models.ts';
import { portfolioFromObject } from '../../src/portfolio/load-portfolio.ts';
import { sharedModel } from '../backends/llamacpp/test-models.ts';

let tmp: string;

before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'unbundle-discover-'));
});

after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  for (const [file, source] of Object.entries(files)) {
    if (source.startsWith('text:')) writeFileSync(path.join(dir, file), source.slice(5));
    else copyFileSync(sharedModel(source), path.join(dir, file));
  }
  return dir;
}

test('every GGUF model becomes a llama.cpp entry named after its file; LoRA adapters are skipped', async () => {
  const dir = folder('mixed', {
    'stories260K.gguf': 'stories260K.gguf',
    'Llama 2 (tiny) random!.GGUF': 'llama-2-tiny-random.gguf',
    'stories-lora.gguf': 'stories260K-random-lora.gguf',
    'README.md': 'text:not a model',
  });
  const skipped: string[] = [];
  const models = await discoverLocalModels(dir, { onSkip: (file, reason) => skipped.push(`${path.basename(file)}: ${reason}`) });
  assert.deepEqual(models, [
    { id: 'Llama-2-tiny-random', backend: 'llamacpp', path: path.join(dir, 'Llama 2 (tiny) random!.GGUF') },
    { id: 'stories260K', backend: 'llamacpp', path: path.join(dir, 'stories260K.gguf') },
  ]);
  assert.deepEqual(skipped, ['stories-lora.gguf: it is a LoRA adapter: list it as "lora:" of its base model in a portfolio.yaml']);
  // The entries are valid portfolio config as they are.
  const portfolio = portfolioFromObject({ models });
  assert.deepEqual(portfolio.models.map((model) => model.id), ['Llama-2-tiny-random', 'stories260K']);
});

test('broken files are reported and skipped; split models count once, by their first part', async () => {
  const dir = folder('odd', {
    'notes.gguf': 'text:hello',
    'big-00001-of-00002.gguf': 'stories260K.gguf',
    'big-00002-of-00002.gguf': 'text:second half',
  });
  mkdirSync(path.join(dir, 'folder.gguf'));
  const skipped: string[] = [];
  const models = await discoverLocalModels(dir, { onSkip: (file) => skipped.push(path.basename(file)) });
  assert.deepEqual(models, [{ id: 'big', backend: 'llamacpp', path: path.join(dir, 'big-00001-of-00002.gguf') }]);
  assert.deepEqual(skipped, ['notes.gguf']);
});

test('ids that would collide after cleaning get a suffix', async () => {
  const dir = folder('collide', { 'my model.gguf': 'stories260K.gguf', 'my-model.gguf': 'stories260K.gguf' });
  const ids = (await discoverLocalModels(dir)).map((model) => model.id);
  assert.deepEqual(ids, ['my-model', 'my-model-2']);
});

test('a missing folder holds no models; a file in its place is a config error', async () => {
  assert.deepEqual(await discoverLocalModels(path.join(tmp, 'absent')), []);
  const file = path.join(tmp, 'a-file');
  writeFileSync(file, 'x');
  await assert.rejects(discoverLocalModels(file), { code: 'UNBUNDLE_E_CONFIG', message: /is a file, not a folder/ });
});

test('modelIdFromFileName satisfies the portfolio id rule', () => {
  assert.equal(modelIdFromFileName('qwen2.5-0.5b-instruct-q4_k_m'), 'qwen2.5-0.5b-instruct-q4_k_m');
  assert.equal(modelIdFromFileName('__hidden model__'), 'hidden-model');
  assert.equal(modelIdFromFileName('日本語'), 'model');
  assert.equal(modelIdFromFileName('x'.repeat(300)).length, 128);
});
