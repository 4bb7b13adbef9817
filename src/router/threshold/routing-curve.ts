import { seededRandom, shuffleInPlace } from '../../util/seeded-random.ts';
import type { FeatureOptions } from '../classifier/text-features.ts';
import { defaultFeatureOptions } from '../classifier/text-features.ts';
import { trainLinearModel, type LinearTrainOptions } from '../classifier/train-linear-model.ts';
import type { ModelOutcome } from './model-outcomes.ts';
import { ThresholdRouter } from './threshold-router.ts';
import { encodeOutcomes, thresholdLinearDefaults } from './train-threshold-router.ts';

export interface CurvePoint {
  /** Share of prompts sent to the strong model. */
  strongShare: number;
  /** Accuracy of the routed answers. */
  accuracy: number;
}

export interface RoutingCurve {
  weakAccuracy: number;
  strongAccuracy: number;
  /** Router: prompts sent to the strong model in ascending order of the weak model's advantage. */
  points: CurvePoint[];
  /** Average performance gap recovered over all shares (RouteLLM's APGR; random routing is 0.5). */
  apgr: number;
}

/**
 * Quality against share of strong calls, for every possible threshold: the prompts with the lowest
 * `weakAdvantage` go to the strong model first. Ties are broken by input order.
 */
export function routingCurve(weakAdvantage: readonly number[], outcomes: readonly ModelOutcome[]): RoutingCurve {
  const n = outcomes.length;
  const order = outcomes.map((_, i) => i).sort((a, b) => weakAdvantage[a]! - weakAdvantage[b]! || a - b);
  let correct = outcomes.filter((o) => o.weakCorrect).length;
  const weakAccuracy = correct / n;
  const strongAccuracy = outcomes.filter((o) => o.strongCorrect).length / n;
  const points: CurvePoint[] = [{ strongShare: 0, accuracy: weakAccuracy }];
  order.forEach((i, k) => {
    correct += Number(outcomes[i]!.strongCorrect) - Number(outcomes[i]!.weakCorrect);
    points.push({ strongShare: (k + 1) / n, accuracy: correct / n });
  });
  const gap = strongAccuracy - weakAccuracy;
  const apgr = gap === 0 ? 0 : points.reduce((sum, p) => sum + (p.accuracy - weakAccuracy) / gap, 0) / points.length;
  return { weakAccuracy, strongAccuracy, points, apgr };
}

/** Random routing at share s: the expected accuracy is the straight line between the two models. */
export function randomRoutingAccuracy(curve: RoutingCurve, strongShare: number): number {
  return curve.weakAccuracy + strongShare * (curve.strongAccuracy - curve.weakAccuracy);
}

/** Smallest share of strong calls at which the router reaches `accuracy` (undefined if never). */
export function strongShareFor(curve: RoutingCurve, accuracy: number): number | undefined {
  return curve.points.find((p) => p.accuracy >= accuracy - 1e-12)?.strongShare;
}

/** The same for random routing (undefined when the strong model itself is below `accuracy`). */
export function randomStrongShareFor(curve: RoutingCurve, accuracy: number): number | undefined {
  if (accuracy <= curve.weakAccuracy) return 0;
  if (accuracy > curve.strongAccuracy) return undefined;
  return (accuracy - curve.weakAccuracy) / (curve.strongAccuracy - curve.weakAccuracy);
}

/**
 * Out-of-fold `weakAdvantage` for every prompt: k folds, each prompt scored by a model that never
 * saw it (identical prompt texts share a fold, so a repeated question cannot leak).
 */
export function crossValidatedAdvantage(outcomes: readonly ModelOutcome[], folds = 5, seed = 1, features: Readonly<FeatureOptions> = defaultFeatureOptions, linear: Partial<LinearTrainOptions> = {}): number[] {
  const options = { ...thresholdLinearDefaults, ...linear };
  const encoded = encodeOutcomes(outcomes, features);
  const texts = [...new Set(outcomes.map((o) => o.text.trim()))];
  shuffleInPlace(texts, seededRandom(seed));
  const foldOf = new Map(texts.map((text, i) => [text, i % folds]));
  const scores = new Array<number>(outcomes.length).fill(0);
  for (let fold = 0; fold < folds; fold++) {
    const inFold = (i: number): boolean => foldOf.get(outcomes[i]!.text.trim()) === fold;
    const train = encoded.filter((_, i) => !inFold(i));
    const router = new ThresholdRouter({ model: trainLinearModel(train, 4, features.bits, options), features, threshold: 0, weakModel: 'weak', strongModel: 'strong' });
    outcomes.forEach((o, i) => {
      if (inFold(i)) scores[i] = router.decide(o.text).weakAdvantage;
    });
  }
  return scores;
}
