import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ggufRowsToHf, hfRowsToGguf } from '../../src/tune/adapter/hf-permute.ts';
import { importPeftAdapter } from '../../src/tune/adapter/peft-import.ts';
import { writePeftAdapter } from '../../src/tune/adapter/peft-export.ts';
import { encodeSafetensors, readSafetensors } from '../../src/tune/adapter/safetensors.ts';
import { loadLlamaModel } from '../../src/tune/model/llama-weights.ts';
import { createLoraAdapter } from '../../src/tune/model/lora.ts';
import { applyRope, ropeTable } from '../../src/tune/model/rope.ts';
import { seededRandom } from '../../src/tune/train/seeded-random.ts';
import { sharedModel } from '../helpers/paths.ts';
import { tempDir } from './helpers/banking-sample.ts';

const base = sharedModel('stories260K.gguf');
const random = seededRandom(3);

/** Hugging Face's llama rotary embedding: dimension i pairs with i + d/2 ("rotate half"). */
function hfRope(x: Float32Array, position: number, headDim: number, base: number): Float32Array {
  const out = new Float32Array(x.length);
  const half = headDim / 2;
  for (let h = 0; h < x.length / headDim; h++) {
    for (let i = 0; i < half; i++) {
      const angle = position * base ** ((-2 * i) / headDim);
      const [a, b] = [x[h * headDim + i]!, x[h * headDim + i + half]!];
      out[h * headDim + i] = a * Math.cos(angle) - b * Math.sin(angle);
      out[h * headDim + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
    }
  }
  return out;
}

describe('PEFT LoRA import', () => {
  it('reorders q/k rows so llama.cpp\'s rotary embedding equals Hugging Face\'s', () => {
    const [heads, headDim, position] = [3, 8, 5];
    const hf = Float32Array.from({ length: heads * headDim }, () => random() * 2 - 1);
    const gguf = hfRowsToGguf(hf, heads * headDim, 1, headDim);
    const table = ropeTable({ nRot: headDim, base: 10000, freqScale: 1 }, position + 1);
    // Rotate position `position`: put the vector in that row of a [position+1 × dim] block.
    const block = new Float32Array((position + 1) * heads * headDim);
    block.set(gguf, position * heads * headDim);
    applyRope(block, position + 1, heads, headDim, table);
    const rotated = ggufRowsToHf(block.subarray(position * heads * headDim), heads * headDim, 1, headDim);
    const expected = hfRope(hf, position, headDim, 10000);
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(rotated[i]! - expected[i]!) < 1e-5, `dim ${i}`);
    assert.deepEqual(ggufRowsToHf(hfRowsToGguf(hf, 24, 1, 8), 24, 1, 8), hf);
  });

  it('folds rsLoRA and alpha_pattern scales into B, keeping plain modules untouched', () => {
    const model = loadLlamaModel(base);
    const adapter = createLoraAdapter(model.config, ['v', 'up'], 4, 8, random);
    for (const layer of adapter.layers) for (const factor of Object.values(layer)) factor!.b.forEach((_, i, b) => (b[i] = random() - 0.5));
    const dir = tempDir();
    const { safetensors, config } = writePeftAdapter(dir, adapter, model.config);
    const settings = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    writeFileSync(config, JSON.stringify({ ...settings, use_rslora: true, alpha_pattern: { 'layers.2.mlp.up_proj': 16 } }));
    const { adapter: imported } = importPeftAdapter(safetensors, base);
    // rsLoRA scale alpha/sqrt(r) = 8/2 = 4 becomes a GGUF alpha of 16 (16 / rank 4 = 4).
    assert.equal(imported.alpha, 16);
    assert.deepEqual(imported.layers[1]!.v!.b, adapter.layers[1]!.v!.b);
    const folded = imported.layers[2]!.up!.b;
    const original = adapter.layers[2]!.up!.b;
    // That module wants 16/sqrt(4) = 8, twice what alpha/rank gives.
    for (let i = 0; i < original.length; i++) assert.ok(Math.abs(folded[i]! - 2 * original[i]!) < 1e-6);
  });

  it('names what is wrong with an adapter it cannot convert', () => {
    const model = loadLlamaModel(base);
    const dir = tempDir();
    const file = path.join(dir, 'adapter_model.safetensors');
    const write = (tensors: Array<{ name: string; shape: number[] }>, config: object): void => {
      writeFileSync(file, encodeSafetensors(tensors.map((t) => ({ ...t, data: new Float32Array(t.shape[0]! * t.shape[1]!) }))));
      writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify(config));
    };
    const good = { peft_type: 'LORA', r: 2, lora_alpha: 4 };
    write([{ name: 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', shape: [2, 32] }, { name: 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight', shape: [64, 2] }], good);
    assert.throws(() => importPeftAdapter(file, base), /adapts a \[32 → 64\] projection but .*attn_q is \[64 → 64\]/);
    write([{ name: 'base_model.model.lm_head.lora_A.weight', shape: [2, 64] }], good);
    assert.throws(() => importPeftAdapter(file, base), /"base_model\.model\.lm_head\.lora_A\.weight" is not a LoRA factor/);
    write([{ name: 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', shape: [2, 64] }], { ...good, use_dora: true });
    assert.throws(() => importPeftAdapter(file, base), /DoRA/);
    write([{ name: 'base_model.model.model.layers.9.self_attn.q_proj.lora_A.weight', shape: [2, 64] }], good);
    assert.throws(() => importPeftAdapter(file, base), /layer 9 but the base model has 5/);
    assert.throws(() => importPeftAdapter(file, base, path.join(dir, 'missing.json')), /No adapter_config\.json/);
    writeFileSync(file, Buffer.from([1, 2, 3]));
    assert.throws(() => importPeftAdapter(file, base), /not a valid safetensors file/);
    assert.equal(model.config.layers, 5);
  });

  it('reads F16 and BF16 safetensors', () => {
    const dir = tempDir();
    const file = path.join(dir, 'half.safetensors');
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] } });
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(file, Buffer.concat([length, Buffer.from(header), Buffer.from([0x00, 0x3c, 0x00, 0xc0, 0xc0, 0x3f])]));
    const { tensors } = readSafetensors(file);
    assert.deepEqual(tensors.get('h')!.data, Float32Array.of(1, -2));
    assert.deepEqual(tensors.get('b')!.data, Float32Array.of(1.5));
  });
});
