import { UnbundleError } from '../../errors.ts';
import { seededRandom, shuffleInPlace } from '../../util/seeded-random.ts';
import { defaultFeatureOptions, FeatureExtractor, type FeatureOptions } from '../classifier/text-features.ts';
import { defaultLinearTrainOptions, trainLinearModel, type EncodedExample, type LinearTrainOptions } from '../classifier/train-linear-model.ts';
import { outcomeClass, type ModelOutcome } from './model-outcomes.ts';
import { ThresholdRouter } from './threshold-router.ts';

export interface ThresholdTrainOptions {
  /** Share of prompts the router should send to the strong model (0..1). */
  strongShare: number;
  weakModel: string;
  strongModel: string;
  /** Share held out to place the threshold on scores the model has not seen. */
  holdoutShare?: number;
  features?: Partial<FeatureOptions>;
  linear?: Partial<LinearTrainOptions>;
}

/** Outcome classes are few and noisy; a gentler step than the domain classifier's suits them. */
export const thresholdLinearDefaults: Readonly<LinearTrainOptions> = Object.freeze({ ...defaultLinearTrainOptions, learningRate: 0.1, classWeightPower: 0 });

export function encodeOutcomes(outcomes: readonly ModelOutcome[], features: Readonly<FeatureOptions>): EncodedExample[] {
  const extractor = new FeatureExtractor(features);
  return outcomes.map((o) => {
    const f = extractor.extract(o.text);
    return { buckets: f.buckets.slice(0, f.wordCount + f.charCount), wordCount: f.wordCount, label: outcomeClass(o) };
  });
}

/**
 * Trains the four-outcome model and places the threshold so that `strongShare` of held-out prompts
 * go to the strong model. The held-out share is not refit afterwards: a refit model scores on a
 * different scale, and the share it sends to the strong model would drift from the target.
 */
export function trainThresholdRouter(outcomes: readonly ModelOutcome[], options: ThresholdTrainOptions): ThresholdRouter {
  if (!(options.strongShare >= 0 && options.strongShare <= 1)) throw new UnbundleError('UNBUNDLE_E_USAGE', `strongShare must be between 0 and 1, got ${options.strongShare}.`);
  if (outcomes.length < 20) throw new UnbundleError('UNBUNDLE_E_DATA', `The threshold router needs at least 20 graded prompts; got ${outcomes.length}.`);
  const features = { ...defaultFeatureOptions, ...options.features };
  const linear = { ...thresholdLinearDefaults, ...options.linear };
  const encoded = encodeOutcomes(outcomes, features);
  const order = shuffleInPlace(encoded.map((_, i) => i), seededRandom(linear.seed ^ 0x27d4eb2d));
  const heldCount = Math.max(1, Math.round(encoded.length * (options.holdoutShare ?? 0.2)));
  const held = order.slice(0, heldCount);
  const router = new ThresholdRouter({ model: trainLinearModel(order.slice(heldCount).map((i) => encoded[i]!), 4, features.bits, linear), features, threshold: 0, weakModel: options.weakModel, strongModel: options.strongModel });
  const scores = held.map((i) => router.decide(outcomes[i]!.text).weakAdvantage).sort((a, b) => a - b);
  return router.withThreshold(thresholdForStrongShare(scores, options.strongShare));
}

/** The score below which `share` of the (ascending) scores fall: those go to the strong model. */
export function thresholdForStrongShare(ascending: readonly number[], share: number): number {
  if (share <= 0) return -Infinity;
  if (share >= 1) return Infinity;
  const index = Math.min(ascending.length - 1, Math.round(share * ascending.length));
  return ascending[index]!;
}
