import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openLlamaCppLogprobs } from '../../src/tune/eval/llamacpp-logprobs.ts';
import { decodableTypes } from '../../src/tune/gguf/dequantize.ts';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/tune/gguf/half-float.ts';
import { llamaForward } from '../../src/tune/model/llama-forward.ts';
import { loadLlamaModel } from '../../src/tune/model/llama-weights.ts';
import { sharedModel } from '../helpers/paths.ts';
import { tempDir } from './helpers/banking-sample.ts';
import { worstLogprobGap } from './helpers/compare-logprobs.ts';
import { testedTypes, writeSyntheticModel } from './helpers/quantized-models.ts';

describe('half floats', () => {
  it('round-trips every finite half and rounds to nearest even', () => {
    for (let bits = 0; bits < 0x7c00; bits++) assert.equal(f32ToF16(f16ToF32(bits)), bits);
    assert.equal(f16ToF32(0x3c00), 1);
    assert.equal(f16ToF32(0xc000), -2);
    assert.equal(f16ToF32(0x0001), 2 ** -24);
    assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00); // halfway: ties to even (down)
    assert.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02); // halfway: ties to even (up)
    assert.equal(f32ToF16(70000), 0x7c00);
    assert.equal(f32ToF16(-1e-9), 0x8000);
    assert.equal(bf16ToF32(f32ToBf16(1.5)), 1.5);
    assert.equal(bf16ToF32(f32ToBf16(1 + 2 ** -9)), 1);
  });
});

/**
 * Each tensor type we decode, against llama.cpp itself: a model whose token embedding is stored
 * in that type must give the same log-probabilities in both. Row lookups are exact in llama.cpp,
 * so any disagreement about the block format shows.
 */
describe('decoding GGUF tensor types exactly as llama.cpp does', () => {
  const dir = tempDir('unbundle-quant-');
  const names = testedTypes.map((type) => decodableTypes[type]!.name);

  it('covers F16, BF16, the 32-element quants and the k-quants', () => {
    assert.deepEqual([...names].sort(), ['BF16', 'F16', 'Q2_K', 'Q3_K', 'Q4_0', 'Q4_1', 'Q4_K', 'Q5_0', 'Q5_1', 'Q5_K', 'Q6_K', 'Q8_0']);
  });

  for (const type of testedTypes) {
    it(`${decodableTypes[type]!.name}`, async () => {
      const file = writeSyntheticModel(dir, sharedModel('stories260K.gguf'), type);
      const reference = await openLlamaCppLogprobs(file, { contextSize: 32 });
      try {
        const tokens = [reference.bos!, ...reference.tokenize('Once upon a time there was a card payment')];
        const model = loadLlamaModel(file);
        const expected = await reference.distributions(tokens);
        const gap = worstLogprobGap(llamaForward(model, tokens).logits, expected, model.config.vocab);
        assert.ok(gap < 1e-4, `worst log-prob gap ${gap}`);
        // The check has teeth: swapping two values per embedding row is visible.
        for (let row = 0; row < model.config.vocab; row++) {
          const e = model.tokenEmbedding;
          [e[row * 256 + 3], e[row * 256 + 200]] = [e[row * 256 + 200]!, e[row * 256 + 3]!];
        }
        assert.ok(worstLogprobGap(llamaForward(model, tokens).logits, expected, model.config.vocab) > 1e-2);
      } finally {
        await reference.close();
      }
    });
  }
});
