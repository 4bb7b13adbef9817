import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyMetadataEntries } from '../../../src/tune/gguf/copy-metadata-entries.ts';
import { f32ToF16 } from '../../../src/tune/gguf/half-float.ts';
import { decodableTypes } from '../../../src/tune/gguf/dequantize.ts';
import { openGgufFile } from '../../../src/tune/gguf/gguf-file.ts';
import { encodeGguf, f32Tensor, type GgufWriteTensor, type GgufWriteValue } from '../../../src/tune/gguf/gguf-writer.ts';
import { seededRandom } from '../../../src/tune/train/seeded-random.ts';

/**
 * Test models in every decodable tensor type. Block payloads are random bytes and each block's
 * half-float scale fields get a modest random value, so llama.cpp and our decoder read the very
 * same bytes: if the two disagree about the format, their outputs disagree.
 */

/** Byte offsets of the half-float scale fields in a block, and a magnitude that keeps weights ~0.1. */
const scaleFields: Record<number, { at: number[]; scale: number }> = {
  1: { at: [], scale: 0 },
  2: { at: [0], scale: 0.012 },
  3: { at: [0, 2], scale: 0.008 },
  6: { at: [0], scale: 0.006 },
  7: { at: [0, 2], scale: 0.004 },
  8: { at: [0], scale: 0.001 },
  10: { at: [80, 82], scale: 0.002 },
  11: { at: [108], scale: 0.0008 },
  12: { at: [0, 2], scale: 0.0001 },
  13: { at: [0, 2], scale: 0.00005 },
  14: { at: [208], scale: 0.00003 },
  30: { at: [], scale: 0 },
};

export const testedTypes = Object.keys(scaleFields).map(Number);

export function randomTensor(name: string, shape: number[], type: number, random: () => number): GgufWriteTensor {
  const layout = decodableTypes[type]!;
  const count = shape.reduce((a, b) => a * b, 1);
  const blocks = count / layout.block;
  const bytes = new Uint8Array(blocks * layout.bytes);
  const view = new DataView(bytes.buffer);
  if (type === 0) {
    const values = Float32Array.from({ length: count }, () => (2 * random() - 1) * (1 / Math.sqrt(shape[0]!)));
    return f32Tensor(name, shape, values);
  }
  if (type === 1 || type === 30) {
    for (let i = 0; i < count; i++) {
      const value = (2 * random() - 1) * 0.1;
      view.setUint16(2 * i, type === 1 ? f32ToF16(value) : new Uint32Array(new Float32Array([value]).buffer)[0]! >>> 16, true);
    }
    return { name, shape, type, bytes };
  }
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  const { at, scale } = scaleFields[type]!;
  for (let b = 0; b < blocks; b++) {
    for (const offset of at) view.setUint16(b * layout.bytes + offset, f32ToF16(scale * (0.5 + random())), true);
  }
  return { name, shape, type, bytes };
}

/**
 * A one-block llama with n_embd 256 (k-quants need rows that are multiples of 256) and
 * stories260K's tokenizer. Only the token embedding is stored as `type`: llama.cpp decodes it
 * exactly (a row lookup), while a quantised matmul would also round the activations to 8 bits
 * and blur the comparison. Every other matrix is F32.
 */
export function writeSyntheticModel(dir: string, tokenizerSource: string, type: number, seed = 1): string {
  const random = seededRandom(seed);
  const [embd, ffn, heads, kvHeads, vocab] = [256, 512, 4, 2, 512];
  const headDim = embd / heads;
  const ones = (n: number): Float32Array => Float32Array.from({ length: n }, () => 0.8 + 0.4 * random());
  const metadata: Array<[string, GgufWriteValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: `synthetic ${decodableTypes[type]!.name}` }],
    ['llama.block_count', { type: 'u32', value: 1 }],
    ['llama.context_length', { type: 'u32', value: 128 }],
    ['llama.embedding_length', { type: 'u32', value: embd }],
    ['llama.feed_forward_length', { type: 'u32', value: ffn }],
    ['llama.attention.head_count', { type: 'u32', value: heads }],
    ['llama.attention.head_count_kv', { type: 'u32', value: kvHeads }],
    ['llama.rope.dimension_count', { type: 'u32', value: headDim }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
  ];
  const tensors: GgufWriteTensor[] = [
    randomTensor('token_embd.weight', [embd, vocab], type, random),
    f32Tensor('output_norm.weight', [embd], ones(embd)),
    randomTensor('output.weight', [embd, vocab], 0, random),
    f32Tensor('blk.0.attn_norm.weight', [embd], ones(embd)),
    randomTensor('blk.0.attn_q.weight', [embd, embd], 0, random),
    randomTensor('blk.0.attn_k.weight', [embd, kvHeads * headDim], 0, random),
    randomTensor('blk.0.attn_v.weight', [embd, kvHeads * headDim], 0, random),
    randomTensor('blk.0.attn_output.weight', [embd, embd], 0, random),
    f32Tensor('blk.0.ffn_norm.weight', [embd], ones(embd)),
    randomTensor('blk.0.ffn_gate.weight', [embd, ffn], 0, random),
    randomTensor('blk.0.ffn_up.weight', [embd, ffn], 0, random),
    randomTensor('blk.0.ffn_down.weight', [ffn, embd], 0, random),
  ];
  const rawMetadata = copyMetadataEntries(tokenizerSource, (key) => key.startsWith('tokenizer.'));
  const file = path.join(dir, `synthetic-${decodableTypes[type]!.name}.gguf`);
  writeFileSync(file, encodeGguf(metadata, tensors, { rawMetadata }));
  return file;
}

/** A copy of `source` (same tensors and metadata) with `tokenizer.chat_template` set. */
export function withChatTemplate(source: string, template: string, file: string): string {
  const original = openGgufFile(source);
  const rawMetadata = copyMetadataEntries(source, (key) => key !== 'tokenizer.chat_template');
  const tensors = original.header.tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, bytes: original.readRaw(t.name) }));
  writeFileSync(file, encodeGguf([['tokenizer.chat_template', { type: 'string', value: template }]], tensors, { rawMetadata }));
  return file;
}
