import { unsureDomain } from './labelled-data.ts';
import { groupScale, softmax, type LinearModel } from './linear-model.ts';
import { FeatureExtractor, type FeatureOptions } from './text-features.ts';

/** What the router gets back for one prompt. */
export interface DomainPrediction {
  /** The winning domain, or "unsure" when `confidence` is below the classifier's threshold. */
  domain: string;
  /** The most likely domain, even when the answer is "unsure". */
  best: string;
  /** Calibrated probability of `best`. */
  confidence: number;
  /** Calibrated probability of every domain (they sum to 1). */
  scores: Record<string, number>;
}

/** One n-gram's pull towards the predicted domain, for `route explain`. */
export interface FeatureContribution {
  feature: string;
  kind: 'word' | 'char';
  /** Change in the predicted domain's logit (after temperature) against the other domains' mean. */
  weight: number;
}

export interface DomainExplanation {
  prediction: DomainPrediction;
  /** Features pushing most towards `prediction.best`, strongest first. */
  for: FeatureContribution[];
  /** Features pushing most away from it, strongest first. */
  against: FeatureContribution[];
}

/** Summary of how a classifier was trained, kept in its file for `route test` and humans. */
export interface TrainingSummary {
  examples: number;
  perDomain: Record<string, number>;
  /** Held-out examples used to fit the temperature, and the accuracy on them. */
  calibration: { examples: number; accuracy: number | null };
  trainedAt: string;
}

export interface HashedClassifierParts {
  domains: readonly string[];
  model: LinearModel;
  features: Readonly<FeatureOptions>;
  temperature: number;
  threshold: number;
  training?: TrainingSummary;
}

/**
 * The domain classifier over hashed word and character n-grams. Once built it is pure and
 * synchronous: `predict` does no I/O and allocates only the small result object, so the router
 * can call it on every request.
 */
export class DomainClassifier {
  readonly kind = 'hashed-ngram';
  readonly domains: readonly string[];
  readonly model: LinearModel;
  readonly features: Readonly<FeatureOptions>;
  readonly temperature: number;
  readonly threshold: number;
  readonly training: TrainingSummary | undefined;
  private readonly extractor: FeatureExtractor;
  private readonly logits: Float64Array;
  private readonly probs: Float64Array;

  constructor(parts: HashedClassifierParts) {
    if (parts.domains.length !== parts.model.classCount) throw new RangeError('one domain per model class is required');
    if (parts.model.bits !== parts.features.bits) throw new RangeError('model and feature bucket counts differ');
    this.domains = Object.freeze([...parts.domains]);
    this.model = parts.model;
    this.features = Object.freeze({ ...parts.features });
    this.temperature = parts.temperature;
    this.threshold = parts.threshold;
    this.training = parts.training;
    this.extractor = new FeatureExtractor(this.features);
    this.logits = new Float64Array(this.domains.length);
    this.probs = new Float64Array(this.domains.length);
  }

  predict(text: string): DomainPrediction {
    const probs = this.probabilities(text);
    let best = 0;
    const scores: Record<string, number> = {};
    for (let c = 0; c < probs.length; c++) {
      scores[this.domains[c]!] = probs[c]!;
      if (probs[c]! > probs[best]!) best = c;
    }
    const confidence = probs[best]!;
    const bestDomain = this.domains[best]!;
    return { domain: confidence >= this.threshold ? bestDomain : unsureDomain, best: bestDomain, confidence, scores };
  }

  /** Calibrated probabilities in `domains` order; the array is reused by the next call. */
  probabilities(text: string): Float64Array {
    this.model.logits(this.extractor.extract(text), this.logits);
    return softmax(this.logits, this.temperature, this.probs);
  }

  /** Raw logits (before temperature) in `domains` order, copied; used for calibration. */
  rawLogits(text: string): Float64Array {
    return Float64Array.from(this.model.logits(this.extractor.extract(text), this.logits));
  }

  explain(text: string, top = 8): DomainExplanation {
    const prediction = this.predict(text);
    const best = this.domains.indexOf(prediction.best);
    const spans: number[] = [];
    const normalised = this.extractor.normalisedText(text);
    const { buckets, wordCount, charCount } = this.extractor.extract(text, spans);
    const k = this.domains.length;
    const model = this.model;
    const byFeature = new Map<string, FeatureContribution>();
    for (let i = 0; i < wordCount + charCount; i++) {
      let mean = 0;
      for (let c = 0; c < k; c++) mean += model.weight(buckets[i]!, c);
      mean /= k;
      const kind = i < wordCount ? 'word' : 'char';
      const scale = groupScale(kind === 'word' ? wordCount : charCount) / this.temperature;
      const weight = (model.weight(buckets[i]!, best) - mean) * scale;
      const feature = normalised.slice(spans[2 * i]!, spans[2 * i + 1]!);
      byFeature.set(`${kind}:${feature}`, { feature, kind, weight });
    }
    const all = [...byFeature.values()].filter((f) => f.weight !== 0);
    return {
      prediction,
      for: all.filter((f) => f.weight > 0).sort((a, b) => b.weight - a.weight).slice(0, top),
      against: all.filter((f) => f.weight < 0).sort((a, b) => a.weight - b.weight).slice(0, top),
    };
  }

  /** The same model with another unsure threshold (0 never answers "unsure"). */
  withThreshold(threshold: number): DomainClassifier {
    const { domains, model, features, temperature, training } = this;
    return new DomainClassifier({ domains, model, features, temperature, threshold, ...(training ? { training } : {}) });
  }
}
