import { UnbundleError } from '../../errors.ts';
import { DomainClassifier } from './domain-classifier.ts';
import { calibratedFit } from './calibrated-fit.ts';
import type { LabelledExample } from './labelled-data.ts';
import { defaultFeatureOptions, FeatureExtractor, type FeatureOptions } from './text-features.ts';
import { defaultLinearTrainOptions, trainLinearModel, type EncodedExample, type LinearTrainOptions } from './train-linear-model.ts';

export interface DomainTrainOptions {
  features: FeatureOptions;
  linear: LinearTrainOptions;
  /** Below this calibrated confidence the classifier answers "unsure". */
  threshold: number;
  /** Share of each domain held out to fit the temperature (then the model is refit on everything). */
  calibrationShare: number;
}

export const defaultDomainTrainOptions: Readonly<DomainTrainOptions> = Object.freeze({
  features: defaultFeatureOptions,
  linear: defaultLinearTrainOptions,
  threshold: 0.5,
  calibrationShare: 0.1,
});

export interface DomainTrainOverrides {
  features?: Partial<FeatureOptions>;
  linear?: Partial<LinearTrainOptions>;
  threshold?: number;
  calibrationShare?: number;
}

/** Trains a calibrated domain classifier in-process (temperature: see calibratedFit). */
export function trainDomainClassifier(examples: readonly LabelledExample[], overrides: DomainTrainOverrides = {}): DomainClassifier {
  const options: DomainTrainOptions = {
    features: { ...defaultDomainTrainOptions.features, ...overrides.features },
    linear: { ...defaultDomainTrainOptions.linear, ...overrides.linear },
    threshold: overrides.threshold ?? defaultDomainTrainOptions.threshold,
    calibrationShare: overrides.calibrationShare ?? defaultDomainTrainOptions.calibrationShare,
  };
  checkOptions(options);
  const domains = [...new Set(examples.map((e) => e.domain))].sort();
  if (domains.length < 2) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `Training needs examples of at least two domains; found ${domains.length === 0 ? 'none' : `only "${domains[0]}"`}.`);
  }
  const perDomain: Record<string, number> = {};
  for (const e of examples) perDomain[e.domain] = (perDomain[e.domain] ?? 0) + 1;

  const extractor = new FeatureExtractor(options.features);
  const encoded: EncodedExample[] = examples.map((e) => {
    const f = extractor.extract(e.text);
    return { buckets: f.buckets.slice(0, f.wordCount + f.charCount), wordCount: f.wordCount, label: domains.indexOf(e.domain) };
  });

  const { model, temperature, calibration } = calibratedFit(
    encoded,
    domains.length,
    options.calibrationShare,
    options.linear.seed,
    (subset) => trainLinearModel(subset, domains.length, options.features.bits, options.linear),
    (probe, e) => probe.logits({ buckets: e.buckets, wordCount: e.wordCount, charCount: e.buckets.length - e.wordCount }, new Float64Array(domains.length)),
  );
  return new DomainClassifier({
    domains,
    model,
    features: options.features,
    temperature,
    threshold: options.threshold,
    training: {
      examples: examples.length,
      perDomain,
      calibration,
      trainedAt: new Date().toISOString(),
    },
  });
}

function checkOptions(options: DomainTrainOptions): void {
  const { bits, charMin, charMax, maxChars } = options.features;
  const problems: string[] = [];
  if (!Number.isInteger(bits) || bits < 8 || bits > 24) problems.push('features.bits must be a whole number from 8 to 24');
  if (!Number.isInteger(charMin) || !Number.isInteger(charMax) || charMin < 1 || charMax < charMin || charMax > 8) problems.push('character n-gram lengths must satisfy 1 <= charMin <= charMax <= 8');
  if (!Number.isInteger(maxChars) || maxChars < 64) problems.push('features.maxChars must be a whole number of at least 64');
  if (!Number.isInteger(options.linear.epochs) || options.linear.epochs < 1 || options.linear.epochs > 100) problems.push('epochs must be a whole number from 1 to 100');
  if (!(options.threshold >= 0 && options.threshold <= 1)) problems.push('threshold must be between 0 and 1');
  if (!(options.calibrationShare >= 0 && options.calibrationShare < 1)) problems.push('calibrationShare must be at least 0 and below 1');
  if (problems.length > 0) throw new UnbundleError('UNBUNDLE_E_USAGE', `Invalid training options: ${problems.join('; ')}.`);
}
