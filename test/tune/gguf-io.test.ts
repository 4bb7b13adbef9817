import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readGgufAdapter, writeGgufAdapter } from '../../src/tune/adapter/gguf-adapter.ts';
import { copyMetadataEntries } from '../../src/tune/gguf/copy-metadata-entries.ts';
import { openGgufFile } from '../../src/tune/gguf/gguf-file.ts';
import { encodeGguf, f16Tensor, f32Tensor } from '../../src/tune/gguf/gguf-writer.ts';
import { loadLlamaModel } from '../../src/tune/model/llama-weights.ts';
import { createLoraAdapter } from '../../src/tune/model/lora.ts';
import { seededRandom } from '../../src/tune/train/seeded-random.ts';
import { sharedModel } from '../helpers/paths.ts';
import { tempDir } from './helpers/banking-sample.ts';

describe('GGUF writing and reading', () => {
  it('writes metadata of every kind and tensors that read back exactly', () => {
    const dir = tempDir();
    const file = path.join(dir, 'kinds.gguf');
    const data = Float32Array.from({ length: 40 }, (_, i) => i / 8 - 2);
    writeFileSync(file, encodeGguf(
      [
        ['general.architecture', { type: 'string', value: 'llama' }],
        ['test.u32', { type: 'u32', value: 7 }],
        ['test.i32', { type: 'i32', value: -7 }],
        ['test.f32', { type: 'f32', value: 0.5 }],
        ['test.f64', { type: 'f64', value: 0.1 }],
        ['test.u64', { type: 'u64', value: 2 ** 40 }],
        ['test.bool', { type: 'bool', value: true }],
        ['test.strings', { type: 'string[]', value: ['a', 'bé'] }],
        ['test.floats', { type: 'f32[]', value: [1, 2.5] }],
      ],
      [f32Tensor('a', [8, 5], data), f16Tensor('b', [40], data), f32Tensor('c', [3], Float32Array.of(1, 2, 3))],
    ));
    const gguf = openGgufFile(file);
    assert.equal(gguf.header.version, 3);
    assert.equal(gguf.number('test.u32'), 7);
    assert.equal(gguf.number('test.i32'), -7);
    assert.equal(gguf.number('test.f32'), 0.5);
    assert.equal(gguf.number('test.f64'), 0.1);
    assert.equal(gguf.number('test.u64'), 2 ** 40);
    assert.equal(gguf.header.metadata.get('test.bool'), true);
    assert.deepEqual(gguf.header.metadata.get('test.strings'), { kind: 'array', itemType: 8, length: 2, values: ['a', 'bé'] });
    assert.deepEqual(gguf.info('a').shape, [8, 5]);
    assert.deepEqual(gguf.readFloat32('a'), data);
    assert.deepEqual(gguf.readFloat32('b'), data); // these values are exact in half precision
    assert.deepEqual(gguf.readFloat32('c'), Float32Array.of(1, 2, 3));
    for (const tensor of gguf.header.tensors) assert.equal(tensor.offset % 32, 0);
  });

  it('copies a model\'s tokenizer metadata byte for byte', () => {
    const source = sharedModel('stories260K.gguf');
    const copied = copyMetadataEntries(source, (key) => key.startsWith('tokenizer.'));
    const dir = tempDir();
    const file = path.join(dir, 'tok.gguf');
    writeFileSync(file, encodeGguf([['general.architecture', { type: 'string', value: 'llama' }]], [], { rawMetadata: copied }));
    const original = openGgufFile(source).header.metadata;
    const copy = openGgufFile(file).header.metadata;
    const tokenizerKeys = [...original.keys()].filter((k) => k.startsWith('tokenizer.'));
    assert.ok(tokenizerKeys.length >= 5);
    assert.equal(copied.count, tokenizerKeys.length);
    for (const key of tokenizerKeys) assert.deepEqual(copy.get(key), original.get(key), key);
  });

  it('round-trips a LoRA adapter and checks it against the base model', () => {
    const model = loadLlamaModel(sharedModel('stories260K.gguf'));
    const adapter = createLoraAdapter(model.config, ['q', 'down'], 3, 6, seededRandom(1));
    const dir = tempDir();
    const file = path.join(dir, 'a.gguf');
    writeGgufAdapter(file, adapter, { name: 'test' });
    const back = readGgufAdapter(file, model.config);
    assert.equal(back.alpha, 6);
    assert.deepEqual(back.layers[2]!.q!.a, adapter.layers[2]!.q!.a);
    assert.deepEqual(back.layers[4]!.down!.b, adapter.layers[4]!.down!.b);
    assert.equal(back.layers[0]!.k, undefined);
    const other = loadLlamaModel(sharedModel('llama-2-tiny-random.gguf'));
    assert.throws(() => readGgufAdapter(file, other.config), (error: Error & { code?: string }) => error.code === 'UNBUNDLE_E_DATA' && /block 1 but the base model has 1|another model/.test(error.message));
  });

  it('loads the F16 llama-2-tiny-random and rejects what it cannot train', () => {
    const model = loadLlamaModel(sharedModel('llama-2-tiny-random.gguf'));
    assert.equal(model.config.vocab, 32000);
    assert.equal(model.config.embd, 8);
    assert.throws(() => loadLlamaModel(sharedModel('stories260K-random-lora.gguf')), /is a LoRA adapter, not a base model/);
    const dir = tempDir();
    const file = path.join(dir, 'iq.gguf');
    const raw = { name: 'x', shape: [256], type: 16, bytes: new Uint8Array(66) };
    writeFileSync(file, encodeGguf([['general.architecture', { type: 'string', value: 'llama' }]], [raw]));
    assert.throws(() => openGgufFile(file).readFloat32('x'), (error: Error & { code?: string }) => error.code === 'UNBUNDLE_E_UNSUPPORTED' && /stored as IQ2_XXS/.test(error.message));
  });
});
