import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { TokenScorer } from '../../src/eval/metric.ts';
import { resolveMetrics } from '../../src/eval/metric-registry.ts';
import { createLlamaTokenScorer, llamaPerplexity, perplexityFromLogprobs } from '../../src/eval/perplexity.ts';
import { sharedModel } from '../helpers/paths.ts';

const stories = sharedModel('stories260K.gguf');
const random = sharedModel('llama-2-tiny-random.gguf');
const story = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.';

describe('perplexity arithmetic', () => {
  it('is exp of the mean negative log-probability', () => {
    // p = 1/2 and 1/4: exp(-(ln 1/2 + ln 1/4) / 2) = sqrt(8).
    assert.ok(Math.abs(perplexityFromLogprobs([Math.log(0.5), Math.log(0.25)]) - Math.sqrt(8)) < 1e-12);
    assert.equal(perplexityFromLogprobs([0, 0]), 1);
    assert.ok(Number.isNaN(perplexityFromLogprobs([])));
  });

  it('scores the reference through a scorer and aggregates corpus perplexity', async () => {
    const scorer: TokenScorer = { id: 'fake', scoreTokens: async (text) => ({ logprobs: text.split(' ').map(() => Math.log(0.5)) }) };
    const [metric] = resolveMetrics(['perplexity']);
    const a = await metric!.score('ignored', { id: 'a', input: 'q', reference: 'one two' }, { scorer });
    const b = await metric!.score('ignored', { id: 'b', input: 'q', reference: 'x' }, { scorer });
    assert.equal(a.score, 2);
    assert.deepEqual(a.detail, { tokens: 2, negativeLogLikelihood: 2 * Math.log(2), scorer: 'fake' });
    assert.ok(Math.abs(metric!.corpus([a, b]).corpusPerplexity! - 2) < 1e-12);
    assert.equal(metric!.higherIsBetter, false);
    await assert.rejects(Promise.resolve(metric!.score('x', { id: 'c', input: 'q', reference: 'r' }, {})), { code: 'UNBUNDLE_E_UNSUPPORTED' });
  });
});

describe('perplexity under a local GGUF model', () => {
  it('needs the shared test models', () => {
    assert.ok(existsSync(stories), `missing ${stories} (see ../shared/models/SOURCES.md)`);
    assert.ok(existsSync(random), `missing ${random} (see ../shared/models/SOURCES.md)`);
  });

  it('is far lower for the TinyStories model than for random weights on a TinyStories sentence', async () => {
    const trained = await llamaPerplexity(stories, [story], { threads: 1 });
    const untrained = await llamaPerplexity(random, [story], { threads: 1 });
    assert.ok(trained.tokens > 10 && untrained.tokens > 10);
    assert.ok(trained.perplexity < 20, `stories260K perplexity ${trained.perplexity}`);
    assert.ok(untrained.perplexity > 1000, `random-weights perplexity ${untrained.perplexity}`);
    assert.ok(untrained.perplexity / trained.perplexity > 100);
  });

  it('scores every token of a text longer than the window, and text order matters', async () => {
    const full = await createLlamaTokenScorer(stories, { threads: 1 });
    const windowed = await createLlamaTokenScorer(stories, { threads: 1, contextSize: 8 });
    try {
      const whole = await full.scoreTokens(story);
      const pieces = await windowed.scoreTokens(story);
      assert.equal(pieces.logprobs.length, whole.logprobs.length);
      assert.ok(whole.logprobs.every((value) => value <= 0 && Number.isFinite(value)));
      // Less context per token can only make a good model less sure.
      assert.ok(perplexityFromLogprobs(pieces.logprobs) > perplexityFromLogprobs(whole.logprobs));
      const shuffled = await full.scoreTokens(story.split(' ').reverse().join(' '));
      assert.ok(perplexityFromLogprobs(shuffled.logprobs) > 5 * perplexityFromLogprobs(whole.logprobs));
      assert.deepEqual((await full.scoreTokens('')).logprobs, []); // nothing after BOS to score
    } finally {
      await full.close();
      await windowed.close();
    }
  });

  it('scores a specialist with its LoRA adapter applied, as the llamacpp backend serves it', async () => {
    const plain = await createLlamaTokenScorer(stories, { threads: 1 });
    const adapted = await createLlamaTokenScorer(stories, { threads: 1, lora: path.join(path.dirname(stories), 'stories260K-random-lora.gguf') });
    try {
      const a = perplexityFromLogprobs((await plain.scoreTokens(story)).logprobs);
      const b = perplexityFromLogprobs((await adapted.scoreTokens(story)).logprobs);
      assert.ok(Number.isFinite(b) && Math.abs(a - b) / a > 0.01, `with the adapter ${b}, without ${a}`);
    } finally {
      await plain.close();
      await adapted.close();
    }
  });

  it('reports a missing or broken model file clearly', async () => {
    await assert.rejects(llamaPerplexity('/nonexistent/model.gguf', ['x']), { code: 'UNBUNDLE_E_MODEL_LOAD', message: /model file not found: \/nonexistent\/model\.gguf/ });
    const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-ppl-'));
    const broken = path.join(dir, 'broken.gguf');
    writeFileSync(broken, 'this is not a GGUF file');
    try {
      await assert.rejects(llamaPerplexity(broken, ['x']), { code: 'UNBUNDLE_E_MODEL_LOAD', message: /cannot load .*broken\.gguf/ });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
