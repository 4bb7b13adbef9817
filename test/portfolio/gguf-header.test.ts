import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ggufFileTypeName, readGgufHeader, readGgufHeaderSync } from '../../src/portfolio/gguf-header.ts';
import { writeGgufWithMetadata } from '../backends/llamacpp/gguf-with-metadata.ts';
import { sharedModel } from '../backends/llamacpp/test-models.ts';

let tmp: string;

before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'unbundle-gguf-'));
});

after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

test('reads a trained F32 model (figures from shared/models/SOURCES.md)', async () => {
  const header = await readGgufHeader(sharedModel('stories260K.gguf'));
  assert.equal(header.version, 3);
  assert.equal(header.architecture, 'llama');
  assert.equal(header.isAdapter, false);
  assert.equal(header.parameterCount, 292_800);
  assert.equal(header.tensorCount, 48);
  assert.equal(header.quantization, 'F32');
  assert.equal(header.fileType, undefined);
  assert.equal(header.contextLength, 2048);
  assert.equal(header.hasChatTemplate, false);
  assert.equal(header.metadata.get('llama.embedding_length'), 64);
  assert.deepEqual(header.tensors.find((tensor) => tensor.name === 'token_embd.weight')?.shape, [64, 512]);
});

test('reads an F16 model with a 32k vocabulary (a long header)', () => {
  const header = readGgufHeaderSync(sharedModel('llama-2-tiny-random.gguf'));
  assert.equal(header.parameterCount, 513_048);
  assert.equal(header.fileType, 1);
  assert.equal(header.quantization, 'F16');
  assert.equal(header.contextLength, 4096);
  assert.equal(header.name, 'LLaMA v2');
  const tokens = header.metadata.get('tokenizer.ggml.tokens');
  assert.ok(typeof tokens === 'object' && 'kind' in tokens && tokens.length === 32_000 && tokens.values === undefined);
});

test('tells a LoRA adapter from a model', () => {
  const header = readGgufHeaderSync(sharedModel('stories260K-random-lora.gguf'));
  assert.equal(header.type, 'adapter');
  assert.equal(header.isAdapter, true);
  assert.equal(header.parameterCount, 4_480);
  assert.equal(header.metadata.get('adapter.lora.alpha'), 4);
});

test('sees a chat template and keeps tensor data aligned after the header grows', () => {
  const file = path.join(tmp, 'templated.gguf');
  writeGgufWithMetadata(sharedModel('stories260K.gguf'), file, { 'tokenizer.chat_template': '{{ messages[0].content }}' });
  const header = readGgufHeaderSync(file);
  assert.equal(header.hasChatTemplate, true);
  assert.equal(header.parameterCount, 292_800);
  assert.equal(header.layout.dataOffset % header.layout.alignment, 0);
});

test('names the file type of quantised models', () => {
  assert.equal(ggufFileTypeName(15), 'Q4_K_M');
  assert.equal(ggufFileTypeName(7), 'Q8_0');
  assert.equal(ggufFileTypeName(5), undefined);
});

test('clear errors for files that are not usable GGUF', () => {
  const write = (name: string, content: Buffer | string) => {
    const file = path.join(tmp, name);
    writeFileSync(file, content);
    return file;
  };
  const model = readFileSync(sharedModel('stories260K.gguf'));
  const cases: Array<[string, RegExp]> = [
    [write('text.gguf', 'hello world'), /starts with "hell" instead of the magic bytes "GGUF"/],
    [write('empty.gguf', ''), /empty or too short/],
    [write('lfs.gguf', 'version https://git-lfs.github.com/spec/v1\n'), /Git LFS pointer/],
    [write('header-cut.gguf', model.subarray(0, 5000)), /ends at byte 5000 inside its header/],
    [write('data-cut.gguf', model.subarray(0, 100_000)), /tensors need 1185376 bytes but the file has only 100000/],
    [write('v1.gguf', Buffer.concat([Buffer.from('GGUF'), Buffer.from([1, 0, 0, 0]), Buffer.alloc(16)])), /GGUF version 1/],
    [path.join(tmp, 'missing.gguf'), /file not found/],
    [tmp, /not a regular file/],
  ];
  for (const [file, message] of cases) {
    assert.throws(() => readGgufHeaderSync(file), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'UNBUNDLE_E_MODEL_LOAD');
      assert.match(error.message, message);
      assert.ok(error.message.includes(file), `${error.message} should name ${file}`);
      return true;
    });
  }
});
