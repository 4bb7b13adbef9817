import { softmax, type LinearModel } from '../classifier/linear-model.ts';
import { FeatureExtractor, type FeatureOptions } from '../classifier/text-features.ts';

/** The decision for one prompt. */
export interface ThresholdDecision {
  target: 'weak' | 'strong';
  /**
   * Expected accuracy gained by sending the prompt to the weak model instead of the strong one:
   * P(only the weak is right) − P(only the strong is right). Between −1 and 1; the router sends a
   * prompt to the weak model when this is at least the threshold.
   */
  weakAdvantage: number;
  /** P(the weak model is good enough) = 1 − P(only the strong model is right). */
  pWeakGoodEnough: number;
}

export interface ThresholdRouterParts {
  model: LinearModel;
  features: Readonly<FeatureOptions>;
  threshold: number;
  weakModel: string;
  strongModel: string;
}

/**
 * A strong/weak router in the spirit of RouteLLM: a hashed n-gram softmax model predicts the four
 * joint outcomes (both wrong, only weak right, only strong right, both right) of a prompt, and a
 * threshold on the weak model's expected advantage picks the target. Ranking by expected advantage
 * rather than by P(weak good enough) alone matters: questions the weak model fails are often ones
 * the strong model fails too, and sending those to the strong model buys nothing. Pure and
 * synchronous once built.
 */
export class ThresholdRouter {
  readonly model: LinearModel;
  readonly features: Readonly<FeatureOptions>;
  readonly threshold: number;
  readonly weakModel: string;
  readonly strongModel: string;
  private readonly extractor: FeatureExtractor;
  private readonly logits = new Float64Array(4);
  private readonly probs = new Float64Array(4);

  constructor(parts: ThresholdRouterParts) {
    if (parts.model.classCount !== 4) throw new RangeError('the threshold router model predicts four outcomes');
    this.model = parts.model;
    this.features = parts.features;
    this.threshold = parts.threshold;
    this.weakModel = parts.weakModel;
    this.strongModel = parts.strongModel;
    this.extractor = new FeatureExtractor(parts.features);
  }

  decide(text: string): ThresholdDecision {
    const p = softmax(this.model.logits(this.extractor.extract(text), this.logits), 1, this.probs);
    const weakAdvantage = p[1]! - p[2]!;
    return { target: weakAdvantage >= this.threshold ? 'weak' : 'strong', weakAdvantage, pWeakGoodEnough: 1 - p[2]! };
  }

  withThreshold(threshold: number): ThresholdRouter {
    const { model, features, weakModel, strongModel } = this;
    return new ThresholdRouter({ model, features, threshold, weakModel, strongModel });
  }
}
