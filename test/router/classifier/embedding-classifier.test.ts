import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnbundleError } from '../../../src/errors.ts';
import { EmbeddingClassifier, trainEmbeddingClassifier } from '../../../src/router/classifier/embedding-classifier.ts';
import type { LabelledExample } from '../../../src/router/classifier/labelled-data.ts';
import { parseRouter, serializeRouter } from '../../../src/router/classifier/router-file.ts';
import { seededRandom } from '../../../src/util/seeded-random.ts';

/** Three noisy clusters in 16 dimensions, at different scales (directions matter, not lengths). */
function clusters(perDomain: number, seed: number): { examples: LabelledExample[]; vectors: number[][] } {
  const random = seededRandom(seed);
  const centres: Record<string, number[]> = {
    code: Array.from({ length: 16 }, (_, d) => (d < 5 ? 1 : 0)),
    math: Array.from({ length: 16 }, (_, d) => (d >= 5 && d < 10 ? 1 : 0)),
    support: Array.from({ length: 16 }, (_, d) => (d >= 10 ? 1 : 0)),
  };
  const examples: LabelledExample[] = [];
  const vectors: number[][] = [];
  for (let i = 0; i < perDomain; i++) {
    for (const [domain, centre] of Object.entries(centres)) {
      const scale = 0.5 + random() * 20;
      vectors.push(centre.map((x) => (x + (random() - 0.5) * 0.9) * scale));
      examples.push({ domain, text: `${domain} ${i}` });
    }
  }
  return { examples, vectors };
}

test('learns domains from embeddings and predicts calibrated, unsure-aware answers', () => {
  const train = clusters(80, 1);
  const classifier = trainEmbeddingClassifier(train.examples, train.vectors, { embedModel: 'emb', threshold: 0.5 });
  assert.equal(classifier.kind, 'embedding');
  assert.equal(classifier.dimensions, 16);
  assert.deepEqual(classifier.domains, ['code', 'math', 'support']);
  assert.equal(classifier.training!.calibration.examples, 24);
  const held = clusters(20, 2);
  const correct = held.vectors.filter((v, i) => classifier.predictEmbedding(v).best === held.examples[i]!.domain).length;
  assert.ok(correct / held.vectors.length >= 0.95, `accuracy ${correct}/${held.vectors.length}`);
  const p = classifier.predictEmbedding(held.vectors[0]!);
  assert.ok(Math.abs(Object.values(p.scores).reduce((a, b) => a + b, 0) - 1) < 1e-9);
  const between = classifier.withThreshold(0.9).predictEmbedding(Array.from({ length: 16 }, (_, d) => (d < 10 ? 1 : 0)));
  assert.equal(between.domain, 'unsure');
});

test('round-trips through the router file with identical predictions', () => {
  const train = clusters(30, 3);
  const classifier = trainEmbeddingClassifier(train.examples, train.vectors, { embedModel: 'local-embedder' });
  const file = JSON.parse(JSON.stringify(serializeRouter(classifier))) as unknown;
  const loaded = parseRouter(file, 'emb.json');
  assert.ok(loaded instanceof EmbeddingClassifier);
  assert.equal(loaded.embedModel, 'local-embedder');
  for (const v of clusters(5, 4).vectors) assert.deepEqual(loaded.predictEmbedding(v), classifier.predictEmbedding(v));
  assert.throws(
    () => parseRouter({ ...(file as Record<string, unknown>), dimensions: 17 }, 'emb.json'),
    (e: unknown) => e instanceof UnbundleError && /weights\.data holds 48 values, expected 51 \(17 dimensions x 3 domains\)/.test(e.message),
  );
});

test('an embedding of the wrong length, or vectors that do not match the examples, are refused', () => {
  const train = clusters(10, 5);
  const classifier = trainEmbeddingClassifier(train.examples, train.vectors, { embedModel: 'emb' });
  assert.throws(() => classifier.predictEmbedding([1, 2, 3]), (e: unknown) => e instanceof UnbundleError && /expects 16-dimensional embeddings from "emb" but got 3/.test(e.message));
  assert.throws(
    () => trainEmbeddingClassifier(train.examples, train.vectors.slice(1), { embedModel: 'emb' }),
    (e: unknown) => e instanceof UnbundleError && e.code === 'UNBUNDLE_E_DATA' && /one vector of the same length per example/.test(e.message),
  );
});
