import { z } from 'zod';
import { UnbundleError } from '../../errors.ts';
import { defineMetric, type MetricResult } from '../metric.ts';
import { perplexityFromLogprobs } from '../perplexity.ts';
import { referencesOf } from '../suite-schema.ts';

export const perplexityMetric = defineMetric({
  summary: 'perplexity of the reference (or of the answer) under a local GGUF model; lower is better',
  higherIsBetter: false,
  needs: 'scorer',
  options: z.strictObject({ target: z.enum(['reference', 'prediction']).default('reference') }),
  checkItem: (item, options) =>
    options.target === 'reference' && referencesOf(item).length === 0 ? { field: 'reference', message: 'required: the text whose perplexity is measured' } : undefined,
  bind: (options) => async (prediction, item, context) => {
    if (!context.scorer) {
      throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', 'the perplexity metric needs a local GGUF model to score tokens: pass a scorer (createLlamaTokenScorer)');
    }
    const text = options.target === 'reference' ? referencesOf(item)[0]! : prediction;
    const { logprobs } = await context.scorer.scoreTokens(text, context.signal);
    const negativeLogLikelihood = -logprobs.reduce((sum, value) => sum + value, 0);
    return { score: perplexityFromLogprobs(logprobs), detail: { tokens: logprobs.length, negativeLogLikelihood, scorer: context.scorer.id } };
  },
  corpus: (results: readonly MetricResult[]) => {
    let nll = 0;
    let tokens = 0;
    for (const result of results) {
      nll += Number(result.detail?.negativeLogLikelihood ?? 0);
      tokens += Number(result.detail?.tokens ?? 0);
    }
    return { corpusPerplexity: tokens === 0 ? Number.NaN : Math.exp(nll / tokens) };
  },
});
