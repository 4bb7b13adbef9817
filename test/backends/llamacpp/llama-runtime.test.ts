import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isUnbundleError } from '../../../src/errors.ts';
import { LlamaRuntime, runtimeOptionsFor } from '../../../src/backends/llamacpp/llama-runtime.ts';
import { LlamacppBackend } from '../../../src/backends/llamacpp/llamacpp-backend.ts';
import { modelConfig, never, sharedModel, storiesGreedy, storiesPrompt } from './test-models.ts';

let runtime: LlamaRuntime;
let tmp: string;
const greedy = { kind: 'completion' as const, prompt: storiesPrompt, temperature: 0, maxTokens: 24 };

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'unbundle-runtime-'));
  runtime = await LlamaRuntime.create({ threads: 2 });
});

after(async () => {
  await runtime.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('runtime', () => {
  test('runs on the CPU with the thread cap it was given', () => {
    assert.equal(runtime.gpu, false);
    assert.equal(runtime.threads, 2);
    assert.equal(runtime.llama.maxThreads, 2);
  });

  test('a base model and a base+LoRA specialist share one model load, and the LoRA changes the output', async () => {
    const loadsBefore = runtime.modelLoads;
    const base = new LlamacppBackend(modelConfig({ id: 'base', path: sharedModel('stories260K.gguf') }), runtime);
    const specialist = new LlamacppBackend(
      modelConfig({ id: 'base-lora', path: sharedModel('stories260K.gguf'), lora: sharedModel('stories260K-random-lora.gguf') }),
      runtime,
    );
    try {
      const [plain, tuned] = await Promise.all([base.generate(greedy, never), specialist.generate(greedy, never)]);
      assert.equal(runtime.modelLoads - loadsBefore, 1, 'the weights were read once');
      assert.ok(storiesGreedy.startsWith(plain.text), plain.text);
      assert.notEqual(tuned.text, plain.text);
      assert.equal(tuned.usage.outputTokens, 24);
      // The base keeps its own context: the adapter did not leak into it.
      assert.equal((await base.generate(greedy, never)).text, plain.text);
    } finally {
      await base.close();
      await specialist.close();
    }
    const again = new LlamacppBackend(modelConfig({ id: 'again', path: sharedModel('stories260K.gguf') }), runtime);
    try {
      await again.warm();
      assert.equal(runtime.modelLoads - loadsBefore, 2, 'the last release freed the model, so it loads anew');
    } finally {
      await again.close();
    }
  });

  test('runtimeOptionsFor picks the GPU backend a portfolio asks for', () => {
    assert.deepEqual(runtimeOptionsFor([{ gpu: false }, { gpu: false }]), { gpu: false });
    assert.deepEqual(runtimeOptionsFor([{ gpu: false }, { gpu: 'auto' }]), { gpu: 'auto' });
    assert.deepEqual(runtimeOptionsFor([{ gpu: 'auto' }, { gpu: 'cuda' }]), { gpu: 'cuda' });
  });
});

describe('model file errors', () => {
  async function loadError(config: Parameters<typeof modelConfig>[0]) {
    const backend = new LlamacppBackend(modelConfig(config), runtime);
    try {
      const error = await backend.generate(greedy, never).then(
        () => assert.fail('expected the load to fail'),
        (reason: unknown) => reason,
      );
      assert.ok(isUnbundleError(error), String(error));
      assert.equal(error.code, 'UNBUNDLE_E_MODEL_LOAD');
      const state = backend.state();
      assert.equal(state.status, 'error');
      assert.equal(state.lastError, error.message);
      assert.equal(state.active, 0);
      return error;
    } finally {
      await backend.close();
    }
  }

  test('a file that is not GGUF names the file and the fix', async () => {
    const file = path.join(tmp, 'notes.gguf');
    writeFileSync(file, 'these are my notes, not a model\n');
    const error = await loadError({ path: file });
    assert.ok(error.message.includes(file));
    assert.match(error.message, /starts with "thes" instead of the magic bytes "GGUF"/);
    assert.match(error.message, /convert_hf_to_gguf/);
  });

  test('a truncated download is caught before llama.cpp reads it', async () => {
    const file = path.join(tmp, 'truncated.gguf');
    writeFileSync(file, readFileSync(sharedModel('stories260K.gguf')).subarray(0, 600_000));
    const error = await loadError({ path: file });
    assert.match(error.message, /tensors need 1185376 bytes but the file has only 600000/);
  });

  test('a Git LFS pointer is recognised', async () => {
    const file = path.join(tmp, 'pointer.gguf');
    writeFileSync(file, 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
    const error = await loadError({ path: file });
    assert.match(error.message, /Git LFS pointer/);
  });

  test('a LoRA adapter given as the model path says where it belongs', async () => {
    const error = await loadError({ path: sharedModel('stories260K-random-lora.gguf') });
    assert.match(error.message, /is a lora adapter, not a model\. Set it as "lora:"/i);
  });

  test('a full model given as the LoRA is refused', async () => {
    const error = await loadError({ path: sharedModel('stories260K.gguf'), lora: sharedModel('llama-2-tiny-random.gguf') });
    assert.match(error.message, /is a full model, not a LoRA adapter/);
  });

  test('a failed load is retried by the next request once the file is fixed', async () => {
    const file = path.join(tmp, 'fixed-later.gguf');
    writeFileSync(file, 'not yet');
    const backend = new LlamacppBackend(modelConfig({ path: file }), runtime);
    try {
      await assert.rejects(backend.generate(greedy, never), { code: 'UNBUNDLE_E_MODEL_LOAD' });
      copyFileSync(sharedModel('stories260K.gguf'), file);
      const result = await backend.generate(greedy, never);
      assert.ok(storiesGreedy.startsWith(result.text));
      assert.equal(backend.state().status, 'ready');
      assert.equal(backend.state().lastError, undefined);
    } finally {
      await backend.close();
    }
  });
});

describe('embeddings', () => {
  test('one vector per input, of the model width, deterministic, with token usage', async () => {
    const backend = new LlamacppBackend(modelConfig({ path: sharedModel('stories260K.gguf') }), runtime);
    try {
      assert.ok(backend.embed);
      const first = await backend.embed({ input: ['The cat sat.', 'A dog ran to the park.'] }, never);
      assert.equal(first.embeddings.length, 2);
      for (const vector of first.embeddings) {
        assert.equal(vector.length, 64); // stories260K's n_embd
        assert.ok(vector.every(Number.isFinite));
      }
      assert.notDeepEqual(first.embeddings[0], first.embeddings[1]);
      const again = await backend.embed({ input: ['The cat sat.'] }, never);
      assert.deepEqual(again.embeddings[0], first.embeddings[0]);
      assert.ok(first.usage.inputTokens! > again.usage.inputTokens!);
      assert.equal(first.usage.outputTokens, 0);
      await assert.rejects(backend.embed({ input: ['x'], dimensions: 32 }, never), { code: 'UNBUNDLE_E_UNSUPPORTED' });
      await assert.rejects(backend.embed({ input: [] }, never), { code: 'UNBUNDLE_E_BAD_REQUEST' });
    } finally {
      await backend.close();
    }
  });

  test('embeddings: false leaves the backend without embed()', async () => {
    const backend = new LlamacppBackend(modelConfig({ path: sharedModel('stories260K.gguf'), embeddings: false }), runtime);
    assert.equal(backend.embed, undefined);
    await backend.close();
  });
});
