import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readGgufAdapter } from '../../src/tune/adapter/gguf-adapter.ts';
import { openLlamaCppLogprobs, type LlamaCppLogprobs } from '../../src/tune/eval/llamacpp-logprobs.ts';
import { llamaForward, type ForwardOptions } from '../../src/tune/model/llama-forward.ts';
import { loadLlamaModel, type LlamaModel } from '../../src/tune/model/llama-weights.ts';
import { sharedModel } from '../helpers/paths.ts';
import { worstLogprobGap } from './helpers/compare-logprobs.ts';

/**
 * Our forward pass against llama.cpp's own (through node-llama-cpp) on the real stories260K
 * model, with and without a real LoRA adapter file: this pins RMSNorm, RoPE, grouped-query
 * attention and SwiGLU, and the LoRA convention (scale = alpha / rank, A then B), to llama.cpp's.
 */
const base = sharedModel('stories260K.gguf');
const lora = sharedModel('stories260K-random-lora.gguf');
const text = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park.';
const tolerance = 1e-4;

describe('forward pass parity with llama.cpp (stories260K)', () => {
  let model: LlamaModel;
  let plain: LlamaCppLogprobs;
  let adapted: LlamaCppLogprobs;
  let tokens: number[];

  before(async () => {
    model = loadLlamaModel(base);
    plain = await openLlamaCppLogprobs(base);
    adapted = await openLlamaCppLogprobs(base, { adapter: lora });
    tokens = [plain.bos!, ...plain.tokenize(text)];
  });
  after(async () => {
    await plain?.close();
    await adapted?.close();
  });

  const ours = (options: ForwardOptions = {}) => llamaForward(model, tokens, options).logits;

  it('reads the model as the metadata describes it', () => {
    assert.deepEqual(
      { layers: model.config.layers, embd: model.config.embd, heads: model.config.heads, kvHeads: model.config.kvHeads, ffn: model.config.ffn, vocab: model.config.vocab },
      { layers: 5, embd: 64, heads: 8, kvHeads: 4, ffn: 172, vocab: 512 },
    );
    assert.ok(tokens.length > 20);
  });

  it('gives llama.cpp\'s next-token log-probabilities without an adapter', async () => {
    const gap = worstLogprobGap(ours(), await plain.distributions(tokens), model.config.vocab);
    assert.ok(gap < tolerance, `worst log-prob gap ${gap}`);
  });

  it('gives llama.cpp\'s log-probabilities with stories260K-random-lora.gguf applied', async () => {
    const adapter = readGgufAdapter(lora, model.config);
    assert.equal(adapter.alpha, 4);
    const reference = await adapted.distributions(tokens);
    const gap = worstLogprobGap(ours({ adapter }), reference, model.config.vocab);
    assert.ok(gap < tolerance, `worst log-prob gap with the adapter ${gap}`);
    // Not vacuous: the adapter moves the output far more than the tolerance, and scaling it by
    // alpha instead of alpha / rank (rank 4) would not match.
    assert.ok(worstLogprobGap(ours(), reference, model.config.vocab) > 0.5);
    assert.ok(worstLogprobGap(ours({ adapter, adapterScale: 4 }), reference, model.config.vocab) > 0.1);
  });
});
