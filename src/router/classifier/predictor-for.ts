import type { DomainPrediction } from './domain-classifier.ts';
import type { DomainPredictor } from './evaluate-classifier.ts';
import type { TextEmbedder } from './portfolio-embedder.ts';
import type { RouterClassifier } from './router-file.ts';

/**
 * A text-in predictor for any router file, for the CLI. The hashed classifier is one already; the
 * embedding classifier gets its texts embedded up front (batched), then answers from a lookup.
 */
export async function predictorFor(router: RouterClassifier, texts: readonly string[], openEmbedder: (modelId: string) => Promise<TextEmbedder>): Promise<DomainPredictor> {
  if (router.kind === 'hashed-ngram') return router;
  const unique = [...new Set(texts)];
  const embedder = await openEmbedder(router.embedModel);
  let vectors: Float32Array[];
  try {
    vectors = await embedder.embed(unique);
  } finally {
    await embedder.close();
  }
  const byText = new Map(unique.map((text, i) => [text, vectors[i]!]));
  return {
    domains: router.domains,
    threshold: router.threshold,
    predict(text: string): DomainPrediction {
      const vector = byText.get(text);
      if (!vector) throw new RangeError('predictorFor: text was not embedded up front');
      return router.predictEmbedding(vector);
    },
  };
}
