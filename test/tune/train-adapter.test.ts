import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readGgufAdapter } from '../../src/tune/adapter/gguf-adapter.ts';
import { importPeftAdapter } from '../../src/tune/adapter/peft-import.ts';
import { openLlamaCppLogprobs } from '../../src/tune/eval/llamacpp-logprobs.ts';
import { openGgufFile } from '../../src/tune/gguf/gguf-file.ts';
import { llamaForward } from '../../src/tune/model/llama-forward.ts';
import { loadLlamaModel } from '../../src/tune/model/llama-weights.ts';
import { loraFactors } from '../../src/tune/model/lora.ts';
import { runTuneTrain, type TuneTrainOptions } from '../../src/tune/run-tune-train.ts';
import { defaultTrainSettings } from '../../src/tune/train/train-settings.ts';
import { sharedModel } from '../helpers/paths.ts';
import { bankingLines, tempDir, writeLines } from './helpers/banking-sample.ts';
import { worstLogprobGap } from './helpers/compare-logprobs.ts';

/**
 * Short real training runs on stories260K: the adapter we write is one llama.cpp loads and
 * computes exactly as we do; a resumed run equals an uninterrupted one; and the PEFT export
 * imports back to the same tensors.
 */
const base = sharedModel('stories260K.gguf');

function options(dir: string, overrides: Partial<TuneTrainOptions> = {}): TuneTrainOptions {
  return {
    base,
    data: writeLines(dir, 'train.txt', bankingLines),
    out: path.join(dir, 'adapter.gguf'),
    settings: { ...defaultTrainSettings, rank: 4, alpha: 8, epochs: 3, batchSize: 4, learningRate: 5e-3, dropout: 0.1, seed: 7 },
    validationSplit: 0.2,
    maxLength: 64,
    ...overrides,
  };
}

describe('training a LoRA adapter on stories260K', () => {
  it('lowers the loss and writes a GGUF adapter that llama.cpp computes exactly as we do', async () => {
    const dir = tempDir();
    const report = await runTuneTrain(options(dir));
    const { result } = report;
    assert.equal(result.completed, true);
    assert.equal(report.trainExamples, 10);
    assert.equal(report.validationExamples, 2);
    assert.equal(result.totalSteps, 9);
    assert.equal(result.validationLosses.length, 3);
    assert.ok(result.validationLosses[2]! < result.validationLosses[0]!, `validation loss ${result.validationLosses.join(' → ')}`);
    assert.ok(result.epochLosses[2]! < result.epochLosses[0]!, `train loss ${result.epochLosses.join(' → ')}`);

    const file = openGgufFile(report.adapterFile);
    assert.equal(file.string('general.type'), 'adapter');
    assert.equal(file.string('adapter.type'), 'lora');
    assert.equal(file.string('general.architecture'), 'llama');
    assert.equal(file.number('adapter.lora.alpha'), 8);
    assert.equal(file.header.tensors.length, 5 * 7 * 2);
    assert.deepEqual(file.info('blk.0.attn_q.weight.lora_a').shape, [64, 4]);
    assert.deepEqual(file.info('blk.0.attn_k.weight.lora_b').shape, [4, 32]);
    assert.deepEqual(file.info('blk.4.ffn_down.weight.lora_a').shape, [172, 4]);
    assert.equal(report.adapterBytes, readFileSync(report.adapterFile).length);

    const model = loadLlamaModel(base);
    const adapter = readGgufAdapter(report.adapterFile, model.config);
    const served = await openLlamaCppLogprobs(base, { adapter: report.adapterFile });
    try {
      const tokens = [served.bos!, ...served.tokenize('Why was my card payment declined at the shop?')];
      const reference = await served.distributions(tokens);
      const gap = worstLogprobGap(llamaForward(model, tokens, { adapter }).logits, reference, model.config.vocab);
      assert.ok(gap < 1e-4, `worst log-prob gap ${gap}`);
      assert.ok(worstLogprobGap(llamaForward(model, tokens).logits, reference, model.config.vocab) > 1e-2, 'the trained adapter changes the output');
    } finally {
      await served.close();
    }
  });

  it('resumes from a checkpoint to exactly the adapter of an uninterrupted run', async () => {
    const straight = tempDir();
    await runTuneTrain(options(straight, { maxSteps: 5 }));
    const split = tempDir();
    const first = await runTuneTrain(options(split, { maxSteps: 2 }));
    assert.equal(first.result.stoppedBecause, 'max-steps');
    const second = await runTuneTrain(options(split, { maxSteps: 5, resume: first.checkpointFile }));
    assert.equal(second.result.state.step, 5);
    assert.deepEqual(readFileSync(path.join(split, 'adapter.gguf')), readFileSync(path.join(straight, 'adapter.gguf')));
    await assert.rejects(
      runTuneTrain(options(split, { maxSteps: 6, resume: first.checkpointFile, settings: { ...options(split).settings, rank: 8 } })),
      /Cannot resume .*rank was 4, now 8/,
    );
  });

  it('exports PEFT safetensors that import back to the same GGUF adapter tensors', async () => {
    const dir = tempDir();
    const peftDir = path.join(dir, 'peft');
    const report = await runTuneTrain(options(dir, { maxSteps: 3, peftDir }));
    const config = JSON.parse(readFileSync(path.join(peftDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config.r, 4);
    assert.equal(config.lora_alpha, 8);
    assert.deepEqual(config.target_modules, ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
    const ours = readGgufAdapter(report.adapterFile);
    const { adapter: imported } = importPeftAdapter(path.join(peftDir, 'adapter_model.safetensors'), base);
    assert.equal(imported.alpha, ours.alpha);
    const mine = [...loraFactors(ours)];
    const theirs = [...loraFactors(imported)];
    assert.equal(theirs.length, mine.length);
    mine.forEach((entry, i) => {
      assert.equal(`${theirs[i]!.layer}.${theirs[i]!.projection}`, `${entry.layer}.${entry.projection}`);
      assert.deepEqual(theirs[i]!.factor.a, entry.factor.a);
      assert.deepEqual(theirs[i]!.factor.b, entry.factor.b);
    });
  });
});
